"""The steps of a request in hand: accepting it, arriving on site, waiting for the resident
and resuming, resolving it; and what anyone on it may add — photos and comments. Who may take
each step in which state is wudian.workorders.policy; the steps take it through
recording.acting_on."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.core.errors import invalid
from wudian.core.photos import PhotoUpload, photos_removed_on_failure
from wudian.grid import scope
from wudian.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderPhoto
from wudian.workorders.policy import REQUESTER
from wudian.workorders.services.clocks import extend_clocks, meet_clock
from wudian.workorders.services.recording import (
    MAX_NOTE,
    MAX_PHOTOS,
    acting_on,
    attach,
    clean_text,
    clock_rules,
    take_step,
    too_many_photos,
)
from wudian.workorders.services.routing import raise_risk

Status = WorkOrder.Status
Event = WorkOrderEvent.Kind


def workorder_accept(
    *, workorder: WorkOrder, by: User, now: datetime.datetime | None = None
) -> WorkOrder:
    """The holder (or a member of the department holding it, or the compound's customer
    manager taking it over) accepts; the first to accept becomes its first responsible."""
    now = now or timezone.now()
    with acting_on(workorder, "accept", by=by, now=now) as (wo, _parties):
        wo.status = Status.ARRIVED if wo.arrived_at else Status.ACCEPTED
        wo.assignee = by
        changed = ["status", "assignee"]
        if wo.accepted_at is None:
            changed += meet_clock(wo, "accept", now)
        if wo.owner_id is None:
            wo.owner = by
            changed.append("owner")
        take_step(wo, Event.ACCEPTED, by=by, now=now, changed=changed)
    return wo


def workorder_arrive(
    *, workorder: WorkOrder, by: User, note: str = "", now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    note = clean_text(note, field="note", limit=MAX_NOTE, required=False)
    with acting_on(workorder, "arrive", by=by, now=now) as (wo, _parties):
        wo.status = Status.ARRIVED
        changed = ["status", *meet_clock(wo, "arrive", now)]
        take_step(wo, Event.ARRIVED, by=by, now=now, changed=changed, note=note)
    return wo


def workorder_resolve(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    note = clean_text(note, field="note", limit=MAX_NOTE)
    with acting_on(workorder, "resolve", by=by, now=now) as (wo, _parties):
        wo.status = Status.RESOLVED
        wo.resolution = note
        changed = ["status", "resolution", *meet_clock(wo, "resolve", now)]
        take_step(wo, Event.RESOLVED, by=by, now=now, changed=changed, note=note)
    return wo


def workorder_wait(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """Ask the resident for something (a document, a time to visit); the clocks pause."""
    now = now or timezone.now()
    note = clean_text(note, field="note", limit=MAX_NOTE)
    with acting_on(workorder, "wait", by=by, now=now) as (wo, _parties):
        resume_to = wo.status
        wo.status = Status.WAITING
        wo.paused_at = now
        take_step(
            wo,
            Event.WAITING,
            by=by,
            now=now,
            changed=["status", "paused_at"],
            note=note,
            data={"resume_to": resume_to},
        )
    return wo


def _status_before_pause(workorder: WorkOrder) -> str:
    waited = (
        WorkOrderEvent.objects.filter(workorder=workorder, kind=Event.WAITING)
        .order_by("-at", "-pk")
        .values_list("data", flat=True)
        .first()
    ) or {}
    resume_to: str = waited.get("resume_to", Status.ACCEPTED)
    return resume_to


def workorder_resume(
    *, workorder: WorkOrder, by: User, note: str = "", now: datetime.datetime | None = None
) -> WorkOrder:
    """The resident answered (or staff go on without the answer): the clocks run again,
    their deadlines moved on by the pause."""
    now = now or timezone.now()
    note = clean_text(note, field="note", limit=MAX_NOTE, required=False)
    with acting_on(workorder, "resume", by=by, now=now) as (wo, parties):
        paused_at = wo.paused_at or now
        wo.status = _status_before_pause(wo)
        extend_clocks(wo, paused_at=paused_at, resumed_at=now, rules=clock_rules())
        wo.paused_at = None
        paused_minutes = int((now - paused_at).total_seconds() // 60)
        take_step(
            wo,
            Event.RESUMED,
            by=by,
            now=now,
            changed=["status", "paused_at"],
            note=note,
            data={"paused_minutes": paused_minutes},
            residents=REQUESTER not in parties,
        )
    return wo


def workorder_add_photos(
    *,
    workorder: WorkOrder,
    by: User,
    photos: Sequence[PhotoUpload],
    now: datetime.datetime | None = None,
) -> list[WorkOrderPhoto]:
    """Attach photos to an open request: its resident, or the member of staff holding it.
    A request keeps at most MAX_PHOTOS; all of them are attached or none."""
    now = now or timezone.now()
    if not photos:
        raise invalid("photos", _("Attach at least one photo."), "required")
    with (
        photos_removed_on_failure() as attached,
        acting_on(workorder, "add_photos", by=by, now=now) as (wo, _parties),
    ):
        if wo.photos.count() + len(photos) > MAX_PHOTOS:
            raise too_many_photos()
        attached.extend(attach(wo, photo, by=by) for photo in photos)
        WorkOrder.objects.filter(pk=wo.pk).update(updated_at=now)
    return attached


def workorder_comment(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """A message on the request's timeline, from its resident or from staff who may see it.
    A resident's words that raise an opinion risk flag it and reach the supervisors."""
    now = now or timezone.now()
    note = clean_text(note, field="note", limit=MAX_NOTE)
    with acting_on(workorder, "comment", by=by, now=now) as (wo, parties):
        requester = REQUESTER in parties
        risk = raise_risk(wo, note) if requester else []
        take_step(
            wo,
            Event.COMMENTED,
            by=by,
            now=now,
            changed=risk,
            note=note,
            also=scope.supervisor_ids_of(wo.compound) if risk else [],
            residents=not requester,
        )
    return wo
