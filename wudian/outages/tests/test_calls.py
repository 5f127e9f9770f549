"""Phone calls for the special-group households a notice reaches: the outage app says who
calls each (grid.scope.phone_calls_for), notify writes the call tasks."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from wudian.conftest import City
from wudian.grid.models import CompoundAssignment, Household
from wudian.notify.models import CallTask, Failure, Message
from wudian.notify.services import call_task_done
from wudian.outages.models import Outage, OutageEvent
from wudian.outages.services import outage_cancel, outage_postpone
from wudian.outages.tests.conftest import build_world, create


@pytest.fixture
def world(city: City) -> City:
    return build_world(city)


def test_a_published_notice_has_the_certified_electrician_call_each_special_group_household(
    world: City,
) -> None:
    world.north_home.special_group = True
    world.north_home.save(update_fields=["special_group"])

    outage = create(world.manager)

    task = CallTask.objects.get()
    event = outage.events.get(kind=OutageEvent.Kind.PUBLISHED)
    assert (task.household, task.assignee) == (world.north_home, world.electrician)
    assert (task.event_key, task.source) == (
        f"outage:{outage.pk}:{event.pk}",
        f"outage:{outage.pk}",
    )
    assert outage.title in task.reason
    reminder = Message.objects.get(user=world.electrician, template="call_tasks")
    assert reminder.context["count"] == 1


def test_without_a_certified_electrician_the_customer_manager_calls(world: City) -> None:
    Household.objects.filter(pk=world.north_home_2.pk).update(special_group=True)
    CompoundAssignment.objects.filter(user=world.electrician).delete()

    create(world.manager)

    task = CallTask.objects.get()
    assert (task.household, task.assignee) == (world.north_home_2, world.manager)


def test_a_notice_reaching_no_special_group_household_asks_for_no_call(world: City) -> None:
    outage = create(world.manager)

    assert outage.state == Outage.State.PUBLISHED
    assert not CallTask.objects.exists()
    assert not Message.objects.filter(template="call_tasks").exists()


def test_a_later_step_of_the_outage_updates_the_one_open_call(world: City) -> None:
    world.north_home.special_group = True
    world.north_home.save(update_fields=["special_group"])
    outage = create(world.manager)

    outage_postpone(
        outage=outage,
        by=world.manager,
        start=outage.start + datetime.timedelta(days=1),
        end=outage.end + datetime.timedelta(days=1),
        note="天气原因",
    )

    task = CallTask.objects.get()
    assert task.context["event"] == OutageEvent.Kind.POSTPONED
    assert task.template == "outage_call"


def test_the_call_says_why_to_call_for_the_caller_and_done_calls_leave_the_list(
    world: City, login: Any
) -> None:
    world.north_home.special_group = True
    world.north_home.save(update_fields=["special_group"])
    outage = create(world.manager)
    task = CallTask.objects.get()
    client = login(world.electrician)

    page = client.get(reverse("notify:calls")).text
    client.post(reverse("notify:call_done", args=[task.pk]), {"outcome": "reached"})
    after = client.get(reverse("notify:calls")).text
    made = client.get(reverse("notify:calls") + "?done=1").text

    assert outage.title in page
    assert task.context["start_text"] in page
    assert "询问是否需要帮助" in page  # written for the caller, not the resident
    assert f'href="/desk/outages/{outage.pk}/"' in page
    assert world.north_home.address in page
    assert world.north_home.address not in after
    assert world.north_home.address in made


def test_a_done_call_and_a_later_step_ask_for_a_new_call(world: City) -> None:
    world.north_home.special_group = True
    world.north_home.save(update_fields=["special_group"])
    outage = create(world.manager)
    call_task_done(task=CallTask.objects.get(), by=world.electrician, outcome="reached")

    outage_cancel(outage=outage, by=world.manager, note="检修取消")

    assert CallTask.objects.filter(state=CallTask.State.OPEN).count() == 1
    assert CallTask.objects.count() == 2


def test_the_reach_explains_failures_links_to_them_and_lists_the_calls(
    world: City, login: Any
) -> None:
    world.north_home.special_group = True
    world.north_home.save(update_fields=["special_group"])
    outage = create(world.manager)
    Message.objects.filter(source=f"outage:{outage.pk}", channel="sms").update(
        state=Message.State.FAILED, failure=Failure.BAD_ADDRESS
    )

    page = login(world.manager).get(reverse("outages:detail", args=[outage.pk])).text
    supervisor = login(world.supervisor).get(reverse("outages:detail", args=[outage.pk])).text

    assert "该渠道的地址无效" in page
    assert f'href="/desk/notifications/failed/?source=outage%3A{outage.pk}"' in page
    assert 'id="calls"' in page
    assert world.north_home.address in page
    # A supervisor does not serve the household: the count only, not whose it is.
    assert 'id="calls"' in supervisor
    assert world.north_home.address not in supervisor
