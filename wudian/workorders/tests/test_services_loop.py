"""Closing the loop: the resident confirms, reopens, rates (1–5, a comment, "did you have to
go to the service hall?"), or withdraws; the customer manager cancels with a reason."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wudian.conftest import City, snapshot, told
from wudian.core.errors import WrongState
from wudian.grid.models import HouseholdMembership
from wudian.notify.models import Message
from wudian.workorders.models import Channel, WorkOrder
from wudian.workorders.services import (
    workorder_accept,
    workorder_cancel,
    workorder_confirm,
    workorder_rate,
    workorder_reopen,
    workorder_resolve,
    workorders_check_clocks,
)
from wudian.workorders.tests.conftest import FRIDAY

Status = WorkOrder.Status


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def resolved(city: City, file_request: Any) -> WorkOrder:
    wo = file_request(now=FRIDAY)
    wo = workorder_accept(workorder=wo, by=city.electrician, now=FRIDAY + minutes(5))
    return workorder_resolve(
        workorder=wo, by=city.electrician, note="更换了空开", now=FRIDAY + minutes(60)
    )


# Confirm -----------------------------------------------------------------------------------


def test_the_resident_confirms_and_the_owner_is_told(city: City, resolved: WorkOrder) -> None:
    wo = workorder_confirm(workorder=resolved, by=city.resident, now=FRIDAY + minutes(90))

    assert wo.status == Status.CLOSED
    assert wo.confirmed_at == wo.closed_at == FRIDAY + minutes(90)
    assert not wo.auto_closed
    assert wo.events.last().kind == "confirmed"  # type: ignore[union-attr]
    assert told(city.electrician, "confirmed") == 1
    assert told(city.resident, "confirmed", template="workorder_resident") == 0


def test_another_household_member_may_confirm(city: City, resolved: WorkOrder) -> None:
    HouseholdMembership.objects.create(user=city.resident_b, household=city.north_home)

    wo = workorder_confirm(workorder=resolved, by=city.resident_b)

    assert wo.status == Status.CLOSED


@pytest.mark.parametrize("actor", ["resident_b", "electrician", "manager", "outsider"])
def test_only_the_resident_confirms(city: City, resolved: WorkOrder, actor: str) -> None:
    before = snapshot(resolved)

    with pytest.raises(PermissionDenied):
        workorder_confirm(workorder=resolved, by=getattr(city, actor))

    assert snapshot(resolved) == before


def test_an_unresolved_request_cannot_be_confirmed(city: City, file_request: Any) -> None:
    wo = file_request()
    before = snapshot(wo)

    with pytest.raises(WrongState):
        workorder_confirm(workorder=wo, by=city.resident)

    assert snapshot(wo) == before


# Reopen ------------------------------------------------------------------------------------


def test_the_resident_reopens_it_back_to_the_same_hands(city: City, resolved: WorkOrder) -> None:
    reopened_at = FRIDAY + datetime.timedelta(hours=3)

    wo = workorder_reopen(
        workorder=resolved, by=city.resident, reason="晚上又跳闸了", now=reopened_at
    )

    assert wo.status == Status.ACCEPTED
    assert wo.assignee == wo.owner == city.electrician
    assert wo.resolve_due == reopened_at + minutes(225)
    assert wo.resolved_at is None
    assert wo.resolution == "更换了空开"  # the earlier answer stays on record
    event = wo.events.last()
    assert (event.kind, event.note) == ("reopened", "晚上又跳闸了")  # type: ignore[union-attr]
    assert told(city.electrician, "reopened") == 1


def test_a_reopened_request_misses_its_new_clock_from_the_start_of_the_ladder(
    city: City, resolved: WorkOrder
) -> None:
    WorkOrder.objects.filter(pk=resolved.pk).update(escalation_level=2)
    reopened_at = FRIDAY + datetime.timedelta(hours=3)
    wo = workorder_reopen(workorder=resolved, by=city.resident, reason="没修好", now=reopened_at)
    assert wo.escalation_level == 0

    # Resolved without a visit: the arrival clock restarted too, and is the first missed.
    assert wo.arrive_due == reopened_at + minutes(45)
    workorders_check_clocks(now=reopened_at + minutes(46))

    assert WorkOrder.objects.get(pk=wo.pk).escalation_level == 1
    assert told(city.manager, "overdue") == 1
    assert told(city.supervisor, "overdue") == 0


@pytest.mark.parametrize(
    ("actor", "reason", "error"),
    [
        ("resident_b", "没修好", PermissionDenied),
        ("electrician", "没修好", PermissionDenied),
        ("resident", "   ", ValidationError),
        ("resident", "长" * 2001, ValidationError),
    ],
)
def test_refused_reopens_change_nothing(
    city: City, resolved: WorkOrder, actor: str, reason: str, error: type
) -> None:
    before = snapshot(resolved)

    with pytest.raises(error):
        workorder_reopen(workorder=resolved, by=getattr(city, actor), reason=reason)

    assert snapshot(resolved) == before


def test_a_closed_request_cannot_be_reopened(city: City, resolved: WorkOrder) -> None:
    wo = workorder_confirm(workorder=resolved, by=city.resident)
    before = snapshot(wo)

    with pytest.raises(WrongState):
        workorder_reopen(workorder=wo, by=city.resident, reason="又坏了")

    assert snapshot(wo) == before


# Rate --------------------------------------------------------------------------------------


def test_rating_a_resolved_request_records_it_and_closes_it(
    city: City, resolved: WorkOrder
) -> None:
    wo = workorder_rate(
        workorder=resolved,
        by=city.resident,
        rating=5,
        comment="师傅很专业",
        visited_hall=False,
        now=FRIDAY + minutes(120),
    )

    stored = WorkOrder.objects.get(pk=wo.pk)
    assert (stored.rating, stored.rating_comment, stored.visited_hall) == (5, "师傅很专业", False)
    assert stored.rated_at == FRIDAY + minutes(120)
    assert stored.status == Status.CLOSED
    assert stored.confirmed_at is not None
    assert list(stored.events.values_list("kind", flat=True))[-2:] == ["rated", "confirmed"]
    assert stored.events.get(kind="rated").data == {"rating": 5, "visited_hall": False}
    assert told(city.electrician, "rated") == 1
    assert told(city.manager, "rated") == 0


def test_a_poor_rating_reaches_the_customer_manager(city: City, resolved: WorkOrder) -> None:
    workorder_rate(
        workorder=resolved, by=city.resident, rating=2, comment="来得太慢", visited_hall=True
    )

    message = Message.objects.get(user=city.manager, channel="inapp", context__kind="rated")
    assert message.context["rating"] == 2


def test_a_request_closed_by_itself_may_still_be_rated_once(
    city: City, resolved: WorkOrder
) -> None:
    workorders_check_clocks(now=FRIDAY + datetime.timedelta(days=8))
    closed = WorkOrder.objects.get(pk=resolved.pk)
    assert closed.status == Status.CLOSED
    assert closed.auto_closed

    wo = workorder_rate(workorder=closed, by=city.resident, rating=4)

    assert wo.rating == 4
    assert wo.visited_hall is None
    assert wo.events.filter(kind="confirmed").count() == 0
    before = snapshot(wo)
    with pytest.raises(WrongState):
        workorder_rate(workorder=wo, by=city.resident, rating=1)
    assert snapshot(wo) == before


def test_rating_twice_is_refused(city: City, resolved: WorkOrder) -> None:
    wo = workorder_rate(workorder=resolved, by=city.resident, rating=5)
    before = snapshot(wo)

    with pytest.raises(WrongState):
        workorder_rate(workorder=wo, by=city.resident, rating=1, comment="改主意了")

    assert snapshot(wo) == before
    assert WorkOrder.objects.get(pk=wo.pk).rating == 5


@pytest.mark.parametrize(
    ("actor", "rating", "comment", "error"),
    [
        ("resident", 0, "", ValidationError),
        ("resident", 6, "", ValidationError),
        ("resident", True, "", ValidationError),
        ("resident", "5", "", ValidationError),
        ("resident", 3.5, "", ValidationError),
        ("resident", 5, "好" * 1001, ValidationError),
        ("electrician", 5, "", PermissionDenied),
        ("resident_b", 5, "", PermissionDenied),
    ],
)
def test_refused_ratings_change_nothing(
    city: City, resolved: WorkOrder, actor: str, rating: Any, comment: str, error: type
) -> None:
    before = snapshot(resolved)

    with pytest.raises(error):
        workorder_rate(workorder=resolved, by=getattr(city, actor), rating=rating, comment=comment)

    assert snapshot(resolved) == before


def test_an_open_request_cannot_be_rated(city: City, file_request: Any) -> None:
    wo = file_request()
    before = snapshot(wo)

    with pytest.raises(WrongState):
        workorder_rate(workorder=wo, by=city.resident, rating=5)

    assert snapshot(wo) == before


# Cancel ------------------------------------------------------------------------------------


def test_the_resident_withdraws_without_a_reason(city: City, file_request: Any) -> None:
    wo = workorder_accept(workorder=file_request(), by=city.electrician)

    wo = workorder_cancel(workorder=wo, by=city.resident)

    assert wo.status == Status.CANCELLED
    assert wo.cancelled_at is not None
    assert wo.next_due is None
    assert wo.warn_at is None
    assert told(city.electrician, "cancelled") == 1
    assert told(city.resident, "cancelled", template="workorder_resident") == 0


def test_the_manager_cancels_with_a_reason_and_the_resident_is_told(
    city: City, file_request: Any
) -> None:
    wo = file_request()
    before = snapshot(wo)

    with pytest.raises(ValidationError):
        workorder_cancel(workorder=wo, by=city.manager, reason="")
    assert snapshot(wo) == before

    wo = workorder_cancel(workorder=wo, by=city.manager, reason="与第12号工单重复")

    assert wo.status == Status.CANCELLED
    assert wo.events.last().note == "与第12号工单重复"  # type: ignore[union-attr]
    message = Message.objects.get(
        user=city.resident, template="workorder_resident", context__kind="cancelled"
    )
    assert message.context["note"] == "与第12号工单重复"


def test_a_call_taken_by_staff_tells_the_household_by_sms_and_staff_cannot_close_it(
    city: City, file_request: Any
) -> None:
    wo = file_request(by=city.manager, channel=Channel.PHONE)
    wo = workorder_accept(workorder=wo, by=city.manager)
    wo = workorder_resolve(workorder=wo, by=city.manager, note="已电话解答")
    before = snapshot(wo)

    # The manager who typed the call in is not the resident: no confirming or rating it.
    with pytest.raises(PermissionDenied):
        workorder_confirm(workorder=wo, by=city.manager)
    with pytest.raises(PermissionDenied):
        workorder_rate(workorder=wo, by=city.manager, rating=5)
    assert snapshot(wo) == before
    wo = workorder_reopen(workorder=wo, by=city.manager, reason="住户来电说没解决")
    workorder_cancel(workorder=wo, by=city.manager, reason="住户来电撤回")

    assert Message.objects.filter(
        household=city.north_home, channel="sms", context__kind="cancelled"
    ).exists()
    # The resident, a member of the household, hears in the app too.
    assert told(city.resident, "cancelled", template="workorder_resident") == 1


@pytest.mark.parametrize("actor", ["electrician", "resident_b", "manager_b", "supervisor"])
def test_others_cannot_cancel(city: City, file_request: Any, actor: str) -> None:
    wo = file_request()
    before = snapshot(wo)

    with pytest.raises(PermissionDenied):
        workorder_cancel(workorder=wo, by=getattr(city, actor), reason="不需要了")

    assert snapshot(wo) == before


def test_a_resolved_request_cannot_be_cancelled(city: City, resolved: WorkOrder) -> None:
    before = snapshot(resolved)

    with pytest.raises(WrongState):
        workorder_cancel(workorder=resolved, by=city.resident)

    assert snapshot(resolved) == before
