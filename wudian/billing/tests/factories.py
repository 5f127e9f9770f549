"""The DOMAIN.md example tariff, for the tests."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

from wudian.billing.models import ArrearsImport, Tariff
from wudian.billing.services import TierInput, tariff_save
from wudian.billing.services.arrears import ArrearsLine, arrears_store
from wudian.grid.models import Household

EXAMPLE_TIERS = [
    TierInput(D(0), D(2160), D("0.5653")),
    TierInput(D(2160), D(4200), D("0.6153")),
    TierInput(D(4200), None, D("0.8653")),
]


def example_tariff(
    region: str = "安徽省",
    start: datetime.date = datetime.date(2020, 1, 1),
    end: datetime.date | None = None,
    *,
    peak_valley: bool = True,
) -> Tariff:
    tariff = Tariff(
        region=region,
        name="居民阶梯电价（示例）",
        effective_from=start,
        effective_to=end,
        tier_period=Tariff.TierPeriod.ANNUAL,
    )
    if peak_valley:
        tariff.peak_price, tariff.valley_price = D("0.5883"), D("0.3083")
        tariff.peak_hours, tariff.valley_hours = "8:00-22:00", "22:00-次日8:00"
    return tariff_save(tariff, EXAMPLE_TIERS)


def arrears_list(
    as_of: datetime.date, lines: list[tuple[Household, str, D, datetime.date | None, D | None]]
) -> ArrearsImport:
    """Store a list as an import would: (household, kind, amount, due date, warning level)."""
    return arrears_store(
        file_name="test.xlsx",
        as_of=as_of,
        lines=[
            ArrearsLine(n, household.pk, kind, amount, due, warning)
            for n, (household, kind, amount, due, warning) in enumerate(lines, start=2)
        ],
    )
