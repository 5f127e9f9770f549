"""Resident requests (诉求工单): what a resident asked for, who holds it, its service clocks,
every step it took, and how the resident rated the result."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import Department
from wudian.core.badges import Badge, Tone, badge
from wudian.core.kept import KeptRows
from wudian.grid.models import Compound, Household, Meter, StationArea


class ClockUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    WORKING_DAYS = "working_days", _("working days")


class Category(KeptRows):
    """A kind of request with its routing rule and its service clocks; data an administrator
    edits in the admin."""

    class Routing(models.TextChoices):
        ELECTRICIAN = "electrician", _("Certified property electrician, else customer manager")
        CUSTOMER_MANAGER = "customer_manager", _("Customer manager")

    class Kind(models.TextChoices):
        FAULT = "fault", _("Fault repair")
        ENQUIRY = "enquiry", _("Enquiry")
        METERING = "metering", _("Metering dispute")
        BUSINESS = "business", _("Low-voltage business")
        HAZARD = "hazard", _("Safety hazard")
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion or praise")
        CHECK = "check", _("Check from meter data")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    required_documents = models.TextField(
        _("documents required"),
        blank=True,
        help_text=_("One document per line; shown to the resident before they apply."),
    )
    routing = models.CharField(_("routed to"), max_length=20, choices=Routing.choices)
    accept_target = models.PositiveIntegerField(_("accept within"))
    accept_unit = models.CharField(
        _("unit"), max_length=12, choices=ClockUnit.choices, default=ClockUnit.MINUTES
    )
    arrive_target = models.PositiveIntegerField(
        _("arrive on site within"),
        null=True,
        blank=True,
        help_text=_("Only for requests that need someone on site, such as fault repairs."),
    )
    arrive_unit = models.CharField(
        _("unit"), max_length=12, choices=ClockUnit.choices, default=ClockUnit.MINUTES
    )
    resolve_target = models.PositiveIntegerField(_("resolve within"))
    resolve_unit = models.CharField(
        _("unit"), max_length=12, choices=ClockUnit.choices, default=ClockUnit.MINUTES
    )
    resident_may_report = models.BooleanField(
        _("residents may report it"),
        default=True,
        help_text=_("Off for categories only staff or the system raise, such as data checks."),
    )
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")

    def __str__(self) -> str:
        return self.name

    @property
    def is_fault(self) -> bool:
        return self.kind == self.Kind.FAULT

    @property
    def is_business(self) -> bool:
        return self.kind == self.Kind.BUSINESS

    @property
    def documents(self) -> list[str]:
        return [line.strip() for line in self.required_documents.splitlines() if line.strip()]


class Channel(models.TextChoices):
    WEB = "web", _("Resident web page")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    PHONE = "phone", _("Phone call (entered by staff)")
    VISIT = "visit", _("Visit (entered by staff)")
    CIRCLE = "circle", _("Circle message")
    LINK_DAY = "link_day", _("On site at a link day")
    PATROL = "patrol", _("Patrol")
    METER_DATA = "meter_data", _("Meter data check")
    FOLLOW_UP = "follow_up", _("Raised from another request")


# Channels through which a resident applies without coming in: they count toward the online
# application rate (线上办电率).
ONLINE_CHANNELS = frozenset({Channel.WEB, Channel.API, Channel.OPEN311, Channel.CIRCLE})


class WorkOrder(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted")
        ARRIVED = "arrived", _("On site")
        WAITING = "waiting", _("Waiting for the resident")
        RESOLVED = "resolved", _("Resolved, awaiting confirmation")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.ARRIVED,
        Status.WAITING,
        Status.RESOLVED,
    )
    # Statuses in which someone on staff still owes work, so the clocks run.
    ACTIVE_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.ARRIVED)
    # What a holder's queue shows: open and not yet resolved.
    QUEUE_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.ARRIVED, Status.WAITING)

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="workorders", verbose_name=_("category")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    description = models.TextField(_("description"), max_length=4000)

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="workorders", verbose_name=_("compound")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workorders",
        verbose_name=_("household"),
    )
    station_area = models.ForeignKey(
        StationArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workorders",
        verbose_name=_("station area"),
    )
    meter = models.ForeignKey(
        Meter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workorders",
        verbose_name=_("meter"),
    )
    address_text = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    contact_name = models.CharField(_("contact name"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workorders_created",
        verbose_name=_("created by"),
    )
    # Who holds it now: one member of staff, or a department whose members may accept it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workorders_assigned",
        verbose_name=_("assignee"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workorders",
        verbose_name=_("department"),
    )
    # First-responsible (首问负责): the first member of staff who accepted it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workorders_owned",
        verbose_name=_("first responsible"),
    )

    priority = models.BooleanField(_("priority (special-group household)"), default=False)
    opinion_risk = models.BooleanField(_("opinion risk"), default=False, db_index=True)
    risk_topics = models.JSONField(_("risk topics"), default=list, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"),
        default=0,
        help_text=_("0 none, 1 customer manager alerted, 2 supervisor alerted."),
    )

    # Service clocks: when each is due and when it was met; *_late is set once the clock is
    # decided (met late, or found overdue), so on-time rates need no recomputation.
    accept_due = models.DateTimeField(_("accept by"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accept_late = models.BooleanField(_("accepted late"), null=True, blank=True)
    arrive_due = models.DateTimeField(_("arrive by"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    arrive_late = models.BooleanField(_("arrived late"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolve_late = models.BooleanField(_("resolved late"), null=True, blank=True)
    # The earliest deadline still running: what "due soon" and "overdue" sort and filter on.
    next_due = models.DateTimeField(_("next deadline"), null=True, blank=True)
    # When the owner is next warned of the running deadline (a share of the clock before it).
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    warned_clocks = models.CharField(_("clocks warned about"), max_length=40, blank=True)
    clocks_started_at = models.DateTimeField(_("clocks started at"), null=True, blank=True)
    clock_problem = models.CharField(_("clock problem"), max_length=200, blank=True)
    paused_at = models.DateTimeField(_("clocks paused at"), null=True, blank=True)

    resolution = models.TextField(_("resolution"), max_length=4000, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    auto_closed = models.BooleanField(_("closed automatically"), default=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("rating comment"), max_length=1000, blank=True)
    visited_hall = models.BooleanField(_("had to go to the service hall"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    open311_token = models.CharField(
        _("Open311 token"), max_length=40, null=True, blank=True, unique=True
    )
    # The request it was raised from: a meter test (电能表校验) from the metering dispute that
    # asked for it.
    raised_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="raised",
        verbose_name=_("raised from"),
    )
    # The circle message it came from (a resident's message that staff turned into a request).
    circle_message = models.OneToOneField(
        "circles.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="workorder",
        verbose_name=_("circle message"),
    )
    created_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("resident request")
        verbose_name_plural = _("resident requests")
        indexes = [
            models.Index(fields=["compound", "-created_at"], name="workorder_compound_recent"),
            # The newest-first lists of everyone whose scope spans many compounds.
            models.Index(fields=["-created_at", "-id"], name="workorder_recent"),
            models.Index(fields=["assignee", "status"], name="workorder_assignee_status"),
            models.Index(fields=["status", "next_due"], name="workorder_status_due"),
            models.Index(fields=["status", "warn_at"], name="workorder_status_warn"),
            models.Index(fields=["department", "status"], name="workorder_department_status"),
            # The workbench's own queue and overdue list, read in the order they are worked
            # through, so a long list costs no sort. The conditions spell out QUEUE_STATUSES
            # and ACTIVE_STATUSES (Meta cannot see them).
            models.Index(
                fields=["assignee", "-priority", "next_due", "-created_at", "-id"],
                condition=models.Q(status__in=["submitted", "accepted", "arrived", "waiting"]),
                name="workorder_queue",
            ),
            models.Index(
                fields=["-priority", "-escalation_level", "next_due", "id"],
                condition=models.Q(status__in=["submitted", "accepted", "arrived"]),
                name="workorder_active_urgent",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="workorder_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def status_label(self) -> str:
        # The enum's label: get_status_display() hashes every choice on each call, which
        # shows in a list of fifty.
        return str(self.Status(self.status).label)

    @property
    def status_badge(self) -> Badge:
        return badge(self.Status, self.status, STATUS_TONES, default=Tone.INFO)


# How the status badge looks: waiting on someone, settled, over; in progress otherwise.
STATUS_TONES = {
    WorkOrder.Status.SUBMITTED: Tone.WARN,
    WorkOrder.Status.WAITING: Tone.WARN,
    WorkOrder.Status.RESOLVED: Tone.OK,
    WorkOrder.Status.CLOSED: Tone.MUTED,
    WorkOrder.Status.CANCELLED: Tone.MUTED,
}


def photo_path(instance: WorkOrderPhoto, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"workorders/{instance.workorder_id}/{instance.digest[:16]}.{suffix}"


class WorkOrderPhoto(models.Model):
    """A photo the resident or staff attached; private, served only to those who may see the
    request."""

    workorder = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=photo_path)
    digest = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.image.name or ""


class WorkOrderEvent(models.Model):
    """One step of a request's life, for the timeline both residents and staff read."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ASSIGNED = "assigned", _("Assigned")
        ACCEPTED = "accepted", _("Accepted")
        ARRIVED = "arrived", _("Arrived on site")
        WAITING = "waiting", _("Waiting for the resident")
        RESUMED = "resumed", _("Resumed")
        TRANSFERRED = "transferred", _("Transferred")
        ESCALATED = "escalated", _("Escalated")
        RESOLVED = "resolved", _("Resolved")
        CONFIRMED = "confirmed", _("Confirmed by the resident")
        REOPENED = "reopened", _("Reopened")
        CANCELLED = "cancelled", _("Cancelled")
        RATED = "rated", _("Rated")
        CLOSED = "closed", _("Closed automatically")
        WARNED = "warned", _("Deadline warning")
        OVERDUE = "overdue", _("Deadline missed")
        COMMENTED = "commented", _("Comment")
        USAGE_REPORT = "usage_report", _("Usage analysis attached")
        METER_TEST = "meter_test", _("Meter test requested")

    workorder = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
    )
    to_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to department"),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"{self.workorder_id} · {self.get_kind_display()}"


