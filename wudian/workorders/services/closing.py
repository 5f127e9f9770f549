"""Closing the loop: the resident confirms and rates, or reopens a request that is not
settled; a request is withdrawn or cancelled."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.core.errors import invalid
from wudian.grid import scope
from wudian.workorders.models import WorkOrder, WorkOrderEvent
from wudian.workorders.policy import REQUESTER, is_requester
from wudian.workorders.services.clocks import clock_done, start_clocks, warned_of
from wudian.workorders.services.recording import (
    MAX_NOTE,
    acting_on,
    clean_text,
    clock_rules,
    take_step,
)
from wudian.workorders.services.routing import raise_risk

MAX_RATING_COMMENT = 1000

Status = WorkOrder.Status
Event = WorkOrderEvent.Kind


def workorder_reopen(
    *, workorder: WorkOrder, by: User, reason: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """The resident says it is not settled: back to the hands that resolved it, with new
    arrival (if nobody came) and resolution clocks, and the escalation ladder from the start."""
    now = now or timezone.now()
    reason = clean_text(reason, field="reason", limit=MAX_NOTE)
    with acting_on(workorder, "reopen", by=by, now=now) as (wo, parties):
        wo.status = Status.ACCEPTED if wo.assignee_id else Status.SUBMITTED
        wo.resolved_at = None
        wo.resolve_late = None
        wo.reopen_count += 1
        wo.escalation_level = 0
        restarted = [clock for clock in ("arrive", "resolve") if not clock_done(wo, clock)]
        wo.warned_clocks = ",".join(sorted(warned_of(wo) - set(restarted)))
        start_clocks(wo, restarted, now, rules=clock_rules())
        changed = ["status", "resolved_at", "resolve_late", "reopen_count", "escalation_level"]
        risk = raise_risk(wo, reason) if REQUESTER in parties else []
        take_step(
            wo,
            Event.REOPENED,
            by=by,
            now=now,
            changed=[*changed, *risk],
            note=reason,
            also=scope.supervisor_ids_of(wo.compound) if risk else [],
        )
    return wo


def workorder_cancel(
    *, workorder: WorkOrder, by: User, reason: str = "", now: datetime.datetime | None = None
) -> WorkOrder:
    """The resident withdraws the request, or the customer manager cancels it with a reason
    (a duplicate, filed by mistake)."""
    now = now or timezone.now()
    requester = is_requester(by, workorder)
    reason = clean_text(reason, field="reason", limit=MAX_NOTE, required=not requester)
    with acting_on(workorder, "cancel", by=by, now=now) as (wo, _parties):
        wo.status = Status.CANCELLED
        wo.cancelled_at = now
        wo.paused_at = None
        take_step(
            wo,
            Event.CANCELLED,
            by=by,
            now=now,
            changed=["status", "cancelled_at", "paused_at"],
            note=reason,
            residents=not requester,
        )
    return wo


def close(workorder: WorkOrder, *, by: User | None, now: datetime.datetime) -> None:
    """Close a resolved request: confirmed by the resident (`by`), or by itself (no `by`)."""
    workorder.status = Status.CLOSED
    workorder.closed_at = now
    changed = ["status", "closed_at"]
    if by is not None:
        workorder.confirmed_at = now
        changed.append("confirmed_at")
    else:
        workorder.auto_closed = True
        changed.append("auto_closed")
    kind = Event.CONFIRMED if by is not None else Event.CLOSED
    take_step(workorder, kind, by=by, now=now, changed=changed, residents=by is None)


def workorder_confirm(
    *, workorder: WorkOrder, by: User, now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    with acting_on(workorder, "confirm", by=by, now=now) as (wo, _parties):
        close(wo, by=by, now=now)
    return wo


def workorder_rate(
    *,
    workorder: WorkOrder,
    by: User,
    rating: int,
    comment: str = "",
    visited_hall: bool | None = None,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """The resident's rating (1–5), comment and whether they had to go to the service hall.
    Rating a resolved request also confirms it."""
    now = now or timezone.now()
    comment = clean_text(comment, field="comment", limit=MAX_RATING_COMMENT, required=False)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise invalid("rating", _("The rating is a whole number from 1 to 5."), "rating")
    with acting_on(workorder, "rate", by=by, now=now) as (wo, _parties):
        wo.rating = rating
        wo.rating_comment = comment
        wo.visited_hall = visited_hall
        wo.rated_at = now
        # A poor rating reaches the customer manager whoever handled the request.
        manager = scope.customer_manager_id(wo.compound_id) if rating <= 2 else None
        take_step(
            wo,
            Event.RATED,
            by=by,
            now=now,
            changed=["rating", "rating_comment", "visited_hall", "rated_at"],
            note=comment,
            data={"rating": rating, "visited_hall": visited_hall},
            also=[manager] if manager else [],
            residents=False,
            extra={"rating": rating},
        )
        if wo.status == Status.RESOLVED:
            close(wo, by=by, now=now)
    return wo
