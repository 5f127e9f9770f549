"""Civic work over the API: listing and recording visits, an appeal turned into a request,
listing activities, signing up and giving a place back — with the refusals of each."""

from __future__ import annotations

import pytest

from wudian.civic.models import Activity, Appeal, SignUp, Visit
from wudian.civic.tests.conftest import DAY, TODAY
from wudian.conftest import City, api, post, snapshot
from wudian.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

VISITS = "/api/v1/civic/visits"
ACTIVITIES = "/api/v1/civic/activities"


def test_a_grid_admin_records_and_lists_visits(city: City) -> None:
    response = post(
        api(city.gridadmin),
        VISITS,
        {
            "compound": city.north.code,
            "household_id": city.north_home.pk,
            "visited_on": TODAY.isoformat(),
            "people_met": 2,
            "summary": "入户走访",
            "appeals": [{"text": "插座发烫", "kind": "electricity"}],
            "companions": ["manager"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["household"]["phone"] == "13800000001"
    assert sorted(body["visitors"]) == ["gridadmin", "李经理"]
    assert body["appeals"][0]["status"] == "open"
    listed = api(city.gridadmin).get(f"{VISITS}?compound={city.north.code}").json()
    assert [row["id"] for row in listed["items"]] == [body["id"]]
    assert listed["items"][0]["appeals_open"] == 1
    masked = api(city.supervisor).get(f"{VISITS}/{body['id']}").json()
    assert masked["household"]["phone"] == "138****0001"


@pytest.mark.parametrize(
    ("who", "payload", "status"),
    [
        ("gridadmin", {"visited_on": (TODAY + 2 * DAY).isoformat()}, 422),
        ("gridadmin", {"people_met": 0}, 422),
        ("gridadmin", {"summary": ""}, 422),
        ("gridadmin", {"compound": "SOUTH"}, 404),
        ("gridadmin", {"compound": "NOWHERE"}, 404),
        ("gridadmin", {"appeals": [{"text": "x", "kind": "weather"}]}, 422),
        ("gridadmin", {"companions": ["electrician"]}, 422),
        ("resident", {}, 403),
        ("electrician", {}, 403),
    ],
)
def test_refused_visits_save_nothing(
    city: City, who: str, payload: dict[str, object], status: int
) -> None:
    data: dict[str, object] = {
        "compound": city.north.code,
        "visited_on": TODAY.isoformat(),
        "people_met": 2,
        "summary": "入户走访",
    }
    before = snapshot(Visit, Appeal)
    response = post(api(getattr(city, who)), VISITS, data | payload)
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert snapshot(Visit, Appeal) == before


def test_visits_are_refused_to_residents_and_unseen_outside_the_scope(
    city: City, visit: Visit
) -> None:
    assert api(city.resident).get(VISITS).status_code == 403
    assert api(city.manager_b).get(VISITS).json()["items"] == []
    assert api(city.manager_b).get(f"{VISITS}/{visit.pk}").status_code == 404


def test_an_appeal_becomes_a_request_over_the_api(city: City, visit: Visit) -> None:
    appeal = visit.appeals.get(kind="electricity")
    url = f"/api/v1/civic/appeals/{appeal.pk}/request"
    before = snapshot(appeal, WorkOrder)
    assert post(api(city.manager_b), url, {"category": "hazard"}).status_code == 404
    assert post(api(city.gridadmin), url, {"category": "nonsense"}).status_code == 422
    assert snapshot(appeal, WorkOrder) == before
    response = post(api(city.gridadmin), url, {"category": "hazard"})
    assert response.status_code == 200, response.content
    request = response.json()["request"]
    assert request["status"] == "submitted"
    assert WorkOrder.objects.get(pk=request["id"]).visit_appeal == appeal
    assert post(api(city.gridadmin), url, {"category": "hazard"}).status_code == 409


def test_activities_sign_up_and_give_back_over_the_api(city: City, activity: Activity) -> None:
    listed = api(city.resident).get(f"{ACTIVITIES}?upcoming=true").json()
    assert [row["id"] for row in listed["items"]] == [activity.pk]
    assert api(city.resident_b).get(ACTIVITIES).json()["items"] == []
    url = f"{ACTIVITIES}/{activity.pk}/signup"
    assert post(api(city.resident), url).status_code == 200
    detail = api(city.resident).get(f"{ACTIVITIES}/{activity.pk}").json()
    assert detail["signed_up"] is True
    assert detail["actions"] == ["withdraw"]
    assert post(api(city.resident), url).status_code == 403
    assert post(api(city.electrician), url).status_code == 200
    before = snapshot(activity, SignUp)
    full = post(api(city.staff), url)
    assert full.status_code == 409
    assert "2" in full.json()["detail"]
    assert post(api(city.resident_b), url).status_code == 404
    assert snapshot(activity, SignUp) == before
    assert api(city.resident).delete(url).status_code == 200
    assert api(city.staff).delete(url).status_code == 403
    mine = api(city.resident).get(f"{ACTIVITIES}?mine=true").json()["items"]
    assert mine == []
