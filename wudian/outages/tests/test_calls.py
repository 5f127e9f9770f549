"""Phone calls for the special-group households a notice reaches: the outage app says who
calls each (grid.scope.phone_calls_for), notify writes the call tasks."""

from __future__ import annotations

import pytest

from wudian.conftest import City
from wudian.grid.models import CompoundAssignment, Household
from wudian.notify.models import CallTask, Message
from wudian.outages.models import Outage, OutageEvent
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
