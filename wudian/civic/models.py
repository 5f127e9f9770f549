"""The grid administrators' civic work: door-to-door visits (民意走访) with the appeals raised
on them, an electricity appeal becoming a resident request; and volunteer activities
(志愿服务活动) with their sign-ups and attendance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wudian.core.badges import Badge, Tone, badge
from wudian.grid.models import Building, Compound, Household
from wudian.workorders.models import WorkOrder

# Visits -----------------------------------------------------------------------------------


class Visit(models.Model):
    """One door-to-door visit: where, when, who went, whom they met and what was said."""

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="civic_visits", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="civic_visits",
        verbose_name=_("household"),
    )
    visited_on = models.DateField(_("visited on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="civic_visits_recorded",
        verbose_name=_("recorded by"),
    )
    # Who went: whoever recorded it and the staff who came along (customer managers).
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="civic_visits", verbose_name=_("visitors")
    )
    people_met = models.PositiveSmallIntegerField(_("people met"))
    summary = models.TextField(_("summary"), max_length=2000)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("door-to-door visit")
        verbose_name_plural = _("door-to-door visits")
        indexes = [
            models.Index(fields=["compound", "-visited_on"], name="civic_visit_compound_day"),
            models.Index(fields=["-visited_on", "-id"], name="civic_visit_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(people_met__gte=1), name="civic_visit_met_someone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} · {self.compound_id}"


class Appeal(models.Model):
    """What someone asked for on a visit (诉求). An electricity appeal becomes a request; the
    others are answered and closed."""

    class Kind(models.TextChoices):
        ELECTRICITY = "electricity", _("Electricity")
        PROPERTY = "property", _("Property management")
        CIVIC = "civic", _("Civic or other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        REQUESTED = "requested", _("Became a request")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed with an answer")

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="appeals", verbose_name=_("visit")
    )
    text = models.TextField(_("appeal"), max_length=1000)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The request it became; the request's page shows the visit it came from.
    work_order = models.OneToOneField(
        WorkOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit_appeal",
        verbose_name=_("request"),
    )
    created_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["visit", "pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        indexes = [models.Index(fields=["status", "visit"], name="civic_appeal_status")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="requested") | models.Q(work_order__isnull=False),
                name="civic_appeal_request_has_work_order",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def status_badge(self) -> Badge:
        return badge(self.Status, self.status, APPEAL_TONES, default=Tone.INFO)


APPEAL_TONES = {
    Appeal.Status.OPEN: Tone.WARN,
    Appeal.Status.REQUESTED: Tone.INFO,
    Appeal.Status.ANSWERED: Tone.OK,
    Appeal.Status.CLOSED: Tone.MUTED,
}


# Volunteer activities -----------------------------------------------------------------------


class Activity(models.Model):
    """A volunteer activity for the residents of some compounds (and the staff serving them)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for sign-up")
        CLOSED = "closed", _("Sign-up closed")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=4000)
    compounds = models.ManyToManyField(
        Compound, related_name="civic_activities", verbose_name=_("compounds")
    )
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    signup_deadline = models.DateTimeField(_("sign up by"))
    capacity = models.PositiveIntegerField(_("places"))
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="civic_activities_organised",
        verbose_name=_("organiser"),
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    cancel_reason = models.CharField(_("why cancelled"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")
        indexes = [models.Index(fields=["state", "starts_at"], name="civic_activity_state_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="civic_activity_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(signup_deadline__lte=models.F("starts_at")),
                name="civic_activity_deadline_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="civic_activity_has_places"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def state_badge(self) -> Badge:
        return badge(self.State, self.state, ACTIVITY_TONES, default=Tone.INFO)


ACTIVITY_TONES = {
    Activity.State.DRAFT: Tone.MUTED,
    Activity.State.OPEN: Tone.OK,
    Activity.State.CLOSED: Tone.INFO,
    Activity.State.CANCELLED: Tone.MUTED,
    Activity.State.DONE: Tone.MUTED,
}


class SignUp(models.Model):
    """One person signed up for an activity; cancelled sign-ups are kept (and may be taken up
    again while places and time remain). Attendance is marked by the organiser afterwards."""

    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("Signed up")
        CANCELLED = "cancelled", _("Cancelled")

    class Attendance(models.TextChoices):
        ATTENDED = "attended", _("Attended")
        ABSENT = "absent", _("Absent")

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="signups", verbose_name=_("activity")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="civic_signups",
        verbose_name=_("volunteer"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SIGNED_UP
    )
    signed_up_at = models.DateTimeField(_("signed up at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    attendance = models.CharField(
        _("attendance"), max_length=12, choices=Attendance.choices, blank=True
    )
    hours = models.DecimalField(
        _("volunteer hours"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    marked_at = models.DateTimeField(_("marked at"), null=True, blank=True)

    class Meta:
        ordering = ["signed_up_at", "pk"]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], name="civic_signup_once"),
        ]
        indexes = [models.Index(fields=["user", "status"], name="civic_signup_user")]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.user_id}"
