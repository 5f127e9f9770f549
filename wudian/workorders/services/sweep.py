"""The sweeps, run by periodic tasks: warn owners before a deadline, mark missed deadlines late
and escalate them, close resolved requests nobody confirmed, fill in deadlines the official
calendar could not give before, and hand faults held by an electrician whose certificate
lapsed back to the customer manager."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode
from wudian.accounts.selectors import valid_certificate_holders, valid_certificates
from wudian.core.calendar import china_date
from wudian.core.rules import rule_value
from wudian.grid import scope
from wudian.workorders.models import Category, WorkOrder, WorkOrderEvent
from wudian.workorders.policy import UTILITY_ROLES
from wudian.workorders.services.clocks import (
    CLOCKS,
    ClockWarning,
    clock_done,
    due_of,
    next_warning,
    running_clocks,
    start_clocks,
    warned_of,
)
from wudian.workorders.services.closing import close
from wudian.workorders.services.handover import hand_over
from wudian.workorders.services.recording import (
    clock_rules,
    for_update,
    local_text,
    name_of,
    save,
    take_step,
)
from wudian.workorders.services.routing import CompoundStaff

SWEEP_BATCH = 500

logger = logging.getLogger(__name__)

Status = WorkOrder.Status
Event = WorkOrderEvent.Kind


def workorders_check_clocks(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Warn owners before a deadline; mark missed deadlines late and escalate them (to the
    customer manager, then the supervisors); close resolved requests nobody confirmed.

    Safe to run twice and from several consumers at once: each request is locked and checked
    again, and what was done is recorded on it (late flags, warned clocks, escalation level),
    so a second run finds nothing left to do."""
    now = now or timezone.now()
    counts = {"warned": 0, "overdue": 0, "closed": 0}
    due = WorkOrder.objects.filter(_clocks_due(now)).order_by("pk")
    for pk in due.values_list("pk", flat=True)[:SWEEP_BATCH]:
        for outcome in _check_clocks_of(pk, now):
            counts[outcome] += 1
    resolved_before = now - datetime.timedelta(days=int(rule_value("workorder.autoclose_days")))
    unconfirmed = WorkOrder.objects.filter(status=Status.RESOLVED, resolved_at__lte=resolved_before)
    for pk in unconfirmed.order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH]:
        counts["closed"] += _auto_close(pk, now, resolved_before=resolved_before)
    return counts


def _clocks_due(now: datetime.datetime) -> Q:
    """Requests with a deadline passed or a warning owed, by what is stored on them."""
    return Q(status__in=WorkOrder.ACTIVE_STATUSES) & (Q(next_due__lte=now) | Q(warn_at__lte=now))


def _check_clocks_of(pk: int, now: datetime.datetime) -> list[str]:
    """What the sweep does to one request, locked, once: returns what it did."""
    with transaction.atomic():
        # Filtered again under the lock: a concurrent run may have done it meanwhile.
        wo = for_update().filter(_clocks_due(now), pk=pk).first()
        if wo is None:
            return []
        outcomes = []
        rules = clock_rules()
        missed = [(clock, due) for clock, due in running_clocks(wo) if due <= now]
        if missed:
            changed = [f"{clock}_late" for clock, _when in missed]
            for field in changed:
                setattr(wo, field, True)
            _escalate_overdue(wo, missed, now, changed=changed)
            outcomes.append("overdue")
        while (warning := next_warning(wo, rules=rules)) is not None and warning.at <= now:
            if warning.to_supervisor:
                _escalate_overdue(wo, [(warning.clock, warning.due)], now, changed=[])
                outcomes.append("overdue")
            else:
                _warn_owner(wo, warning, now)
                outcomes.append("warned")
        if not outcomes:
            save(wo, [], now)  # what the sweep filtered on was stale
        return outcomes


def _warn_owner(workorder: WorkOrder, warning: ClockWarning, now: datetime.datetime) -> None:
    workorder.warned_clocks = ",".join(sorted(warned_of(workorder) | {warning.clock}))
    take_step(
        workorder,
        Event.WARNED,
        by=None,
        now=now,
        data={"clock": warning.clock, "due": warning.due.isoformat()},
        residents=False,
        extra={"clock": warning.clock, "clock_due_text": local_text(warning.due)},
    )


