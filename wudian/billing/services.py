"""Tariffs saved only when whole and consistent, and a household's bill explained.

`tariff_check` is the one place a tariff's rules live; `tariff_save` (callers with data) and
the admin (its tier formset) both use it, so a refused tariff is never partly saved.
`household_bill` computes one household's months with the same engine as a city's bills
(`billing.engine`) and adds what a resident needs to understand them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from wudian.billing import engine
from wudian.billing.models import MeterReading, Tariff, TariffTier
from wudian.core.errors import BadInput
from wudian.grid.models import Household


@dataclass(frozen=True)
class TierInput:
    lower_kwh: Decimal | None
    upper_kwh: Decimal | None
    price: Decimal | None


def tariff_check(tariff: Tariff, tiers: Sequence[TierInput]) -> None:
    """Refuse (BadInput, every problem named by tier and field) a tariff whose tiers overlap,
    leave a gap, do not start at 0 or end open; a price that is not positive; a peak/valley
    option given by halves; dates that end before they start or overlap another tariff of the
    same region."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not tiers:
        add("tiers", _("A tariff needs at least one tier."))
    for n, tier in enumerate(tiers, start=1):
        key = f"tiers.{n}"
        if tier.lower_kwh is None:
            add(f"{key}.lower_kwh", _("Tier {n}: the lower bound is required.").format(n=n))
        if tier.price is None or tier.price <= 0:
            add(f"{key}.price", _("Tier {n}: the price must be above zero.").format(n=n))
        if tier.lower_kwh is not None and tier.lower_kwh < 0:
            add(f"{key}.lower_kwh", _("Tier {n}: the lower bound cannot be negative.").format(n=n))
        if (
            tier.lower_kwh is not None
            and tier.upper_kwh is not None
            and tier.upper_kwh <= tier.lower_kwh
        ):
            add(
                f"{key}.upper_kwh",
                _("Tier {n}: the upper bound must be above the lower bound.").format(n=n),
            )
        if n == 1 and tier.lower_kwh not in (None, 0):
            add(f"{key}.lower_kwh", _("Tier 1 must start at 0 kWh.").format(n=n))
        if n == len(tiers) and tier.upper_kwh is not None:
            add(
                f"{key}.upper_kwh",
                _("Tier {n} is the last: leave its upper bound empty.").format(n=n),
            )
        if n < len(tiers) and tier.upper_kwh is None:
            add(
                f"{key}.upper_kwh",
                _("Tier {n}: only the last tier may have no upper bound.").format(n=n),
            )
        if n > 1:
            previous = tiers[n - 2].upper_kwh
            if previous is not None and tier.lower_kwh is not None:
                if tier.lower_kwh > previous:
                    add(
                        f"{key}.lower_kwh",
                        _(
                            "Tier {n} starts at {lower} kWh but tier {p} ends at {upper} kWh: "
                            "a gap."
                        ).format(n=n, lower=tier.lower_kwh, p=n - 1, upper=previous),
                    )
                elif tier.lower_kwh < previous:
                    add(
                        f"{key}.lower_kwh",
                        _(
                            "Tier {n} starts at {lower} kWh but tier {p} ends at {upper} kWh: "
                            "they overlap."
                        ).format(n=n, lower=tier.lower_kwh, p=n - 1, upper=previous),
                    )
    for name, value in (("peak_price", tariff.peak_price), ("valley_price", tariff.valley_price)):
        if value is not None and value <= 0:
            add(name, _("The peak and valley prices must be above zero."))
    if (tariff.peak_price is None) != (tariff.valley_price is None):
        missing = "valley_price" if tariff.valley_price is None else "peak_price"
        add(missing, _("Give both the peak and the valley price, or neither."))
    if tariff.has_peak_valley and not (tariff.peak_hours and tariff.valley_hours):
        missing = "peak_hours" if not tariff.peak_hours else "valley_hours"
        add(missing, _("Describe the peak and the valley hours."))
    if tariff.effective_to is not None and tariff.effective_to < tariff.effective_from:
        add("effective_to", _("The tariff cannot end before it starts."))
    elif tariff.region and tariff.effective_from:
        others = Tariff.objects.filter(region=tariff.region).exclude(pk=tariff.pk)
        if tariff.effective_to is not None:
            others = others.filter(effective_from__lte=tariff.effective_to)
        clash = (
            others.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=tariff.effective_from))
            .order_by("effective_from")
            .first()
        )
        if clash is not None:
            add(
                "effective_from",
                _("These dates overlap the tariff “{name}” of {region} from {start}.").format(
                    name=clash.name, region=clash.region, start=clash.effective_from
                ),
            )
    if errors:
        raise BadInput(
            {key: [ValidationError(m, code="tariff") for m in ms] for key, ms in errors.items()}
        )


