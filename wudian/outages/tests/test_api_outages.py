"""The outages API: publishing with its refusals, scope per role, the lifecycle actions,
acknowledgements, the caller's outages and query counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wudian.billing.tests.factories import reminded_arrears
from wudian.conftest import City, api, post, snapshot
from wudian.grid.models import Household
from wudian.notify.models import Message
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.tests.conftest import SAVED, build_world, later

pytestmark = pytest.mark.django_db


@pytest.fixture(name="world")
def _world(city: City) -> City:
    return build_world(city)


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "planned",
        "title": "北苑小区计划检修停电",
        "reason": "10kV涂山线设备例行检修",
        "start": later(days=8).isoformat(),
        "end": later(days=8, hours=6).isoformat(),
        "station_areas": ["TA-N"],
        "compounds": [],
    }
    data.update(overrides)
    return data


def test_manager_publishes_and_gets_the_household_count(world: City) -> None:
    response = post(api(world.manager), "/api/v1/outages", body(compounds=["NORTH"]))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "published"
    assert data["affected_households"] == 3
    assert data["station_areas"] == ["TA-N"]
    assert data["compounds"] == ["NORTH"]
    assert Message.objects.filter(source=f"outage:{data['id']}").exists()


def test_short_notice_is_refused_with_the_rule_named(world: City) -> None:
    before = snapshot(*SAVED)
    for language, words in [("zh-hans", "电力供应与使用条例 第二十八条"), ("en", "7 days")]:
        response = post(
            api(world.manager, language),
            "/api/v1/outages",
            body(start=later(days=2).isoformat(), end=later(days=2, hours=3).isoformat()),
        )
        assert response.status_code == 422
        assert response.json()["rule"] == "outage.planned.notice_days"
        assert words in response.json()["detail"]
    assert snapshot(*SAVED) == before


def test_supervisor_override_is_recorded_and_manager_override_refused(world: City) -> None:
    before = snapshot(*SAVED)
    short = body(
        start=later(days=2).isoformat(),
        end=later(days=2, hours=3).isoformat(),
        override_reason="防汛前必须完成",
    )
    refused = post(api(world.manager), "/api/v1/outages", short)
    assert refused.status_code == 422
    assert refused.json()["rule"] == "outage.planned.notice_days"
    assert snapshot(*SAVED) == before

    response = post(api(world.supervisor), "/api/v1/outages", short)
    assert response.status_code == 201
    assert response.json()["lead_time_overridden"] is True
    detail = api(world.supervisor).get(f"/api/v1/outages/{response.json()['id']}").json()
    assert detail["lead_time_override_reason"] == "防汛前必须完成"


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({"end": later(days=8).isoformat(), "start": later(days=8).isoformat()}, 422, "end"),
        ({"station_areas": ["TA-N", "TA-404"], "compounds": ["NOWHERE"]}, 422, "TA-404"),
        ({"station_areas": [], "compounds": ["SOUTH"]}, 403, "南苑小区"),
        ({"station_areas": ["TA1"]}, 403, "南苑小区"),
        ({"kind": "blackout"}, 422, ""),
        ({"title": ""}, 422, ""),
        ({"start": "tomorrow"}, 422, ""),
        ({"unexpected": 1}, 422, ""),
    ],
)
def test_bad_requests_are_refused_and_save_nothing(
    world: City, data: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot(*SAVED)
    response = post(api(world.manager), "/api/v1/outages", body(**data))

    assert response.status_code == status, response.content
    assert words in response.json()["detail"] + json.dumps(response.json(), ensure_ascii=False)
    assert snapshot(*SAVED) == before


def test_unknown_codes_are_named(world: City) -> None:
    response = post(
        api(world.manager),
        "/api/v1/outages",
        body(station_areas=["TA-404"], compounds=["NOWHERE"]),
    )
    assert "TA-404" in response.json()["detail"]
    assert "NOWHERE" in response.json()["detail"]


def test_overlap_is_409_naming_the_other_outage(world: City) -> None:
    client = api(world.manager)
    first = post(client, "/api/v1/outages", body()).json()
    before = snapshot(*SAVED)

    response = post(client, "/api/v1/outages", body(title="又一次停电", buildings=["NORTH-1"]))

    assert response.status_code == 409
    assert response.json()["conflict"] == first["id"]
    assert "北苑小区计划检修停电" in response.json()["detail"]
    assert snapshot(*SAVED) == before


@pytest.mark.parametrize("who", ["electrician", "staff", "gridadmin", "resident", "outsider"])
def test_roles_that_do_not_publish_get_403(world: City, who: str) -> None:
    before = snapshot(*SAVED)
    response = post(api(getattr(world, who)), "/api/v1/outages", body())
    assert response.status_code == 403
    assert snapshot(*SAVED) == before


def test_no_token_is_401(client: Client, world: City) -> None:
    before = snapshot(*SAVED)
    response = client.post("/api/v1/outages", body(), content_type="application/json")
    assert response.status_code == 401
    assert snapshot(*SAVED) == before


def test_draft_then_publish_action(world: City) -> None:
    client = api(world.manager)
    draft = post(client, "/api/v1/outages", body(draft=True)).json()
    assert draft["state"] == "draft"
    assert draft["affected_households"] == 0

    response = post(client, f"/api/v1/outages/{draft['id']}/actions/publish", {})

    assert response.status_code == 200
    assert response.json()["state"] == "published"
    assert response.json()["affected_households"] == 3


def test_lifecycle_actions_over_the_api(world: City) -> None:
    client = api(world.manager, "en")
    outage = post(
        client,
        "/api/v1/outages",
        body(kind="fault", start=later(hours=-1).isoformat(), end=later(hours=2).isoformat()),
    ).json()
    url = f"/api/v1/outages/{outage['id']}/actions"

    estimate = post(
        client,
        f"{url}/estimate",
        {"estimated_restoration": later(hours=4).isoformat(), "note": "更换电缆"},
    )
    assert estimate.status_code == 200
    assert estimate.json()["sequence"] == 1
    changed = post(client, f"{url}/change", {"note": "原因查明", "reason": "电缆接头烧毁"})
    assert changed.json()["state"] == "changed"
    restored = post(client, f"{url}/restore", {})
    assert restored.json()["state"] == "restored"
    again = post(client, f"{url}/restore", {})
    assert again.status_code == 409
    assert again.json()["detail"] == "This outage is Power restored; that cannot be done now."
    templates = set(
        Message.objects.filter(source=f"outage:{outage['id']}").values_list("template", flat=True)
    )
    assert templates == {"outage_published", "outage_estimate", "outage_changed", "outage_restored"}


def test_postpone_and_cancel_over_the_api(world: City) -> None:
    client = api(world.manager)
    outage = post(client, "/api/v1/outages", body()).json()
    url = f"/api/v1/outages/{outage['id']}/actions"

    postponed = post(
        client,
        f"{url}/postpone",
        {
            "start": later(days=10).isoformat(),
            "end": later(days=10, hours=4).isoformat(),
            "note": "顺延",
        },
    )
    assert postponed.json()["state"] == "postponed"
    cancelled = post(client, f"{url}/cancel", {"note": "取消"})
    assert cancelled.json()["state"] == "cancelled"
    assert [event["kind"] for event in cancelled.json()["events"]] == [
        "created",
        "published",
        "postponed",
        "cancelled",
    ]


def test_actions_outside_scope_are_404_or_403_and_change_nothing(world: City) -> None:
    outage = post(api(world.supervisor), "/api/v1/outages", body(station_areas=["TA1"])).json()
    before = snapshot(*SAVED)

    # manager_b serves the south compound it reaches, but TA1 is listed for north too.
    assert (
        post(
            api(world.manager_b),
            f"/api/v1/outages/{outage['id']}/actions/cancel",
            {"note": "x"},
        ).status_code
        == 403
    )
    # An electrician sees it but may not act.
    assert (
        post(
            api(world.electrician),
            f"/api/v1/outages/{outage['id']}/actions/cancel",
            {"note": "x"},
        ).status_code
        == 403
    )
    assert (
        post(
            api(world.outsider),
            f"/api/v1/outages/{outage['id']}/actions/cancel",
            {"note": "x"},
        ).status_code
        == 404
    )
    assert snapshot(*SAVED) == before
    assert Outage.objects.get(pk=outage["id"]).state == "published"


def test_detail_is_404_outside_scope_and_shows_reach_to_staff_only(world: City) -> None:
    outage = post(api(world.manager), "/api/v1/outages", body()).json()
    url = f"/api/v1/outages/{outage['id']}"

    assert api(world.manager_b).get(url).status_code == 404
    assert api(world.resident_b).get(url).status_code == 404
    staff = api(world.electrician).get(url).json()
    assert staff["reach"]["households"] == 3
    assert "sms" in staff["reach"]["by_channel"]
    resident = api(world.resident).get(url).json()
    assert resident["reach"] is None
    assert resident["events"] is None


def test_resident_sees_and_acknowledges_their_outage(world: City) -> None:
    outage = post(api(world.manager), "/api/v1/outages", body()).json()
    client = api(world.resident)

    mine = client.get("/api/v1/me/outages").json()
    assert [row["id"] for row in mine] == [outage["id"]]
    assert mine[0]["my_households"][0]["acknowledged_at"] is None

    response = post(client, f"/api/v1/outages/{outage['id']}/acknowledge", {})
    assert response.status_code == 200
    assert response.json()["household"] == "3400000001"
    mine = client.get("/api/v1/me/outages").json()
    assert mine[0]["my_households"][0]["acknowledged_at"] is not None

    assert api(world.resident_b).get("/api/v1/me/outages").json() == []
    refused = post(api(world.resident_b), f"/api/v1/outages/{outage['id']}/acknowledge", {})
    assert refused.status_code == 404
    assert AffectedHousehold.objects.filter(acknowledged_at__isnull=False).count() == 1


def test_staff_see_the_outages_of_their_compounds_in_me_outages(world: City) -> None:
    north = post(api(world.manager), "/api/v1/outages", body()).json()
    south = post(
        api(world.manager_b), "/api/v1/outages", body(station_areas=[], compounds=["SOUTH"])
    ).json()

    assert [row["id"] for row in api(world.electrician).get("/api/v1/me/outages").json()] == [
        north["id"]
    ]
    assert [row["id"] for row in api(world.electrician_b).get("/api/v1/me/outages").json()] == [
        south["id"]
    ]
    assert len(api(world.supervisor).get("/api/v1/me/outages").json()) == 2


def test_preview_counts_households_before_publishing(world: City) -> None:
    response = post(
        api(world.supervisor),
        "/api/v1/outages/preview",
        {"station_areas": ["TA-N"], "buildings": ["SOUTH-1"]},
    )
    assert response.json() == {"households": 4, "compounds": ["NORTH", "SOUTH"]}
    response = post(api(world.manager), "/api/v1/outages/preview", {"station_areas": ["TA-N"]})
    assert response.json() == {"households": 3, "compounds": ["NORTH"]}
    assert (
        post(api(world.resident), "/api/v1/outages/preview", {"compounds": ["NORTH"]}).status_code
        == 403
    )


@pytest.mark.parametrize(
    "scope",
    [
        {"buildings": ["SOUTH-1"]},
        {"compounds": ["SOUTH"]},
        {"station_areas": ["TA-N"], "buildings": ["SOUTH-1"]},
        # TA1 also feeds the south household.
        {"station_areas": ["TA1"]},
        {"feeders": ["F1"]},
    ],
)
def test_preview_of_a_scope_reaching_another_managers_compound_is_refused(
    world: City, scope: dict[str, list[str]]
) -> None:
    response = post(api(world.manager), "/api/v1/outages/preview", scope)

    assert response.status_code == 403
    assert "南苑小区" in response.json()["detail"]
    assert "households" not in response.json()


def test_list_is_scoped_paginated_and_constant_in_queries(world: City) -> None:
    client = api(world.supervisor)
    for day in (8, 9):
        post(
            client,
            "/api/v1/outages",
            body(start=later(days=day).isoformat(), end=later(days=day, hours=1).isoformat()),
        )
    manager = api(world.manager)
    with CaptureQueriesContext(connection) as few:
        assert manager.get("/api/v1/outages").json()["count"] == 2
    for day in range(10, 16):
        post(
            client,
            "/api/v1/outages",
            body(start=later(days=day).isoformat(), end=later(days=day, hours=1).isoformat()),
        )
    with CaptureQueriesContext(connection) as many:
        page = manager.get("/api/v1/outages").json()
    assert page["count"] == 8
    assert len(many) == len(few)
    assert api(world.manager_b).get("/api/v1/outages").json()["count"] == 0


def test_me_outages_is_constant_in_queries(world: City) -> None:
    client = api(world.supervisor)
    post(client, "/api/v1/outages", body())
    resident = api(world.resident)
    with CaptureQueriesContext(connection) as few:
        resident.get("/api/v1/me/outages")
    for day in range(10, 15):
        post(
            client,
            "/api/v1/outages",
            body(start=later(days=day).isoformat(), end=later(days=day, hours=1).isoformat()),
        )
    with CaptureQueriesContext(connection) as many:
        assert len(resident.get("/api/v1/me/outages").json()) == 6
    assert len(many) == len(few)


def test_household_of_an_arrears_disconnection_is_given_by_account_number(world: City) -> None:
    reminded_arrears([world.north_home_2], by=world.electrician)
    response = post(
        api(world.manager),
        "/api/v1/outages",
        body(
            kind="arrears", station_areas=[], household="3400000002", end=later(days=40).isoformat()
        ),
    )

    assert response.status_code == 201, response.content
    assert response.json()["affected_households"] == 1
    assert Household.objects.get(account_no="3400000002").outages.count() == 1


def test_postponing_to_the_same_times_is_refused_and_changes_nothing(world: City) -> None:
    client = api(world.manager)
    outage = post(client, "/api/v1/outages", body()).json()
    stored = Outage.objects.get(pk=outage["id"])
    before = snapshot(stored, *SAVED)

    for _attempt in range(2):
        response = post(
            client,
            f"/api/v1/outages/{outage['id']}/actions/postpone",
            {"start": outage["start"], "end": outage["end"], "note": "顺延"},
        )
        assert response.status_code == 422
        assert "没有可顺延的内容" in response.json()["detail"]
    assert snapshot(stored, *SAVED) == before
    assert Outage.objects.get(pk=outage["id"]).sequence == 0


FAR = "4950-06-01T09:00:00+08:00"
FAR_END = "4950-06-01T15:00:00+08:00"


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("create", {"start": FAR, "end": FAR_END}),
        ("create", {"start": later(days=8).isoformat(), "end": FAR_END}),
        ("create", {"start": "2001-06-01T09:00:00+08:00", "end": "2001-06-01T15:00:00+08:00"}),
        ("postpone", {"start": FAR, "end": FAR_END, "note": "顺延"}),
        ("change", {"end": FAR_END, "note": "延长"}),
    ],
)
def test_dates_beyond_the_horizon_are_refused_with_a_clear_message(
    world: City, action: str, payload: dict[str, str]
) -> None:
    client = api(world.manager)
    outage = post(client, "/api/v1/outages", body()).json()
    before = snapshot(*SAVED)

    if action == "create":
        response = post(client, "/api/v1/outages", body(**payload))
    else:
        response = post(client, f"/api/v1/outages/{outage['id']}/actions/{action}", payload)

    assert response.status_code == 422, response.content
    assert "请核对日期，尤其是年份" in response.json()["detail"]
    assert {error["loc"][-1] for error in response.json()["errors"]} & {"start", "end"}
    assert snapshot(*SAVED) == before


@pytest.mark.parametrize("field", ["title", "reason"])
def test_control_characters_in_a_notice_are_refused(world: City, field: str) -> None:
    before = snapshot(*SAVED)

    response = post(api(world.manager), "/api/v1/outages", body(**{field: "电费\x01逾期\x00"}))

    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["errors"]] == [field]
    assert snapshot(*SAVED) == before
