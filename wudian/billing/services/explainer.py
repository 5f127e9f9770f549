"""One month of a household's bill, told for a resident: `bill_explained` adds to the engine's
month (`household_bill`) what the bill page says in plain words — the tariff it was computed
under, the months of the year whose use crossed into a higher tier, what the month would have
cost without the peak/valley split, and the days' energy where collected."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from wudian.billing.models import MeterReading, Tariff, TariffTier
from wudian.billing.services.bills import MonthBill, TierPart, household_bill
from wudian.billing.services.tariffs import tariff_in_force
from wudian.grid.models import Household

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Crossing:
    tier: TariffTier
    month: datetime.date


@dataclass(frozen=True)
class DayUse:
    day: int
    kwh: Decimal | None


@dataclass(frozen=True)
class BillExplained:
    household: Household
    month: MonthBill
    tariff: Tariff
    tiers: list[TariffTier]
    # The months of this year (annual tiers) or this month (monthly tiers) in which the count
    # entered a higher tier, up to the month shown.
    crossings: list[Crossing]
    year_kwh: Decimal  # annual tiers: the year's use up to the end of the month
    # What the month would have cost with every tier's energy at its own price (no split).
    flat_amount: Decimal | None
    days: list[DayUse]

    @property
    def annual(self) -> bool:
        return self.tariff.tier_period == Tariff.TierPeriod.ANNUAL

    @property
    def saved(self) -> Decimal | None:
        return None if self.flat_amount is None else self.flat_amount - self.month.amount

    @property
    def tier_rows(self) -> list[tuple[TariffTier, TierPart]]:
        by_position = {tier.position: tier for tier in self.tiers}
        return [(by_position[part.position], part) for part in self.month.tiers]

    @property
    def has_days(self) -> bool:
        return any(day.kwh is not None for day in self.days)

    @property
    def days_collected(self) -> int:
        return sum(1 for day in self.days if day.kwh is not None)

    def chart(self) -> dict[str, object]:
        """The daily chart's data for the page's script."""
        return {
            "days": [day.day for day in self.days],
            "kwh": [None if day.kwh is None else float(day.kwh) for day in self.days],
        }


def bill_explained(household: Household, month: datetime.date) -> BillExplained | None:
    """The month's bill explained, or None when the household has no reading that month.
    Raises BadInput when no tariff is in force (household_bill)."""
    month = month.replace(day=1)
    year = [datetime.date(month.year, m, 1) for m in range(1, month.month + 1)]
    bill = household_bill(household, year)
    shown = next((m for m in bill.months if m.month == month), None)
    if shown is None:
        return None
    tariff = tariff_in_force(month)
    tiers = list(tariff.tiers.order_by("position"))
    by_position = {tier.position: tier for tier in tiers}
    annual = tariff.tier_period == Tariff.TierPeriod.ANNUAL
    crossings = [
        Crossing(by_position[position], m.month)
        for m in (bill.months if annual else [shown])
        for position in m.crossed
        if position in by_position
    ]
    flat_amount = None
    if shown.time_of_use:
        flat = sum((part.kwh * part.price for part in shown.tiers), Decimal(0))
        flat_amount = flat.quantize(FEN, rounding=ROUND_HALF_UP)
    daily = (
        MeterReading.objects.filter(household=household, month=month)
        .values_list("daily", flat=True)
        .first()
    )
    days = [
        DayUse(n, None if value is None else Decimal(value))
        for n, value in enumerate(daily or [], start=1)
    ]
    return BillExplained(
        household=household,
        month=shown,
        tariff=tariff,
        tiers=tiers,
        crossings=crossings,
        year_kwh=sum((m.kwh for m in bill.months), Decimal(0)),
        flat_amount=flat_amount,
        days=days,
    )
