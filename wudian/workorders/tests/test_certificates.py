"""A certificate is asked for at every step of a fault's work, not only when it is accepted;
when it lapses, the electrician's open faults go back to the customer manager."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from wudian.accounts.models import Certificate
from wudian.conftest import City, snapshot, told
from wudian.core.errors import NotAllowed
from wudian.workorders.models import WorkOrder, WorkOrderEvent
from wudian.workorders.services import (
    workorder_accept,
    workorder_arrive,
    workorder_escalate,
    workorder_resolve,
    workorder_wait,
    workorders_hand_back_lapsed,
)

pytestmark = pytest.mark.django_db

Status = WorkOrder.Status


def lapse(user: Any) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Certificate.objects.filter(holder=user).update(expires_on=yesterday)


def accepted_fault(city: City, file_request: Any) -> WorkOrder:
    wo = file_request()  # behind the meter: in the certified electrician's hands
    assert wo.assignee == city.electrician
    return workorder_accept(workorder=wo, by=city.electrician)


def test_a_lapsed_certificate_stops_the_work_on_a_fault_in_hand(
    city: City, file_request: Any, login: Any
) -> None:
    wo = accepted_fault(city, file_request)
    lapse(city.electrician)
    before = snapshot(wo)

    steps: list[tuple[Callable[..., Any], dict[str, str]]] = [
        (workorder_arrive, {}),
        (workorder_wait, {"note": "请提供照片"}),
        (workorder_resolve, {"note": "换了插座"}),
    ]
    for step, kwargs in steps:
        with pytest.raises(NotAllowed, match=r"certificate|电工"):
            step(workorder=wo, by=city.electrician, **kwargs)
    assert snapshot(wo) == before

    page = login(city.electrician).get(f"/desk/requests/{wo.pk}/")
    assert page.context["actions"] == ["escalate", "transfer", "comment"]
    # Passing it up stays open to them.
    workorder_escalate(workorder=wo, by=city.electrician, reason="证书过期，请经理处理")
    assert WorkOrder.objects.get(pk=wo.pk).assignee == city.manager


def test_a_lapsed_electricians_faults_go_back_to_the_customer_manager_once(
    city: City, file_request: Any
) -> None:
    wo = accepted_fault(city, file_request)
    untouched = file_request(household=city.south_home)  # electrician_b's, still certified
    enquiry = file_request("outage_enquiry")  # the customer manager's anyway
    lapse(city.electrician)

    assert workorders_hand_back_lapsed() == 1
    assert workorders_hand_back_lapsed() == 0

    wo.refresh_from_db()
    assert (wo.assignee, wo.status, wo.owner) == (city.manager, Status.SUBMITTED, city.electrician)
    event = wo.events.order_by("pk").last()
    assert event is not None
    assert (event.kind, event.by, event.to_user) == (
        WorkOrderEvent.Kind.ESCALATED,
        None,
        city.manager,
    )
    assert "张电工" in event.note
    assert told(city.manager, "escalated") == 1
    assert WorkOrder.objects.get(pk=untouched.pk).assignee == city.electrician_b
    assert WorkOrder.objects.get(pk=enquiry.pk).assignee == city.manager
    # The manager takes it over as usual.
    workorder_accept(workorder=wo, by=city.manager)


def test_a_renewed_certificate_keeps_the_fault_with_its_electrician(
    city: City, file_request: Any
) -> None:
    wo = accepted_fault(city, file_request)

    assert workorders_hand_back_lapsed() == 0
    assert WorkOrder.objects.get(pk=wo.pk).assignee == city.electrician
