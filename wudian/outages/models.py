"""Outage notices: planned and temporary maintenance, faults and single-household arrears
disconnections, with their supply-side scope and the households it resolves to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wudian.core.badges import Badge, Tone, badge
from wudian.grid.models import Building, Compound, Feeder, Household, StationArea


class Outage(models.Model):
    class Kind(models.TextChoices):
        PLANNED = "planned", _("Planned maintenance")
        TEMPORARY = "temporary", _("Temporary maintenance")
        FAULT = "fault", _("Fault")
        ARREARS = "arrears", _("Arrears disconnection")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        POSTPONED = "postponed", _("Postponed")
        CHANGED = "changed", _("Changed")
        CANCELLED = "cancelled", _("Cancelled")
        RESTORED = "restored", _("Power restored")

    # States in which the outage is still ahead of or on the residents.
    LIVE_STATES = (State.PUBLISHED, State.POSTPONED, State.CHANGED)

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True
    )
    title = models.CharField(_("title"), max_length=120)
    reason = models.TextField(_("reason"), max_length=2000)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    estimated_restoration = models.DateTimeField(_("estimated restoration"), null=True, blank=True)
    # Bumped on every published change: the iCalendar SEQUENCE and the CAP update chain.
    sequence = models.PositiveIntegerField(_("revision"), default=0)

    feeders = models.ManyToManyField(
        Feeder, blank=True, related_name="outages", verbose_name=_("feeders")
    )
    station_areas = models.ManyToManyField(
        StationArea, blank=True, related_name="outages", verbose_name=_("station areas")
    )
    buildings = models.ManyToManyField(
        Building, blank=True, related_name="outages", verbose_name=_("buildings")
    )
    compounds = models.ManyToManyField(
        Compound, blank=True, related_name="outages", verbose_name=_("compounds")
    )
    households = models.ManyToManyField(
        Household,
        through="AffectedHousehold",
        related_name="outages",
        verbose_name=_("affected households"),
    )

    lead_time_override_reason = models.TextField(
        _("reason for overriding the notice period"), blank=True
    )
    lead_time_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("notice period overridden by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="outages_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    restored_at = models.DateTimeField(_("power restored at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="outage_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def state_badge(self) -> Badge:
        return badge(self.State, self.state, STATE_TONES, default=Tone.WARN)


# How the state badge looks: live outages need attention; a draft, a cancellation are muted.
STATE_TONES = {
    Outage.State.DRAFT: Tone.MUTED,
    Outage.State.CANCELLED: Tone.MUTED,
    Outage.State.RESTORED: Tone.OK,
}


class AffectedHousehold(models.Model):
    """A household an outage reaches, resolved from its scope when published or changed,
    and the resident's acknowledgement (已知悉)."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="affected")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="affected_by")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("affected household")
        verbose_name_plural = _("affected households")
        constraints = [
            models.UniqueConstraint(
                fields=["outage", "household"], name="affected_household_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.outage_id} · {self.household_id}"


class OutageEvent(models.Model):
    """Every step of an outage's life, for the timeline and the audit."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        PUBLISHED = "published", _("Published")
        POSTPONED = "postponed", _("Postponed")
        CHANGED = "changed", _("Changed")
        CANCELLED = "cancelled", _("Cancelled")
        ESTIMATE_UPDATED = "estimate", _("Restoration estimate updated")
        RESTORED = "restored", _("Power restored")

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("outage event")
        verbose_name_plural = _("outage events")

    def __str__(self) -> str:
        return f"{self.outage_id} · {self.get_kind_display()}"
