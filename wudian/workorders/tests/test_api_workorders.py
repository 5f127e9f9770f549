"""The requests API: categories, filing with its refusals, photos, the scoped list and
detail, and every action with its refusals. A refusal answers in Chinese unless the client
asks for English, and changes neither the request nor its timeline."""

from __future__ import annotations

import datetime
import io
import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from wudian.accounts.models import Certificate, RoleCode, User
from wudian.conftest import City, api, image_bytes, make_user, post, snapshot, upload
from wudian.core.photos import MAX_PHOTO_BYTES
from wudian.grid.models import CompoundAssignment, HouseholdMembership
from wudian.notify.models import Message
from wudian.workorders import api as workorders_api
from wudian.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderPhoto
from wudian.workorders.services import MAX_PHOTOS, workorder_accept, workorder_resolve
from wudian.workorders.tests.conftest import FILED

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

URL = "/api/v1/workorders"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def body(city: City, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "fault_behind_meter",
        "description": "卫生间插座没有电，空开跳了合不上",
        "household_id": city.north_home.pk,
    }
    data.update(overrides)
    return data


def file(city: City, user: User | None = None, **overrides: Any) -> dict[str, Any]:
    response = post(api(user or city.resident), URL, body(city, **overrides))
    assert response.status_code == 201, response.content
    return response.json()


def state(pk: int) -> dict[str, Any]:
    """Everything a refused action on the request must leave as it was, its photos too."""
    return snapshot(WorkOrder.objects.get(pk=pk), WorkOrderPhoto)


def chinese(response: Any) -> str:
    detail = response.json()["detail"]
    assert CHINESE.search(detail), detail
    return detail


def refused(response: Any, status: int, before: Any, pk: int, *words: str) -> None:
    assert response.status_code == status, response.content
    detail = chinese(response)
    for word in words:
        assert word in detail, detail
    assert state(pk) == before


# Categories --------------------------------------------------------------------------------


def test_categories_with_their_clocks_and_documents(city: City) -> None:
    resident = {row["code"]: row for row in api(city.resident).get(f"{URL}/categories").json()}
    staff = {row["code"]: row for row in api(city.manager).get(f"{URL}/categories").json()}

    assert "meter_data_check" not in resident
    assert "meter_data_check" in staff
    fault = resident["fault_behind_meter"]
    assert fault["name"] == "表后故障报修"
    assert fault["kind"] == "fault"
    assert fault["routing"] == "electrician"
    assert fault["clocks"] == {
        "accept": {"target": 15, "unit": "minutes"},
        "arrive": {"target": 45, "unit": "minutes"},
        "resolve": {"target": 225, "unit": "minutes"},
    }
    new = resident["business_new"]
    assert new["clocks"]["arrive"] is None
    assert new["clocks"]["resolve"] == {"target": 5, "unit": "working_days"}
    assert "户主身份证件" in new["documents"]
    assert Client().get(f"{URL}/categories").status_code == 401


# Filing ------------------------------------------------------------------------------------


def test_resident_files_a_fault_and_it_goes_to_the_certified_electrician(city: City) -> None:
    data = file(city)

    assert data["status"] == "submitted"
    assert data["category"] == "fault_behind_meter"
    assert data["assignee"] == {"id": city.electrician.pk, "name": "张电工"}
    assert data["department"] is None
    assert data["priority"] is False
    due = {key: datetime.datetime.fromisoformat(value) for key, value in data["due"].items()}
    created = datetime.datetime.fromisoformat(data["created_at"])
    assert due["accept"] - created == datetime.timedelta(minutes=15)
    assert due["arrive"] - created == datetime.timedelta(minutes=45)
    assert due["next"] == due["accept"]
    wo = WorkOrder.objects.get(pk=data["id"])
    assert wo.channel == "api"
    assert wo.created_by == city.resident
    assert list(wo.events.values_list("kind", flat=True)) == ["submitted"]


