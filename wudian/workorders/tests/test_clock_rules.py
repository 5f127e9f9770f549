"""The service clocks as pure functions of a request's fields, the time and the official
calendar: no database (the requests and categories here are never saved)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.services.clocks import (
    ClockRules,
    clock_targets,
    extend_clocks,
    meet_clock,
    missed_clocks,
    next_warning,
    refresh_due,
    running_clocks,
    start_clocks,
)

RULES = ClockRules(priority_percent=Decimal(50), warn_remaining_percent=Decimal(20))
# Friday 27 November 2026, 09:00 in China; the next working day is Monday 30 November.
FRIDAY = timezone.make_aware(datetime.datetime(2026, 11, 27, 9, 0))
M, W = "minutes", "working_days"


def fault() -> Category:
    return Category(
        code="fault",
        routing=Category.Routing.ELECTRICIAN,
        accept_target=15,
        accept_unit=M,
        arrive_target=45,
        arrive_unit=M,
        resolve_target=225,
        resolve_unit=M,
    )


def application() -> Category:
    return Category(
        code="business",
        routing=Category.Routing.CUSTOMER_MANAGER,
        accept_target=1,
        accept_unit=W,
        arrive_target=None,
        resolve_target=5,
        resolve_unit=W,
    )


def filed(category: Category, *, priority: bool = False) -> WorkOrder:
    workorder = WorkOrder(
        category=category, status=WorkOrder.Status.SUBMITTED, priority=priority, created_at=FRIDAY
    )
    start_clocks(workorder, ("accept", "arrive", "resolve"), FRIDAY, rules=RULES)
    refresh_due(workorder, rules=RULES)
    return workorder


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def test_minute_clocks_run_from_filing_and_the_earliest_is_next() -> None:
    workorder = filed(fault())

    assert workorder.accept_due == FRIDAY + minutes(15)
    assert workorder.arrive_due == FRIDAY + minutes(45)
    assert workorder.resolve_due == FRIDAY + minutes(225)
    assert workorder.next_due == FRIDAY + minutes(15)
    assert workorder.warn_at == FRIDAY + minutes(12)  # a fifth of 15 minutes left


def test_working_day_clocks_skip_the_weekend_and_a_missing_clock_stays_empty() -> None:
    workorder = filed(application())

    assert workorder.accept_due == timezone.make_aware(datetime.datetime(2026, 12, 1))
    assert workorder.resolve_due == timezone.make_aware(datetime.datetime(2026, 12, 5))
    assert workorder.arrive_due is None
    assert workorder.clock_problem == ""


def test_a_special_group_households_clocks_are_shortened_and_rounded_up() -> None:
    assert clock_targets(fault(), priority=True, rules=RULES) == {
        "accept": (8, M),
        "arrive": (23, M),
        "resolve": (113, M),
    }
    # A one-working-day clock cannot get shorter.
    assert clock_targets(application(), priority=True, rules=RULES)["accept"] == (1, W)


def test_a_clock_met_late_is_flagged_and_stops_running() -> None:
    workorder = filed(fault())

    changed = meet_clock(workorder, "accept", FRIDAY + minutes(20))

    assert changed == ["accepted_at", "accept_late"]
    assert workorder.accept_late is True
    assert [clock for clock, _due in running_clocks(workorder)] == ["arrive", "resolve"]


def test_a_missed_clock_leaves_the_running_ones_and_waits_for_the_supervisor() -> None:
    workorder = filed(fault())
    workorder.accept_late = True
    workorder.escalation_level = 1

    assert [clock for clock, _due in missed_clocks(workorder)] == ["accept"]
    warning = next_warning(workorder, rules=RULES)
    assert warning is not None
    # Unmet for another clock's length after it was missed: the supervisors hear of it,
    # before the arrival clock's owner is warned (at 36 minutes).
    assert (warning.clock, warning.to_supervisor, warning.at) == (
        "accept",
        True,
        FRIDAY + minutes(30),
    )
    workorder.accept_late = None
    workorder.accepted_at = FRIDAY + minutes(31)
    warning = next_warning(workorder, rules=RULES)
    assert warning is not None
    assert (warning.clock, warning.to_supervisor, warning.at) == (
        "arrive",
        False,
        FRIDAY + minutes(36),
    )


def test_a_pause_moves_wall_time_deadlines_by_its_length_and_working_days_by_days_covered() -> None:
    workorder = filed(fault())
    extend_clocks(
        workorder, paused_at=FRIDAY + minutes(5), resumed_at=FRIDAY + minutes(65), rules=RULES
    )
    assert workorder.accept_due == FRIDAY + minutes(75)

    application_request = filed(application())
    due = application_request.resolve_due
    # Paused over the weekend: no working day covered, no change.
    extend_clocks(
        application_request,
        paused_at=FRIDAY + minutes(60),
        resumed_at=FRIDAY + datetime.timedelta(days=2),
        rules=RULES,
    )
    assert application_request.resolve_due == due


def test_waiting_for_the_resident_stops_every_clock() -> None:
    workorder = filed(fault())
    workorder.status = WorkOrder.Status.WAITING

    refresh_due(workorder, rules=RULES)

    assert (workorder.next_due, workorder.warn_at) == (None, None)
