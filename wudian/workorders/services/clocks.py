"""A request's service clocks — accept, arrive on site, resolve — as pure functions of the
request's fields, the time and the official calendar. Nothing here reads or writes the
database: the steps read the service rules (ClockRules) and save what these functions set."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from wudian.core.calendar import CalendarUnavailable, deadline, extend_deadline
from wudian.workorders.models import Category, WorkOrder

logger = logging.getLogger(__name__)

CLOCKS = ("accept", "arrive", "resolve")
DONE_FIELDS = {"accept": "accepted_at", "arrive": "arrived_at", "resolve": "resolved_at"}
# What the clocks set on a request: every step saves them.
CLOCK_FIELDS = [
    "accept_due",
    "arrive_due",
    "resolve_due",
    "next_due",
    "warn_at",
    "warned_clocks",
    "clock_problem",
    "clocks_started_at",
]


@dataclass(frozen=True)
class ClockRules:
    """The service rules the clocks follow (workorder.priority_percent and
    workorder.warn_remaining_percent)."""

    # A special-group household's clocks are shortened to this share of the target.
    priority_percent: Decimal
    # The owner is warned when this share of a running clock remains.
    warn_remaining_percent: Decimal


def clock_done(workorder: WorkOrder, clock: str) -> bool:
    return getattr(workorder, DONE_FIELDS[clock]) is not None


def due_of(workorder: WorkOrder, clock: str) -> datetime.datetime | None:
    value: datetime.datetime | None = getattr(workorder, f"{clock}_due")
    return value


def clock_targets(
    category: Category, *, priority: bool, rules: ClockRules
) -> dict[str, tuple[int, str]]:
    """Each clock's target (amount, unit) for a request of that category; a special-group
    household's are shortened to the priority share, rounded up (a one-working-day clock
    cannot get shorter)."""
    targets = {}
    for clock in CLOCKS:
        target = getattr(category, f"{clock}_target")
        if target is None:
            continue
        if priority:
            shortened = Decimal(target) * rules.priority_percent / 100
            target = max(int(shortened.to_integral_value(ROUND_CEILING)), 1)
        targets[clock] = (target, getattr(category, f"{clock}_unit"))
    return targets


def start_clocks(
    workorder: WorkOrder, clocks: Iterable[str], start: datetime.datetime, *, rules: ClockRules
) -> None:
    """Set the deadlines of these clocks from `start`. One the official calendar cannot give
    (a year it has no data for) stays empty with the reason in clock_problem: the request is
    filed all the same, and workorders_retry_clocks fills it in once the calendar knows."""
    targets = clock_targets(workorder.category, priority=workorder.priority, rules=rules)
    problems = []
    for clock in clocks:
        due = None
        if clock in targets:
            try:
                due = deadline(start, *targets[clock])
            except CalendarUnavailable as error:
                problems.append(str(error))
                logger.warning("workorder %s, %s clock: %s", workorder.pk, clock, error)
        setattr(workorder, f"{clock}_due", due)
    workorder.clock_problem = problems[0][:200] if problems else ""
    workorder.clocks_started_at = start


def extend_clocks(
    workorder: WorkOrder,
    *,
    paused_at: datetime.datetime,
    resumed_at: datetime.datetime,
    rules: ClockRules,
) -> None:
    """Move the unmet deadlines on by a pause."""
    targets = clock_targets(workorder.category, priority=workorder.priority, rules=rules)
    for clock, (_target, unit) in targets.items():
        due = due_of(workorder, clock)
        if due is None or clock_done(workorder, clock):
            continue
        try:
            extended = extend_deadline(due, unit, paused_at=paused_at, resumed_at=resumed_at)
        except CalendarUnavailable as error:
            workorder.clock_problem = str(error)[:200]
            continue
        setattr(workorder, f"{clock}_due", extended)


def running_clocks(workorder: WorkOrder) -> list[tuple[str, datetime.datetime]]:
    """Clocks still counting, earliest deadline first: started, not met and not yet found
    missed, while staff owe work (not while waiting for the resident)."""
    if workorder.status not in WorkOrder.ACTIVE_STATUSES:
        return []
    running = [
        (clock, due)
        for clock in CLOCKS
        if (due := due_of(workorder, clock)) is not None
        and not clock_done(workorder, clock)
        and getattr(workorder, f"{clock}_late") is None
    ]
    return sorted(running, key=lambda item: item[1])


def missed_clocks(workorder: WorkOrder) -> list[tuple[str, datetime.datetime]]:
    """Clocks found missed and still not met."""
    if workorder.status not in WorkOrder.ACTIVE_STATUSES:
        return []
    return [
        (clock, due)
        for clock in CLOCKS
        if (due := due_of(workorder, clock)) is not None
        and not clock_done(workorder, clock)
        and getattr(workorder, f"{clock}_late")
    ]


def warned_of(workorder: WorkOrder) -> set[str]:
    """The clocks whose owner was already warned."""
    return set(workorder.warned_clocks.split(",")) - {""}


def _length(workorder: WorkOrder, due: datetime.datetime) -> datetime.timedelta:
    started = workorder.clocks_started_at or workorder.created_at
    return max(due - started, datetime.timedelta(0))


@dataclass(frozen=True)
class ClockWarning:
    """A warning the sweep owes: to the owner, when a share of a running clock remains; to
    the supervisors, when a missed clock the customer manager was told of stays unmet for
    another clock's length."""

    at: datetime.datetime
    clock: str
    due: datetime.datetime
    to_supervisor: bool


def next_warning(workorder: WorkOrder, *, rules: ClockRules) -> ClockWarning | None:
    warned = warned_of(workorder)
    unwarned = [(clock, due) for clock, due in running_clocks(workorder) if clock not in warned]
    share = float(rules.warn_remaining_percent) / 100
    candidates = [
        ClockWarning(due - _length(workorder, due) * share, clock, due, to_supervisor=False)
        for clock, due in unwarned
    ]
    if workorder.escalation_level == 1:
        candidates += [
            ClockWarning(due + _length(workorder, due), clock, due, to_supervisor=True)
            for clock, due in missed_clocks(workorder)
        ]
    return min(candidates, key=lambda warning: warning.at, default=None)


def refresh_due(workorder: WorkOrder, *, rules: ClockRules) -> None:
    """next_due (the earliest running deadline) and warn_at (the next warning owed), which
    the workbench and the sweep filter on."""
    running = running_clocks(workorder)
    workorder.next_due = running[0][1] if running else None
    warning = next_warning(workorder, rules=rules)
    workorder.warn_at = warning.at if warning else None


def meet_clock(workorder: WorkOrder, clock: str, now: datetime.datetime) -> list[str]:
    """Stop one clock and decide whether it was met on time; returns the fields changed."""
    done_field, late_field = DONE_FIELDS[clock], f"{clock}_late"
    setattr(workorder, done_field, now)
    due = due_of(workorder, clock)
    if due is not None and getattr(workorder, late_field) is None:
        setattr(workorder, late_field, now > due)
    return [done_field, late_field]