@transaction.atomic
def tariff_save(tariff: Tariff, tiers: Sequence[TierInput]) -> Tariff:
    """Save a tariff and replace its tiers, or refuse the whole (nothing saved)."""
    tariff_check(tariff, tiers)
    tariff.save()
    tariff.tiers.all().delete()
    TariffTier.objects.bulk_create(
        TariffTier(
            tariff=tariff,
            position=n,
            lower_kwh=cast(Decimal, tier.lower_kwh),  # checked above
            upper_kwh=tier.upper_kwh,
            price=cast(Decimal, tier.price),
        )
        for n, tier in enumerate(tiers, start=1)
    )
    return tariff


def tariff_spec(tariff: Tariff) -> engine.TariffSpec:
    """The engine's view of a saved tariff."""
    return engine.TariffSpec(
        annual=tariff.tier_period == Tariff.TierPeriod.ANNUAL,
        tiers=tuple(
            engine.Tier(t.position, t.lower_kwh, t.upper_kwh, t.price)
            for t in tariff.tiers.order_by("position")
        ),
        peak_price=tariff.peak_price,
        valley_price=tariff.valley_price,
        effective_from=tariff.effective_from,
        effective_to=tariff.effective_to,
    )


def tariff_in_force(month: datetime.date, region: str | None = None) -> Tariff:
    """The tariff of `region` in force on `month`; without a region, the only region's."""
    tariffs = Tariff.objects.filter(effective_from__lte=month).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=month)
    )
    if region is not None:
        tariffs = tariffs.filter(region=region)
    found = list(tariffs[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise BadInput({"month": _("No tariff is in force in {month:%Y-%m}.").format(month=month)})
    raise BadInput({"region": _("Several regions have tariffs: choose one.")})


# -- one household's bill, explained ---------------------------------------------------------


@dataclass(frozen=True)
class TierPart:
    position: int
    price: Decimal
    kwh: Decimal
    # At the tier's price; None in a month priced by its peak/valley split (the tiers above
    # the first then show in the month's surcharge).
    amount: Decimal | None


@dataclass(frozen=True)
class MonthBill:
    month: datetime.date
    kwh: Decimal
    amount: Decimal
    tiers: tuple[TierPart, ...]
    # Tiers this month's energy entered for the first time in the count (annual or monthly).
    crossed: tuple[int, ...]
    time_of_use: bool
    peak_kwh: Decimal | None
    valley_kwh: Decimal | None
    flat_kwh: Decimal | None
    peak_amount: Decimal | None
    valley_amount: Decimal | None
    surcharge_amount: Decimal
    last_year_kwh: Decimal | None
    last_year_amount: Decimal | None

    @property
    def kwh_change(self) -> Decimal | None:
        return None if self.last_year_kwh is None else self.kwh - self.last_year_kwh

    @property
    def amount_change(self) -> Decimal | None:
        return None if self.last_year_amount is None else self.amount - self.last_year_amount


@dataclass
class HouseholdBill:
    household: Household
    tariffs: list[Tariff]
    months: list[MonthBill] = field(default_factory=list)
    missing: list[datetime.date] = field(default_factory=list)

    @property
    def kwh(self) -> Decimal:
        return sum((m.kwh for m in self.months), Decimal(0))

    @property
    def amount(self) -> Decimal:
        return sum((m.amount for m in self.months), Decimal(0))


def _first_of(month: datetime.date) -> datetime.date:
    return month.replace(day=1)


def _computed(
    household: Household, months: set[datetime.date], region: str | None
) -> tuple[dict[datetime.date, dict[str, Any]], list[Tariff]]:
    """The engine's rows for `months` (each computed under the tariff in force then, with the
    readings from each year's January so the annual count is right)."""
    by_tariff: dict[int, tuple[Tariff, set[datetime.date]]] = {}
    for month in months:
        tariff = tariff_in_force(month, region)
        by_tariff.setdefault(tariff.pk, (tariff, set()))[1].add(month)
    years = {m.year for m in months}
    readings = [
        engine.Reading(household.pk, r.month, r.kwh, r.peak_kwh, r.valley_kwh)
        for r in MeterReading.objects.filter(household=household, month__year__in=years)
    ]
    rows: dict[datetime.date, dict[str, Any]] = {}
    con = engine.connect(memory_limit="256MB", threads=1)
    try:
        for tariff, wanted in by_tariff.values():
            spec = tariff_spec(tariff)
            mine = [
                r
                for r in readings
                if r.month in wanted or (spec.annual and r.month.year in {m.year for m in wanted})
            ]
            relation = engine.readings_relation(con, mine, name=f"readings_{tariff.pk}")
            for row in engine.bill_rows(engine.bills(relation, spec, check=False)):
                if row["month"] in wanted:
                    rows[row["month"]] = {**row, "tariff": tariff, "spec": spec}
    finally:
        con.close()
    return rows, [t for t, _m in by_tariff.values()]


def household_bill(
    household: Household, months: Iterable[datetime.date], *, region: str | None = None
) -> HouseholdBill:
    """The bill of `household` for `months` (any day of each month), explained: each month's
    energy and amount per tier, the tiers it crossed into, its peak and valley parts and cost,
    and the change from the same month a year before. Months without a reading are listed in
    `missing`. Data only; the pages that show it come later."""
    wanted = sorted({_first_of(m) for m in months})
    if not wanted:
        raise BadInput({"months": _("Choose at least one month.")})
    read = set(
        MeterReading.objects.filter(household=household, month__in=wanted).values_list(
            "month", flat=True
        )
    )
    last_year = {m.replace(year=m.year - 1) for m in wanted}
    read_before: dict[datetime.date, Decimal] = dict(
        MeterReading.objects.filter(household=household, month__in=last_year).values_list(
            "month", "kwh"
        )
    )
    now, tariffs = _computed(household, set(wanted) & read, region)
    before: dict[datetime.date, dict[str, Any]] = {}
    if read_before:
        try:
            before, _tariffs = _computed(household, set(read_before), region)
        except BadInput:
            before = {}  # no tariff then: the comparison shows energy only
    bill = HouseholdBill(household=household, tariffs=tariffs)
    for month in wanted:
        row = now.get(month)
        if row is None:
            bill.missing.append(month)
            continue
        spec: engine.TariffSpec = row["spec"]
        parts = tuple(
            TierPart(
                t.position, t.price, row[f"tier_{t.position}_kwh"], row[f"tier_{t.position}_amount"]
            )
            for t in spec.tiers
        )
        crossed = tuple(
            t.position
            for t in spec.tiers
            if t.position > 1 and row["before_kwh"] <= t.lower_kwh < row["after_kwh"]
        )
        previous = month.replace(year=month.year - 1)
        previous_row = before.get(previous)
        bill.months.append(
            MonthBill(
                month=month,
                kwh=row["kwh"],
                amount=row["amount"],
                tiers=parts,
                crossed=crossed,
                time_of_use=row["time_of_use"],
                peak_kwh=row["peak_kwh"],
                valley_kwh=row["valley_kwh"],
                flat_kwh=row["flat_kwh"],
                peak_amount=row["peak_amount"],
                valley_amount=row["valley_amount"],
                surcharge_amount=row["surcharge_amount"],
                last_year_kwh=read_before.get(previous),
                last_year_amount=previous_row["amount"] if previous_row else None,
            )
        )
    return bill