def test_a_fault_never_goes_to_an_electrician_with_an_expired_certificate(city: City) -> None:
    for _n in range(3):
        assert file(city)["assignee"]["id"] == city.electrician.pk
    Certificate.objects.filter(holder=city.electrician).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )

    data = file(city)

    # The only other electrician's certificate has expired too: the customer manager takes it.
    assert data["assignee"]["id"] == city.manager.pk
    assert not WorkOrder.objects.filter(assignee=city.electrician_expired).exists()


def test_complaint_goes_to_the_manager_and_is_an_opinion_risk(city: City) -> None:
    data = file(city, category="complaint", description="停电了也没人通知，我要找媒体曝光")

    assert data["assignee"]["id"] == city.manager.pk
    assert data["opinion_risk"] is True
    assert data["due"]["arrive"] is None


def test_staff_file_for_a_household_they_serve_with_the_channel_used(city: City) -> None:
    data = file(
        city,
        city.manager,
        channel="phone",
        contact_name="王建国",
        contact_phone="13800000001",
        category="fault_before_meter",
    )

    wo = WorkOrder.objects.get(pk=data["id"])
    assert (wo.channel, wo.contact_name, wo.contact_phone) == ("phone", "王建国", "13800000001")
    assert wo.created_by == city.manager


# A resident's filing through the API (benchmarked at 150 a second): the token with the
# caller's roles, the household if it is theirs, routing, the request, its event, the staff to
# tell (and which of them serve the household) and their outbox rows, and the savepoint's two
# (the categories and the service rules are kept by the process, the token's last use is
# written at most once a minute). A complaint's supervisors are three more: finding them, and
# their own, masked, outbox rows.
API_FAULT_QUERIES = 10
API_COMPLAINT_QUERIES = 13


def test_a_residents_filing_takes_a_fixed_small_number_of_queries(
    city: City, django_assert_num_queries: Any
) -> None:
    file(city)

    with django_assert_num_queries(API_FAULT_QUERIES):
        file(city, description="卫生间插座没电")
    with django_assert_num_queries(API_COMPLAINT_QUERIES):
        data = file(city, category="complaint", description="抄表员态度不好")

    assert data["opinion_risk"] is True
    assert Message.objects.filter(user=city.supervisor, source=f"workorder:{data['id']}").exists()


def test_a_resident_always_files_through_the_api_channel(city: City) -> None:
    data = file(city, channel="visit", contact_phone="13999999999")

    wo = WorkOrder.objects.get(pk=data["id"])
    assert (wo.channel, wo.contact_phone) == ("api", "")


@pytest.mark.parametrize(
    ("who", "overrides", "status", "words"),
    [
        ("resident", {"category": "no_such_thing"}, 422, "no_such_thing"),
        ("resident", {"category": "meter_data_check"}, 422, ""),
        ("resident", {"household_id": "south_home"}, 403, ""),
        ("resident", {"household_id": 999_999}, 404, ""),
        ("resident", {"description": "电" * 4001}, 422, "4000"),
        ("resident", {"description": "   "}, 422, ""),
        ("outsider", {}, 403, ""),
        ("electrician", {"household_id": "south_home"}, 403, ""),
        ("supervisor", {}, 403, ""),
        ("manager_b", {}, 403, ""),
    ],
)
def test_bad_filings_are_refused_in_chinese_and_save_nothing(
    city: City, who: str, overrides: dict[str, Any], status: int, words: str
) -> None:
    if overrides.get("household_id") == "south_home":
        overrides = {**overrides, "household_id": city.south_home.pk}
    before = snapshot(*FILED)

    response = post(api(getattr(city, who)), URL, body(city, **overrides))

    assert response.status_code == status, response.content
    assert words in chinese(response)
    assert snapshot(*FILED) == before


