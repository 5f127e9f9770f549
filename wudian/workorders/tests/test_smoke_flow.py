from __future__ import annotations

import datetime
from typing import Any

from wudian.conftest import City
from wudian.notify.models import Message
from wudian.workorders.models import WorkOrder, WorkOrderEvent
from wudian.workorders.services import (
    workorder_accept,
    workorder_arrive,
    workorder_rate,
    workorder_resolve,
)
from wudian.workorders.tests.conftest import FRIDAY


def test_a_fault_goes_to_the_certified_electrician_and_round_trips(
    city: City, file_request: Any
) -> None:
    wo = file_request(now=FRIDAY)
    assert wo.assignee == city.electrician
    assert wo.accept_due == FRIDAY + datetime.timedelta(minutes=15)
    assert wo.arrive_due == FRIDAY + datetime.timedelta(minutes=45)
    assert wo.next_due == wo.accept_due
    assert Message.objects.filter(user=city.electrician, template="workorder_staff").exists()
    wo = workorder_accept(
        workorder=wo, by=city.electrician, now=FRIDAY + datetime.timedelta(minutes=5)
    )
    assert wo.owner == city.electrician
    assert wo.accept_late is False
    wo = workorder_arrive(
        workorder=wo, by=city.electrician, now=FRIDAY + datetime.timedelta(minutes=50)
    )
    assert wo.arrive_late is True
    wo = workorder_resolve(
        workorder=wo,
        by=city.electrician,
        note="更换了空开",
        now=FRIDAY + datetime.timedelta(hours=1),
    )
    assert wo.status == WorkOrder.Status.RESOLVED
    assert wo.resolve_late is False
    wo = workorder_rate(
        workorder=wo,
        by=city.resident,
        rating=5,
        visited_hall=False,
        now=FRIDAY + datetime.timedelta(hours=2),
    )
    assert wo.status == WorkOrder.Status.CLOSED
    assert wo.rating == 5
    kinds = list(wo.events.values_list("kind", flat=True))
    assert kinds == ["submitted", "accepted", "arrived", "resolved", "rated", "confirmed"]
    assert WorkOrderEvent.objects.filter(workorder=wo).count() == 6


def test_working_day_clock_skips_the_weekend(city: City, file_request: Any) -> None:
    wo = file_request("complaint", description="抄表员态度不好", now=FRIDAY)
    assert wo.assignee == city.manager
    assert wo.opinion_risk
    # Friday 27 Nov 2026: 1 working day → end of Monday 30 Nov (local midnight).
    assert wo.accept_due == datetime.datetime(2026, 11, 30, 16, 0, tzinfo=datetime.UTC)