class UsageReport(models.Model):
    """A usage analysis (用电分析) attached to a metering dispute: a snapshot of what
    `billing.services.usage.usage_analysis` found, kept as it was shown."""

    workorder = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="usage_reports", verbose_name=_("request")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    until = models.DateField(_("last month analysed"))
    months = models.PositiveSmallIntegerField(_("number of months"))
    data = models.JSONField(_("analysis"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("made by"),
    )
    made_at = models.DateTimeField(_("made at"))

    class Meta:
        ordering = ["made_at", "pk"]
        verbose_name = _("usage analysis")
        verbose_name_plural = _("usage analyses")

    def __str__(self) -> str:
        return f"{self.workorder_id} · {self.until:%Y-%m}"


class Open311Key(models.Model):
    """An API key for an Open311 client (GeoReport v2 `api_key`), issued in the admin. Only
    a SHA-256 digest is kept."""

    name = models.CharField(_("client"), max_length=100)
    organisation = models.CharField(
        _("organisation"),
        max_length=100,
        blank=True,
        help_text=_("Who holds the key and answers for what it files."),
    )
    # A key files only for these compounds: elsewhere an address is as unknown as a made-up one.
    compounds = models.ManyToManyField(
        Compound,
        blank=True,
        related_name="+",
        verbose_name=_("compounds it may file for"),
    )
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(_("SHA-256"), max_length=64, unique=True)
    # Requests filed with this key are recorded as created by this account.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acting account"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
