"""How a step of a request is taken: the request locked and the policy checked, the change
saved with its clocks, the step put on the timeline and its messages written to the outbox —
in one transaction. Every service of this package takes its steps through here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import Department, RoleCode, User
from wudian.core.calendar import china_date
from wudian.core.errors import BadInput, invalid
from wudian.core.photos import PhotoUpload, photo_store
from wudian.core.policy import Parties
from wudian.core.rules import rule_value
from wudian.grid import scope
from wudian.grid.models import Household
from wudian.grid.selectors import HouseholdView
from wudian.notify.services import Audience, notify_publish
from wudian.workorders.models import Channel, WorkOrder, WorkOrderEvent, WorkOrderPhoto
from wudian.workorders.policy import POLICY, parties_of
from wudian.workorders.selectors import workorders_visible_to
from wudian.workorders.services.clocks import CLOCK_FIELDS, ClockRules, refresh_due

MAX_NOTE = 2000
MAX_PHOTOS = 6

Event = WorkOrderEvent.Kind


def clock_rules() -> ClockRules:
    """The service rules the clocks follow, as an administrator has set them."""
    return ClockRules(
        priority_percent=rule_value("workorder.priority_percent"),
        warn_remaining_percent=rule_value("workorder.warn_remaining_percent"),
    )


def name_of(user: User) -> str:
    return user.display_name or user.username


def clean_text(text: str, *, field: str, limit: int, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise invalid(field, _("This field is required."), "required")
    if "\x00" in text:
        # PostgreSQL cannot store NUL in text; no keyboard types it.
        raise invalid(field, _("The text contains a NUL character."), "nul")
    if len(text) > limit:
        raise invalid(
            field,
            _("At most %(limit)s characters are allowed (this one has %(n)s).")
            % {"limit": limit, "n": len(text)},
            "max_length",
        )
    return text


def too_many_photos() -> BadInput:
    return invalid(
        "photos", _("At most %(n)s photos may be attached.") % {"n": MAX_PHOTOS}, "too_many"
    )


# The step --------------------------------------------------------------------------------


def for_update() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related(
        "category", "compound", "household", "created_by"
    )


@contextmanager
def acting_on(
    workorder: WorkOrder, action: str, *, by: User, now: datetime.datetime
) -> Iterator[tuple[WorkOrder, Parties]]:
    """The request, locked for the rest of the transaction, once the policy allows `by` to
    take the action on it as it is now; with the parties to it `by` is."""
    with transaction.atomic():
        locked = for_update().get(pk=workorder.pk)
        parties = parties_of(by, locked, at=now)
        POLICY.check(action, locked, parties)
        yield locked, parties


# Messages --------------------------------------------------------------------------------

# Channels where staff type in what a resident said; the household is told by SMS.
STAFF_FILED_CHANNELS = frozenset({Channel.PHONE, Channel.VISIT, Channel.LINK_DAY})

# The steps a resident is told of.
RESIDENT_EVENTS = frozenset(
    {
        Event.SUBMITTED,
        Event.ACCEPTED,
        Event.ARRIVED,
        Event.WAITING,
        Event.TRANSFERRED,
        Event.ESCALATED,
        Event.RESOLVED,
        Event.CANCELLED,
        Event.CLOSED,
        Event.COMMENTED,
        Event.USAGE_REPORT,
        Event.METER_TEST,
    }
)


def local_text(at: datetime.datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def context_of(workorder: WorkOrder, event: WorkOrderEvent, **extra: Any) -> dict[str, Any]:
    if event.to_user is not None:
        to = name_of(event.to_user)
    else:
        to = event.to_department.name if event.to_department else ""
    return {
        "id": workorder.pk,
        "kind": event.kind,
        "category": workorder.category.name,
        "category_en": workorder.category.name_en,
        "compound": workorder.compound.name,
        "address": workorder.household.address if workorder.household else workorder.address_text,
        # The code: the reader's page renders its label in their language.
        "status_code": workorder.status,
        "note": event.note,
        "actor": name_of(event.by) if event.by else "",
        "to": to,
        "due_text": local_text(workorder.next_due),
        "priority": workorder.priority,
        "opinion_risk": workorder.opinion_risk,
        "link": f"/desk/requests/{workorder.pk}/",
        "resident_link": f"/me/requests/{workorder.pk}/",
        **extra,
    }


def staff_concerned(
    workorder: WorkOrder, *, also: Iterable[int], actor_id: int | None
) -> tuple[set[int], int | None]:
    """Who on staff is told of a step: the first responsible, whoever holds the request and
    `also` (user ids), and the department it waits in, if any; never the one who acted."""
    concerned = (workorder.owner_id, workorder.assignee_id, *also)
    ids = {pk for pk in concerned if pk is not None and pk != actor_id}
    department = workorder.department_id if workorder.assignee_id is None else None
    return ids, department


def _department_members(department_id: int, actor_id: int | None) -> QuerySet[User]:
    members = User.objects.filter(department_id=department_id, roles__code=RoleCode.DEPARTMENT)
    return members.exclude(pk=actor_id) if actor_id is not None else members


def resident_audience(workorder: WorkOrder, *, actor_id: int | None) -> Audience | None:
    """The resident who filed it (not when they acted themselves); for a request staff typed
    in for a caller, the household: by SMS, and its members in the app."""
    creator = workorder.created_by
    if creator is not None and creator.is_resident_only:
        return Audience(users=[creator]) if creator.pk != actor_id else None
    if workorder.household is not None and workorder.channel in STAFF_FILED_CHANNELS:
        households = [workorder.household]
        return Audience(
            households=households,
            calls=calls_about(workorder, households),
            call_template="workorder_call",
        )
    return None


def calls_about(workorder: WorkOrder, households: list[Household]) -> list[tuple[int, int]]:
    """Who phones the special-group households about a step of the request. The caller reads
    the step to them, so it is someone who may open the request: the compound's usual caller
    when they may, else its customer manager."""
    calls = scope.phone_calls_for(households, on=china_date(timezone.now()))
    if not calls:
        return []
    callers = User.objects.filter(pk__in={caller for _household, caller in calls})
    may_open = {
        user.pk for user in callers if workorders_visible_to(user).filter(pk=workorder.pk).exists()
    }
    manager = scope.customer_manager_id(workorder.compound_id)
    routed = [(household, caller if caller in may_open else manager) for household, caller in calls]
    return [(household, caller) for household, caller in routed if caller is not None]


def staff_audiences(
    workorder: WorkOrder, context: dict[str, Any], *, also: Iterable[int], actor_id: int | None
) -> list[tuple[QuerySet[User], dict[str, Any], str]]:
    """The staff told of a step, each with what they may read: those who serve the household
    read its address and whether it is a special-group household's request; everyone else (a
    supervisor, a department) the building only, and an ordinary request."""
    ids, department = staff_concerned(workorder, also=also, actor_id=actor_id)
    members = _department_members(department, actor_id) if department is not None else None
    if workorder.household is None:
        everyone = Q(pk__in=ids) | (Q(pk__in=members.values("pk")) if members else Q())
        return [(User.objects.filter(everyone), context, "staff")] if ids or members else []
    serving = scope.serving_among(workorder.compound_id, ids)
    masked = {
        **context,
        "address": HouseholdView(household=workorder.household, masked=True).address,
        "priority": False,
    }
    others = Q(pk__in=ids - serving) | (Q(pk__in=members.values("pk")) if members else Q())
    audiences = []
    if serving:
        audiences.append((User.objects.filter(pk__in=serving), context, "staff"))
    if ids - serving or members is not None:
        audiences.append((User.objects.filter(others), masked, "staff-masked"))
    return audiences


def announce(
    workorder: WorkOrder,
    event: WorkOrderEvent,
    *,
    also: Iterable[int] = (),
    residents: bool | None = None,
    urgent: bool = False,
    **extra: Any,
) -> None:
    """Write the outbox rows of one step: to the staff it concerns (see staff_audiences), and
    to the resident for the steps residents see (RESIDENT_EVENTS unless `residents` says).
    The event was recorded in this transaction, so its keys are new."""
    context = context_of(workorder, event, **extra)
    key = f"workorder:{workorder.pk}:{event.pk}"
    for users, told, suffix in staff_audiences(workorder, context, also=also, actor_id=event.by_id):
        notify_publish(
            audience=Audience(users=users),
            template="workorder_staff",
            context=told,
            event_key=f"{key}:{suffix}",
            urgent=urgent or workorder.priority,
            source=f"workorder:{workorder.pk}",
            new_event=True,
        )
    if residents is None:
        residents = event.kind in RESIDENT_EVENTS
    resident = resident_audience(workorder, actor_id=event.by_id) if residents else None
    if resident is not None:
        notify_publish(
            audience=resident,
            template="workorder_resident",
            context=context,
            event_key=f"{key}:resident",
            source=f"workorder:{workorder.pk}",
            new_event=True,
        )


def record(
    workorder: WorkOrder,
    kind: str,
    *,
    by: User | None,
    now: datetime.datetime,
    note: str = "",
    to_user: User | None = None,
    to_department: Department | None = None,
    data: dict[str, Any] | None = None,
) -> WorkOrderEvent:
    return WorkOrderEvent.objects.create(
        workorder=workorder,
        kind=kind,
        at=now,
        by=by,
        note=note,
        to_user=to_user,
        to_department=to_department,
        data=data or {},
    )


def save(workorder: WorkOrder, changed: Iterable[str], now: datetime.datetime) -> None:
    workorder.updated_at = now
    refresh_due(workorder, rules=clock_rules())
    workorder.save(update_fields=sorted({*changed, "updated_at", *CLOCK_FIELDS}))


def take_step(
    workorder: WorkOrder,
    kind: str,
    *,
    by: User | None,
    now: datetime.datetime,
    changed: Iterable[str] = (),
    note: str = "",
    to_user: User | None = None,
    to_department: Department | None = None,
    data: dict[str, Any] | None = None,
    also: Iterable[int] = (),
    residents: bool | None = None,
    urgent: bool = False,
    extra: dict[str, Any] | None = None,
) -> WorkOrderEvent:
    """Save what a step changed, put it on the timeline and tell whom it concerns."""
    save(workorder, changed, now)
    event = record(
        workorder,
        kind,
        by=by,
        now=now,
        note=note,
        to_user=to_user,
        to_department=to_department,
        data=data,
    )
    announce(workorder, event, also=also, residents=residents, urgent=urgent, **(extra or {}))
    return event


# Photos ----------------------------------------------------------------------------------


def attach(workorder: WorkOrder, photo: PhotoUpload, *, by: User | None) -> WorkOrderPhoto:
    """Stores a photo of the request; inside `core.photos.photos_removed_on_failure`. (The
    steps' after-commit hooks only queue deliveries and log a queue that is down, so nothing
    fails there after a commit.)"""
    return photo_store(WorkOrderPhoto(workorder=workorder, uploaded_by=by), photo)
