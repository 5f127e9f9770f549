"""What each person's first page shows first: the work waiting on them, read from the apps'
selectors, each part a few rows and a count, with a link to the list behind it.

Every part costs a fixed number of queries, whatever the scope holds: the home pages have
query-count pins (front/tests/test_pages_homes.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from wudian.accounts.models import RoleCode, User
from wudian.analytics.selectors import loss_alarms, may_use_lineloss
from wudian.grid.models import Household
from wudian.grid.scope import Purpose, station_areas_for
from wudian.notify.models import CallTask
from wudian.notify.selectors import call_tasks_of, failed_visible_to, may_see_failed
from wudian.outages.models import Outage
from wudian.outages.selectors import outages_being_prepared, outages_for_resident, planned_reach
from wudian.workorders.models import WorkOrder
from wudian.workorders.selectors import (
    priority_households,
    waiting_on_resident,
    workbench_tabs,
    workorder_rows,
    workorders_visible_to,
)

# Rows shown per part; the count says how many more the list behind it holds.
SHOWN = 5
# Counts stop here ("99+"): the list behind the link says the rest.
COUNT_CAP = 99


@dataclass(frozen=True)
class Part:
    """A few rows of one list and how many it holds in all (capped)."""

    rows: list[Any]
    count: int

    @property
    def shown_count(self) -> str:
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)

    @property
    def more(self) -> bool:
        return self.count > len(self.rows)


def capped_count(queryset: QuerySet[Any]) -> int:
    """How many rows there are, counted no further than COUNT_CAP + 1 ("99+")."""
    return queryset.order_by()[: COUNT_CAP + 1].count()


def _part(queryset: QuerySet[Any], rows: QuerySet[Any] | None = None) -> Part:
    shown = list((rows if rows is not None else queryset)[:SHOWN])
    return Part(rows=shown, count=capped_count(queryset))


@dataclass
class DeskWork:
    """The staff desk's parts; None where the role has no such work."""

    calls: Part | None = None
    queue: Part | None = None
    awaiting_acceptance: int | None = None
    overdue: Part | None = None
    due: Part | None = None
    drafts: list[tuple[Outage, int]] | None = None
    drafts_more: bool = False
    failed: int | None = None
    lineloss_alarms: int | None = None
    special_group_shown: list[Household] = field(default_factory=list)


def _calls_waiting(user: User) -> Part:
    return _part(call_tasks_of(user).filter(state=CallTask.State.OPEN))


def desk_work(user: User, *, now: datetime.datetime) -> DeskWork:
    """What waits on a member of staff, by what their roles may do."""
    work = DeskWork()
    electrician = user.has_role(RoleCode.ELECTRICIAN)
    manager = user.has_role(RoleCode.CUSTOMER_MANAGER) or user.is_superuser
    utility_side = manager or user.has_role(RoleCode.SUPERVISOR, RoleCode.GRID_ADMIN)
    if electrician or manager:
        work.calls = _calls_waiting(user)
    lists = workbench_tabs(user, workorders_visible_to(user), now=now)
    work.queue = _part(lists["mine"], workorder_rows(lists["mine"]))
    if electrician or user.has_role(RoleCode.PROPERTY_STAFF):
        waiting = lists["all"].filter(status=WorkOrder.Status.SUBMITTED)
        work.awaiting_acceptance = capped_count(waiting)
    if utility_side:
        work.overdue = _part(lists["overdue"], workorder_rows(lists["overdue"]))
        work.due = _part(lists["due"], workorder_rows(lists["due"]))
    if manager or user.has_role(RoleCode.SUPERVISOR):
        drafts = list(outages_being_prepared(user)[: SHOWN + 1])
        work.drafts_more = len(drafts) > SHOWN
        work.drafts = [(outage, planned_reach(outage)) for outage in drafts[:SHOWN]]
    if may_see_failed(user):
        work.failed = capped_count(failed_visible_to(user))
    if may_use_lineloss(user):
        alarms = loss_alarms(station_areas_for(user, Purpose.OVERSEE))
        work.lineloss_alarms = alarms.order_by().count()
    shown: list[WorkOrder] = []
    for part in (work.queue, work.overdue, work.due):
        if part is not None:
            shown.extend(part.rows)
    households = {h.pk: h for h in priority_households(shown)}
    if work.calls is not None:
        households.update({task.household.pk: task.household for task in work.calls.rows})
    work.special_group_shown = list(households.values())
    return work


@dataclass
class HomeWork:
    """What waits on a resident."""

    requests: list[WorkOrder]
    outages_to_acknowledge: list[Outage]
    outages: list[Outage]


def home_work(user: User, *, now: datetime.datetime) -> HomeWork:
    """The requests waiting on the resident, the outages they have not acknowledged, then
    every upcoming or current outage of their homes."""
    requests = list(
        waiting_on_resident(user, now=now).select_related("category", "compound")[: SHOWN * 2]
    )
    outages = list(outages_for_resident(user))
    unacknowledged = [
        outage
        for outage in outages
        if outage.state in Outage.LIVE_STATES
        and any(row.acknowledged_at is None for row in outage.my_affected)  # type: ignore[attr-defined]
    ]
    return HomeWork(requests=requests, outages_to_acknowledge=unacknowledged, outages=outages)
