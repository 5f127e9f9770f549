from __future__ import annotations

import datetime
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import translation

from wudian.billing.models import Tariff, TariffTier
from wudian.billing.services import TierInput, tariff_check, tariff_save
from wudian.billing.tests.factories import EXAMPLE_TIERS, example_tariff
from wudian.conftest import City, snapshot, zh
from wudian.core.errors import BadInput, field_errors

pytestmark = pytest.mark.django_db


def new_tariff(**fields: Any) -> Tariff:
    values: dict[str, Any] = {
        "region": "安徽省",
        "name": "新电价",
        "effective_from": datetime.date(2030, 1, 1),
        "tier_period": Tariff.TierPeriod.ANNUAL,
    }
    return Tariff(**(values | fields))


def refused(tariff: Tariff, tiers: list[TierInput]) -> dict[str, list[str]]:
    before = snapshot(Tariff, TariffTier)
    with translation.override("en"), pytest.raises(BadInput) as caught:
        tariff_save(tariff, tiers)
    assert snapshot(Tariff, TariffTier) == before
    return field_errors(caught.value)


def test_the_example_is_saved_whole() -> None:
    tariff = example_tariff()
    tiers = list(tariff.tiers.values_list("position", "lower_kwh", "upper_kwh", "price"))
    assert tiers == [
        (1, D("0.000"), D("2160.000"), D("0.5653")),
        (2, D("2160.000"), D("4200.000"), D("0.6153")),
        (3, D("4200.000"), None, D("0.8653")),
    ]
    assert tariff.has_peak_valley


def test_overlapping_tiers_are_refused_naming_the_tier() -> None:
    tiers = [*EXAMPLE_TIERS]
    tiers[1] = TierInput(D(2000), D(4200), D("0.6153"))
    errors = refused(new_tariff(), tiers)
    assert list(errors) == ["tiers.2.lower_kwh"]
    assert "Tier 2" in errors["tiers.2.lower_kwh"][0]
    assert "overlap" in errors["tiers.2.lower_kwh"][0]


def test_a_gap_is_refused() -> None:
    tiers = [*EXAMPLE_TIERS]
    tiers[2] = TierInput(D(4300), None, D("0.8653"))
    errors = refused(new_tariff(), tiers)
    assert "gap" in errors["tiers.3.lower_kwh"][0]


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        (
            [TierInput(D(10), D(2160), D("0.5")), TierInput(D(2160), None, D("0.6"))],
            "tiers.1.lower_kwh",
        ),
        (
            [TierInput(D(0), D(2160), D("0.5")), TierInput(D(2160), D(5000), D("0.6"))],
            "tiers.2.upper_kwh",
        ),
        (
            [TierInput(D(0), None, D("0.5")), TierInput(D(2160), None, D("0.6"))],
            "tiers.1.upper_kwh",
        ),
        ([TierInput(D(0), D(2160), D("0")), TierInput(D(2160), None, D("0.6"))], "tiers.1.price"),
        ([TierInput(D(0), D(2160), D("0.5")), TierInput(D(2160), None, D("-1"))], "tiers.2.price"),
        ([TierInput(D(0), D(0), D("0.5")), TierInput(D(0), None, D("0.6"))], "tiers.1.upper_kwh"),
        ([], "tiers"),
    ],
)
def test_bad_tiers_are_refused(tiers: list[TierInput], field: str) -> None:
    assert field in refused(new_tariff(), tiers)


def test_peak_valley_given_by_half_is_refused() -> None:
    errors = refused(new_tariff(peak_price=D("0.58")), EXAMPLE_TIERS)
    assert "valley_price" in errors
    errors = refused(
        new_tariff(peak_price=D("0.58"), valley_price=D("0.30"), peak_hours="8-22"),
        EXAMPLE_TIERS,
    )
    assert "valley_hours" in errors
    errors = refused(
        new_tariff(peak_price=D("0"), valley_price=D("0.30"), peak_hours="a", valley_hours="b"),
        EXAMPLE_TIERS,
    )
    assert "peak_price" in errors


