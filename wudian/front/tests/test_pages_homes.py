"""Each role's first page shows that person's work first, each part linking to the list
behind it; the header counts unread messages on every page; the pages nobody linked to are
reachable. Query counts stay fixed whatever the scope holds."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone

from wudian.analytics.models import LossStatus, StationAreaDay
from wudian.conftest import City, queries_of
from wudian.notify.models import CallTask, Channel, Message
from wudian.notify.services import Audience, notify_publish
from wudian.outages import services as outage_services
from wudian.outages.models import Outage
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.models import Channel as RequestChannel
from wudian.workorders.services import workorder_accept, workorder_create, workorder_resolve


def page(login: Any, user: Any, url: str) -> str:
    response = login(user).get(url)
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def section(body: str, element_id: str) -> str:
    """The HTML of the element with this id (up to its closing tag of the same name)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"', body)
    assert match, f"#{element_id} is not on the page"
    tag = match.group(1)
    end = body.index(f"</{tag}>", match.start())
    return body[match.start() : end]


def file(city: City, code: str = "fault_behind_meter", **kwargs: Any) -> WorkOrder:
    values: dict[str, Any] = {
        "category": Category.objects.get(code=code),
        "description": "卫生间插座没有电，空开跳了合不上",
        "channel": RequestChannel.WEB,
        "by": city.resident,
        "household": city.north_home,
        "now": timezone.now(),
    }
    values.update(kwargs)
    return workorder_create(**values)


def call_for(city: City, household: Any, assignee: Any, event: str = "outage:9:published") -> None:
    notify_publish(
        audience=Audience(households=[household], calls=[(household.pk, assignee.pk)]),
        template="message",
        context={"title": "计划停电", "body": "3月17日8:00-12:00停电。"},
        event_key=event,
        urgent=True,
        source=event.rsplit(":", 1)[0],  # one open call per household and source
    )


# The electrician: calls, the queue with its clocks, faults awaiting acceptance, certificate.


def test_electrician_sees_calls_first_then_the_queue_with_clocks(login: Any, city: City) -> None:
    call_for(city, city.north_home, city.electrician)
    workorder = file(city)
    body = page(login, city.electrician, "/desk/")

    calls = section(body, "calls")
    assert city.north_home.address in calls
    assert 'href="/desk/calls/"' in calls
    assert 'data-count="calls">1<' in calls
    requests = section(body, "requests")
    assert f'href="/desk/requests/{workorder.pk}/"' in requests
    assert "data-clock" in requests  # the arrival clock of a fault
    assert 'data-count="awaiting">1<' in requests
    assert 'href="/desk/requests/?status=submitted"' in requests
    # What the electrician sees first: calls, then requests, then the certificate.
    assert body.index('id="calls"') < body.index('id="requests"') < body.index('id="certificate"')
    assert 'id="lineloss"' not in body
    assert 'id="failed"' not in body


def test_desk_records_that_the_calls_showed_special_group_households(
    login: Any, city: City
) -> None:
    from auditlog.models import LogEntry

    call_for(city, city.north_home, city.electrician)
    before = LogEntry.objects.count()
    page(login, city.electrician, "/desk/")
    assert LogEntry.objects.count() == before + 1


def test_another_persons_calls_and_requests_are_not_on_my_desk(login: Any, city: City) -> None:
    call_for(city, city.south_home, city.electrician_b)
    file(city, by=city.resident_b, household=city.south_home)
    body = page(login, city.electrician, "/desk/")
    assert city.south_home.address not in body
    assert 'data-count="calls">0<' in body
    assert 'data-count="mine">0<' in body


# The customer manager: overdue and due soon, outages being prepared with their reach,
# failed deliveries, line-loss alarms, calls.


