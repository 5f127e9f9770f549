from __future__ import annotations

import datetime
import random
from decimal import Decimal as D

import pytest
from django.utils import translation

from wudian.billing import engine
from wudian.billing.engine import Reading, TariffSpec, Tier, bill_reference, bill_rows, bills
from wudian.billing.services import tariff_spec
from wudian.billing.tests.factories import example_tariff
from wudian.core.errors import BadInput, field_errors

EXAMPLE = TariffSpec(
    annual=True,
    tiers=(
        Tier(1, D(0), D(2160), D("0.5653")),
        Tier(2, D(2160), D(4200), D("0.6153")),
        Tier(3, D(4200), None, D("0.8653")),
    ),
    peak_price=D("0.5883"),
    valley_price=D("0.3083"),
)


def month(m: int, year: int = 2025) -> datetime.date:
    return datetime.date(year, m, 1)


def run(readings: list[Reading], tariff: TariffSpec = EXAMPLE) -> list[dict[str, object]]:
    con = engine.connect(memory_limit="256MB", threads=1)
    try:
        relation = bills(engine.readings_relation(con, readings), tariff)
        return bill_rows(relation.order("household_id, month"))
    finally:
        con.close()


def same_as_reference(readings: list[Reading], tariff: TariffSpec = EXAMPLE) -> None:
    rows = run(readings, tariff)
    reference = bill_reference(readings, tariff)
    assert len(rows) == len(reference) == len(readings)
    for row, ref in zip(rows, reference, strict=True):
        assert (row["household_id"], row["month"]) == (ref.household_id, ref.month)
        assert tuple(row[f"tier_{t.position}_kwh"] for t in tariff.tiers) == ref.tier_kwh
        assert row["amount"] == ref.amount


def test_the_month_a_tier_is_crossed_is_split_and_priced_per_tier() -> None:
    # 2000 kWh by November, 300 in December: 160 in tier 1, 140 in tier 2.
    readings = [Reading(1, month(1), D(2000)), Reading(1, month(12), D(300))]
    december = run(readings)[1]
    assert (december["tier_1_kwh"], december["tier_2_kwh"], december["tier_3_kwh"]) == (
        D("160.000"),
        D("140.000"),
        D("0.000"),
    )
    assert december["amount"] == D("176.59")  # 160 × 0.5653 + 140 × 0.6153 = 90.448 + 86.142
    same_as_reference(readings)


def test_the_knowledge_article_example() -> None:
    # A year of 3000 kWh: 2160 in tier 1 and 840 in tier 2 (the tariff article's sum,
    # 1737.89 unrounded); each month's bill is rounded to the fen, so twelve bills make 1737.96.
    rows = run([Reading(7, month(m), D(250)) for m in range(1, 13)])
    assert sum(row["tier_1_kwh"] for row in rows) == D(2160)  # type: ignore[misc]
    assert sum(row["tier_2_kwh"] for row in rows) == D(840)  # type: ignore[misc]
    assert rows[0]["amount"] == D("141.33")  # 250 × 0.5653 = 141.325
    assert sum(row["amount"] for row in rows) == D("1737.96")  # type: ignore[misc]


def test_the_annual_count_starts_again_in_january() -> None:
    readings = [Reading(1, month(12, 2024), D(5000)), Reading(1, month(1, 2025), D(100))]
    january = run(readings)[1]
    assert january["before_kwh"] == D(0)
    assert january["amount"] == D("56.53")


def test_zero_months_cost_nothing() -> None:
    readings = [Reading(1, month(m), D(0), D(0), D(0)) for m in (1, 2)] + [
        Reading(2, month(1), D(0))
    ]
    assert [row["amount"] for row in run(readings)] == [D(0)] * 3
    same_as_reference(readings)


