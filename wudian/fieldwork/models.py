"""The mechanism in the field (一个机制): the utility's training of property electricians and
their certificates' reminders, the monthly joint patrols (联合巡视) of each compound by its
electrician and customer manager on versioned checklists, and the defects found, to closure
(消缺). Certificates themselves are a person's qualification and live in `accounts`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import Certificate, Department
from wudian.core.badges import Badge, Tone, badge
from wudian.grid.models import Building, Compound, District, StationArea

# Training and certificates ----------------------------------------------------------------


class TrainingSession(models.Model):
    """A training the utility organises for property electricians: one sitting, with the
    attendees' hours and assessment results."""

    topic = models.CharField(_("topic"), max_length=120)
    trainer = models.CharField(_("trainer"), max_length=60)
    place = models.CharField(_("place"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    # The district it is held for (its supervisors organise it); empty: the whole city.
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    organised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organised by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="training_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_hours_positive"),
        ]

    def __str__(self) -> str:
        return self.topic


class TrainingAttendance(models.Model):
    """One electrician at one training: the hours credited and the assessment's result."""

    class Result(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        ABSENT = "absent", _("Absent")
        PENDING = "pending", _("Not assessed yet")

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("training"),
    )
    electrician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="trainings",
        verbose_name=_("electrician"),
    )
    result = models.CharField(
        _("assessment"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    hours = models.DecimalField(_("hours credited"), max_digits=4, decimal_places=1, default=0)

    class Meta:
        ordering = ["session", "electrician"]
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendances")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "electrician"], name="training_attendance_unique"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="training_hours_credited"),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.electrician}"


class CertificateReminder(models.Model):
    """A reminder sent (or the handover made) for a certificate `days_before` its expiry:
    one row per certificate and step, so the daily task tells each step once."""

    certificate = models.ForeignKey(
        Certificate,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("certificate"),
    )
    days_before = models.PositiveSmallIntegerField(_("days before expiry"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["certificate", "-days_before"]
        verbose_name = _("certificate reminder")
        verbose_name_plural = _("certificate reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "days_before"], name="certificate_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate} · {self.days_before}"


# Checklists -------------------------------------------------------------------------------


class Checklist(models.Model):
    """What a patrol looks at, edited by an administrator in versions: a patrol keeps the
    version it started on, so a new version never changes an open patrol."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")

    def __str__(self) -> str:
        return self.name


class ChecklistVersion(models.Model):
    """One version of a checklist: a draft while edited, frozen once published. The latest
    published version is what new patrols use."""

    checklist = models.ForeignKey(
        Checklist, on_delete=models.CASCADE, related_name="versions", verbose_name=_("checklist")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["checklist", "-number"]
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        constraints = [
            models.UniqueConstraint(fields=["checklist", "number"], name="checklist_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.checklist} v{self.number}"


class ChecklistItem(models.Model):
    """One thing to look at, under one area of the compound."""

    class Area(models.TextChoices):
        DISTRIBUTION_ROOM = "distribution_room", _("Distribution room")
        CABLE_SHAFT = "cable_shaft", _("Cable shafts")
        METER_BOX = "meter_box", _("Meter boxes")
        STAIRWELL = "stairwell", _("Stairwell wiring")
        LEAKAGE = "leakage", _("Leakage protectors")
        FIRE = "fire", _("Fire safety")
        EV_CHARGING = "ev_charging", _("EV charging points")
        OTHER = "other", _("Other")

    version = models.ForeignKey(
        ChecklistVersion,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("checklist version"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    text = models.CharField(_("what to check"), max_length=200)
    guidance = models.CharField(_("guidance"), max_length=300, blank=True)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="checklist_item_position_unique"
            )
        ]

    def __str__(self) -> str:
        return self.text


# Patrols ----------------------------------------------------------------------------------


class Patrol(models.Model):
    """One joint patrol (联合巡视) of a compound by its electrician and customer manager: a
    monthly plan generated ahead, or an extra patrol opened from a hazard or an alarm."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly patrol")
        EXTRA = "extra", _("Extra patrol")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        SIGNED = "signed", _("Awaiting the second signature")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS, Status.SIGNED)

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="patrols", verbose_name=_("compound")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MONTHLY)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    # The first day of the month a monthly patrol belongs to; it may move within that month.
    month = models.DateField(_("month"))
    planned_on = models.DateField(_("planned on"))
    moved_reason = models.CharField(_("why it moved"), max_length=200, blank=True)
    electrician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("electrician"),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer manager"),
    )
    # Set when the patrol starts; never changed afterwards.
    checklist_version = models.ForeignKey(
        ChecklistVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patrols",
        verbose_name=_("checklist version"),
    )
    # What an extra patrol was opened for: a resident's hazard report or a line-loss alarm.
    workorder = models.ForeignKey(
        "workorders.WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patrols",
        verbose_name=_("request"),
    )
    station_area = models.ForeignKey(
        StationArea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patrols",
        verbose_name=_("station area"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The phone's key of its submission: the same answers sent twice are recorded once.
    submission_key = models.UUIDField(_("submission key"), null=True, blank=True, unique=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    electrician_signed_at = models.DateTimeField(_("electrician signed at"), null=True, blank=True)
    manager_signed_at = models.DateTimeField(_("manager signed at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-planned_on", "-pk"]
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "month"],
                condition=Q(kind="monthly"),
                name="patrol_monthly_once",
            ),
        ]
        indexes = [
            models.Index(fields=["compound", "-planned_on"], name="patrol_compound_day"),
            models.Index(fields=["status", "planned_on"], name="patrol_status_day"),
        ]

    def __str__(self) -> str:
        return f"{self.compound} · {self.planned_on}"


PATROL_TONES = {
    Patrol.Status.PLANNED: Tone.INFO,
    Patrol.Status.IN_PROGRESS: Tone.WARN,
    Patrol.Status.SIGNED: Tone.WARN,
    Patrol.Status.DONE: Tone.OK,
}


def patrol_badge(status: str) -> Badge:
    return badge(Patrol.Status, status, PATROL_TONES, default=Tone.MUTED)


class PatrolAnswer(models.Model):
    """The answer to one checklist item on one patrol."""

    class Result(models.TextChoices):
        OK = "ok", _("OK")
        FINDING = "finding", _("Finding")
        NOT_APPLICABLE = "na", _("Not applicable")

    patrol = models.ForeignKey(
        Patrol, on_delete=models.CASCADE, related_name="answers", verbose_name=_("patrol")
    )
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["patrol", "item__position"]
        verbose_name = _("patrol answer")
        verbose_name_plural = _("patrol answers")
        constraints = [
            models.UniqueConstraint(fields=["patrol", "item"], name="patrol_answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.patrol} · {self.item}"


# Defects ----------------------------------------------------------------------------------


class Severity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SERIOUS = "serious", _("Serious")
    CRITICAL = "critical", _("Critical")


SEVERITY_TONES = {
    Severity.NORMAL: Tone.INFO,
    Severity.SERIOUS: Tone.WARN,
    Severity.CRITICAL: Tone.WARN,
}


def severity_badge(severity: str) -> Badge:
    return badge(Severity, severity, SEVERITY_TONES, default=Tone.MUTED)


class Defect(models.Model):
    """A defect to be fixed (消缺): found on a patrol, reported by a resident, or raised by a
    line-loss alarm. The party responsible fixes it with before and after photos; the other
    party checks the fix before it closes. Overdue defects escalate owner → customer manager
    → supervisor."""

    class Source(models.TextChoices):
        PATROL = "patrol", _("Patrol finding")
        HAZARD = "hazard", _("Resident's hazard report")
        LINE_LOSS = "line_loss", _("Line-loss alarm")
        STAFF = "staff", _("Recorded by staff")

    class Responsible(models.TextChoices):
        PROPERTY = "property", _("Property company")
        UTILITY = "utility", _("Power supply company")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FIXED = "fixed", _("Fixed, awaiting check")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.OPEN, Status.FIXED)

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="defects", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="defects",
        verbose_name=_("building"),
    )
    location = models.CharField(_("where"), max_length=120, blank=True)
    description = models.CharField(_("description"), max_length=500)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    responsible = models.CharField(
        _("responsible party"), max_length=10, choices=Responsible.choices
    )
    # The utility department that fixes a utility defect, if not the customer manager.
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    # Who must act now; escalation moves it up.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    deadline = models.DateTimeField(_("deadline"))
    # 0: the owner; 1: the customer manager; 2: the supervisors.
    escalation = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # When the owner is to be warned that the deadline nears (the rule's share of the time
    # remaining); cleared once warned.
    warn_at = models.DateTimeField(_("warn the owner at"), null=True, blank=True)
    patrol_answer = models.OneToOneField(
        PatrolAnswer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="defect",
        verbose_name=_("patrol finding"),
    )
    patrol = models.ForeignKey(
        Patrol,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="defects",
        verbose_name=_("patrol"),
    )
    workorder = models.ForeignKey(
        "workorders.WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="defects",
        verbose_name=_("request"),
    )
    station_area = models.ForeignKey(
        StationArea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="defects",
        verbose_name=_("station area"),
    )
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("found by"),
    )
    found_at = models.DateTimeField(_("found at"))
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fixed by"),
    )
    fix_note = models.CharField(_("what was done"), max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-pk"]
        verbose_name = _("defect")
        verbose_name_plural = _("defects")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False)
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="defect_closed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["compound", "status", "-found_at"], name="defect_compound_open"),
            models.Index(fields=["status", "deadline"], name="defect_status_deadline"),
            models.Index(
                fields=["warn_at"], condition=Q(warn_at__isnull=False), name="defect_warn_at"
            ),
            models.Index(fields=["-found_at", "-id"], name="defect_found"),
            # The lists' order, with what their scope and filters read: a page's ids come from
            # this index alone (docs/benchmarks.md, "Defects").
            models.Index(
                fields=["deadline", "id", "compound", "status", "severity", "responsible"],
                name="defect_deadline",
            ),
            # Their counts: a compound's defects by status and the filters, from the index alone.
            models.Index(
                fields=["compound", "status", "responsible", "severity"],
                name="defect_compound_filters",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:40]


