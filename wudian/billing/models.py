"""Tariffs as data and households' monthly readings.

A `Tariff` is one region's residential tiered tariff (阶梯电价) over a span of dates, its tiers
counted over a calendar year or a month, with optional peak/valley (峰谷) prices. Its rules
(tiers without gap or overlap, from 0 kWh up to an open last tier; positive prices; spans of a
region that do not overlap) are checked by `billing.services.tariff_check`, which the admin
and `tariff_save` use. Bills are computed from `MeterReading` rows by `billing.engine`.

Arrears (友情化催费): each import of the marketing system's arrears and prepaid-balance list is
an `ArrearsImport`; its `Arrears` lines are the households it lists. The list is whole: the
latest import's lines are the `current` ones, earlier lines are the history, and a household
absent from the latest list owes nothing. `ReminderWalk` is one building's walk for an import;
`Reminder` is one reminder of one household (a visit's outcome, a call, a message sent)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wudian.grid.models import Building, Household


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
    # The meter's registers at the start of the month and of the next (where known), so a
    # later import can refuse a register that goes backwards.
    register_start = models.DecimalField(
        _("register at the start"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    register_end = models.DecimalField(
        _("register at the end"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    # The month's energy day by day where the collection system gives it: a list as long as
    # the month, each a kWh as a decimal string, or null for a day not collected.
    daily = models.JSONField(_("daily kWh"), null=True, blank=True)

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


class ReadingImport(models.Model):
    """One import of household meter readings (a file of the collection system, or the
    line-loss readings): what it held and which accounts Wudian does not know."""

    class Source(models.TextChoices):
        FILE = "file", _("Readings file")
        LINE_LOSS = "line_loss", _("Line-loss readings")

    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    file_name = models.CharField(_("file"), max_length=200)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    months = models.PositiveIntegerField(_("monthly readings written"), default=0)
    # [{"row": 12, "account_no": "…"}, …]: listed, not dropped.
    unknown_accounts = models.JSONField(_("unknown account numbers"), default=list, blank=True)

    class Meta:
        verbose_name = _("readings import")
        verbose_name_plural = _("readings imports")
        ordering = ("-imported_at",)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"


class ArrearsImport(models.Model):
    """One import of the arrears and prepaid-balance list, as of a day."""

    file_name = models.CharField(_("file"), max_length=200)
    as_of = models.DateField(_("list as of"))
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    # [{"row": 12, "account_no": "…"}, …]: listed, not dropped.
    unknown_accounts = models.JSONField(_("unknown account numbers"), default=list, blank=True)

    class Meta:
        verbose_name = _("arrears import")
        verbose_name_plural = _("arrears imports")
        ordering = ("-as_of", "-imported_at")
        get_latest_by = ("as_of", "imported_at")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.as_of:%Y-%m-%d})"


class Arrears(models.Model):
    """One household's line in one import: a postpaid account's amount owed and due date, or a
    prepaid account's balance and the level below which it is warned."""

    class Kind(models.TextChoices):
        POSTPAID = "postpaid", _("Amount owed")
        PREPAID = "prepaid", _("Prepaid balance")

    run = models.ForeignKey(
        ArrearsImport, on_delete=models.CASCADE, related_name="lines", verbose_name=_("import")
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="arrears", verbose_name=_("household")
    )
    row = models.PositiveIntegerField(_("row in the file"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # Owed (postpaid) or balance (prepaid), in CNY.
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    warning_level = models.DecimalField(
        _("warning level (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # The household's line in the latest import; earlier lines are its history.
    current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("arrears line")
        verbose_name_plural = _("arrears lines")
        ordering = ("-run__as_of", "household")
        constraints = [
            models.UniqueConstraint(fields=("run", "household"), name="billing_arrears_once"),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="billing_arrears_amount"
            ),
            models.CheckConstraint(
                condition=models.Q(warning_level__isnull=True) | models.Q(warning_level__gte=0),
                name="billing_arrears_warning",
            ),
        ]
        indexes = [
            models.Index(
                fields=("household",),
                condition=models.Q(current=True),
                name="billing_arrears_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.run_id}"


class ReminderWalk(models.Model):
    """One building's reminder walk for an import, for the property staff and electricians of
    its compound: the households to remind, in the order of a walk (unit, floor, room)."""

    run = models.ForeignKey(
        ArrearsImport, on_delete=models.CASCADE, related_name="walks", verbose_name=_("import")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        related_name="reminder_walks",
        verbose_name=_("building"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    households = models.PositiveIntegerField(_("households"), default=0)

    class Meta:
        verbose_name = _("reminder walk")
        verbose_name_plural = _("reminder walks")
        ordering = ("-run__as_of", "building")
        constraints = [
            models.UniqueConstraint(fields=("run", "building"), name="billing_walk_once")
        ]

    def __str__(self) -> str:
        return f"{self.building_id} {self.run_id}"


class Reminder(models.Model):
    """One reminder of one household about one arrears line: a visit's outcome, a call, or a
    message sent through the household's channels."""

    class Outcome(models.TextChoices):
        IN_PERSON = "in_person", _("Told in person")
        NOTE_LEFT = "note_left", _("Note left")
        PHONE_CALL = "phone_call", _("Phone call")
        NOT_REACHABLE = "not_reachable", _("Not reachable")
        MESSAGE = "message", _("Message sent")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("household")
    )
    arrears = models.ForeignKey(
        Arrears, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("arrears line")
    )
    walk = models.ForeignKey(
        ReminderWalk,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminders",
        verbose_name=_("walk"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ("-at",)
        indexes = [models.Index(fields=("household", "at"), name="billing_reminder_household")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.outcome} {self.at:%Y-%m-%d}"
