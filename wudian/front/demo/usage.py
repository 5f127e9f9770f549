"""The demo's metering dispute (计量异议) with its usage analysis: resident1's neighbours get two
years of readings (a few flats stand empty), so the analysis has a compound median to compare
with; resident1's home gets a month that jumps and two months of zero use (and three days
without use in its daily values); and resident1 files a metering dispute that manager1 accepts
and attaches the analysis to. The meter test is left for the demo user to request.

Made once: neighbours' readings by household and month, the dispute by its words; the shaped
months of resident1's home are set again on every run."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from wudian.accounts.models import User
from wudian.billing.models import MeterReading
from wudian.billing.services.usage import month_add
from wudian.front.demo.billing import READING_MONTHS, SEASON, daily_values
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.people import LOGINS
from wudian.front.demo.places import household_of
from wudian.grid.models import Household
from wudian.workorders import services
from wudian.workorders.models import Category, Channel, WorkOrder

DISPUTE = (
    "这个月电费比平时高了一倍多，家里没添什么电器，前几个月还有两个月显示零用电，怀疑电表有问题。"
)
# One flat in this many stands empty (a few kWh a month): the median leaves it out.
VACANT_EVERY = 9
# resident1's home: the last month read jumps to this many times its usual use; the months
# 6 and 5 before it read zero; days 12–14 of the last month read zero.
JUMP = Decimal("2.6")
ZERO_MONTHS = (6, 5)
ZERO_DAYS = (11, 12, 13)


def _months() -> list[datetime.date]:
    this_month = timezone.localdate().replace(day=1)
    return [month_add(this_month, -k) for k in range(1, READING_MONTHS + 1)]


def _neighbours_read(home: Household, summary: DemoSummary) -> None:
    months = _months()
    neighbours = Household.objects.filter(building__compound=home.building.compound).exclude(
        pk__in=MeterReading.objects.values("household")
    )
    readings = []
    for household in neighbours.order_by("account_no"):
        draw = random.Random(f"usage:{household.account_no}")  # noqa: S311 (demo data)
        vacant = int(household.account_no[-3:] or 0) % VACANT_EVERY == 0
        base = draw.uniform(1, 4) if vacant else draw.randint(140, 300)
        for month in months:
            season = 1.0 if vacant else SEASON[month.month - 1]
            kwh = Decimal(round(base * season * draw.uniform(0.85, 1.15), 1))
            readings.append(
                MeterReading(
                    household=household,
                    month=month,
                    kwh=kwh,
                    source=MeterReading.Source.IMPORT,
                )
            )
    MeterReading.objects.bulk_create(readings, batch_size=2000)
    summary.created["MeterReading"] += len(readings)


def _shape(home: Household) -> None:
    """The jump and the zero runs of resident1's home (written each run: the same values)."""
    months = _months()
    readings = {r.month: r for r in MeterReading.objects.filter(household=home, month__in=months)}
    if len(readings) < len(months):
        return
    usual = readings[months[12]].kwh
    shaped = {months[0]: (usual * JUMP).quantize(Decimal("0.1"))}
    shaped |= {months[k - 1]: Decimal(0) for k in ZERO_MONTHS}
    for month, kwh in shaped.items():
        reading = readings[month]
        reading.kwh = kwh
        if reading.peak_kwh is not None:
            reading.peak_kwh = (kwh * Decimal("0.6")).quantize(Decimal("0.1"))
            reading.valley_kwh = kwh - reading.peak_kwh
        if reading.daily is not None:
            reading.daily = daily_values(home.account_no, month, kwh)
        reading.save(update_fields=["kwh", "peak_kwh", "valley_kwh", "daily"])
    latest = readings[months[0]]
    days = daily_values(home.account_no, months[0], latest.kwh)
    # The days at zero give their energy to the other days, so the month still adds up.
    moved = sum((Decimal(days[n]) for n in ZERO_DAYS), Decimal(0))
    others = [n for n in range(len(days)) if n not in ZERO_DAYS]
    share = (moved / len(others)).quantize(Decimal("0.01"))
    for n in ZERO_DAYS:
        days[n] = "0.00"
    for n in others:
        days[n] = str(Decimal(days[n]) + share)
    days[others[-1]] = str(Decimal(days[others[-1]]) + moved - share * len(others))
    latest.daily = days
    latest.save(update_fields=["daily"])


def usage_seed(summary: DemoSummary) -> None:
    resident1 = next(login for login in LOGINS if login.username == "resident1")
    if resident1.home is None:
        return
    home = household_of(resident1.home)
    _neighbours_read(home, summary)
    _shape(home)
    if WorkOrder.objects.filter(description=DISPUTE).exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["resident1", "manager1"])}
    now = timezone.now()
    dispute = services.workorder_create(
        category=Category.objects.get(code="metering_dispute"),
        description=DISPUTE,
        channel=Channel.WEB,
        by=users["resident1"],
        household=home,
        now=now - datetime.timedelta(hours=5),
    )
    services.workorder_accept(
        workorder=dispute, by=users["manager1"], now=now - datetime.timedelta(hours=4)
    )
    services.workorder_attach_usage(
        workorder=dispute, by=users["manager1"], now=now - datetime.timedelta(hours=3)
    )
    summary.created["WorkOrder"] += 1