DEFECT_TONES = {
    Defect.Status.OPEN: Tone.WARN,
    Defect.Status.FIXED: Tone.INFO,
    Defect.Status.CLOSED: Tone.OK,
}


def defect_badge(status: str) -> Badge:
    return badge(Defect.Status, status, DEFECT_TONES, default=Tone.MUTED)


def defect_photo_path(instance: DefectPhoto, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"defects/{instance.defect_id}/{instance.stage}-{instance.digest[:16]}.{suffix}"


class DefectPhoto(models.Model):
    """A photo of the defect as found (before) or as fixed (after); private, served only to
    those who may see the defect."""

    class Stage(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")

    defect = models.ForeignKey(
        Defect, on_delete=models.CASCADE, related_name="photos", verbose_name=_("defect")
    )
    stage = models.CharField(_("stage"), max_length=6, choices=Stage.choices)
    image = models.ImageField(_("photo"), upload_to=defect_photo_path)
    digest = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("defect photo")
        verbose_name_plural = _("defect photos")

    def __str__(self) -> str:
        return self.image.name or ""


class DefectEvent(models.Model):
    """One step of a defect's life, for its timeline."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Found")
        ASSIGNED = "assigned", _("Assigned")
        FIXED = "fixed", _("Fixed")
        CHECK_PASSED = "check_passed", _("Fix checked")
        CHECK_FAILED = "check_failed", _("Fix not accepted")
        ESCALATED = "escalated", _("Escalated")
        NOTE = "note", _("Note")

    defect = models.ForeignKey(
        Defect, on_delete=models.CASCADE, related_name="events", verbose_name=_("defect")
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["defect", "at", "pk"]
        verbose_name = _("defect step")
        verbose_name_plural = _("defect steps")

    def __str__(self) -> str:
        return f"{self.defect} · {self.get_kind_display()}"