def test_peak_valley_base_with_the_tier_surcharge_on_top() -> None:
    # 4100 kWh before; 200 this month, 120 peak and 60 valley (20 flat): 100 in tier 2 and 100
    # in tier 3. Base 120 × 0.5883 + 60 × 0.3083 + 20 × 0.5653 = 100.400; surcharge
    # 100 × 0.05 + 100 × 0.3 = 35.
    readings = [Reading(1, month(1), D(4100)), Reading(1, month(2), D(200), D(120), D(60))]
    february = run(readings)[1]
    assert february["time_of_use"] is True
    assert february["flat_kwh"] == D("20.000")
    assert february["peak_amount"] == D("70.60")
    assert february["valley_amount"] == D("18.50")
    assert february["surcharge_amount"] == D("35.00")
    assert february["amount"] == D("135.40")
    assert february["tier_2_amount"] is None
    assert run(readings)[0]["peak_amount"] is None
    assert run(readings)[0]["tier_1_amount"] == D("1221.05")  # 2160 × 0.5653
    same_as_reference(readings)
    # A tariff without peak/valley prices prices the same month by tiers.
    plain = TariffSpec(annual=True, tiers=EXAMPLE.tiers)
    assert run(readings, plain)[1]["time_of_use"] is False
    assert run(readings, plain)[1]["amount"] == D("148.06")  # 100 × 0.6153 + 100 × 0.8653


def test_monthly_tiers_count_each_month_alone() -> None:
    monthly = TariffSpec(
        annual=False,
        tiers=(Tier(1, D(0), D(180), D("0.5")), Tier(2, D(180), None, D("0.8"))),
    )
    readings = [Reading(1, month(1), D(200)), Reading(1, month(2), D(100))]
    rows = run(readings, monthly)
    assert [row["amount"] for row in rows] == [D("106.00"), D("50.00")]
    same_as_reference(readings, monthly)


def test_the_engine_equals_the_reference_on_a_sample() -> None:
    draw = random.Random(17)
    readings: list[Reading] = []
    for household in range(60):
        split = household % 3 != 0
        for m in range(1, 13):
            kwh = D(0) if draw.random() < 0.1 else D(draw.randint(0, 1_200_000)) / 1000
            peak = (kwh * D(draw.randint(30, 70)) / 100).quantize(D("0.001")) if split else None
            valley = (kwh - peak) if peak is not None and draw.random() < 0.5 else None
            if peak is not None and valley is None and split:
                valley = (kwh * D("0.2")).quantize(D("0.001"))
                if peak + valley > kwh:
                    valley = kwh - peak
            readings.append(Reading(household, month(m), kwh, peak, valley))
    draw.shuffle(readings)
    same_as_reference(readings)


@pytest.mark.django_db
def test_a_saved_tariff_gives_the_engine_its_tiers() -> None:
    spec = tariff_spec(example_tariff())
    assert spec.annual
    assert [t.price for t in spec.tiers] == [t.price for t in EXAMPLE.tiers]
    assert spec.peak_price == EXAMPLE.peak_price
    same_as_reference([Reading(1, month(m), D(400), D(200), D(100)) for m in range(1, 13)], spec)


@pytest.mark.parametrize(
    ("reading", "words"),
    [
        (Reading(5, month(3), D(-1)), "negative"),
        (Reading(5, month(3), D(10), D(8), D(5)), "exceed"),
        (Reading(5, datetime.date(2025, 3, 2), D(10)), "first day"),
        (Reading(5, month(3, 2019), D(10)), "not in force"),
    ],
)
def test_bad_readings_are_refused_naming_household_and_month(reading: Reading, words: str) -> None:
    tariff = TariffSpec(annual=True, tiers=EXAMPLE.tiers, effective_from=datetime.date(2020, 1, 1))
    with translation.override("en"), pytest.raises(BadInput) as caught:
        run([Reading(4, month(3), D(1)), reading], tariff)
    message = field_errors(caught.value)["readings"][0]
    assert words in message
    assert "household 5" in message


def test_a_month_read_twice_is_refused() -> None:
    with translation.override("en"), pytest.raises(BadInput) as caught:
        run([Reading(5, month(3), D(1)), Reading(5, month(3), D(2))])
    assert "twice" in field_errors(caught.value)["readings"][0]
