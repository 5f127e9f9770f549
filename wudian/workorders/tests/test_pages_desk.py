"""The staff pages for requests: the workbench with its lists, filters, marks, paging and
bulk transfer; requests typed in from a phone call or a visit; and one request with its
contact data (masked where the user does not serve the household) and every action form.
Every refusal answers with its message and changes nothing."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wudian.accounts.models import Department
from wudian.conftest import City, image_bytes, snapshot, upload, zh
from wudian.grid.models import Household
from wudian.workorders import views
from wudian.workorders.models import Channel, WorkOrder
from wudian.workorders.services import (
    workorder_accept,
    workorder_cancel,
    workorder_wait,
    workorders_check_clocks,
)
from wudian.workorders.tests.conftest import FILED

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

LIST = "/desk/requests/"


def rows(body: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-request="(\d+)"', body)]


def repair_crew(city: City) -> Department:
    department = city.dept.department
    assert department is not None
    return department


# Who may open the workbench ---------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["manager", "electrician", "staff", "gridadmin", "dept", "supervisor", "admin"]
)
def test_workbench_renders_for_staff_in_chinese(login: Any, city: City, who: str) -> None:
    response = login(getattr(city, who)).get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-Hans"' in body
    for label in ("Resident requests", "My queue", "Due soon", "Overdue", "All in my scope"):
        assert zh(label) in body


@pytest.mark.parametrize("who", ["resident", "resident_b", "outsider"])
def test_residents_cannot_open_the_staff_pages(
    login: Any, city: City, file_request: Any, who: str
) -> None:
    client = login(getattr(city, who))
    assert client.get(LIST).status_code == 403
    assert client.get("/desk/requests/new/").status_code == 403
    assert client.get("/desk/requests/counts/").status_code == 403
    assert client.post(LIST, {"ids": [1], "to": "x", "reason": "y"}).status_code == 403


# The lists ---------------------------------------------------------------------------------


def test_tabs_sort_my_queue_due_soon_and_overdue(login: Any, city: City, file_request: Any) -> None:
    now = timezone.now()
    late = file_request(description="两小时前报的故障", now=now - datetime.timedelta(hours=2))
    soon = file_request(description="刚报的故障")
    complaint = file_request("complaint", description="抄表员态度不好")
    south = file_request(by=city.resident_b, household=city.south_home, description="南苑")
    client = login(city.electrician)
    assert set(rows(client.get(LIST).content.decode())) == {late.pk, soon.pk}
    assert rows(client.get(f"{LIST}?tab=due").content.decode()) == [soon.pk]
    assert rows(client.get(f"{LIST}?tab=overdue").content.decode()) == [late.pk]
    body = client.get(f"{LIST}?tab=all").content.decode()
    # A property electrician sees behind-the-meter work, not residents' complaints.
    assert set(rows(body)) == {late.pk, soon.pk}
    assert client.get(f"/desk/requests/{complaint.pk}/").status_code == 404
    manager = login(city.manager)
    assert rows(manager.get(LIST).content.decode()) == [complaint.pk]
    assert south.pk not in rows(manager.get(f"{LIST}?tab=all").content.decode())
    assert rows(login(city.electrician_b).get(LIST).content.decode()) == [south.pk]
    assert south.pk in rows(login(city.manager_b).get(f"{LIST}?tab=all").content.decode())
    supervisor = login(city.supervisor)
    assert set(rows(supervisor.get(f"{LIST}?tab=all").content.decode())) == {
        late.pk,
        soon.pk,
        complaint.pk,
        south.pk,
    }
    # Nothing waits on the supervisor: without a chosen list they see everything.
    body = supervisor.get(LIST).content.decode()
    assert len(rows(body)) == 4
    assert 'data-tab="all" aria-current="page"' in body
    assert rows(supervisor.get(f"{LIST}?tab=mine").content.decode()) == []


def test_rows_mark_priority_opinion_risk_and_escalation(
    login: Any, city: City, file_request: Any
) -> None:
    city.north_home_2.special_group = True
    city.north_home_2.save(update_fields=["special_group"])
    cared = file_request(household=city.north_home_2, description="老人家里没电了")
    risky = file_request("complaint", description="再不解决我就找媒体曝光")
    late = file_request(description="很久了", now=timezone.now() - datetime.timedelta(hours=2))
    workorders_check_clocks()
    late.refresh_from_db()
    level = late.escalation_level
    assert level in (1, 2)
    body = login(city.manager).get(f"{LIST}?tab=all").content.decode()

    def row(pk: int) -> str:
        start = body.index(f'<tr data-request="{pk}"')
        return body[start : body.index("</tr>", start)]

    assert 'data-flag="priority"' in row(cared.pk)
    assert 'data-flag="risk"' in row(risky.pk)
    assert f'data-flag="escalated-{level}"' in row(late.pk)
    assert 'data-flag="escalated' not in row(risky.pk)
    assert 'data-flag="priority"' not in row(risky.pk)
    assert zh("Opinion risk") in row(risky.pk)


def test_filters_by_compound_category_and_status(login: Any, city: City, file_request: Any) -> None:
    fault = file_request()
    complaint = file_request("complaint", description="态度不好")
    south = file_request(by=city.resident_b, household=city.south_home, description="南苑")
    workorder_cancel(workorder=complaint, by=city.resident)
    client = login(city.supervisor)
    assert rows(client.get(f"{LIST}?tab=all&compound=SOUTH").content.decode()) == [south.pk]
    body = client.get(f"{LIST}?tab=all&category=complaint").content.decode()
    assert rows(body) == [complaint.pk]
    body = client.get(f"{LIST}?tab=all&status=submitted&compound=NORTH").content.decode()
    assert rows(body) == [fault.pk]
    # The compound filter offers only the user's compounds; others are refused.
    manager = login(city.manager)
    body = manager.get(LIST).content.decode()
    assert '<option value="NORTH"' in body
    assert '<option value="SOUTH"' not in body
    response = manager.get(f"{LIST}?tab=all&compound=SOUTH")
    assert response.status_code == 400
    assert rows(response.content.decode()) == []
    assert manager.get(f"{LIST}?status=exploded").status_code == 400
    assert manager.get(f"{LIST}?tab=everything").status_code == 400


def test_workbench_takes_the_same_number_of_queries_for_a_full_page(
    login: Any, city: City, file_request: Any
) -> None:
    client = login(city.manager)
    file_request("complaint", description="第一个")
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{LIST}?tab=all").status_code == 200
    for n in range(30):
        file_request(
            "complaint" if n % 2 else "fault_behind_meter",
            description=f"第{n}个",
            household=city.north_home_2 if n % 3 else city.north_home,
        )
    workorder_accept(
        workorder=WorkOrder.objects.filter(assignee=city.electrician)[0], by=city.electrician
    )
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"{LIST}?tab=all").content.decode()
    assert len(rows(body)) == 25
    assert len(many) == len(few)
    assert len(many) <= 16


def test_the_list_indexes_cover_the_statuses_the_lists_ask_for() -> None:
    conditions = {
        index.name: dict(index.condition.children)["status__in"]
        for index in WorkOrder._meta.indexes
        if index.condition is not None
    }
    assert conditions["workorder_queue"] == list(WorkOrder.QUEUE_STATUSES)
    assert conditions["workorder_active_urgent"] == list(WorkOrder.ACTIVE_STATUSES)


def test_paging_keeps_the_tab_and_filters(login: Any, city: City, file_request: Any) -> None:
    for n in range(27):
        file_request("complaint", description=f"投诉{n}")
    client = login(city.manager)
    body = client.get(f"{LIST}?tab=all&category=complaint").content.decode()
    assert len(rows(body)) == 25
    assert 'href="?tab=all&amp;category=complaint&amp;page=2"' in body
    body = client.get(f"{LIST}?tab=all&category=complaint&page=2").content.decode()
    assert len(rows(body)) == 2
    # The tab links keep the filters too.
    assert 'href="/desk/requests/?tab=overdue&amp;category=complaint"' in body


def test_past_the_cap_the_counts_read_more_and_the_filters_are_suggested(
    login: Any, city: City, file_request: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "DESK_COUNT_CAP", 3)
    monkeypatch.setattr(views, "DESK_PAGE_SIZE", 2)
    for n in range(5):
        file_request("complaint", description=f"投诉{n}")
    client = login(city.manager)

    body = client.get(f"{LIST}?tab=all").content.decode()
    assert '<span class="count">3+</span>' in body
    assert zh("Page %(number)s of %(total)s") % {"number": 1, "total": 2} in body
    assert 'id="capped"' in body
    assert len(rows(client.get(f"{LIST}?tab=all&page=2").content.decode())) == 1
    body = client.get(f"{LIST}?tab=all&category=fault_behind_meter").content.decode()
    assert 'id="capped"' not in body
    counts = client.get("/desk/requests/counts/").content.decode()
    assert 'data-count="mine">3+</span>' in counts


def test_an_htmx_request_gets_only_the_results(login: Any, city: City, file_request: Any) -> None:
    workorder = file_request("complaint", description="投诉")
    response = login(city.manager).get(f"{LIST}?tab=all", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
    assert rows(body) == [workorder.pk]


def test_desk_page_links_to_the_workbench_with_counts(
    login: Any, city: City, file_request: Any
) -> None:
    file_request(now=timezone.now() - datetime.timedelta(hours=2))
    file_request(description="刚报的")
    client = login(city.electrician)
    body = client.get("/desk/").content.decode()
    assert 'href="/desk/requests/"' in body
    assert '<span class="stat" data-count="mine">2</span>' in body
    assert 'href="/desk/requests/?tab=mine"' in body
    body = client.get("/desk/requests/counts/").content.decode()
    assert '<span class="stat" data-count="mine">2</span>' in body
    assert 'data-count="due">1</span>' in body
    assert 'data-count="overdue">1</span>' in body
    assert 'href="/desk/requests/?tab=overdue"' in body


# Bulk transfer ---------------------------------------------------------------------------------


def test_bulk_transfer_passes_every_ticked_request_on(
    login: Any, city: City, file_request: Any
) -> None:
    one = file_request("complaint", description="一")
    two = file_request("fault_before_meter", description="二")
    client = login(city.manager)
    body = client.get(f"{LIST}?tab=all").content.decode()
    department = repair_crew(city)
    assert f'value="dept:{department.pk}"' in body
    assert f'value="user:{city.electrician.pk}"' in body
    assert f'value="user:{city.manager_b.pk}"' not in body  # serves only the other compound
    response = client.post(
        f"{LIST}?tab=all",
        {"ids": [one.pk, two.pk], "to": f"dept:{department.pk}", "reason": "需要抢修班"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?tab=all"
    for workorder in (one, two):
        workorder.refresh_from_db()
        assert workorder.department == department
        assert workorder.assignee is None
        assert workorder.events.filter(kind="transferred", to_department=department).exists()
    # The department sees them in its queue.
    assert set(rows(login(city.dept).get(LIST).content.decode())) == {one.pk, two.pk}


def test_bulk_transfer_is_all_or_none(login: Any, city: City, file_request: Any) -> None:
    open_one = file_request("complaint", description="还开着")
    closed = file_request("complaint", description="撤回了")
    workorder_cancel(workorder=closed, by=city.resident)
    before = [snapshot(open_one), snapshot(closed)]
    response = login(city.manager).post(
        f"{LIST}?tab=all",
        {
            "ids": [open_one.pk, closed.pk],
            "to": f"dept:{repair_crew(city).pk}",
            "reason": "转抢修班",
        },
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert 'id="refusal"' in body
    assert zh("Nothing was passed on:") in body
    # The ticks survive so the user can untick the culprit and try again.
    assert f'name="ids" value="{open_one.pk}" aria-label' in body
    assert re.search(rf'name="ids" value="{open_one.pk}"[^>]*checked', body)
    assert [snapshot(open_one), snapshot(closed)] == before


def test_bulk_transfer_refusals_change_nothing(login: Any, city: City, file_request: Any) -> None:
    fault = file_request(description="插座没电")
    south = file_request(by=city.resident_b, household=city.south_home, description="南苑")
    before = snapshot(fault)
    client = login(city.manager)
    # An electrician without a valid certificate cannot take a fault: the service refuses.
    response = client.post(
        LIST,
        {"ids": [fault.pk], "to": f"user:{city.electrician_expired.pk}", "reason": "换人"},
    )
    assert response.status_code == 422
    assert 'id="refusal"' in response.content.decode()
    assert snapshot(fault) == before
    # A target the page does not offer.
    response = client.post(
        LIST, {"ids": [fault.pk], "to": f"user:{city.manager_b.pk}", "reason": "换人"}
    )
    assert response.status_code == 422
    # Nothing ticked, no reason.
    response = client.post(LIST, {"to": f"dept:{repair_crew(city).pk}", "reason": "x"})
    assert response.status_code == 422
    assert zh("Tick the requests to pass on.") in response.content.decode()
    response = client.post(LIST, {"ids": [fault.pk], "to": f"dept:{repair_crew(city).pk}"})
    assert response.status_code == 422
    assert snapshot(fault) == before
    # A request outside the scope among the ticked ones: 404, and nothing changed.
    south_before = snapshot(south)
    response = client.post(
        LIST,
        {"ids": [fault.pk, south.pk], "to": f"dept:{repair_crew(city).pk}", "reason": "x"},
    )
    assert response.status_code == 404
    assert snapshot(fault) == before
    assert snapshot(south) == south_before


# Typing in a request -------------------------------------------------------------------------


def test_staff_enter_a_phone_call_by_account_number(login: Any, city: City, media: Path) -> None:
    client = login(city.manager)
    page = client.get("/desk/requests/new/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="meter_data_check"' in body  # staff may file staff-only categories
    assert 'value="phone"' in body
    response = client.post(
        "/desk/requests/new/",
        {
            "channel": "phone",
            "account_no": city.north_home.account_no,
            "category": "fault_before_meter",
            "description": "楼道灯不亮，配电箱有异响",
            "contact_name": "王先生",
            "contact_phone": "13700000000",
            "photos": [upload("p.png", image_bytes())],
        },
    )
    workorder = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/requests/{workorder.pk}/"
    assert workorder.channel == Channel.PHONE
    assert workorder.household == city.north_home
    assert workorder.created_by == city.manager
    assert workorder.contact_phone == "13700000000"
    assert workorder.photos.count() == 1


@pytest.mark.parametrize(
    ("change", "msgid"),
    [
        (
            lambda city: {"account_no": city.south_home.account_no},
            "No household with this account number among the households you serve.",
        ),
        (
            lambda city: {"account_no": "9999999999"},
            "No household with this account number among the households you serve.",
        ),
        (lambda city: {"channel": "web"}, ""),
        (lambda city: {"category": "nope"}, ""),
        (lambda city: {"description": "电" * 4001}, ""),
        (
            lambda city: {"photos": [upload("a.gif", b"GIF89a", "image/gif")]},
            "",
        ),
    ],
)
def test_refused_staff_entries_save_nothing(
    login: Any, city: City, media: Path, change: Any, msgid: str
) -> None:
    data = {
        "channel": "visit",
        "account_no": city.north_home.account_no,
        "category": "fault_before_meter",
        "description": "楼道灯不亮",
        **change(city),
    }
    before = snapshot(*FILED)
    response = login(city.manager).post("/desk/requests/new/", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'class="field-error"' in body
    if msgid:
        assert zh(msgid) in body
    assert snapshot(*FILED) == before


def _intake(city: City, **finder: str) -> dict[str, Any]:
    return {
        "channel": "phone",
        "category": "fault_before_meter",
        "description": "楼道灯不亮",
        **finder,
    }


@pytest.mark.parametrize(
    "finder",
    [
        {"account_no": "3400 0000 01"},
        {"compound": "NORTH", "building": "1", "room": "101"},
        {"compound": "NORTH", "building": "1号楼", "room": "1-101"},
        {"compound": "NORTH", "room": "1单元101室"},
        {"contact_phone": "138 0000 0001"},
        {"contact_phone": "+86 138-0000-0001"},
        # The compound preselected for a manager of one compound does not hide the phone.
        {"compound": "NORTH", "contact_phone": "13800000001"},
    ],
)
def test_staff_find_the_household_by_address_or_the_callers_phone(
    login: Any, city: City, finder: dict[str, str]
) -> None:
    if "compound" in finder:
        finder = {**finder, "compound": str(city.north.pk)}
    response = login(city.manager).post("/desk/requests/new/", _intake(city, **finder))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert WorkOrder.objects.get().household == city.north_home


def test_the_intake_offers_the_compounds_one_serves(login: Any, city: City) -> None:
    body = login(city.manager).get("/desk/requests/new/").content.decode()
    assert f'<option value="{city.north.pk}" selected>北苑小区</option>' in body
    assert "南苑小区" not in body


@pytest.mark.parametrize(
    ("finder", "field", "msgid"),
    [
        # Another manager's household: its phone finds nothing, and says nothing of it.
        (
            {"contact_phone": "13800000003"},
            "contact_phone",
            "No household you serve has this phone number on record. Ask for the account "
            "number or the address.",
        ),
        ({"compound": "SOUTH", "room": "101"}, "compound", ""),
        ({"compound": "NORTH", "building": "1", "room": "909"}, "room", ""),
        ({"compound": "NORTH"}, "room", "Give the room (and the building) in this compound."),
        (
            {},
            "account_no",
            "Find the household: give its account number, or its compound, building and "
            "room, or the caller's phone number.",
        ),
    ],
)
def test_a_household_not_found_is_said_and_nothing_is_saved(
    login: Any, city: City, finder: dict[str, str], field: str, msgid: str
) -> None:
    compounds = {"NORTH": city.north.pk, "SOUTH": city.south.pk}
    if "compound" in finder:
        finder = {**finder, "compound": str(compounds[finder["compound"]])}
    before = snapshot(*FILED)
    response = login(city.manager).post("/desk/requests/new/", _intake(city, **finder))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'class="field-error"' in body
    if msgid:
        assert zh(msgid) in body
    assert city.south_home.account_no not in body
    assert snapshot(*FILED) == before


def test_several_households_on_one_phone_are_listed_to_choose_from(login: Any, city: City) -> None:
    Household.objects.filter(pk=city.north_home_2.pk).update(phone="13800000001")
    before = snapshot(*FILED)
    response = login(city.manager).post(
        "/desk/requests/new/", _intake(city, contact_phone="13800000001")
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert city.north_home.account_no in body
    assert city.north_home_2.account_no in body
    assert snapshot(*FILED) == before


# One request --------------------------------------------------------------------------------


def test_contact_details_are_masked_for_staff_who_do_not_serve_the_household(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request()
    url = f"/desk/requests/{workorder.pk}/"
    for user in (city.manager, city.electrician, city.gridadmin, city.admin):
        body = login(user).get(url).content.decode()
        assert "13800000001" in body
        assert city.north_home.account_no in body
    body = login(city.supervisor).get(url).content.decode()
    assert "13800000001" not in body
    assert "138****0001" in body
    assert city.north_home.account_no not in body
    assert "王*" in body
    assert zh("Contact details are masked: you do not serve this household.") in body


@pytest.mark.parametrize("who", ["manager_b", "electrician_b", "outsider", "resident_b"])
def test_request_page_is_404_outside_scope(
    login: Any, city: City, file_request: Any, who: str
) -> None:
    workorder = file_request()
    before = snapshot(workorder)
    client = login(getattr(city, who))
    assert client.get(f"/desk/requests/{workorder.pk}/").status_code == 404
    assert client.post(f"/desk/requests/{workorder.pk}/accept/").status_code == 404
    assert (
        client.post(f"/desk/requests/{workorder.pk}/cancel/", {"cancel-reason": "重复"}).status_code
        == 404
    )
    assert snapshot(workorder) == before


def test_the_resident_is_sent_to_their_own_page(login: Any, city: City, file_request: Any) -> None:
    workorder = file_request()
    client = login(city.resident)
    response = client.get(f"/desk/requests/{workorder.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/me/requests/{workorder.pk}/"
    before = snapshot(workorder)
    assert client.post(f"/desk/requests/{workorder.pk}/accept/").status_code == 403
    assert snapshot(workorder) == before


def test_the_page_offers_the_steps_of_the_holder_and_the_state(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request()
    url = f"/desk/requests/{workorder.pk}/"
    body = login(city.electrician).get(url).content.decode()
    assert f'action="{url}accept/"' in body
    assert f'action="{url}resolve/"' not in body
    assert f'action="{url}cancel/"' not in body  # only the customer manager cancels
    body = login(city.manager).get(url).content.decode()
    assert f'action="{url}accept/"' in body
    assert f'action="{url}cancel/"' in body
    body = login(city.staff).get(url).content.decode()
    assert f'action="{url}accept/"' not in body
    assert f'action="{url}comment/"' in body
    workorder_accept(workorder=workorder, by=city.electrician)
    body = login(city.electrician).get(url).content.decode()
    for step in ("arrive", "resolve", "wait", "escalate", "transfer", "comment"):
        assert f'action="{url}{step}/"' in body
    assert f'action="{url}accept/"' not in body
    assert zh("Timeline") in body
    # A property electrician escalates to the customer manager, not to a department.
    assert 'name="escalate-department"' not in body
    assert 'value="dept:' not in body
    body = login(city.manager).get(url).content.decode()
    assert 'name="escalate-department"' in body
    assert f'value="dept:{repair_crew(city).pk}"' in body


def test_electrician_accepts_arrives_and_resolves(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request()
    url = f"/desk/requests/{workorder.pk}/"
    client = login(city.electrician)
    assert client.post(f"{url}accept/").status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.ACCEPTED
    assert workorder.owner == city.electrician
    assert client.post(f"{url}arrive/", {"arrive-note": "已到现场"}).status_code == 302
    before = snapshot(workorder)
    response = client.post(f"{url}resolve/", {"resolve-note": ""})
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    assert snapshot(workorder) == before
    response = client.post(f"{url}resolve/", {"resolve-note": "更换空开"})
    assert response.status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.RESOLVED
    assert workorder.resolution == "更换空开"
    assert list(workorder.events.values_list("kind", flat=True)) == [
        "submitted",
        "accepted",
        "arrived",
        "resolved",
    ]


def test_refused_actions_answer_403_409_and_change_nothing(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request()
    url = f"/desk/requests/{workorder.pk}/"
    before = snapshot(workorder)
    # Seen but not allowed: property staff may not accept it.
    response = login(city.staff).post(f"{url}accept/")
    assert response.status_code == 403
    assert 'id="refusal"' in response.content.decode()
    assert snapshot(workorder) == before
    # Not allowed in this state.
    response = login(city.electrician).post(f"{url}resolve/", {"resolve-note": "修好了"})
    assert response.status_code == 409
    assert 'id="refusal"' in response.content.decode()
    assert snapshot(workorder) == before
    assert login(city.electrician).post(f"{url}explode/").status_code == 404


def test_an_accept_clicked_twice_is_409(login: Any, city: City, file_request: Any) -> None:
    workorder = file_request()
    url = f"/desk/requests/{workorder.pk}/"
    client = login(city.electrician)
    assert client.post(f"{url}accept/").status_code == 302
    before = snapshot(workorder)
    response = client.post(f"{url}accept/")
    assert response.status_code == 409
    assert snapshot(workorder) == before


def test_escalate_transfer_wait_resume_comment_and_cancel(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request()
    url = f"/desk/requests/{workorder.pk}/"
    electrician = login(city.electrician)
    electrician.post(f"{url}accept/")
    assert electrician.post(f"{url}escalate/", {"escalate-reason": "表前问题"}).status_code == 302
    workorder.refresh_from_db()
    assert workorder.assignee == city.manager
    manager = login(city.manager)
    # The customer manager must name a department when escalating.
    before = snapshot(workorder)
    response = manager.post(f"{url}escalate/", {"escalate-reason": "需要抢修"})
    assert response.status_code == 422
    assert snapshot(workorder) == before
    # Transfer to someone who cannot take it: the service's message on the field.
    response = manager.post(
        f"{url}transfer/",
        {"transfer-to": f"user:{city.electrician_expired.pk}", "transfer-reason": "换人"},
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    assert snapshot(workorder) == before
    manager.post(f"{url}accept/")
    assert manager.post(f"{url}wait/", {"wait-note": "请提供照片"}).status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.WAITING
    assert manager.post(f"{url}resume/", {"resume-note": ""}).status_code == 302
    assert manager.post(f"{url}comment/", {"comment-note": "已电话联系"}).status_code == 302
    response = manager.post(
        f"{url}escalate/",
        {"escalate-department": repair_crew(city).pk, "escalate-reason": "需要抢修班"},
    )
    assert response.status_code == 302
    workorder.refresh_from_db()
    assert workorder.department == repair_crew(city)
    assert workorder.assignee is None
    # The department member takes it from their queue and resolves it.
    dept = login(city.dept)
    assert dept.post(f"{url}accept/").status_code == 302
    assert dept.post(f"{url}resolve/", {"resolve-note": "抢修完成"}).status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.RESOLVED
    kinds = list(workorder.events.values_list("kind", flat=True))
    assert kinds.count("escalated") == 2
    assert "commented" in kinds


def test_manager_cancels_a_duplicate_with_a_reason(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request()
    url = f"/desk/requests/{workorder.pk}/"
    client = login(city.manager)
    before = snapshot(workorder)
    assert client.post(f"{url}cancel/", {"cancel-reason": ""}).status_code == 422
    assert snapshot(workorder) == before
    assert client.post(f"{url}cancel/", {"cancel-reason": "重复报修"}).status_code == 302
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.CANCELLED
    body = client.get(url).content.decode()
    assert zh("Nothing to do for you on this request.") in body


def test_the_timeline_shows_every_step_with_waiting_paused(
    login: Any, city: City, file_request: Any
) -> None:
    workorder = file_request("business_new", description="新装")
    workorder_accept(workorder=workorder, by=city.manager)
    workorder_wait(workorder=workorder, by=city.manager, note="请补充房产证")
    body = login(city.manager).get(f"/desk/requests/{workorder.pk}/").content.decode()
    assert "请补充房产证" in body
    assert zh("The clocks are paused while the resident is asked for something.") in body
    timeline = body[body.index('id="timeline"') :]
    for label in ("Submitted", "Accepted", "Waiting for the resident"):
        assert zh(label) in timeline
