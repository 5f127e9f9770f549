"""The line-loss engine's results, stored per station area and day, and what went wrong
with single meters. Filled only by `wudian import_readings` (services.readings_import)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wudian.core.badges import Badge, Tone, badge
from wudian.grid.models import Meter, StationArea


class LossStatus(models.TextChoices):
    QUALIFIED = "qualified", _("Qualified")
    HIGH_LOSS = "high_loss", _("High loss")
    NEGATIVE_LOSS = "negative_loss", _("Negative loss")
    INCOMPLETE = "incomplete", _("Incomplete")


# How a day's status badge looks: a loss out of range needs the manager, a qualified one is
# good, an incomplete one cannot be judged.
LOSS_TONES = {
    LossStatus.HIGH_LOSS: Tone.WARN,
    LossStatus.NEGATIVE_LOSS: Tone.WARN,
    LossStatus.QUALIFIED: Tone.OK,
}


def loss_badge(status: str | None) -> Badge:
    """A station area's status on a day, or "No data" for an area never imported."""
    if not status:
        return Badge(label=str(_("No data")), tone=Tone.MUTED)
    return badge(LossStatus, status, LOSS_TONES, default=Tone.MUTED)


class StationAreaDay(models.Model):
    """One RESULT row of the engine: a station area's synchronized line loss for one day."""

    station_area = models.ForeignKey(
        StationArea,
        on_delete=models.CASCADE,
        related_name="loss_days",
        verbose_name=_("station area"),
    )
    date = models.DateField(_("date"))
    supply_kwh = models.DecimalField(_("supply (kWh)"), max_digits=18, decimal_places=3)
    user_kwh = models.DecimalField(_("users (kWh)"), max_digits=18, decimal_places=3)
    # Empty unless every meter was collected and the supply is positive, as in RESULT.
    loss_kwh = models.DecimalField(
        _("loss (kWh)"), max_digits=18, decimal_places=3, null=True, blank=True
    )
    # A tiny supply against large user readings gives a large negative rate: room for it.
    loss_rate = models.DecimalField(
        _("loss rate"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    meters_total = models.PositiveIntegerField(_("meters"))
    meters_collected = models.PositiveIntegerField(_("meters collected"))
    collection_rate = models.DecimalField(_("collection rate"), max_digits=7, decimal_places=6)
    status = models.CharField(_("status"), max_length=16, choices=LossStatus.choices)

    class Meta:
        ordering = ["station_area", "date"]
        verbose_name = _("station-area day")
        verbose_name_plural = _("station-area days")
        constraints = [
            models.UniqueConstraint(fields=["station_area", "date"], name="station_area_day_unique")
        ]
        indexes = [models.Index(fields=["date", "status"], name="station_area_day_status")]

    def __str__(self) -> str:
        return f"{self.station_area} · {self.date}"


class MeterAnomaly(models.Model):
    """What went wrong with one meter: a register that went backwards on `date`, or a
    stretch of consecutive days from `date` to `date_to` on which the meter was not collected
    (one row per stretch, not per day: a meter silent for a month is one row). Stretches of
    one meter never overlap; an import merges a stretch with the one that ends the day before
    or starts the day after, so a stretch spans imports."""

    class Kind(models.TextChoices):
        BACKWARDS = "backwards", _("Register went backwards")
        NOT_COLLECTED = "not_collected", _("Not collected")

    meter = models.ForeignKey(
        Meter, on_delete=models.CASCADE, related_name="anomalies", verbose_name=_("meter")
    )
    date = models.DateField(_("date"))
    # The last day of a not_collected stretch; empty for a backwards register.
    date_to = models.DateField(_("last day"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # The check request opened for (or found open for) a stretch that grew long enough.
    workorder = models.ForeignKey(
        "workorders.WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("check request"),
    )
    register_kwh = models.DecimalField(
        _("register (kWh)"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    next_register_kwh = models.DecimalField(
        _("next day's register (kWh)"), max_digits=18, decimal_places=6, null=True, blank=True
    )

    class Meta:
        ordering = ["-date", "meter"]
        verbose_name = _("meter anomaly")
        verbose_name_plural = _("meter anomalies")
        constraints = [
            models.UniqueConstraint(fields=["meter", "date", "kind"], name="meter_anomaly_unique"),
            models.CheckConstraint(
                condition=models.Q(date_to__isnull=True) | models.Q(date_to__gte=models.F("date")),
                name="meter_anomaly_stretch_order",
            ),
        ]
        indexes = [models.Index(fields=["kind", "date_to"], name="meter_anomaly_kind_to")]

    def __str__(self) -> str:
        return f"{self.meter} · {self.date} · {self.get_kind_display()}"

    @property
    def days(self) -> int:
        return (self.date_to - self.date).days + 1 if self.date_to else 1


class ImportRun(models.Model):
    """One `wudian import_readings`: which export replaced which days."""

    file_name = models.CharField(_("file"), max_length=255)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    readings = models.PositiveIntegerField(_("readings"))
    rows = models.PositiveIntegerField(_("station-area days"))
    anomalies = models.PositiveIntegerField(_("anomalies"))
    meters_not_collected = models.PositiveIntegerField(
        _("meters not collected on some day"), default=0
    )
    requests_opened = models.PositiveIntegerField(_("check requests opened"), default=0)
    max_loss = models.DecimalField(_("maximum loss rate"), max_digits=7, decimal_places=6)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("readings import")
        verbose_name_plural = _("readings imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.date_from}–{self.date_to})"
