"""One household's bill, explained: `household_bill` computes a household's months with the
same engine as a city's bills (`billing.engine`) and adds what a resident needs to understand
them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from wudian.billing import engine
from wudian.billing.models import MeterReading, Tariff
from wudian.billing.services.tariffs import tariff_in_force, tariff_spec
from wudian.core.errors import BadInput
from wudian.grid.models import Household


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