def test_manager_sees_overdue_requests_drafts_with_reach_failures_and_alarms(
    login: Any, city: City
) -> None:
    late = file(city, "complaint", now=timezone.now() - datetime.timedelta(days=30))
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=9)
    draft = outage_services.outage_create(
        by=city.manager,
        kind=Outage.Kind.PLANNED,
        title="北苑小区计划检修停电",
        reason="例行检修",
        start=start,
        end=start + datetime.timedelta(hours=6),
        compounds=[city.north],
        publish=False,
    )
    notify_publish(
        audience=Audience(households=[city.north_home]),
        template="message",
        context={"title": "计划停电", "body": "停电。"},
        event_key="outage:7:published",
        urgent=True,
        source="outage:7",
    )
    Message.objects.filter(channel=Channel.SMS).update(state=Message.State.FAILED, attempts=5)
    StationAreaDay.objects.create(
        station_area=city.station_area,
        date=timezone.localdate() - datetime.timedelta(days=1),
        supply_kwh=100,
        user_kwh=80,
        loss_kwh=20,
        loss_rate="0.2",
        meters_total=2,
        meters_collected=2,
        collection_rate=1,
        status=LossStatus.HIGH_LOSS,
    )
    body = page(login, city.manager, "/desk/")

    requests = section(body, "requests")
    assert 'data-count="overdue">1<' in requests
    assert f'href="/desk/requests/{late.pk}/"' in section(body, "requests")
    assert 'href="/desk/requests/?tab=overdue"' in requests
    outages = section(body, "outages")
    assert f'href="/desk/outages/{draft.pk}/"' in outages
    north_households = city.north.buildings.values("households").count()
    assert re.search(rf"data-reach>[^<]*\b{north_households}\b", outages)
    failed = section(body, "failed")
    assert 'data-count="failed">' in failed
    assert re.search(r'data-count="failed">[1-9]', failed)
    assert 'href="/desk/notifications/failed/"' in failed
    lineloss = section(body, "lineloss")
    assert 'data-count="lineloss">1<' in lineloss
    assert 'href="/desk/lineloss/"' in lineloss


def test_another_managers_draft_is_not_on_my_desk(login: Any, city: City) -> None:
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=9)
    outage_services.outage_create(
        by=city.manager_b,
        kind=Outage.Kind.PLANNED,
        title="南苑小区计划检修停电",
        reason="例行检修",
        start=start,
        end=start + datetime.timedelta(hours=6),
        compounds=[city.south],
        publish=False,
    )
    body = page(login, city.manager, "/desk/")
    assert "南苑小区计划检修停电" not in body


# Property office, grid administrator, department: their work, no line-loss card.


@pytest.mark.parametrize("who", ["staff", "gridadmin", "dept", "electrician"])
def test_roles_that_cannot_use_line_loss_get_no_line_loss_card(
    login: Any, city: City, who: str
) -> None:
    body = page(login, getattr(city, who), "/desk/")
    assert 'id="lineloss"' not in body
    assert 'id="requests"' in body


@pytest.mark.parametrize("who", ["manager", "supervisor", "admin"])
def test_managers_and_supervisors_get_the_line_loss_card(login: Any, city: City, who: str) -> None:
    assert 'id="lineloss"' in page(login, getattr(city, who), "/desk/")


def test_department_sees_its_unclaimed_work_in_its_queue(login: Any, city: City) -> None:
    workorder = file(city, "complaint")
    WorkOrder.objects.filter(pk=workorder.pk).update(assignee=None, department=city.dept.department)
    body = page(login, city.dept, "/desk/")
    assert f'href="/desk/requests/{workorder.pk}/"' in section(body, "requests")


# The resident: what waits for them first, then report / my requests / outages.


def test_resident_sees_a_request_to_confirm_an_outage_to_acknowledge_and_unread_messages(
    login: Any, city: City
) -> None:
    workorder = file(city)
    workorder_accept(workorder=workorder, by=city.electrician)
    workorder_resolve(
        workorder=WorkOrder.objects.get(pk=workorder.pk), by=city.electrician, note="已修好"
    )
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=9)
    outage = outage_services.outage_create(
        by=city.manager,
        kind=Outage.Kind.PLANNED,
        title="北苑小区计划检修停电",
        reason="例行检修",
        start=start,
        end=start + datetime.timedelta(hours=6),
        compounds=[city.north],
    )
    body = page(login, city.resident, "/me/")

    waiting = section(body, "waiting")
    assert f'href="/me/requests/{workorder.pk}/"' in waiting
    assert f'id="outage-{outage.pk}"' in waiting
    assert f'action="/me/outages/{outage.pk}/acknowledge/"' in waiting
    assert 'href="/me/inbox/"' in waiting
    # What waits comes before the report button and the household cards.
    assert body.index('id="waiting"') < body.index('id="requests"')
    assert 'href="/me/notifications/"' in body


def test_resident_with_nothing_waiting_is_told_so(login: Any, city: City) -> None:
    body = page(login, city.resident, "/me/")
    assert 'id="nothing-waiting"' in body
    assert 'href="/me/inbox/"' in body
    assert 'href="/me/notifications/"' in body


