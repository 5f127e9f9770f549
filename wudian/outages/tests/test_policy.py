"""The outage's policy table: the API's detail lists the actions each caller may take now, the
detail page offers exactly those, and a refused action answers the same status and message
on the API and on the page and changes nothing."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone
from django.utils.html import escape

from wudian.accounts.models import User
from wudian.conftest import City, api, post, snapshot
from wudian.core.errors import WrongState
from wudian.outages import services
from wudian.outages.models import Outage
from wudian.outages.policy import OUTAGES, parties_of
from wudian.outages.tests.conftest import build_world, create, later

pytestmark = pytest.mark.django_db

STAFF_STEPS = ["publish", "estimate", "restore", "postpone", "change", "cancel"]


@pytest.fixture(name="world")
def _world(city: City) -> City:
    return build_world(city)


def actions(user: User, outage: Outage) -> list[str]:
    response = api(user).get(f"/api/v1/outages/{outage.pk}")
    assert response.status_code == 200, response.content
    result: list[str] = response.json()["actions"]
    return result


def offered(client: Any, outage: Outage) -> list[str]:
    """The actions the detail page has a form for, in the page's order."""
    body = client.get(f"/desk/outages/{outage.pk}/").content.decode()
    return re.findall(rf'action="/desk/outages/{outage.pk}/(\w+)/"', body)


def fault(city: City) -> Outage:
    return create(
        city.manager,
        kind="fault",
        title="北苑小区故障停电",
        start=later(hours=-1),
        end=later(hours=2),
    )


# The API's detail ---------------------------------------------------------------------------


def test_detail_lists_what_each_caller_may_do_with_a_published_outage(world: City) -> None:
    outage = create(world.manager)

    for who in ("manager", "supervisor", "admin"):
        assert actions(getattr(world, who), outage) == ["postpone", "change", "cancel"], who
    assert actions(world.electrician, outage) == []
    assert actions(world.resident, outage) == ["acknowledge"]
    for who in ("manager_b", "resident_b"):
        assert api(getattr(world, who)).get(f"/api/v1/outages/{outage.pk}").status_code == 404


def test_another_managers_compound_in_the_outage_leaves_a_manager_nothing_to_do(
    world: City,
) -> None:
    # TA1 is listed for north and feeds the south home: the outage reaches both compounds.
    outage = create(world.supervisor, station_areas=["TA1"])

    assert actions(world.manager, outage) == []
    assert actions(world.manager_b, outage) == []
    assert actions(world.supervisor, outage) == ["postpone", "change", "cancel"]
    assert actions(world.resident_b, outage) == ["acknowledge"]
    assert actions(world.resident, outage) == []  # north's homes are on TA-N


def test_the_actions_follow_the_outage_through_publish_cancel_and_restore(world: City) -> None:
    client = api(world.manager)
    draft = create(world.manager, publish=False)
    assert actions(world.manager, draft) == ["publish", "change", "cancel"]
    assert api(world.resident).get(f"/api/v1/outages/{draft.pk}").status_code == 404

    published = post(client, f"/api/v1/outages/{draft.pk}/actions/publish", {})
    assert published.json()["actions"] == ["postpone", "change", "cancel"]
    assert actions(world.resident, draft) == ["acknowledge"]

    cancelled = post(client, f"/api/v1/outages/{draft.pk}/actions/cancel", {"note": "取消"})
    assert cancelled.json()["actions"] == []
    assert actions(world.resident, draft) == []

    under_way = fault(world)
    assert actions(world.manager, under_way) == [
        "estimate",
        "restore",
        "postpone",
        "change",
        "cancel",
    ]
    restored = post(client, f"/api/v1/outages/{under_way.pk}/actions/restore", {})
    assert restored.json()["state"] == "restored"
    assert restored.json()["actions"] == []
    assert actions(world.supervisor, under_way) == []


def test_the_openapi_schema_documents_the_actions(world: City) -> None:
    schema = api(world.manager).get("/api/v1/openapi.json").json()
    field = schema["components"]["schemas"]["OutageDetailOut"]["properties"]["actions"]
    assert field["type"] == "array"
    assert "acknowledge" in field["description"]