def _escalate_overdue(
    workorder: WorkOrder,
    missed: list[tuple[str, datetime.datetime]],
    now: datetime.datetime,
    *,
    changed: list[str],
) -> None:
    """One step up per missed deadline, and one more when it stays unmet: first the customer
    manager, then the district's supervisors (at once if the manager holds it, or there is
    none). The owner and holder are told each time."""
    manager = scope.customer_manager_id(workorder.compound_id)
    level = min(workorder.escalation_level + 1, 2)
    if level == 1 and manager in (None, workorder.assignee_id):
        level = 2
    workorder.escalation_level = level
    clocks = [clock for clock, _when in missed]
    take_step(
        workorder,
        Event.OVERDUE,
        by=None,
        now=now,
        changed=[*changed, "escalation_level"],
        data={"clocks": clocks, "escalation_level": level},
        also=[manager] if level == 1 and manager else scope.supervisor_ids_of(workorder.compound),
        residents=False,
        urgent=True,
        extra={"clock": clocks[0], "clock_due_text": local_text(missed[0][1])},
    )


def _auto_close(pk: int, now: datetime.datetime, *, resolved_before: datetime.datetime) -> int:
    with transaction.atomic():
        wo = (
            for_update()
            .filter(pk=pk, status=Status.RESOLVED, resolved_at__lte=resolved_before)
            .first()
        )
        if wo is None:
            return 0
        close(wo, by=None, now=now)
    return 1


def workorders_retry_clocks(*, now: datetime.datetime | None = None) -> int:
    """Fill in the deadlines the official calendar could not give when their clock started
    (its next year was not published yet), once an updated calendar knows them. Returns how
    many requests got all their deadlines."""
    now = now or timezone.now()
    pending = WorkOrder.objects.filter(status__in=WorkOrder.ACTIVE_STATUSES).exclude(
        clock_problem=""
    )
    fixed = 0
    for pk in pending.order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH]:
        with transaction.atomic():
            wo = for_update().filter(pk=pk, status__in=WorkOrder.ACTIVE_STATUSES).first()
            if wo is None or not wo.clock_problem:
                continue
            missing = [c for c in CLOCKS if due_of(wo, c) is None and not clock_done(wo, c)]
            start_clocks(wo, missing, wo.clocks_started_at or wo.created_at, rules=clock_rules())
            if wo.clock_problem:
                continue
            save(wo, [], now)
            fixed += 1
    return fixed


# Open311 keys ------------------------------------------------------------------------------


def workorders_hand_back_lapsed(*, now: datetime.datetime | None = None) -> int:
    """Behind-the-meter requests in the hands of a property electrician whose certificate is
    no longer valid go back to the compound's customer manager, who must accept them, with a
    step on the timeline saying why. Safe to run twice: each request is locked and looked at
    again. Returns how many went back."""
    now = now or timezone.now()
    on = china_date(now)
    lapsed = (
        WorkOrder.objects.filter(
            status__in=WorkOrder.ACTIVE_STATUSES,
            category__routing=Category.Routing.ELECTRICIAN,
            assignee__roles__code=RoleCode.ELECTRICIAN,
        )
        .exclude(assignee__roles__code__in=UTILITY_ROLES)
        .exclude(Exists(valid_certificates(on=on).filter(holder=OuterRef("assignee_id"))))
    )
    handed = 0
    for pk in lapsed.order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH]:
        with transaction.atomic():
            wo = for_update().filter(pk=pk, status__in=WorkOrder.ACTIVE_STATUSES).first()
            if wo is None or wo.assignee is None:
                continue
            if wo.assignee.pk in valid_certificate_holders([wo.assignee], on=on):
                continue  # renewed meanwhile
            manager = CompoundStaff(wo.compound).manager
            if manager is None or manager.pk == wo.assignee_id:
                logger.warning("request %s: no customer manager to hand it back to", wo.pk)
                continue
            hand_over(
                wo,
                by=None,
                kind=Event.ESCALATED,
                reason=_(
                    "%(name)s's electrician certificate is no longer valid: the request goes "
                    "back to the customer manager."
                )
                % {"name": name_of(wo.assignee)},
                to_user=manager,
                department=None,
                now=now,
            )
            handed += 1
    return handed
