"""The DOMAIN.md example tariff, for the tests."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal as D

from django.utils import timezone

from wudian.accounts.models import User
from wudian.billing.models import ArrearsImport, Tariff
from wudian.billing.services import TierInput, tariff_save
from wudian.billing.services.arrears import ArrearsLine, arrears_store
from wudian.billing.services.reminders import reminder_record
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
    as_of: datetime.date,
    lines: Sequence[tuple[Household, str, D, datetime.date | None, D | None]],
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


def reminded_arrears(households: list[Household], *, by: User) -> ArrearsImport:
    """A current list on which each household owes, due 45 days ago (listed 40 days ago, so
    nobody was close to disconnection on the list's day and no message went out), each
    reminded in person by `by`: an arrears disconnection of them may be published."""
    today = timezone.localdate()
    as_of = today - datetime.timedelta(days=40)
    due = today - datetime.timedelta(days=45)
    run = arrears_list(as_of, [(h, "postpaid", D("86.40"), due, None) for h in households])
    for household in households:
        reminder_record(household=household, outcome="in_person", by=by)
    return run