@pytest.mark.parametrize(
    "data",
    [
        {"unexpected": 1},
        {"household_id": "north"},
        {"channel": "carrier_pigeon"},
        {"category": None},
    ],
)
def test_malformed_filings_are_422(city: City, data: dict[str, Any]) -> None:
    before = snapshot(*FILED)

    response = post(api(city.manager), URL, body(city, **data))

    assert response.status_code == 422
    chinese(response)
    assert snapshot(*FILED) == before


def test_refusals_speak_english_when_asked(city: City) -> None:
    response = post(api(city.resident, "en"), URL, body(city, category="nope"))

    assert response.status_code == 422
    assert response.json()["detail"] == "Unknown request category “nope”."
    assert response.json()["errors"][0]["loc"] == ["body", "category"]


def test_session_callers_need_the_csrf_token(city: City) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.resident)
    before = snapshot(*FILED)

    refused_call = post(client, URL, body(city))
    assert refused_call.status_code == 403
    assert snapshot(*FILED) == before

    client.cookies["csrftoken"] = "a" * 32
    response = client.post(
        URL, json.dumps(body(city)), content_type="application/json", HTTP_X_CSRFTOKEN="a" * 32
    )
    assert response.status_code == 201, response.content


# List and detail ----------------------------------------------------------------------------


def test_each_caller_lists_only_what_they_may_see(city: City) -> None:
    north = file(city)["id"]
    south = file(city, city.resident_b, household_id=city.south_home.pk)["id"]

    def ids(user: User, query: str = "") -> list[int]:
        page = api(user).get(f"{URL}{query}").json()
        return [row["id"] for row in page["items"]]

    assert ids(city.resident) == [north]
    assert ids(city.resident_b) == [south]
    assert ids(city.manager) == [north]
    assert ids(city.electrician) == [north]
    assert ids(city.manager_b) == [south]
    assert ids(city.electrician_b) == [south]
    assert ids(city.outsider) == []
    assert ids(city.supervisor) == [south, north]
    assert ids(city.admin) == [south, north]
    assert ids(city.dept) == []


def test_list_filters(city: City) -> None:
    fault = file(city)["id"]
    complaint = file(city, category="complaint", description="抄表员态度不好")["id"]
    client = api(city.manager)

    def ids(query: str) -> list[int]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]]

    assert ids("") == [complaint, fault]
    assert ids("category=fault_behind_meter") == [fault]
    assert ids("compound=NORTH") == [complaint, fault]
    assert ids("compound=SOUTH") == []
    assert ids("mine=true") == [complaint]
    assert ids("status=submitted") == [complaint, fault]
    assert ids("status=accepted") == []
    assert ids("overdue=true") == []
    # The fault's acceptance clock (15 minutes) runs out within the next 4 hours.
    assert ids("due_soon=true") == [fault]
    WorkOrder.objects.filter(pk=fault).update(next_due=timezone.now() - datetime.timedelta(1))
    assert ids("overdue=true") == [fault]
    assert client.get(f"{URL}?status=lost").status_code == 422

    row = client.get(f"{URL}?category=fault_behind_meter").json()["items"][0]
    assert row["category"]["name"] == "表后故障报修"
    assert row["compound"] == {"code": "NORTH", "name": "北苑小区"}
    assert row["assignee"]["name"] == "张电工"
    assert row["late"] == {"accept": None, "arrive": None, "resolve": None}


def test_list_is_paginated_newest_first_in_constant_queries(city: City) -> None:
    HouseholdMembership.objects.create(user=city.resident, household=city.north_home_2)
    client = api(city.manager)
    file(city)
    file(city, household_id=city.north_home_2.pk)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).json()["count"] == 2
    for n in range(8):
        file(city, description=f"第{n}次报修", category="hazard")
    with CaptureQueriesContext(connection) as many:
        page = client.get(URL).json()
    assert page["count"] == 10
    assert len(many) == len(few)
    created = [row["created_at"] for row in page["items"]]
    assert created == sorted(created, reverse=True)
    first = client.get(f"{URL}?page_size=4").json()
    third = client.get(f"{URL}?page_size=4&page=3").json()
    assert [row["id"] for row in first["items"]] == [row["id"] for row in page["items"][:4]]
    assert [row["id"] for row in third["items"]] == [row["id"] for row in page["items"][8:]]


