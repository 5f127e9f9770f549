"""The demo's tariff and the residents' monthly readings: the DOMAIN.md example tariff for
安徽省 (annual tiers 0–2160 / 2160–4200 / over 4200 kWh at 0.5653 / 0.6153 / 0.8653 CNY per
kWh) with an example peak/valley option (0.5883 / 0.3083), all to be verified against the
provincial price document; and two years of monthly readings for the demo residents' homes,
so their bills can be explained. Made once (the tariff by region and name, readings by
household and month)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from wudian.billing.models import MeterReading, Tariff
from wudian.billing.services import TierInput, tariff_save
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.people import LOGINS
from wudian.front.demo.places import household_of

REGION, NAME = "安徽省", "居民生活用电阶梯电价（示例，须以省物价部门文件核实）"
TIERS = [
    TierInput(Decimal(0), Decimal(2160), Decimal("0.5653")),
    TierInput(Decimal(2160), Decimal(4200), Decimal("0.6153")),
    TierInput(Decimal(4200), None, Decimal("0.8653")),
]
READING_MONTHS = 24
# The latest months also get day-by-day values, as a collection system gives them.
DAILY_MONTHS = 2
# Use by calendar month: more in winter and summer (heating, air conditioning).
SEASON = [1.3, 1.2, 0.9, 0.8, 0.8, 1.0, 1.4, 1.5, 1.0, 0.8, 0.9, 1.2]


def billing_seed(summary: DemoSummary) -> None:
    if not Tariff.objects.filter(region=REGION, name=NAME).exists():
        tariff_save(
            Tariff(
                region=REGION,
                name=NAME,
                effective_from=datetime.date(2012, 7, 1),
                tier_period=Tariff.TierPeriod.ANNUAL,
                peak_price=Decimal("0.5883"),
                valley_price=Decimal("0.3083"),
                peak_hours="8:00–22:00",
                valley_hours="22:00–次日8:00",
                source="示例数据，未经核实",
            ),
            TIERS,
        )
        summary.created["Tariff"] += 1
    this_month = timezone.localdate().replace(day=1)
    months = []
    month = this_month
    for _n in range(READING_MONTHS):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    for login in LOGINS:
        if login.home is None:
            continue
        household = household_of(login.home)
        draw = random.Random(household.account_no)  # noqa: S311 (demo data)
        base = draw.randint(180, 320)
        time_of_use = draw.random() < 0.5
        existing = set(
            MeterReading.objects.filter(household=household).values_list("month", flat=True)
        )
        readings = []
        for month in months:
            kwh = Decimal(round(base * SEASON[month.month - 1] * draw.uniform(0.85, 1.15), 1))
            peak = (kwh * Decimal("0.6")).quantize(Decimal("0.1")) if time_of_use else None
            valley = kwh - peak if peak is not None else None
            if month in existing:
                continue
            readings.append(
                MeterReading(
                    household=household,
                    month=month,
                    kwh=kwh,
                    peak_kwh=peak,
                    valley_kwh=valley,
                    source=MeterReading.Source.IMPORT,
                    daily=daily_values(household.account_no, month, kwh)
                    if month in months[:DAILY_MONTHS]
                    else None,
                )
            )
        MeterReading.objects.bulk_create(readings)
        summary.created["MeterReading"] += len(readings)


def daily_values(account_no: str, month: datetime.date, kwh: Decimal) -> list[str]:
    """The month's energy spread over its days (more at weekends), adding up to `kwh`; drawn
    from the account and the month, so a run makes the same days again."""
    draw = random.Random(f"{account_no}:{month:%Y-%m}")  # noqa: S311 (demo data)
    days = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - month
    weights = [
        draw.uniform(0.8, 1.2) * (1.2 if (month + datetime.timedelta(days=n)).weekday() >= 5 else 1)
        for n in range(days.days)
    ]
    total = sum(weights)
    values = [(kwh * Decimal(w / total)).quantize(Decimal("0.01")) for w in weights]
    values[-1] += kwh - sum(values)
    return [str(value) for value in values]