def test_dates_overlapping_the_same_region_are_refused() -> None:
    example_tariff(start=datetime.date(2020, 1, 1), end=datetime.date(2029, 12, 31))
    errors = refused(new_tariff(effective_from=datetime.date(2029, 6, 1)), EXAMPLE_TIERS)
    assert "effective_from" in errors
    errors = refused(
        new_tariff(
            effective_from=datetime.date(2031, 1, 1), effective_to=datetime.date(2030, 1, 1)
        ),
        EXAMPLE_TIERS,
    )
    assert "effective_to" in errors
    # Another region, or the next span of the same one, is fine.
    tariff_save(
        new_tariff(region="江苏省", effective_from=datetime.date(2029, 6, 1)), EXAMPLE_TIERS
    )
    tariff_save(new_tariff(), EXAMPLE_TIERS)
    # An open tariff clashes with any later one of its region.
    errors = refused(new_tariff(effective_from=datetime.date(2035, 1, 1)), EXAMPLE_TIERS)
    assert "effective_from" in errors


def test_a_tariff_is_checked_again_on_edit_without_clashing_with_itself() -> None:
    tariff = example_tariff()
    tariff.name = "改名"
    tariff_check(tariff, EXAMPLE_TIERS)
    tariff_save(tariff, [*EXAMPLE_TIERS[:2], TierInput(D(4200), None, D("0.9"))])
    assert tariff.tiers.get(position=3).price == D("0.9000")


def test_the_refusal_speaks_chinese() -> None:
    tiers = [*EXAMPLE_TIERS]
    tiers[1] = TierInput(D(2000), D(4200), D("0.6153"))
    with translation.override("zh-hans"), pytest.raises(BadInput) as caught:
        tariff_save(new_tariff(), tiers)
    assert "第2档" in field_errors(caught.value)["tiers.2.lower_kwh"][0]


def admin_post(tiers: list[tuple[str, str, str, str]], **fields: str) -> dict[str, str]:
    data = {
        "region": "安徽省",
        "name": "后台电价",
        "effective_from": "2030-01-01",
        "effective_to": "",
        "tier_period": "annual",
        "peak_price": "",
        "valley_price": "",
        "peak_hours": "",
        "valley_hours": "",
        "source": "",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for n, (position, lower, upper, price) in enumerate(tiers):
        data |= {
            f"tiers-{n}-position": position,
            f"tiers-{n}-lower_kwh": lower,
            f"tiers-{n}-upper_kwh": upper,
            f"tiers-{n}-price": price,
        }
    return data | fields


def test_the_admin_saves_a_whole_tariff_and_refuses_a_gap(city: City, client: Any) -> None:
    client.force_login(city.admin)
    url = "/admin/billing/tariff/add/"
    assert client.get(url).status_code == 200
    before = snapshot(Tariff, TariffTier)
    gap = admin_post([("1", "0", "2160", "0.5653"), ("2", "2200", "", "0.6153")])
    answer = client.post(url, gap)
    assert answer.status_code == 200
    assert snapshot(Tariff, TariffTier) == before
    assert "第2档从2200" in answer.content.decode()
    assert "中间有空档" in answer.content.decode()
    half = admin_post([("1", "0", "", "0.5653")], peak_price="0.58")
    assert "峰、谷电价须同时填写或同时留空" in client.post(url, half).content.decode()
    numbered = admin_post([("1", "0", "2160", "0.5653"), ("3", "2160", "", "0.6153")])
    assert (
        zh("Number the tiers 1, 2, 3… without gaps.") in client.post(url, numbered).content.decode()
    )
    assert snapshot(Tariff, TariffTier) == before
    good = admin_post([("1", "0", "2160", "0.5653"), ("2", "2160", "", "0.6153")])
    assert client.post(url, good).status_code == 302
    assert Tariff.objects.get(name="后台电价").tiers.count() == 2