def test_the_count_stops_past_the_cap_and_the_pages_go_on(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workorders_api, "API_COUNT_CAP", 3)
    for n in range(5):
        file(city, description=f"第{n}次报修")
    client = api(city.manager)

    assert client.get(URL).json()["count"] == 4  # cap + 1: more than 3
    assert client.get(f"{URL}?category=complaint").json()["count"] == 0
    last = client.get(f"{URL}?page_size=2&page=3").json()
    assert len(last["items"]) == 1


def test_detail_is_404_outside_scope(city: City) -> None:
    pk = file(city)["id"]

    for user in (city.outsider, city.resident_b, city.manager_b, city.electrician_b, city.dept):
        response = api(user).get(f"{URL}/{pk}")
        assert response.status_code == 404, user
        chinese(response)
    for user in (city.resident, city.manager, city.electrician, city.gridadmin, city.supervisor):
        assert api(user).get(f"{URL}/{pk}").status_code == 200, user


def test_detail_shows_the_timeline_clocks_and_masks_for_non_serving_staff(city: City) -> None:
    pk = file(city, category="complaint", description="电费多扣了，我要找记者")["id"]
    wo = WorkOrder.objects.get(pk=pk)
    workorder_accept(workorder=wo, by=city.manager)
    workorder_resolve(workorder=wo, by=city.manager, note="已退还多扣电费")

    resident = api(city.resident).get(f"{URL}/{pk}").json()
    assert [event["kind"] for event in resident["timeline"]] == [
        "submitted",
        "accepted",
        "resolved",
    ]
    accepted = resident["timeline"][1]
    assert accepted["by"] == "李经理"
    assert accepted["kind_label"] == "已受理"
    assert resident["timeline"][0]["to"] == "李经理"
    assert resident["timeline"][2]["note"] == "已退还多扣电费"
    assert resident["owner"] == {"id": city.manager.pk, "name": "李经理"}
    assert resident["risk_topics"] is None
    assert resident["household"]["address"] == city.north_home.address
    assert resident["clocks"]["accept"]["met"] is True
    assert resident["clocks"]["accept"]["late"] is False
    assert resident["clocks"]["resolve"]["done_at"] is not None
    assert resident["clocks"]["arrive"] is None
    assert resident["status"] == "resolved"
    assert resident["rating"] is None

    supervisor = api(city.supervisor).get(f"{URL}/{pk}").json()
    assert supervisor["risk_topics"] == ["complaint", "payment", "media"]
    assert "101" not in supervisor["household"]["address"]
    assert supervisor["household"]["address"] != city.north_home.address


def test_residents_do_not_see_the_deadline_alarms(city: City) -> None:
    pk = file(city)["id"]
    WorkOrderEvent.objects.create(
        workorder_id=pk, kind="overdue", at=timezone.now(), data={"clocks": ["accept"]}
    )

    assert [e["kind"] for e in api(city.resident).get(f"{URL}/{pk}").json()["timeline"]] == [
        "submitted"
    ]
    staff = api(city.manager).get(f"{URL}/{pk}").json()["timeline"]
    assert [e["kind"] for e in staff] == ["submitted", "overdue"]
    assert staff[1]["by"] is None


# Actions: happy paths -----------------------------------------------------------------------


def act(user: User, pk: int, action: str, data: dict[str, Any] | None = None) -> Any:
    return post(api(user), f"{URL}/{pk}/actions/{action}", data)


