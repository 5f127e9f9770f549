"""Door-to-door visits and their appeals: recording one, the refusals that save nothing,
an electricity appeal becoming a request (and the request showing the visit), answering and
closing the others; the pages and who reaches them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from wudian.civic import services
from wudian.civic.models import Appeal, Visit
from wudian.civic.selectors import civic_counts, visits_visible_to
from wudian.civic.tests.conftest import DAY, NOW, TODAY
from wudian.conftest import City, snapshot, zh
from wudian.core.errors import BadInput, NotAllowed, OutsideScope, WrongState
from wudian.workorders.models import Category, Channel, WorkOrder

pytestmark = pytest.mark.django_db

RECORDED = (Visit, Appeal, WorkOrder)


def record(city: City, **changes: Any) -> Visit:
    fields: dict[str, Any] = {
        "by": city.gridadmin,
        "compound": city.north,
        "visited_on": TODAY,
        "people_met": 3,
        "summary": "走访北苑小区",
        "appeals": [services.AppealIn(text="充电桩不够", kind="civic")],
        "now": NOW,
    }
    fields.update(changes)
    return services.visit_record(**fields)


def test_a_grid_admin_records_a_visit_with_its_appeals(city: City, visit: Visit) -> None:
    assert visit.building == city.north_building
    assert list(visit.visitors.all()) == [city.gridadmin]
    assert [(a.kind, a.status) for a in visit.appeals.order_by("pk")] == [
        ("electricity", "open"),
        ("civic", "open"),
    ]


def test_a_customer_manager_comes_along(city: City) -> None:
    visit = record(city, companions=[city.manager])
    assert set(visit.visitors.all()) == {city.gridadmin, city.manager}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"visited_on": TODAY + DAY}, "visited_on"),
        ({"visited_on": TODAY - 400 * DAY}, "visited_on"),
        ({"people_met": 0}, "people_met"),
        ({"summary": "  "}, "summary"),
        ({"summary": "x" * 2001}, "summary"),
        ({"appeals": [services.AppealIn(text="", kind="civic")]}, "appeals.0.text"),
        ({"appeals": [services.AppealIn(text="灯坏了", kind="weather")]}, "appeals.0.kind"),
        ({"appeals": [services.AppealIn(text="x", kind="civic")] * 21}, "appeals"),
        ({"companions": ["electrician"]}, "companions"),
        ({"household": "south_home"}, "building"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(
    city: City, changes: dict[str, Any], field: str
) -> None:
    for key, value in list(changes.items()):
        if key == "companions":
            changes[key] = [getattr(city, name) for name in value]
        if key == "household":
            changes[key] = getattr(city, value)
    before = snapshot(*RECORDED)
    with pytest.raises(BadInput) as refused:
        record(city, **changes)
    assert field in refused.value.message_dict
    assert snapshot(*RECORDED) == before


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("resident", NotAllowed),
        ("electrician", NotAllowed),
        ("supervisor", NotAllowed),
        ("manager_b", OutsideScope),
        ("outsider", NotAllowed),
    ],
)
def test_only_civic_workers_of_the_compound_record_visits(
    city: City, who: str, refusal: type[Exception]
) -> None:
    before = snapshot(*RECORDED)
    with pytest.raises(refusal):
        record(city, by=getattr(city, who))
    assert snapshot(*RECORDED) == before


def test_the_compounds_customer_manager_records_there_too(city: City) -> None:
    assert record(city, by=city.manager).recorded_by == city.manager


def test_an_electricity_appeal_becomes_a_request_linked_both_ways(city: City, visit: Visit) -> None:
    appeal = visit.appeals.get(kind="electricity")
    services.appeal_to_request(
        appeal=appeal, by=city.gridadmin, category=Category.objects.get(code="hazard"), now=NOW
    )
    appeal.refresh_from_db()
    workorder = appeal.work_order
    assert appeal.status == Appeal.Status.REQUESTED
    assert workorder is not None
    assert workorder.channel == Channel.VISIT
    assert workorder.household == city.north_home
    assert workorder.created_by == city.gridadmin
    assert appeal.text in workorder.description
    assert WorkOrder.objects.get(pk=workorder.pk).visit_appeal == appeal


def test_a_request_from_a_visit_without_household_is_filed_for_its_place(city: City) -> None:
    visit = record(
        city,
        building=city.north_building,
        appeals=[services.AppealIn(text="1号楼楼道灯不亮", kind="electricity")],
    )
    appeal = visit.appeals.get()
    services.appeal_to_request(
        appeal=appeal,
        by=city.manager,
        category=Category.objects.get(code="hazard"),
        description="1号楼楼道灯线路老化",
        now=NOW,
    )
    workorder = WorkOrder.objects.get(visit_appeal=appeal)
    assert workorder.household is None
    assert workorder.compound == city.north
    assert workorder.address_text == "北苑小区 1号楼"
    assert workorder.description == "1号楼楼道灯线路老化"


def test_only_an_open_electricity_appeal_becomes_a_request(city: City, visit: Visit) -> None:
    hazard = Category.objects.get(code="hazard")
    civic = visit.appeals.get(kind="civic")
    before = snapshot(civic, *RECORDED)
    with pytest.raises(WrongState):
        services.appeal_to_request(appeal=civic, by=city.gridadmin, category=hazard, now=NOW)
    assert snapshot(civic, *RECORDED) == before
    electricity = visit.appeals.get(kind="electricity")
    services.appeal_to_request(appeal=electricity, by=city.gridadmin, category=hazard, now=NOW)
    before = snapshot(electricity, *RECORDED)
    with pytest.raises(WrongState, match=zh("This appeal is already a request.")):
        services.appeal_to_request(appeal=electricity, by=city.gridadmin, category=hazard, now=NOW)
    assert snapshot(electricity, *RECORDED) == before


@pytest.mark.parametrize("who", ["manager_b", "electrician", "resident", "supervisor"])
def test_others_cannot_turn_an_appeal_into_a_request(city: City, visit: Visit, who: str) -> None:
    appeal = visit.appeals.get(kind="electricity")
    before = snapshot(appeal, *RECORDED)
    with pytest.raises(NotAllowed):
        services.appeal_to_request(
            appeal=appeal, by=getattr(city, who), category=Category.objects.get(code="hazard")
        )
    assert snapshot(appeal, *RECORDED) == before


def test_other_appeals_are_answered_then_closed(city: City, visit: Visit) -> None:
    appeal = visit.appeals.get(kind="civic")
    services.appeal_answer(appeal=appeal, by=city.gridadmin, answer="已向物业反映，下月安装。")
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.ANSWERED
    services.appeal_answer(appeal=appeal, by=city.gridadmin, answer="", close=True)
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.CLOSED
    assert appeal.answer == "已向物业反映，下月安装。"
    assert appeal.closed_at is not None


def test_closing_an_unanswered_appeal_needs_the_answer(city: City, visit: Visit) -> None:
    appeal = visit.appeals.get(kind="civic")
    before = snapshot(appeal)
    with pytest.raises(BadInput):
        services.appeal_answer(appeal=appeal, by=city.gridadmin, answer=" ", close=True)
    assert snapshot(appeal) == before


def test_who_reads_visits(city: City, visit: Visit) -> None:
    readers = {
        name
        for name in ("gridadmin", "manager", "manager_b", "supervisor", "electrician", "resident")
        if visits_visible_to(getattr(city, name)).filter(pk=visit.pk).exists()
    }
    assert readers == {"gridadmin", "manager", "supervisor"}


def test_the_desk_counts(city: City, visit: Visit) -> None:
    appeal = visit.appeals.get(kind="electricity")
    services.appeal_to_request(
        appeal=appeal, by=city.gridadmin, category=Category.objects.get(code="hazard")
    )
    counts = civic_counts(city.gridadmin, now=NOW)
    assert (counts.visits_this_month, counts.appeals_open, counts.requested_this_month) == (
        1 if visit.visited_on.month == NOW.month else 0,
        1,
        1,
    )
    assert civic_counts(city.manager_b, now=NOW).appeals_open == 0


# Pages ------------------------------------------------------------------------------------


def test_the_new_visit_page_saves_a_visit_with_its_appeals(city: City, login: Any) -> None:
    client: Client = login(city.gridadmin)
    assert client.get("/desk/visits/new/").status_code == 200
    response = client.post(
        "/desk/visits/new/",
        {
            "compound": city.north.pk,
            "building": "1",
            "room": "1-101",
            "visited_on": TODAY.isoformat(),
            "people_met": "2",
            "summary": "入户走访",
            "appeals-TOTAL_FORMS": "3",
            "appeals-INITIAL_FORMS": "0",
            "appeals-MIN_NUM_FORMS": "0",
            "appeals-MAX_NUM_FORMS": "20",
            "appeals-0-text": "家里电压不稳",
            "appeals-0-kind": "electricity",
            "appeals-1-text": "",
            "appeals-1-kind": "electricity",
            "appeals-2-text": "楼下噪音扰民",
            "appeals-2-kind": "civic",
        },
    )
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/visits/{visit.pk}/"
    assert visit.household == city.north_home
    assert visit.appeals.count() == 2
    page = client.get(f"/desk/visits/{visit.pk}/").content.decode()
    assert "家里电压不稳" in page
    assert "13800000001" in page  # the grid admin serves the household


def test_a_future_visit_is_refused_on_the_page_and_nothing_is_saved(city: City, login: Any) -> None:
    client = login(city.gridadmin)
    before = snapshot(*RECORDED)
    response = client.post(
        "/desk/visits/new/",
        {
            "compound": city.north.pk,
            "visited_on": (TODAY + 2 * DAY).isoformat(),
            "people_met": "2",
            "summary": "入户走访",
            "appeals-TOTAL_FORMS": "0",
            "appeals-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 422
    assert zh("A visit cannot be recorded for a future day.") in response.content.decode()
    assert snapshot(*RECORDED) == before


def test_the_appeal_becomes_a_request_from_the_visit_page_and_the_request_shows_the_visit(
    city: City, visit: Visit, login: Any
) -> None:
    client = login(city.gridadmin)
    appeal = visit.appeals.get(kind="electricity")
    hazard = Category.objects.get(code="hazard")
    response = client.post(
        f"/desk/appeals/{appeal.pk}/request/", {f"request-{appeal.pk}-category": hazard.pk}
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    page = client.get(f"/desk/visits/{visit.pk}/").content.decode()
    assert f"/desk/requests/{appeal.work_order_id}/" in page
    request_page = client.get(f"/desk/requests/{appeal.work_order_id}/").content.decode()
    assert f"/desk/visits/{visit.pk}/" in request_page
    assert zh("From a door-to-door visit") in request_page


def test_a_civic_appeal_offers_no_request_and_a_forced_one_is_refused(
    city: City, visit: Visit, login: Any
) -> None:
    client = login(city.gridadmin)
    appeal = visit.appeals.get(kind="civic")
    assert (
        f"/desk/appeals/{appeal.pk}/request/"
        not in client.get(f"/desk/visits/{visit.pk}/").content.decode()
    )
    before = snapshot(appeal, *RECORDED)
    response = client.post(
        f"/desk/appeals/{appeal.pk}/request/",
        {f"request-{appeal.pk}-category": Category.objects.get(code="hazard").pk},
    )
    assert response.status_code == 409
    assert snapshot(appeal, *RECORDED) == before


@pytest.mark.parametrize(("who", "status"), [("manager_b", 404), ("resident", 403)])
def test_outside_the_scope_the_visit_pages_refuse(
    city: City, visit: Visit, login: Any, who: str, status: int
) -> None:
    client = login(getattr(city, who))
    appeal = visit.appeals.get(kind="civic")
    before = snapshot(appeal, *RECORDED)
    assert client.get(f"/desk/visits/{visit.pk}/").status_code == status
    response = client.post(
        f"/desk/appeals/{appeal.pk}/answer/", {f"answer-{appeal.pk}-answer": "好的"}
    )
    assert response.status_code == status
    assert snapshot(appeal, *RECORDED) == before


def test_a_supervisor_reads_with_contacts_masked(city: City, visit: Visit, login: Any) -> None:
    page = login(city.supervisor).get(f"/desk/visits/{visit.pk}/").content.decode()
    assert "138****0001" in page
    assert "13800000001" not in page
    assert "/desk/appeals/" not in page


def test_the_visit_list_filters_and_keeps_its_query_count(
    city: City, visit: Visit, login: Any, django_assert_max_num_queries: Any
) -> None:
    client = login(city.gridadmin)
    page = client.get(f"/desk/visits/?compound={city.north.pk}&appeals=open").content.decode()
    assert f"/desk/visits/{visit.pk}/" in page
    assert (
        f"/desk/visits/{visit.pk}/"
        not in client.get("/desk/visits/?appeals=closed").content.decode()
    )
    assert client.get("/desk/visits/?month=13-2026").status_code == 400
    for day in range(5):
        record(city, visited_on=TODAY - datetime.timedelta(days=day))
    with django_assert_max_num_queries(20):
        assert client.get("/desk/visits/").status_code == 200


def test_a_visits_page_takes_as_many_queries_whatever_its_appeals(city: City, login: Any) -> None:
    from wudian.conftest import queries_of

    client = login(city.gridadmin)
    few = record(city, appeals=[services.AppealIn(text="灯不亮", kind="electricity")])
    many = record(
        city,
        appeals=[
            services.AppealIn(text=f"诉求{n}", kind=kind)
            for n in range(4)
            for kind in ("electricity", "civic")
        ],
    )
    assert queries_of(client, f"/desk/visits/{many.pk}/") == queries_of(
        client, f"/desk/visits/{few.pk}/"
    )


def test_the_resident_sees_their_request_came_from_the_visit(
    city: City, visit: Visit, login: Any
) -> None:
    appeal = visit.appeals.get(kind="electricity")
    services.appeal_to_request(
        appeal=appeal, by=city.gridadmin, category=Category.objects.get(code="hazard")
    )
    appeal.refresh_from_db()
    page = login(city.resident).get(f"/me/requests/{appeal.work_order_id}/").content.decode()
    assert zh("From a door-to-door visit") in page
    assert f"/desk/visits/{visit.pk}/" not in page


def test_the_grid_admins_desk_shows_the_civic_card(city: City, visit: Visit, login: Any) -> None:
    page = login(city.gridadmin).get("/desk/").content.decode()
    assert 'id="civic-card"' in page
    assert 'data-count="appeals-open">2<' in page
    other = login(city.electrician).get("/desk/").content.decode()
    assert 'id="civic-card"' not in other
    assert "/activities/" in other
