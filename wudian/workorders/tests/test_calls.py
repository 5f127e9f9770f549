"""Phone calls for a special-group household a request was typed in for: the request app says
who calls it (grid.scope.phone_calls_for), notify writes the call task."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.conftest import City
from wudian.notify.models import CallTask, Message
from wudian.workorders.models import Channel, WorkOrderEvent
from wudian.workorders.services import workorder_accept, workorder_resolve


def typed_in(city: City, file_request: Any) -> Any:
    return file_request(
        "outage_enquiry",
        by=city.manager,
        channel=Channel.PHONE,
        description="问计划检修什么时候结束",
        contact_name="王先生",
        contact_phone="13800000001",
    )


def test_the_customer_manager_calls_about_a_request_the_electrician_may_not_see(
    city: City, file_request: Any, login: Any
) -> None:
    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])

    wo = typed_in(city, file_request)  # an outage enquiry: the property side does not see it

    task = CallTask.objects.get()
    assert (task.household, task.assignee) == (city.north_home, city.manager)
    calls = login(city.electrician).get("/desk/calls/").content.decode()
    assert city.north_home.phone not in calls
    assert f"#{wo.pk}" not in calls


def test_the_electrician_calls_about_a_fault_behind_the_meter_they_may_open(
    city: City, file_request: Any
) -> None:
    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])

    wo = file_request(by=city.manager, channel=Channel.PHONE, contact_name="王先生")

    task = CallTask.objects.get()
    event = wo.events.get(kind=WorkOrderEvent.Kind.SUBMITTED)
    assert (task.household, task.assignee) == (city.north_home, city.electrician)
    assert task.event_key == f"workorder:{wo.pk}:{event.pk}:resident"
    assert task.source == f"workorder:{wo.pk}"
    assert Message.objects.filter(user=city.electrician, template="call_tasks").count() == 1


@pytest.mark.parametrize("special", [False, True])
def test_no_call_for_an_ordinary_household_or_for_a_residents_own_filing(
    city: City, file_request: Any, special: bool
) -> None:
    city.north_home.special_group = special
    city.north_home.save(update_fields=["special_group"])

    if special:
        file_request()  # the resident filed it themselves
    else:
        typed_in(city, file_request)

    assert not CallTask.objects.exists()


def test_each_step_of_a_typed_in_request_updates_one_call_that_says_what_to_tell(
    city: City, file_request: Any, login: Any
) -> None:
    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])
    wo = file_request(by=city.manager, channel=Channel.PHONE, contact_name="王先生")

    workorder_accept(workorder=wo, by=city.electrician)
    workorder_resolve(workorder=wo, by=city.electrician, note="更换了漏电开关")

    task = CallTask.objects.get()
    assert (task.template, task.context["kind"]) == ("workorder_call", "resolved")
    page = login(city.electrician).get("/desk/calls/").content.decode()
    assert f"诉求 #{wo.pk} 电话告知" in page
    assert "询问问题是否已解决" in page  # what to tell, for the caller
    assert "更换了漏电开关" in page
    assert f'href="/desk/requests/{wo.pk}/"' in page
