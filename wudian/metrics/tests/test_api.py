"""GET /api/v1/metrics: the dashboard's numbers, within the caller's reach."""

from __future__ import annotations

import datetime

import pytest

from wudian.conftest import City, api
from wudian.metrics.cuts import resolve_cut
from wudian.metrics.figures import figures, parse_codes
from wudian.metrics.tests.test_figures import NOVEMBER, file_history

URL = "/api/v1/metrics"


@pytest.mark.django_db
def test_the_api_gives_the_dashboards_numbers(city: City) -> None:
    file_history(city)
    answer = api(city.supervisor).get(
        URL, {"from": "2026-11-01", "to": "2026-11-30", "scope": f"district:{city.district.pk}"}
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["first"], body["last"]) == ("2026-11-01", "2026-11-30")
    assert body["scope"] == {
        "key": f"district:{city.district.pk}",
        "name": "蚌山区",
        "compounds": 2,
    }
    expected = figures(
        parse_codes(None), NOVEMBER, resolve_cut(city.supervisor, f"district:{city.district.pk}")
    )
    assert [f["code"] for f in body["figures"]] == [f.metric.code for f in expected]
    for got, figure in zip(body["figures"], expected, strict=True):
        assert got == figure.as_dict()
    online = next(f for f in body["figures"] if f["code"] == "business.online_rate")
    assert (online["target"], online["unit"], online["good"]) == (90.0, "percent", "up")


@pytest.mark.django_db
def test_the_api_picks_metrics_and_periods(city: City) -> None:
    answer = api(city.manager).get(
        URL, {"codes": "complaints.yoy_change,requests.filed", "period": "last_month"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert [f["code"] for f in body["figures"]] == ["complaints.yoy_change", "requests.filed"]
    assert body["scope"]["compounds"] == 1
    first, last = (datetime.date.fromisoformat(body[k]) for k in ("first", "last"))
    assert first.day == 1
    assert last.month == first.month
    assert (last + datetime.timedelta(days=1)).day == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, 422, "to"),
        ({"from": "30/11/2026"}, 422, None),
        ({"codes": "requests.nothing"}, 422, "codes"),
        ({"scope": "county:3"}, 422, "scope"),
        ({"period": "next_year"}, 422, None),
    ],
)
def test_input_that_cannot_be_used_is_refused(
    city: City, params: dict[str, str], status: int, field: str | None
) -> None:
    answer = api(city.supervisor, "zh-hans").get(URL, params)
    assert answer.status_code == status
    body = answer.json()
    assert body["detail"]
    if field:
        assert any(error["loc"][-1] == field for error in body["errors"])


@pytest.mark.django_db
def test_outside_ones_reach_is_refused_not_emptied(city: City) -> None:
    assert api(city.manager).get(URL, {"scope": f"compound:{city.south.pk}"}).status_code == 404
    assert api(city.manager).get(URL, {"scope": f"manager:{city.manager_b.pk}"}).status_code == 404
    for user in (city.resident, city.electrician, city.staff, city.outsider):
        answer = api(user).get(URL)
        assert answer.status_code == 403
    assert api(city.supervisor).get(URL, {"scope": "compound:424242"}).status_code == 404
