"""Tariffs as data and households' monthly readings.

A `Tariff` is one region's residential tiered tariff (阶梯电价) over a span of dates, its tiers
counted over a calendar year or a month, with optional peak/valley (峰谷) prices. Its rules
(tiers without gap or overlap, from 0 kWh up to an open last tier; positive prices; spans of a
region that do not overlap) are checked by `billing.services.tariff_check`, which the admin
and `tariff_save` use. Bills are computed from `MeterReading` rows by `billing.engine`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wudian.grid.models import Household


class Tariff(models.Model):
    class TierPeriod(models.TextChoices):
        ANNUAL = "annual", _("Annual tiers")
        MONTHLY = "monthly", _("Monthly tiers")

    region = models.CharField(
        _("province or region"), max_length=64, help_text=_("As in the price document.")
    )
    name = models.CharField(_("name"), max_length=120)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(
        _("effective to"),
        null=True,
        blank=True,
        help_text=_("The last day it applies; empty while it is in force."),
    )
    tier_period = models.CharField(_("tiers counted per"), max_length=8, choices=TierPeriod.choices)
    peak_price = models.DecimalField(
        _("peak price (CNY/kWh)"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    valley_price = models.DecimalField(
        _("valley price (CNY/kWh)"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    peak_hours = models.CharField(_("peak hours"), max_length=120, blank=True)
    valley_hours = models.CharField(_("valley hours"), max_length=120, blank=True)
    source = models.CharField(
        _("price document"),
        max_length=200,
        blank=True,
        help_text=_("The provincial price document these figures were verified against."),
    )

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ("region", "-effective_from")

    def __str__(self) -> str:
        return f"{self.region} {self.name} ({self.effective_from:%Y-%m-%d})"

    @property
    def has_peak_valley(self) -> bool:
        return self.peak_price is not None and self.valley_price is not None


class TariffTier(models.Model):
    tariff = models.ForeignKey(
        Tariff, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("tariff")
    )
    position = models.PositiveSmallIntegerField(_("tier"))
    lower_kwh = models.DecimalField(_("from kWh"), max_digits=12, decimal_places=3)
    upper_kwh = models.DecimalField(
        _("up to kWh"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Empty for the last tier."),
    )
    price = models.DecimalField(_("price (CNY/kWh)"), max_digits=8, decimal_places=4)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ("tariff", "position")
        constraints = [
            models.UniqueConstraint(fields=("tariff", "position"), name="billing_tier_position")
        ]

    def __str__(self) -> str:
        return gettext("Tier {n}").format(n=self.position)


class MeterReading(models.Model):
    """A household's energy in one month (the month's first day), with its peak and valley
    parts where the meter records them."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Imported")
        LINE_LOSS = "line_loss", _("From line-loss readings")

    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="monthly_readings",
        verbose_name=_("household"),
    )
    month = models.DateField(_("month"))
    kwh = models.DecimalField(_("kWh"), max_digits=12, decimal_places=3)
    peak_kwh = models.DecimalField(
        _("peak kWh"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    valley_kwh = models.DecimalField(
        _("valley kWh"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)

    class Meta:
        verbose_name = _("monthly reading")
        verbose_name_plural = _("monthly readings")
        ordering = ("household", "month")
        constraints = [
            models.UniqueConstraint(fields=("household", "month"), name="billing_reading_month"),
            models.CheckConstraint(condition=models.Q(kwh__gte=0), name="billing_reading_kwh"),
            # Peak and valley are parts of the month's energy (the engine prices the rest flat).
            models.CheckConstraint(
                condition=(models.Q(peak_kwh__isnull=True) | models.Q(peak_kwh__gte=0))
                & (models.Q(valley_kwh__isnull=True) | models.Q(valley_kwh__gte=0))
                & (
                    models.Q(peak_kwh__isnull=True)
                    | models.Q(valley_kwh__isnull=True)
                    | models.Q(peak_kwh__lte=models.F("kwh") - models.F("valley_kwh"))
                ),
                name="billing_reading_parts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.month:%Y-%m}"
