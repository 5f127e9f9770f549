from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from wudian.billing.models import MeterReading
from wudian.billing.services import household_bill
from wudian.billing.tests.factories import example_tariff
from wudian.conftest import City
from wudian.core.errors import BadInput

pytestmark = pytest.mark.django_db


def read(
    city: City, year: int, m: int, kwh: str, peak: str | None = None, valley: str | None = None
) -> None:
    MeterReading.objects.create(
        household=city.north_home,
        month=datetime.date(year, m, 1),
        kwh=D(kwh),
        peak_kwh=D(peak) if peak else None,
        valley_kwh=D(valley) if valley else None,
        source=MeterReading.Source.IMPORT,
    )


def test_a_households_year_explained(city: City) -> None:
    example_tariff()
    for m in range(1, 13):
        read(city, 2024, m, "200")
        if m == 9:
            read(city, 2025, m, "0", "0", "0")
        else:
            read(city, 2025, m, "250", "150", "50")
    months = [datetime.date(2025, m, 15) for m in range(1, 13)]
    bill = household_bill(city.north_home, months)
    assert len(bill.months) == 12
    assert not bill.missing
    # 250 a month: 2160 is passed in September? 8 × 250 = 2000, September 0, October 2250.
    crossed = {m.month.month: m.crossed for m in bill.months if m.crossed}
    assert crossed == {10: (2,)}
    october = bill.months[9]
    assert [(p.position, p.kwh) for p in october.tiers] == [
        (1, D("160.000")),
        (2, D("90.000")),
        (3, D("0.000")),
    ]
    assert october.time_of_use
    assert october.flat_kwh == D("50.000")
    assert [p.amount for p in october.tiers] == [None, None, None]
    assert october.peak_kwh == D("150.000")
    assert october.peak_amount == D("88.25")  # 150 × 0.5883
    assert october.valley_amount == D("15.42")  # 50 × 0.3083
    assert october.surcharge_amount == D("4.50")  # 90 × 0.05
    september = bill.months[8]
    assert september.amount == D(0)
    assert bill.months[0].tiers[0].amount is None
    assert september.kwh_change == D(-200)
    assert october.last_year_kwh == D("200.000")
    assert october.kwh_change == D(50)
    assert october.last_year_amount == D("113.06")  # 200 × 0.5653, no split last year
    assert bill.kwh == D(2750)
    assert bill.amount == sum(m.amount for m in bill.months)


def test_months_without_readings_are_listed(city: City) -> None:
    example_tariff()
    read(city, 2025, 1, "100")
    bill = household_bill(city.north_home, [datetime.date(2025, 1, 1), datetime.date(2025, 2, 1)])
    assert [m.month for m in bill.months] == [datetime.date(2025, 1, 1)]
    assert bill.missing == [datetime.date(2025, 2, 1)]
    assert bill.months[0].last_year_kwh is None
    assert bill.months[0].kwh_change is None


def test_a_region_is_chosen_when_several_have_tariffs(city: City) -> None:
    example_tariff()
    example_tariff(region="江苏省", peak_valley=False)
    read(city, 2025, 1, "100", "60", "30")
    with pytest.raises(BadInput):
        household_bill(city.north_home, [datetime.date(2025, 1, 1)])
    plain = household_bill(city.north_home, [datetime.date(2025, 1, 1)], region="江苏省")
    assert not plain.months[0].time_of_use
    assert plain.months[0].amount == D("56.53")
    assert plain.months[0].tiers[0].amount == D("56.53")
    split = household_bill(city.north_home, [datetime.date(2025, 1, 1)], region="安徽省")
    assert split.months[0].amount == D("50.20")  # 60 × 0.5883 + 30 × 0.3083 + 10 × 0.5653


def test_no_tariff_in_force_is_refused(city: City) -> None:
    example_tariff(start=datetime.date(2026, 1, 1))
    read(city, 2025, 1, "100")
    with pytest.raises(BadInput):
        household_bill(city.north_home, [datetime.date(2025, 1, 1)])
    with pytest.raises(BadInput):
        household_bill(city.north_home, [])


@pytest.mark.parametrize(
    ("kwh", "peak", "valley"),
    [("-1", None, None), ("100", "80", "30"), ("100", "-1", "30"), ("100", "10", "-1")],
)
def test_the_database_refuses_impossible_readings(
    city: City, kwh: str, peak: str | None, valley: str | None
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        read(city, 2025, 1, kwh, peak, valley)
    read(city, 2025, 1, "100", "70", "30")
    with pytest.raises(IntegrityError), transaction.atomic():
        read(city, 2025, 1, "100")