def ok(user: User, pk: int, action: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    response = act(user, pk, action, data)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_fault_from_acceptance_to_rating(city: City) -> None:
    pk = file(city)["id"]

    assert ok(city.electrician, pk, "accept")["status"] == "accepted"
    arrived = ok(city.electrician, pk, "arrive", {"note": "已到现场"})
    assert arrived["status"] == "arrived"
    assert arrived["clocks"]["arrive"]["met"] is True
    resolved = ok(city.electrician, pk, "resolve", {"note": "更换了漏电保护器"})
    assert resolved["status"] == "resolved"
    assert resolved["resolution"] == "更换了漏电保护器"
    rated = ok(city.resident, pk, "rate", {"rating": 5, "comment": "很快", "visited_hall": False})

    assert rated["status"] == "closed"
    assert rated["rating"]["rating"] == 5
    assert rated["rating"]["visited_hall"] is False
    assert [event["kind"] for event in rated["timeline"]] == [
        "submitted",
        "accepted",
        "arrived",
        "resolved",
        "rated",
        "confirmed",
    ]
    assert rated["owner"]["id"] == city.electrician.pk


def test_waiting_resuming_comments_escalations_and_transfers(city: City) -> None:
    pk = file(city)["id"]
    ok(city.electrician, pk, "accept")

    waiting = ok(city.electrician, pk, "wait", {"note": "请告知方便上门的时间"})
    assert waiting["status"] == "waiting"
    assert waiting["clocks"]["paused_at"] is not None
    commented = ok(city.resident, pk, "comment", {"note": "明天上午在家"})
    assert commented["timeline"][-1]["kind"] == "commented"
    resumed = ok(city.resident, pk, "resume", {})
    assert resumed["status"] == "accepted"
    assert resumed["clocks"]["paused_at"] is None

    up = ok(city.electrician, pk, "escalate", {"reason": "进户线老化，需要供电公司处理"})
    assert up["assignee"]["id"] == city.manager.pk
    assert up["status"] == "submitted"
    to_dept = ok(city.manager, pk, "escalate", {"reason": "需抢修班", "department": "REPAIR"})
    assert to_dept["assignee"] is None
    assert to_dept["department"] == {"code": "REPAIR", "name": "抢修班"}
    assert to_dept["timeline"][-1]["to"] == "抢修班"
    assert ok(city.dept, pk, "accept")["assignee"]["id"] == city.dept.pk
    back = ok(city.dept, pk, "transfer", {"reason": "表后问题，交回经理", "to": "manager"})
    assert back["assignee"]["id"] == city.manager.pk
    assert back["owner"]["id"] == city.electrician.pk
    to_crew = ok(city.manager, pk, "transfer", {"reason": "再交抢修班", "to": "REPAIR"})
    assert to_crew["department"]["code"] == "REPAIR"

    kinds = [event["kind"] for event in to_crew["timeline"]]
    assert kinds == [
        "submitted",
        "accepted",
        "waiting",
        "commented",
        "resumed",
        "escalated",
        "escalated",
        "accepted",
        "transferred",
        "transferred",
    ]


def test_reopen_then_confirm(city: City) -> None:
    pk = file(city, category="outage_enquiry", description="为什么昨晚停电？")["id"]
    ok(city.manager, pk, "accept")
    ok(city.manager, pk, "resolve", {"note": "线路检修，已恢复"})

    reopened = ok(city.resident, pk, "reopen", {"reason": "今天又停了"})
    assert reopened["status"] == "accepted"
    assert reopened["reopen_count"] == 1
    ok(city.manager, pk, "resolve", {"note": "更换了熔断器"})
    confirmed = ok(city.resident, pk, "confirm")
    assert confirmed["status"] == "closed"
    assert confirmed["confirmed_at"] is not None


def test_the_resident_or_the_manager_cancels(city: City) -> None:
    mine = file(city)["id"]
    assert ok(city.resident, mine, "cancel")["status"] == "cancelled"
    other = file(city)["id"]
    cancelled = ok(city.manager, other, "cancel", {"reason": "重复报修"})
    assert cancelled["status"] == "cancelled"
    assert cancelled["timeline"][-1]["note"] == "重复报修"


# Actions: refusals --------------------------------------------------------------------------


def test_actions_on_an_unseen_request_are_404_and_change_nothing(city: City) -> None:
    pk = file(city)["id"]
    before = state(pk)

    for user in (city.outsider, city.resident_b, city.manager_b, city.electrician_b):
        for action, data in [
            ("accept", {}),
            ("cancel", {"reason": "x"}),
            ("transfer", {"reason": "x", "to": "manager_b"}),
            ("comment", {"note": "x"}),
            ("fly", {}),
        ]:
            refused(act(user, pk, action, data), 404, before, pk)
    refused(act(city.manager, 999_999, "accept"), 404, before, pk)


@pytest.mark.parametrize(
    ("who", "action", "data", "status", "words"),
    [
        ("resident", "accept", {}, 403, ""),
        ("gridadmin", "accept", {}, 403, ""),
        ("electrician_expired", "accept", {}, 403, ""),
        ("electrician", "arrive", {}, 409, ""),
        ("electrician", "resolve", {"note": "x"}, 409, ""),
        ("resident", "rate", {"rating": 5}, 409, ""),
        ("resident", "reopen", {"reason": "还是不行"}, 409, ""),
        ("resident", "confirm", {}, 409, ""),
        ("electrician", "resume", {}, 409, ""),
        ("electrician", "cancel", {"reason": "不想修"}, 403, ""),
        ("manager", "cancel", {}, 422, ""),
        ("resident", "transfer", {"reason": "x", "to": "manager"}, 403, ""),
        ("resident", "transfer", {"reason": "x", "to": "nobody_at_all"}, 403, ""),
        ("manager", "transfer", {"reason": "x", "to": "nobody_at_all"}, 422, "nobody_at_all"),
        ("manager", "transfer", {"reason": "x", "to": "electrician_expired"}, 422, ""),
        ("manager", "transfer", {"reason": "x", "to": "electrician_b"}, 422, ""),
        ("manager", "transfer", {"reason": "", "to": "REPAIR"}, 422, ""),
        ("manager", "escalate", {"reason": "x", "department": "NOPE"}, 422, "NOPE"),
        ("electrician", "comment", {"note": ""}, 422, ""),
        ("electrician", "comment", {"note": "长" * 2001}, 422, "2000"),
        ("manager", "fly", {}, 404, "fly"),
        ("manager", "accept", {"unexpected": 1}, 200, ""),
    ],
)
def test_refused_actions_on_a_new_fault(
    city: City, who: str, action: str, data: dict[str, Any], status: int, words: str
) -> None:
    pk = file(city)["id"]
    before = state(pk)

    response = act(getattr(city, who), pk, action, data)

    if status == 200:
        # An action without input ignores what it is sent.
        assert response.status_code == 200
        return
    refused(response, status, before, pk, words)


@pytest.mark.parametrize(
    ("who", "action", "data", "status"),
    [
        ("manager", "confirm", {}, 403),
        ("electrician", "rate", {"rating": 5}, 403),
        ("resident", "rate", {"rating": 6}, 422),
        ("resident", "rate", {"rating": 0}, 422),
        ("resident", "rate", {"rating": "five"}, 422),
        ("resident", "reopen", {"reason": ""}, 422),
        ("electrician", "accept", {}, 409),
        ("electrician", "wait", {"note": "x"}, 409),
        ("electrician", "transfer", {"reason": "x", "to": "manager"}, 409),
        ("resident", "cancel", {}, 409),
    ],
)
def test_refused_actions_on_a_resolved_request(
    city: City, who: str, action: str, data: dict[str, Any], status: int
) -> None:
    pk = file(city)["id"]
    ok(city.electrician, pk, "accept")
    ok(city.electrician, pk, "resolve", {"note": "已修好"})
    before = state(pk)

    refused(act(getattr(city, who), pk, action, data), status, before, pk)


def test_a_request_is_rated_once_and_a_closed_one_takes_no_comment(city: City) -> None:
    pk = file(city)["id"]
    ok(city.electrician, pk, "accept")
    ok(city.electrician, pk, "resolve", {"note": "已修好"})
    ok(city.resident, pk, "rate", {"rating": 4})
    before = state(pk)

    refused(act(city.resident, pk, "rate", {"rating": 1}), 409, before, pk)
    refused(act(city.resident, pk, "comment", {"note": "谢谢"}), 409, before, pk)
    refused(act(city.resident, pk, "reopen", {"reason": "又坏了"}), 409, before, pk)


def test_the_manager_escalates_only_to_a_department(city: City) -> None:
    pk = file(city, category="complaint", description="抄表员态度不好")["id"]
    before = state(pk)

    response = act(city.manager, pk, "escalate", {"reason": "需要营业厅处理"})

    refused(response, 422, before, pk)
    assert response.json()["errors"][0]["loc"] == ["body", "department"]


def test_an_expired_certificate_cannot_take_a_fault_by_transfer(city: City) -> None:
    pk = file(city)["id"]
    before = state(pk)

    response = act(city.manager, pk, "transfer", {"reason": "换人", "to": "electrician_expired"})

    refused(response, 422, before, pk)
    assert response.json()["errors"][0]["loc"] == ["body", "to"]
    assert WorkOrder.objects.get(pk=pk).assignee == city.electrician


def test_a_refused_transfer_does_not_tell_who_is_behind_a_username(city: City) -> None:
    pk = file(city)["id"]
    before = state(pk)

    real = act(city.manager, pk, "transfer", {"reason": "换人", "to": "resident_b"})
    unknown = act(city.manager, pk, "transfer", {"reason": "换人", "to": "nobody"})

    refused(real, 422, before, pk)
    refused(unknown, 422, before, pk)
    assert real.json()["detail"].replace("resident_b", "nobody") == unknown.json()["detail"]
    assert city.resident_b.username in real.json()["detail"]


def test_state_refusals_answer_in_english_when_asked(city: City) -> None:
    pk = file(city)["id"]
    ok(city.electrician, pk, "accept")

    response = post(api(city.electrician, "en"), f"{URL}/{pk}/actions/accept")

    assert response.status_code == 409
    assert response.json()["detail"] == ("This request is “Accepted”: it cannot be accepted now.")


def test_a_second_certified_electrician_takes_a_transferred_fault(city: City) -> None:
    second = make_user("electrician_c", RoleCode.ELECTRICIAN, display_name="钱电工")
    CompoundAssignment.objects.create(user=second, compound=city.north, role=RoleCode.ELECTRICIAN)
    Certificate.objects.create(
        holder=second,
        number="T9",
        issuer="蚌埠市应急管理局",
        issued_on=timezone.localdate() - datetime.timedelta(days=30),
        expires_on=timezone.localdate() + datetime.timedelta(days=300),
    )
    pk = file(city)["id"]
    holder = WorkOrder.objects.get(pk=pk).assignee
    assert holder is not None
    other = second if holder == city.electrician else city.electrician

    moved = ok(holder, pk, "transfer", {"reason": "我今天休息", "to": other.username})

    assert moved["assignee"]["id"] == other.pk
    assert ok(other, pk, "accept")["owner"]["id"] == other.pk


# Photos -------------------------------------------------------------------------------------


def send_photos(user: User, pk: int, *files: Any) -> Any:
    return api(user).post(f"{URL}/{pk}/photos", {"photo": list(files)})


def test_the_resident_adds_photos_and_those_who_see_the_request_fetch_them(city: City) -> None:
    pk = file(city)["id"]

    response = send_photos(
        city.resident,
        pk,
        upload("a.png", image_bytes(color="red")),
        upload("b.png", image_bytes(color="blue")),
    )

    assert response.status_code == 201, response.content
    photos = response.json()
    assert [photo["content_type"] for photo in photos] == ["image/png", "image/png"]
    url = photos[0]["url"]
    assert url == f"{URL}/{pk}/photos/{photos[0]['id']}"
    image = api(city.electrician).get(url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(image.getvalue())).size == (40, 30)
    detail = api(city.resident).get(f"{URL}/{pk}").json()
    assert [photo["id"] for photo in detail["photos"]] == [photo["id"] for photo in photos]
    for user in (city.resident_b, city.manager_b, city.electrician_b, city.outsider):
        refused_fetch = api(user).get(url)
        assert refused_fetch.status_code == 404
        chinese(refused_fetch)
    assert api(city.resident).get(f"{URL}/{pk}/photos/999999").status_code == 404


def test_the_holder_adds_photos_but_others_on_staff_may_not(city: City) -> None:
    pk = file(city)["id"]
    assert send_photos(city.electrician, pk, upload("done.png", image_bytes())).status_code == 201
    before = state(pk)

    refused_call = send_photos(city.gridadmin, pk, upload("x.png", image_bytes()))
    assert refused_call.status_code == 403
    chinese(refused_call)
    hidden = send_photos(city.resident_b, pk, upload("x.png", image_bytes()))
    assert hidden.status_code == 404
    assert state(pk) == before


@pytest.mark.parametrize(
    ("files", "words"),
    [
        (lambda: [upload("big.png", b"\x89PNG" + b"0" * MAX_PHOTO_BYTES)], "big.png"),
        (lambda: [upload("notes.txt", b"just text", "text/plain")], "notes.txt"),
        (
            lambda: [upload("ok.png", image_bytes()), upload("fake.jpg", b"\xff\xd8\xff garbage")],
            "fake",
        ),
        (
            lambda: [upload(f"{n}.png", image_bytes()) for n in range(MAX_PHOTOS + 1)],
            str(MAX_PHOTOS),
        ),
        (list, ""),
    ],
)
def test_bad_photos_are_refused_and_none_is_saved(city: City, files: Any, words: str) -> None:
    pk = file(city)["id"]
    before = state(pk)

    response = send_photos(city.resident, pk, *files())

    assert response.status_code in (413, 422), response.content
    assert words in chinese(response)
    assert state(pk) == before


def test_a_request_keeps_at_most_six_photos_in_all(city: City) -> None:
    pk = file(city)["id"]
    first = [upload(f"{n}.png", image_bytes()) for n in range(MAX_PHOTOS - 1)]
    assert send_photos(city.resident, pk, *first).status_code == 201
    before = state(pk)

    response = send_photos(
        city.resident, pk, upload("a.png", image_bytes()), upload("b.png", image_bytes())
    )

    assert response.status_code == 422
    assert str(MAX_PHOTOS) in chinese(response)
    assert state(pk) == before
    assert send_photos(city.resident, pk, upload("last.png", image_bytes())).status_code == 201


def test_no_photos_on_a_closed_request(city: City) -> None:
    pk = file(city)["id"]
    ok(city.resident, pk, "cancel")
    before = state(pk)

    response = send_photos(city.resident, pk, upload("late.png", image_bytes()))

    assert response.status_code == 409
    chinese(response)
    assert state(pk) == before


def test_the_openapi_schema_describes_the_requests_api(client: Client, city: City) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert set(paths[URL]) == {"get", "post"}
    assert f"{URL}/categories" in paths
    assert f"{URL}/{{workorder_id}}" in paths
    assert (
        "multipart/form-data"
        in paths[f"{URL}/{{workorder_id}}/photos"]["post"]["requestBody"]["content"]
    )
    for action in ("accept", "arrive", "resolve", "escalate", "transfer", "reopen", "cancel"):
        assert f"{URL}/{{workorder_id}}/actions/{action}" in paths
    for action in ("rate", "confirm", "wait", "resume", "comment"):
        assert f"{URL}/{{workorder_id}}/actions/{action}" in paths
    assert f"{URL}/{{workorder_id}}/actions/{{action}}" not in paths