def test_a_neighbours_request_does_not_wait_on_me(login: Any, city: City) -> None:
    workorder = file(city, by=city.resident_b, household=city.south_home)
    workorder_accept(workorder=workorder, by=city.electrician_b)
    workorder_resolve(
        workorder=WorkOrder.objects.get(pk=workorder.pk), by=city.electrician_b, note="已修好"
    )
    body = page(login, city.resident, "/me/")
    assert f"/me/requests/{workorder.pk}/" not in body


# The header: the unread count on every page for every role, and the menu.


@pytest.mark.parametrize(
    "who", ["resident", "electrician", "manager", "staff", "gridadmin", "dept", "supervisor"]
)
def test_header_counts_unread_messages_for_every_role(login: Any, city: City, who: str) -> None:
    user = getattr(city, who)
    for n in range(3):
        Message.objects.create(
            user=user,
            channel=Channel.INAPP,
            template="message",
            context={"title": "t", "body": "b"},
            event_key=f"e:{n}",
            idempotency_key=f"home-test:{user.pk}:{n}",
            state=Message.State.SENT,
            read_at=timezone.now() if n == 0 else None,
        )
    body = page(login, user, "/duties/")
    assert 'href="/me/inbox/"' in body
    assert 'data-unread="2"' in body


def test_header_shows_no_count_when_all_is_read(login: Any, city: City) -> None:
    body = page(login, city.resident, "/duties/")
    assert 'id="nav-inbox"' in body
    assert "data-unread" not in body


def test_the_unread_count_costs_one_query(login: Any, city: City, settings: Any) -> None:
    client = login(city.resident)
    with_count = queries_of(client, "/duties/")
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [
                    p
                    for p in settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
                    if p != "wudian.notify.context_processors.inbox"
                ],
            },
        }
    ]
    assert queries_of(client, "/duties/") == with_count - 1


def test_menu_offers_the_pages_nobody_linked_to(login: Any, city: City) -> None:
    manager_menu = section(page(login, city.manager, "/desk/"), "nav-menu")
    assert 'href="/desk/calls/"' in manager_menu
    assert 'href="/desk/notifications/failed/"' in manager_menu
    assert 'href="/me/notifications/"' in manager_menu
    resident_menu = section(page(login, city.resident, "/me/"), "nav-menu")
    assert 'href="/me/notifications/"' in resident_menu
    assert "/desk/calls/" not in resident_menu
    assert "/desk/notifications/failed/" not in resident_menu


def test_log_out_is_not_next_to_password(login: Any, city: City) -> None:
    menu = section(page(login, city.resident, "/me/"), "nav-menu")
    items = re.findall(r"<li[^>]*>", menu)
    assert any("nav-menu-logout" in item for item in items)
    password = menu.index('href="/accounts/password/')
    logout = menu.index('action="/accounts/logout/"')
    # The log-out item is its own, set apart (a divider) from the password link.
    between = menu[password:logout]
    assert 'class="nav-menu-logout"' in between


# Query counts: fixed whatever the scope holds.


def test_desk_query_count_stays_fixed_as_work_grows(login: Any, city: City) -> None:
    client = login(city.manager)
    file(city, "complaint")
    call_for(city, city.north_home, city.manager, event="outage:1:published")
    queries_of(client, "/desk/")  # what a process keeps after its first page is kept
    baseline = queries_of(client, "/desk/")
    for n in range(8):
        file(city, "complaint", now=timezone.now() - datetime.timedelta(days=30))
        call_for(city, city.north_home_2, city.manager, event=f"outage:{n + 2}:published")
    assert CallTask.objects.filter(assignee=city.manager).count() > 5
    assert queries_of(client, "/desk/") == baseline


def test_electrician_desk_query_count_stays_fixed(login: Any, city: City) -> None:
    client = login(city.electrician)
    file(city)
    queries_of(client, "/desk/")
    baseline = queries_of(client, "/desk/")
    for _ in range(8):
        file(city)
    assert queries_of(client, "/desk/") == baseline


def test_me_query_count_stays_fixed_as_waiting_work_grows(login: Any, city: City) -> None:
    client = login(city.resident)
    first = file(city)
    workorder_accept(workorder=first, by=city.electrician)
    workorder_resolve(
        workorder=WorkOrder.objects.get(pk=first.pk), by=city.electrician, note="已修好"
    )
    queries_of(client, "/me/")
    baseline = queries_of(client, "/me/")
    for _ in range(6):
        workorder = file(city)
        workorder_accept(workorder=workorder, by=city.electrician)
        workorder_resolve(
            workorder=WorkOrder.objects.get(pk=workorder.pk), by=city.electrician, note="已修好"
        )
    assert queries_of(client, "/me/") == baseline
