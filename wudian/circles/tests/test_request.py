"""A resident's circle message becomes a request in one step by staff, and each shows the
other: the resident follows the request's progress from the message."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from wudian.circles.models import Circle, Message
from wudian.circles.services import circle_for_compound, message_reply, message_write
from wudian.conftest import City, snapshot
from wudian.core.errors import BadInput, NotAllowed, OutsideScope, WrongState
from wudian.grid.models import HouseholdMembership
from wudian.workorders.models import Channel, WorkOrder
from wudian.workorders.services import request_from_circle_message, workorder_accept

pytestmark = pytest.mark.django_db


def as_user(user: object) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def message(city: City) -> Message:
    circle: Circle = circle_for_compound(city.north)
    return message_write(circle=circle, by=city.resident, body="家里插座冒火花，跳闸了")


def test_staff_turn_a_message_into_a_request_linked_both_ways(city: City, message: Message) -> None:
    page = as_user(city.electrician).get(f"/circles/messages/{message.pk}/")
    assert 'id="make-request"' in page.content.decode()
    form = as_user(city.electrician).get(f"/desk/circle-messages/{message.pk}/request/")
    assert form.status_code == 200
    answer = as_user(city.electrician).post(
        f"/desk/circle-messages/{message.pk}/request/", {"category": "fault_behind_meter"}
    )
    assert answer.status_code == 302
    workorder = WorkOrder.objects.get(circle_message=message)
    assert workorder.channel == Channel.CIRCLE
    assert workorder.household == city.north_home
    assert workorder.description == message.body
    assert workorder.created_by == city.electrician
    # The request's page says where it came from.
    detail = as_user(city.electrician).get(f"/desk/requests/{workorder.pk}/").content.decode()
    assert f"/circles/messages/{message.pk}/" in detail
    # The resident sees the request and its progress from the message, and can open it.
    assert workorder.assignee is not None
    workorder_accept(workorder=workorder, by=workorder.assignee)
    mine = as_user(city.resident).get(f"/circles/messages/{message.pk}/").content.decode()
    assert 'id="request-progress"' in mine
    assert f"/me/requests/{workorder.pk}/" in mine
    assert 'data-status="accepted"' in mine
    assert as_user(city.resident).get(f"/me/requests/{workorder.pk}/").status_code == 200
    feed = as_user(city.resident).get(f"/circles/{message.circle_id}/").content.decode()
    assert f"/me/requests/{workorder.pk}/" in feed
    # Once only.
    with pytest.raises(WrongState):
        request_from_circle_message(message=message, by=city.manager, category="hazard")


def test_who_may_and_what_is_refused_saves_nothing(city: City, message: Message) -> None:
    reply = message_reply(message=message, by=city.electrician, body="我马上来")
    before = snapshot(WorkOrder)
    with pytest.raises(OutsideScope):
        request_from_circle_message(message=message, by=city.manager_b, category="hazard")
    with pytest.raises(NotAllowed):
        request_from_circle_message(message=message, by=city.supervisor, category="hazard")
    with pytest.raises(BadInput):
        request_from_circle_message(message=message, by=city.manager, category="nonsense")
    with pytest.raises(ValidationError):
        request_from_circle_message(message=reply, by=city.manager, category="hazard")
    assert (
        as_user(city.resident).get(f"/desk/circle-messages/{message.pk}/request/").status_code
        == 403
    )
    assert (
        as_user(city.manager_b)
        .post(f"/desk/circle-messages/{message.pk}/request/", {"category": "hazard"})
        .status_code
        == 404
    )
    assert snapshot(WorkOrder) == before


def test_a_resident_with_several_households_here_has_staff_choose(
    city: City, message: Message
) -> None:
    HouseholdMembership.objects.create(user=city.resident, household=city.north_home_2)
    with pytest.raises(BadInput):
        request_from_circle_message(message=message, by=city.manager, category="hazard")
    page = as_user(city.manager).post(
        f"/desk/circle-messages/{message.pk}/request/", {"category": "hazard"}
    )
    assert page.status_code == 422
    with pytest.raises(BadInput):
        request_from_circle_message(
            message=message, by=city.manager, category="hazard", household=city.south_home
        )
    answer = as_user(city.manager).post(
        f"/desk/circle-messages/{message.pk}/request/",
        {"category": "hazard", "household": city.north_home_2.pk},
    )
    assert answer.status_code == 302
    assert WorkOrder.objects.get(circle_message=message).household == city.north_home_2
