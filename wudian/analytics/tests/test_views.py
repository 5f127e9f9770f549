"""The manager's line-loss pages: scope, order, trend, and a constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wudian.analytics.models import MeterAnomaly, StationAreaDay
from wudian.conftest import City
from wudian.grid.models import Meter, StationArea

LAST = date(2024, 6, 30)


def add_days(area: StationArea, status: str, rate: str | None, days: int = 3) -> None:
    for offset in range(days):
        StationAreaDay.objects.create(
            station_area=area,
            date=LAST - timedelta(days=offset),
            supply_kwh=Decimal(100),
            user_kwh=Decimal(100) - Decimal(rate or 0) * 100,
            loss_kwh=Decimal(rate) * 100 if rate else None,
            loss_rate=Decimal(rate) if rate else None,
            meters_total=4,
            meters_collected=4 if rate else 3,
            collection_rate=Decimal(1) if rate else Decimal("0.75"),
            status=status,
        )


def add_area(city: City, code: str, status: str, rate: str | None) -> StationArea:
    area = StationArea.objects.create(
        feeder=city.station_area.feeder, code=code, name=f"{code}台区"
    )
    area.compounds.add(city.north)
    add_days(area, status, rate)
    return area


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_manager_sees_areas_worst_first_with_trend(city: City, login: Any) -> None:
    add_days(city.station_area, "qualified", "0.050000")
    add_area(city, "TA2", "high_loss", "0.150000")
    add_area(city, "TA3", "negative_loss", "-0.020000")
    add_area(city, "TA4", "incomplete", None)
    response = login(city.manager).get(reverse("analytics:lineloss"))
    assert response.status_code == 200
    codes = [row.code for row in response.context["rows"]]
    assert codes == ["TA2", "TA3", "TA4", "TA1"]
    body = response.content.decode()
    assert "15.00%" in body
    assert "-2.00%" in body
    assert body.count("<polyline") == 3  # the incomplete area has no loss rate to draw


@pytest.mark.django_db
def test_supervisor_sees_the_district_areas(city: City, login: Any) -> None:
    add_days(city.station_area, "qualified", "0.050000")
    response = login(city.supervisor).get(reverse("analytics:lineloss"))
    assert [row.code for row in response.context["rows"]] == ["TA1"]


@pytest.mark.django_db
def test_areas_of_other_compounds_are_refused(city: City, login: Any) -> None:
    add_days(city.station_area, "high_loss", "0.150000")
    detail = reverse("analytics:lineloss_station_area", args=["TA1"])
    for user in (city.manager_b, city.outsider, city.resident):
        client = login(user)
        assert client.get(reverse("analytics:lineloss")).context["rows"] == []
        assert client.get(detail).status_code == 404
    assert login(city.manager).get(detail).status_code == 200


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(city: City, client: Any) -> None:
    response = client.get(reverse("analytics:lineloss"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_detail_lists_days_and_failed_meters(city: City, login: Any) -> None:
    add_days(city.station_area, "incomplete", None)
    meter = Meter.objects.get(meter_no="M3400000003")
    MeterAnomaly.objects.create(
        meter=meter,
        date=LAST,
        kind=MeterAnomaly.Kind.BACKWARDS,
        register_kwh=Decimal(20),
        next_register_kwh=Decimal(15),
    )
    # Older than the days shown: not listed.
    MeterAnomaly.objects.create(meter=meter, date=LAST - timedelta(days=90), kind="backwards")
    response = login(city.manager).get(
        reverse("analytics:lineloss_station_area", args=["TA1"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert [row["day"].date for row in response.context["days"]] == [
        LAST - timedelta(days=offset) for offset in range(3)
    ]
    assert [anomaly.date for anomaly, _shown in response.context["anomalies"]] == [LAST]
    body = response.content.decode()
    assert "M3400000003" in body
    assert "Registers that went backwards" in body
    assert "Every meter reported on these days." in body
    assert "3 / 4" in body


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_areas(city: City, login: Any) -> None:
    add_days(city.station_area, "qualified", "0.050000")
    client = login(city.manager)
    url = reverse("analytics:lineloss")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for number in range(2, 7):
        add_area(city, f"TA{number}", "high_loss", "0.150000")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 6
    assert len(many.captured_queries) == len(one.captured_queries)