# The detail page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "which"),
    [
        ("manager", "draft"),
        ("manager", "ahead"),
        ("manager", "under_way"),
        ("manager", "cancelled"),
        ("manager", "shared"),
        ("supervisor", "shared"),
        ("supervisor", "under_way"),
        ("electrician", "ahead"),
        ("admin", "draft"),
    ],
)
def test_the_page_offers_exactly_what_the_policy_allows(
    login: Any, world: City, who: str, which: str
) -> None:
    outages = {
        "draft": lambda: create(world.manager, publish=False),
        "ahead": lambda: create(world.manager),
        "under_way": lambda: fault(world),
        "cancelled": lambda: services.outage_cancel(
            outage=create(world.manager), by=world.manager, note="取消"
        ),
        "shared": lambda: create(world.supervisor, station_areas=["TA1"]),
    }
    outage = outages[which]()
    user = getattr(world, who)

    page = offered(login(user), outage)

    allowed = OUTAGES.allowed(outage, parties_of(user, outage), among=STAFF_STEPS)
    assert page == allowed
    assert page == actions(user, outage)


def test_a_page_with_nothing_to_offer_says_why(login: Any, world: City) -> None:
    outage = create(world.manager)
    body = login(world.electrician).get(f"/desk/outages/{outage.pk}/").content.decode()
    assert "停电信息由这些小区的客户经理和主管发布和更新。" in body

    services.outage_cancel(outage=outage, by=world.manager, note="取消")

    for user in (world.manager, world.electrician):
        body = login(user).get(f"/desk/outages/{outage.pk}/").content.decode()
        assert "本次停电已结束，不能再做任何变更。" in body
        assert offered(login(user), outage) == []


# Refusals -----------------------------------------------------------------------------------


def test_a_wrong_state_action_is_409_with_the_same_words_on_api_and_page(
    login: Any, world: City
) -> None:
    outage = create(world.manager)
    services.outage_cancel(outage=outage, by=world.manager, note="取消")
    before = snapshot(outage)

    response = post(
        api(world.manager, "zh-hans"),
        f"/api/v1/outages/{outage.pk}/actions/cancel",
        {"note": "再次取消"},
    )
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "已取消" in detail
    assert snapshot(outage) == before

    page = login(world.manager).post(
        f"/desk/outages/{outage.pk}/cancel/", {"cancel-note": "再次取消"}
    )
    assert page.status_code == 409
    assert escape(detail) in page.content.decode()
    assert snapshot(outage) == before


def test_an_action_refused_to_the_actor_is_403_with_the_same_words_on_api_and_page(
    login: Any, world: City
) -> None:
    outage = create(world.supervisor, station_areas=["TA1"])
    before = snapshot(outage)

    response = post(
        api(world.manager, "zh-hans"),
        f"/api/v1/outages/{outage.pk}/actions/postpone",
        {
            "start": later(days=9).isoformat(),
            "end": later(days=9, hours=2).isoformat(),
            "note": "x",
        },
    )
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "南苑小区" in detail
    assert snapshot(outage) == before

    start = timezone.localtime(later(days=9)).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime(later(days=9, hours=2)).strftime("%Y-%m-%dT%H:%M")
    page = login(world.manager).post(
        f"/desk/outages/{outage.pk}/postpone/",
        {"postpone-start": start, "postpone-end": end, "postpone-note": "x"},
    )
    assert page.status_code == 403
    assert escape(detail) in page.content.decode()
    assert snapshot(outage) == before


def test_estimating_a_planned_outage_or_restoring_one_ahead_is_409_and_changes_nothing(
    world: City,
) -> None:
    outage = create(world.manager)
    before = snapshot(outage)
    client = api(world.manager, "en")

    estimate = post(
        client,
        f"/api/v1/outages/{outage.pk}/actions/estimate",
        {"estimated_restoration": (outage.end + datetime.timedelta(hours=1)).isoformat()},
    )
    restore = post(client, f"/api/v1/outages/{outage.pk}/actions/restore", {})

    assert estimate.status_code == 409
    assert "fault" in estimate.json()["detail"]
    assert restore.status_code == 409
    assert "before the outage starts" in restore.json()["detail"]
    assert snapshot(outage) == before


def test_acknowledging_a_cancelled_outage_is_refused(world: City) -> None:
    outage = create(world.manager)
    services.outage_cancel(outage=outage, by=world.manager, note="取消")
    before = snapshot(outage, *outage.affected.all())

    with pytest.raises(WrongState):
        services.outage_acknowledge(outage=outage, household=world.north_home, by=world.resident)

    assert snapshot(outage, *outage.affected.all()) == before
