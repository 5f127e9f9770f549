"""The clocks' sweep (services.workorders_check_clocks, run every minute by Huey): warnings
before a deadline, missed deadlines escalated to the customer manager and then the
supervisors, resolved requests closed by themselves; safe to run twice."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from huey.api import PeriodicTask
from huey.contrib.djhuey import HUEY

from wudian.conftest import City, snapshot, told
from wudian.core.models import ServiceRule
from wudian.notify.models import Message
from wudian.workorders import tasks
from wudian.workorders.models import WorkOrder, WorkOrderEvent
from wudian.workorders.services import (
    workorder_accept,
    workorder_arrive,
    workorder_resolve,
    workorder_transfer,
    workorders_check_clocks,
)
from wudian.workorders.tests.conftest import FRIDAY

Status = WorkOrder.Status
NOTHING = {"warned": 0, "overdue": 0, "closed": 0}


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def set_rule(key: str, value: int) -> None:
    ServiceRule.objects.update_or_create(key=key, defaults={"value": Decimal(value)})


def sweep_twice(at: datetime.datetime) -> dict[str, int]:
    """Run the sweep, then again at the same moment: the second run must find nothing."""
    first = workorders_check_clocks(now=at)
    before = snapshot(*WorkOrder.objects.all(), WorkOrderEvent)
    assert workorders_check_clocks(now=at) == NOTHING
    assert snapshot(*WorkOrder.objects.all(), WorkOrderEvent) == before
    return first


def accepted_fault(city: City, file_request: Any) -> WorkOrder:
    wo = file_request(now=FRIDAY)
    return workorder_accept(workorder=wo, by=city.electrician, now=FRIDAY + minutes(1))


# Warnings ----------------------------------------------------------------------------------


def test_the_owner_is_warned_when_a_fifth_of_the_clock_remains(
    city: City, file_request: Any
) -> None:
    wo = accepted_fault(city, file_request)
    assert wo.warn_at == FRIDAY + minutes(36)  # arrival due at 45

    assert sweep_twice(FRIDAY + minutes(35)) == NOTHING
    assert sweep_twice(FRIDAY + minutes(37)) == {"warned": 1, "overdue": 0, "closed": 0}

    event = WorkOrderEvent.objects.get(workorder=wo, kind="warned")
    assert event.data["clock"] == "arrive"
    message = Message.objects.get(user=city.electrician, channel="inapp", context__kind="warned")
    assert message.context["clock"] == "arrive"
    assert message.context["clock_due_text"] == "2026-11-27 09:45"
    assert told(city.manager, "warned") == 0
    assert not Message.objects.filter(user=city.resident, context__kind="warned").exists()
    stored = WorkOrder.objects.get(pk=wo.pk)
    assert stored.warned_clocks == "arrive"
    assert stored.warn_at == FRIDAY + minutes(225 - 45)  # the resolution clock's turn


def test_the_holder_of_a_request_nobody_accepted_yet_is_warned(
    city: City, file_request: Any
) -> None:
    file_request(now=FRIDAY)

    assert sweep_twice(FRIDAY + minutes(13))["warned"] == 1

    assert told(city.electrician, "warned") == 1


def test_the_warning_share_is_a_rule(city: City, file_request: Any) -> None:
    set_rule("workorder.warn_remaining_percent", 50)

    wo = accepted_fault(city, file_request)

    assert wo.warn_at == FRIDAY + minutes(22) + datetime.timedelta(seconds=30)


# Missed deadlines --------------------------------------------------------------------------


def test_a_missed_deadline_is_marked_late_and_goes_to_the_manager_then_the_supervisor(
    city: City, file_request: Any
) -> None:
    wo = file_request(now=FRIDAY)

    assert sweep_twice(FRIDAY + minutes(16))["overdue"] == 1
    stored = WorkOrder.objects.get(pk=wo.pk)
    assert stored.accept_late is True
    assert stored.accepted_at is None
    assert stored.escalation_level == 1
    assert stored.next_due == stored.arrive_due  # the missed clock no longer drives it
    assert told(city.manager, "overdue") == 1
    assert told(city.electrician, "overdue") == 1  # the holder
    assert told(city.supervisor, "overdue") == 0

    # The next deadline missed as well: the supervisors.
    assert sweep_twice(FRIDAY + minutes(46))["overdue"] == 1
    stored = WorkOrder.objects.get(pk=wo.pk)
    assert stored.arrive_late is True
    assert stored.escalation_level == 2
    assert told(city.supervisor, "overdue") == 1
    assert told(city.manager, "overdue") == 1
    overdue = WorkOrderEvent.objects.filter(workorder=wo, kind="overdue")
    assert [e.data for e in overdue] == [
        {"clocks": ["accept"], "escalation_level": 1},
        {"clocks": ["arrive"], "escalation_level": 2},
    ]


def test_a_missed_clock_still_unmet_after_another_clock_length_reaches_the_supervisor(
    city: City, file_request: Any
) -> None:
    wo = accepted_fault(city, file_request)
    wo = workorder_arrive(workorder=wo, by=city.electrician, now=FRIDAY + minutes(30))
    due = FRIDAY + minutes(225)

    assert sweep_twice(due + minutes(1))["overdue"] == 1
    assert WorkOrder.objects.get(pk=wo.pk).escalation_level == 1
    assert told(city.manager, "overdue") == 1

    assert sweep_twice(due + minutes(224)) == NOTHING
    assert sweep_twice(due + minutes(226))["overdue"] == 1

    stored = WorkOrder.objects.get(pk=wo.pk)
    assert stored.escalation_level == 2
    assert stored.warn_at is None
    assert told(city.supervisor, "overdue") == 1
    assert sweep_twice(due + datetime.timedelta(days=3)) == NOTHING


def test_when_the_manager_holds_it_a_missed_deadline_goes_straight_to_the_supervisor(
    city: City, file_request: Any
) -> None:
    wo = file_request("complaint", description="抄表员态度不好", now=FRIDAY)

    assert sweep_twice(wo.accept_due + minutes(1))["overdue"] == 1

    assert WorkOrder.objects.get(pk=wo.pk).escalation_level == 2
    assert told(city.supervisor, "overdue") == 1
    assert told(city.manager, "overdue") == 1  # as the holder


def test_a_later_step_does_not_escalate_a_missed_deadline_again(
    city: City, file_request: Any
) -> None:
    wo = file_request(now=FRIDAY)
    workorders_check_clocks(now=FRIDAY + minutes(16))

    workorder_transfer(
        workorder=wo,
        by=city.manager,
        reason="换经理处理",
        to_user=city.manager,
        now=FRIDAY + minutes(17),
    )

    assert workorders_check_clocks(now=FRIDAY + minutes(18)) == NOTHING
    assert WorkOrderEvent.objects.filter(workorder=wo, kind="overdue").count() == 1


def test_a_request_met_in_time_is_never_overdue(city: City, file_request: Any) -> None:
    wo = accepted_fault(city, file_request)
    wo = workorder_arrive(workorder=wo, by=city.electrician, now=FRIDAY + minutes(30))
    workorder_resolve(workorder=wo, by=city.electrician, note="修好了", now=FRIDAY + minutes(60))

    assert sweep_twice(FRIDAY + minutes(300)) == NOTHING


def test_a_long_outage_of_the_sweep_catches_up_in_one_run(city: City, file_request: Any) -> None:
    wo = file_request(now=FRIDAY)

    counts = sweep_twice(FRIDAY + datetime.timedelta(hours=10))

    stored = WorkOrder.objects.get(pk=wo.pk)
    assert (stored.accept_late, stored.arrive_late, stored.resolve_late) == (True, True, True)
    assert stored.escalation_level == 2
    assert counts["warned"] == 0  # no warning for a deadline already past
    assert told(city.manager, "overdue") >= 1
    assert told(city.supervisor, "overdue") >= 1


# Closing by itself -------------------------------------------------------------------------


def resolved(city: City, file_request: Any) -> WorkOrder:
    wo = accepted_fault(city, file_request)
    return workorder_resolve(
        workorder=wo, by=city.electrician, note="更换空开", now=FRIDAY + minutes(60)
    )


def test_a_resolved_request_nobody_confirms_closes_after_the_configured_days(
    city: City, file_request: Any
) -> None:
    wo = resolved(city, file_request)
    week = FRIDAY + minutes(60) + datetime.timedelta(days=7)

    assert sweep_twice(week - minutes(1)) == NOTHING
    assert sweep_twice(week + minutes(1)) == {"warned": 0, "overdue": 0, "closed": 1}

    stored = WorkOrder.objects.get(pk=wo.pk)
    assert stored.status == Status.CLOSED
    assert stored.auto_closed
    assert stored.confirmed_at is None
    assert stored.closed_at == week + minutes(1)
    assert WorkOrderEvent.objects.get(workorder=wo, kind="closed").by is None
    assert told(city.resident, "closed", template="workorder_resident") == 1
    assert told(city.electrician, "closed") == 1


def test_the_auto_close_delay_is_a_rule(city: City, file_request: Any) -> None:
    set_rule("workorder.autoclose_days", 3)
    wo = resolved(city, file_request)

    workorders_check_clocks(now=FRIDAY + minutes(61) + datetime.timedelta(days=3))

    assert WorkOrder.objects.get(pk=wo.pk).status == Status.CLOSED


# The periodic task -------------------------------------------------------------------------


def test_the_sweep_runs_every_minute_as_a_huey_periodic_task(city: City, file_request: Any) -> None:
    periodic = {type(task) for task in HUEY._registry.periodic_tasks}
    assert tasks.check_clocks.task_class in periodic
    assert tasks.retry_clocks.task_class in periodic
    assert issubclass(tasks.check_clocks.task_class, PeriodicTask)
    task = tasks.check_clocks.s()
    assert all(task.validate_datetime(FRIDAY.replace(tzinfo=None) + minutes(n)) for n in range(5))
    wo = file_request(now=timezone.now() - minutes(20))

    counts = tasks.check_clocks.call_local()

    assert counts["overdue"] == 1
    assert WorkOrder.objects.get(pk=wo.pk).accept_late is True
