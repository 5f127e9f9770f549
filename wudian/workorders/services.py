"""Writes of resident requests: intake with routing and service clocks, and one function per
step of a request's life. Every step locks the request, checks who acts and in which state,
records a WorkOrderEvent and writes its notifications to the outbox, in one transaction."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import cached_property
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import Department, RoleCode, User
from wudian.core.calendar import CalendarUnavailable, china_date, deadline, extend_deadline
from wudian.core.rules import rule_value
from wudian.fieldwork.selectors import valid_certificate_holders, valid_certificates
from wudian.grid import scope
from wudian.grid.models import (
    Building,
    Compound,
    DutyShift,
    Household,
    Meter,
    StationArea,
)
from wudian.notify.services import Audience, notify_publish
from wudian.workorders.models import (
    Category,
    Channel,
    Open311Key,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from wudian.workorders.photos import PhotoUpload
from wudian.workorders.selectors import active_category, workorders_visible_to

logger = logging.getLogger(__name__)

MAX_DESCRIPTION = 4000
MAX_NOTE = 2000
MAX_RATING_COMMENT = 1000
MAX_PHOTOS = 6
SWEEP_BATCH = 500

Status = WorkOrder.Status
Event = WorkOrderEvent.Kind

# Words that make a request an opinion risk (舆情风险) for the supervisor, by topic.
RISK_TERMS: dict[str, tuple[str, ...]] = {
    "outage": ("停电", "断电", "限电", "outage", "blackout"),
    "payment": ("电费", "缴费", "交费", "欠费", "收费", "多扣", "payment", "bill"),
    "handover": ("移交", "接管", "供电改造", "handover"),
    "media": (
        "媒体",
        "记者",
        "曝光",
        "电视台",
        "报社",
        "微博",
        "抖音",
        "12345",
        "12398",
        "media",
        "journalist",
    ),
}


class WorkOrderStateError(ValidationError):
    """The action is not allowed in the request's current state (answered 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="state")


def _invalid(field: str, message: str, code: str) -> ValidationError:
    """A refusal of one field's value, with a code callers may tell apart."""
    return ValidationError({field: ValidationError(message, code=code)})


# The request's parties ---------------------------------------------------------------------


class CompoundStaff:
    """The customer manager and the supervisors of one compound, each read once, when first
    needed."""

    def __init__(self, compound: Compound) -> None:
        self.compound = compound

    @cached_property
    def manager(self) -> User | None:
        return scope.customer_manager_of(self.compound)

    @cached_property
    def supervisor_ids(self) -> list[int]:
        return scope.supervisor_ids_of(self.compound)


def is_requester(user: User, workorder: WorkOrder) -> bool:
    """The resident side of a request: the resident who filed it, or a member of its
    household. Staff who typed it in for a caller are not: they cannot confirm or rate it."""
    if workorder.created_by_id == user.pk and user.is_resident_only:
        return True
    return bool(workorder.household_id and scope.belongs_to_household(user, workorder.household_id))


def is_compound_manager(user: User, workorder: WorkOrder) -> bool:
    """The customer manager of the request's compound (or an administrator)."""
    return scope.is_customer_manager_of(user, workorder.compound_id)


def holds(user: User, workorder: WorkOrder) -> bool:
    """Whether the request is in the user's hands now (or in their department's)."""
    if workorder.assignee_id is not None:
        return workorder.assignee_id == user.pk
    return workorder.department_id is not None and workorder.department_id == user.department_id


def _may_act_as_staff(user: User, workorder: WorkOrder) -> bool:
    return holds(user, workorder) or is_compound_manager(user, workorder)


def _is_utility_staff(user: User) -> bool:
    """The power company's own people, who may hand work to its departments (a property
    electrician escalates to the customer manager instead)."""
    return user.is_superuser or user.has_role(
        RoleCode.CUSTOMER_MANAGER, RoleCode.DEPARTMENT, RoleCode.SUPERVISOR
    )


def _name(user: User) -> str:
    return user.display_name or user.username


def _require_staff(user: User, workorder: WorkOrder, message: str | None = None) -> None:
    if not _may_act_as_staff(user, workorder):
        raise PermissionDenied(
            message or _("Only the member of staff holding this request may do this.")
        )


# Routing -----------------------------------------------------------------------------------


def _electricians_by_preference(compound: Compound, *, on: datetime.date) -> list[User]:
    """The compound's active electricians with a valid certificate on that day: those on the
    roster that day first, then the least loaded (fewest requests in hand), in one query."""
    in_hand = (
        WorkOrder.objects.filter(assignee=OuterRef("pk"), status__in=WorkOrder.ACTIVE_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        scope.electricians_of(compound)
        .filter(Exists(valid_certificates(on=on).filter(holder=OuterRef("pk"))))
        .annotate(
            on_duty=Exists(
                DutyShift.objects.filter(
                    compound=compound, electrician=OuterRef("pk"), weekday=on.isoweekday()
                )
            ),
            load=Coalesce(Subquery(in_hand), 0),
        )
        .order_by("-on_duty", "load", "pk")
    )


def certified_electricians(compound: Compound, *, on: datetime.date) -> list[int]:
    """The ids of the compound's active electricians with a valid certificate, those on the
    roster that day first, then the least loaded."""
    return [user.pk for user in _electricians_by_preference(compound, on=on)]


def _routed_to(category: Category, staff: CompoundStaff, *, on: datetime.date) -> User | None:
    if category.routing == Category.Routing.ELECTRICIAN:
        electricians = _electricians_by_preference(staff.compound, on=on)
        if electricians:
            return electricians[0]
    return staff.manager


def route(category: Category, compound: Compound, *, on: datetime.date) -> int | None:
    """Whose hands a new request goes to: for behind-the-meter work a certified electrician
    of the compound, else (and for everything else) its customer manager."""
    user = _routed_to(category, CompoundStaff(compound), on=on)
    return user.pk if user else None


def risk_topics(text: str, category: Category) -> list[str]:
    lowered = text.lower()
    topics = [topic for topic, terms in RISK_TERMS.items() if any(t in lowered for t in terms)]
    if category.kind == Category.Kind.COMPLAINT:
        topics.insert(0, "complaint")
    return topics


def _raise_risk(workorder: WorkOrder, text: str) -> list[str]:
    """Flag the topics a resident's later words add (a threat to call the press); returns
    the fields changed."""
    new = [t for t in risk_topics(text, workorder.category) if t not in workorder.risk_topics]
    if not new:
        return []
    workorder.risk_topics = [*workorder.risk_topics, *new]
    workorder.opinion_risk = True
    return ["risk_topics", "opinion_risk"]


# Clocks ------------------------------------------------------------------------------------

CLOCKS = ("accept", "arrive", "resolve")
DONE_FIELDS = {"accept": "accepted_at", "arrive": "arrived_at", "resolve": "resolved_at"}
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


def clock_done(workorder: WorkOrder, clock: str) -> bool:
    return getattr(workorder, DONE_FIELDS[clock]) is not None


def _due(workorder: WorkOrder, clock: str) -> datetime.datetime | None:
    value: datetime.datetime | None = getattr(workorder, f"{clock}_due")
    return value


def clock_targets(category: Category, *, priority: bool) -> dict[str, tuple[int, str]]:
    """Each clock's target (amount, unit) for a request of that category; a special-group
    household's are shortened to workorder.priority_percent, rounded up (a one-working-day
    clock cannot get shorter)."""
    percent = rule_value("workorder.priority_percent") if priority else None
    targets = {}
    for clock in CLOCKS:
        target = getattr(category, f"{clock}_target")
        if target is None:
            continue
        if percent is not None:
            shortened = (Decimal(target) * percent / 100).to_integral_value(ROUND_CEILING)
            target = max(int(shortened), 1)
        targets[clock] = (target, getattr(category, f"{clock}_unit"))
    return targets


def _start_clocks(workorder: WorkOrder, clocks: Iterable[str], start: datetime.datetime) -> None:
    """Set the deadlines of these clocks from `start`. One the official calendar cannot give
    (a year it has no data for) stays empty with the reason in clock_problem: the request is
    filed all the same, and workorders_retry_clocks fills it in once the calendar knows."""
    targets = clock_targets(workorder.category, priority=workorder.priority)
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


def _extend_clocks(
    workorder: WorkOrder, *, paused_at: datetime.datetime, resumed_at: datetime.datetime
) -> None:
    """Move the unmet deadlines on by a pause."""
    targets = clock_targets(workorder.category, priority=workorder.priority)
    for clock, (_target, unit) in targets.items():
        due = _due(workorder, clock)
        if due is None or clock_done(workorder, clock):
            continue
        try:
            extended = extend_deadline(due, unit, paused_at=paused_at, resumed_at=resumed_at)
        except CalendarUnavailable as error:
            workorder.clock_problem = str(error)[:200]
            continue
        setattr(workorder, f"{clock}_due", extended)


def _running(workorder: WorkOrder) -> list[tuple[str, datetime.datetime]]:
    """Clocks still counting, earliest deadline first: started, not met and not yet found
    missed, while staff owe work (not while waiting for the resident)."""
    if workorder.status not in WorkOrder.ACTIVE_STATUSES:
        return []
    running = [
        (clock, due)
        for clock in CLOCKS
        if (due := _due(workorder, clock)) is not None
        and not clock_done(workorder, clock)
        and getattr(workorder, f"{clock}_late") is None
    ]
    return sorted(running, key=lambda item: item[1])


def _missed(workorder: WorkOrder) -> list[tuple[str, datetime.datetime]]:
    """Clocks found missed and still not met."""
    if workorder.status not in WorkOrder.ACTIVE_STATUSES:
        return []
    return [
        (clock, due)
        for clock in CLOCKS
        if (due := _due(workorder, clock)) is not None
        and not clock_done(workorder, clock)
        and getattr(workorder, f"{clock}_late")
    ]


def _warned(workorder: WorkOrder) -> set[str]:
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


def next_warning(workorder: WorkOrder) -> ClockWarning | None:
    warned = _warned(workorder)
    unwarned = [(clock, due) for clock, due in _running(workorder) if clock not in warned]
    candidates = []
    if unwarned:
        share = float(rule_value("workorder.warn_remaining_percent")) / 100
        candidates = [
            ClockWarning(due - _length(workorder, due) * share, clock, due, to_supervisor=False)
            for clock, due in unwarned
        ]
    if workorder.escalation_level == 1:
        candidates += [
            ClockWarning(due + _length(workorder, due), clock, due, to_supervisor=True)
            for clock, due in _missed(workorder)
        ]
    return min(candidates, key=lambda warning: warning.at, default=None)


def _refresh_due(workorder: WorkOrder) -> None:
    """next_due (the earliest running deadline) and warn_at (the next warning owed), which
    the workbench and the sweep filter on."""
    running = _running(workorder)
    workorder.next_due = running[0][1] if running else None
    warning = next_warning(workorder)
    workorder.warn_at = warning.at if warning else None


def _meet(workorder: WorkOrder, clock: str, now: datetime.datetime) -> list[str]:
    """Stop one clock and decide whether it was met on time; returns the fields changed."""
    done_field, late_field = DONE_FIELDS[clock], f"{clock}_late"
    setattr(workorder, done_field, now)
    due = _due(workorder, clock)
    if due is not None and getattr(workorder, late_field) is None:
        setattr(workorder, late_field, now > due)
    return [done_field, late_field]


# Notifications -----------------------------------------------------------------------------

# Channels where staff type in what a resident said; the household is told by SMS.
STAFF_FILED_CHANNELS = frozenset({Channel.PHONE, Channel.VISIT, Channel.LINK_DAY})

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
    }
)


def _local_text(at: datetime.datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def _context(workorder: WorkOrder, event: WorkOrderEvent, **extra: Any) -> dict[str, Any]:
    if event.to_user is not None:
        to = _name(event.to_user)
    else:
        to = event.to_department.name if event.to_department else ""
    return {
        "id": workorder.pk,
        "kind": event.kind,
        "category": workorder.category.name,
        "compound": workorder.compound.name,
        "address": workorder.household.address if workorder.household else workorder.address_text,
        "status": str(workorder.get_status_display()),
        "note": event.note,
        "actor": _name(event.by) if event.by else "",
        "to": to,
        "due_text": _local_text(workorder.next_due),
        "priority": workorder.priority,
        "opinion_risk": workorder.opinion_risk,
        "link": f"/desk/requests/{workorder.pk}/",
        "resident_link": f"/me/requests/{workorder.pk}/",
        **extra,
    }


def _staff_audience(
    workorder: WorkOrder, *, also: Iterable[int], actor_id: int | None
) -> QuerySet[User] | None:
    """The first responsible, whoever holds the request (a person, or the members of the
    department it waits in) and `also`; never the one who acted."""
    concerned = (workorder.owner_id, workorder.assignee_id, *also)
    ids = {pk for pk in concerned if pk is not None and pk != actor_id}
    department = workorder.department_id if workorder.assignee_id is None else None
    if not ids and department is None:
        return None
    if department is None:
        return User.objects.filter(pk__in=ids)
    members = User.objects.filter(department_id=department, roles__code=RoleCode.DEPARTMENT)
    if actor_id is not None:
        members = members.exclude(pk=actor_id)
    return User.objects.filter(Q(pk__in=ids) | Q(pk__in=members.values("pk")))


def _resident_audience(workorder: WorkOrder, *, actor_id: int | None) -> Audience | None:
    """The resident who filed it (not when they acted themselves); for a request staff typed
    in for a caller, the household: by SMS, and its members in the app."""
    creator = workorder.created_by
    if creator is not None and creator.is_resident_only:
        return Audience(users=[creator]) if creator.pk != actor_id else None
    if workorder.household is not None and workorder.channel in STAFF_FILED_CHANNELS:
        households = [workorder.household]
        calls = scope.phone_calls_for(households, on=china_date(timezone.now()))
        return Audience(households=households, calls=calls)
    return None


def _announce(
    workorder: WorkOrder,
    event: WorkOrderEvent,
    *,
    also: Iterable[int] = (),
    residents: bool | None = None,
    urgent: bool = False,
    **extra: Any,
) -> None:
    """Write the outbox rows of one step: to the staff it concerns (see _staff_audience), and
    to the resident for the steps residents see (RESIDENT_EVENTS unless `residents` says).
    The event was recorded in this transaction, so its keys are new."""
    context = _context(workorder, event, **extra)
    key = f"workorder:{workorder.pk}:{event.pk}"
    staff = _staff_audience(workorder, also=also, actor_id=event.by_id)
    if staff is not None:
        notify_publish(
            audience=Audience(users=staff),
            template="workorder_staff",
            context=context,
            event_key=f"{key}:staff",
            urgent=urgent or workorder.priority,
            source=f"workorder:{workorder.pk}",
            new_event=True,
        )
    if residents is None:
        residents = event.kind in RESIDENT_EVENTS
    resident = _resident_audience(workorder, actor_id=event.by_id) if residents else None
    if resident is not None:
        notify_publish(
            audience=resident,
            template="workorder_resident",
            context=context,
            event_key=f"{key}:resident",
            source=f"workorder:{workorder.pk}",
            new_event=True,
        )


def _record(
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


def _save(workorder: WorkOrder, changed: Iterable[str], now: datetime.datetime) -> None:
    workorder.updated_at = now
    _refresh_due(workorder)
    workorder.save(update_fields=sorted({*changed, "updated_at", *CLOCK_FIELDS}))


def _step(
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
    _save(workorder, changed, now)
    event = _record(
        workorder,
        kind,
        by=by,
        now=now,
        note=note,
        to_user=to_user,
        to_department=to_department,
        data=data,
    )
    _announce(workorder, event, also=also, residents=residents, urgent=urgent, **(extra or {}))
    return event


# Intake ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """Where a request is when it is not tied to a household (Open311, meter data)."""

    compound: Compound
    station_area: StationArea | None = None
    meter: Meter | None = None
    address_text: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None


def _clean_text(text: str, *, field: str, limit: int, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise _invalid(field, _("This field is required."), "required")
    if "\x00" in text:
        # PostgreSQL cannot store NUL in text; no keyboard types it.
        raise _invalid(field, _("The text contains a NUL character."), "nul")
    if len(text) > limit:
        raise _invalid(
            field,
            _("At most %(limit)s characters are allowed (this one has %(n)s).")
            % {"limit": limit, "n": len(text)},
            "max_length",
        )
    return text


def _too_many_photos() -> ValidationError:
    return _invalid(
        "photos", _("At most %(n)s photos may be attached.") % {"n": MAX_PHOTOS}, "too_many"
    )


def category_for_intake(code: str, *, by: User | None) -> Category:
    category = active_category(code)
    if category is None:
        raise _invalid(
            "category", _("Unknown request category “%(code)s”.") % {"code": code}, "unknown"
        )
    staff = by is not None and (by.is_superuser or not by.is_resident_only)
    if not category.resident_may_report and not staff:
        raise _invalid(
            "category", _("Residents cannot file requests of this category."), "staff_only"
        )
    return category


def _compound_of(household: Household) -> Compound:
    """The household's compound, from what the caller loaded if it did (no query then)."""
    if Household.building.is_cached(household):
        building = household.building
        if Building.compound.is_cached(building):
            return building.compound
    return Compound.objects.get(buildings__pk=household.building_id)


def _place(household: Household | None, location: Location | None) -> dict[str, Any]:
    """The request's place fields: the household's when there is one, else the location's."""
    if household is None and location is None:
        raise _invalid(
            "household_id", _("Say which household or place the request is about."), "required"
        )
    place: dict[str, Any] = {}
    if location is not None:
        place = {
            "compound": location.compound,
            "station_area_id": location.station_area.pk if location.station_area else None,
            "meter_id": location.meter.pk if location.meter else None,
            "address_text": location.address_text[:200],
            "lat": location.lat,
            "long": location.long,
        }
    if household is not None:
        place |= {
            "compound": _compound_of(household),
            "household": household,
            "station_area_id": household.station_area_id,
            "address_text": household.address[:200],
        }
    return place


def workorder_create(
    *,
    category: Category,
    description: str,
    channel: str,
    by: User | None,
    household: Household | None = None,
    location: Location | None = None,
    photos: Sequence[PhotoUpload] = (),
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    open311: bool = False,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """File a request: route it, start its clocks, flag priority and opinion risk, record it
    and tell whoever must act. The caller has checked that `by` may file for the household."""
    now = now or timezone.now()
    description = _clean_text(description, field="description", limit=MAX_DESCRIPTION)
    contact_name, contact_phone, contact_email = (
        _clean_text(value, field=name, limit=limit, required=False)
        for value, name, limit in [
            (contact_name, "contact_name", 64),
            (contact_phone, "contact_phone", 20),
            (contact_email, "contact_email", 254),
        ]
    )
    if location is not None and "\x00" in location.address_text:
        raise _invalid("address", _("The text contains a NUL character."), "nul")
    if channel not in Channel.values:
        raise _invalid("channel", _("Unknown channel."), "channel")
    if len(photos) > MAX_PHOTOS:
        raise _too_many_photos()
    place = _place(household, location)
    staff = CompoundStaff(place["compound"])
    topics = risk_topics(description, category)
    with _photos_removed_on_failure() as attached, transaction.atomic():
        workorder = WorkOrder(
            category=category,
            channel=channel,
            description=description,
            **place,
            contact_name=contact_name,
            contact_phone=contact_phone,
            contact_email=contact_email,
            created_by=by,
            assignee=_routed_to(category, staff, on=china_date(now)),
            priority=bool(household and household.special_group),
            opinion_risk=bool(topics),
            risk_topics=topics,
            open311_token=secrets.token_hex(8) if open311 else None,
            created_at=now,
            updated_at=now,
        )
        _start_clocks(workorder, CLOCKS, now)
        _refresh_due(workorder)
        workorder.save(force_insert=True)
        attached.extend(_attach(workorder, photo, by=by) for photo in photos)
        event = _record(
            workorder,
            Event.SUBMITTED,
            by=by,
            now=now,
            to_user=workorder.assignee,
            data={"channel": channel},
        )
        _announce(
            workorder, event, also=_told_at_intake(workorder, staff), urgent=category.is_fault
        )
    return workorder


def _told_at_intake(workorder: WorkOrder, staff: CompoundStaff) -> list[int]:
    """Who hears of a new request besides its holder: the customer manager of a
    special-group household's request or of one whose deadlines the calendar could not give;
    the district's supervisors of an opinion risk."""
    told = []
    if (workorder.priority or workorder.clock_problem) and staff.manager:
        told.append(staff.manager.pk)
    if workorder.opinion_risk:
        told.extend(staff.supervisor_ids)
    return told


@contextmanager
def _photos_removed_on_failure() -> Iterator[list[WorkOrderPhoto]]:
    """Collects the photos attached in the block. Their files are written to storage at once,
    outside the transaction; if the block fails, the rolled-back rows no longer name them, so
    they are deleted again. Enter it outside the block's transaction, so that the rollback
    has happened by then. (The steps' after-commit hooks only queue deliveries and log a queue
    that is down, so nothing fails here after a commit.)"""
    attached: list[WorkOrderPhoto] = []
    try:
        yield attached
    except BaseException:
        for item in attached:
            item.image.delete(save=False)
        raise


def _attach(workorder: WorkOrder, photo: PhotoUpload, *, by: User | None) -> WorkOrderPhoto:
    item = WorkOrderPhoto(
        workorder=workorder,
        digest=photo.digest,
        content_type=photo.content_type,
        size=photo.size,
        uploaded_by=by,
    )
    item.image.save(photo.filename, photo.content, save=False)
    item.save()
    return item


# Steps -------------------------------------------------------------------------------------


def _for_update() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related(
        "category", "compound", "household", "created_by"
    )


def _require_state(workorder: WorkOrder, *allowed: str, action: str) -> None:
    if workorder.status not in allowed:
        raise WorkOrderStateError(
            _("This request is “%(status)s”: it cannot be %(action)s now.")
            % {"status": workorder.get_status_display(), "action": action}
        )


@contextmanager
def _acting_on(workorder: WorkOrder, *allowed: str, action: str) -> Iterator[WorkOrder]:
    """The request, locked for the rest of the transaction, in one of the allowed states."""
    with transaction.atomic():
        locked = _for_update().get(pk=workorder.pk)
        if allowed:
            _require_state(locked, *allowed, action=action)
        yield locked


def _require_open(workorder: WorkOrder) -> None:
    if not workorder.is_open:
        raise WorkOrderStateError(_("This request is closed: file a new one instead."))


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
        raise _invalid("photos", _("Attach at least one photo."), "required")
    with _photos_removed_on_failure() as attached, _acting_on(workorder, action="") as wo:
        _require_open(wo)
        if not (is_requester(by, wo) or _may_act_as_staff(by, wo)):
            raise PermissionDenied(
                _(
                    "Only the resident who filed it or the member of staff holding it may add "
                    "photos."
                )
            )
        if wo.photos.count() + len(photos) > MAX_PHOTOS:
            raise _too_many_photos()
        attached.extend(_attach(wo, photo, by=by) for photo in photos)
        WorkOrder.objects.filter(pk=wo.pk).update(updated_at=now)
    return attached


def _require_certified(user: User, workorder: WorkOrder, *, on: datetime.date) -> None:
    """A property electrician takes behind-the-meter work only with a valid certificate."""
    if (
        workorder.category.routing == Category.Routing.ELECTRICIAN
        and user.has_role(RoleCode.ELECTRICIAN)
        and not _is_utility_staff(user)
        and user.pk not in valid_certificate_holders([user], on=on)
    ):
        raise PermissionDenied(_("Fault repairs need a valid low-voltage electrician certificate."))


def workorder_accept(
    *, workorder: WorkOrder, by: User, now: datetime.datetime | None = None
) -> WorkOrder:
    """The holder (or a member of the department holding it, or the compound's customer
    manager taking it over) accepts; the first to accept becomes its first responsible."""
    now = now or timezone.now()
    with _acting_on(workorder, Status.SUBMITTED, action=_("accepted")) as wo:
        _require_staff(by, wo, _("Only the member of staff holding this request may accept it."))
        _require_certified(by, wo, on=china_date(now))
        wo.status = Status.ARRIVED if wo.arrived_at else Status.ACCEPTED
        wo.assignee = by
        changed = ["status", "assignee"]
        if wo.accepted_at is None:
            changed += _meet(wo, "accept", now)
        if wo.owner_id is None:
            wo.owner = by
            changed.append("owner")
        _step(wo, Event.ACCEPTED, by=by, now=now, changed=changed)
    return wo


def workorder_arrive(
    *, workorder: WorkOrder, by: User, note: str = "", now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE, required=False)
    with _acting_on(workorder, Status.ACCEPTED, action=_("marked as on site")) as wo:
        if not holds(by, wo):
            raise PermissionDenied(_("Only the member of staff holding this request may do this."))
        if wo.arrived_at is not None:
            raise WorkOrderStateError(_("Arrival on site has already been recorded."))
        wo.status = Status.ARRIVED
        changed = ["status", *_meet(wo, "arrive", now)]
        _step(wo, Event.ARRIVED, by=by, now=now, changed=changed, note=note)
    return wo


def workorder_resolve(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE)
    with _acting_on(workorder, Status.ACCEPTED, Status.ARRIVED, action=_("resolved")) as wo:
        _require_staff(by, wo)
        wo.status = Status.RESOLVED
        wo.resolution = note
        changed = ["status", "resolution", *_meet(wo, "resolve", now)]
        _step(wo, Event.RESOLVED, by=by, now=now, changed=changed, note=note)
    return wo


def workorder_wait(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """Ask the resident for something (a document, a time to visit); the clocks pause."""
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE)
    with _acting_on(workorder, Status.ACCEPTED, Status.ARRIVED, action=_("put on hold")) as wo:
        _require_staff(by, wo)
        resume_to = wo.status
        wo.status = Status.WAITING
        wo.paused_at = now
        _step(
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
    note = _clean_text(note, field="note", limit=MAX_NOTE, required=False)
    with _acting_on(workorder, Status.WAITING, action=_("resumed")) as wo:
        requester = is_requester(by, wo)
        if not (requester or _may_act_as_staff(by, wo)):
            raise PermissionDenied(_("You cannot act on this request."))
        paused_at = wo.paused_at or now
        wo.status = _status_before_pause(wo)
        _extend_clocks(wo, paused_at=paused_at, resumed_at=now)
        wo.paused_at = None
        paused_minutes = int((now - paused_at).total_seconds() // 60)
        _step(
            wo,
            Event.RESUMED,
            by=by,
            now=now,
            changed=["status", "paused_at"],
            note=note,
            data={"paused_minutes": paused_minutes},
            residents=not requester,
        )
    return wo


# Passing a request on ----------------------------------------------------------------------

TRANSFERABLE = (Status.SUBMITTED, Status.ACCEPTED, Status.ARRIVED, Status.WAITING)
ESCALATABLE = (Status.SUBMITTED, Status.ACCEPTED, Status.ARRIVED)


def _check_department(workorder: WorkOrder, by: User, department: Department) -> None:
    if not _is_utility_staff(by):
        raise PermissionDenied(
            _(
                "Only the customer manager passes a request to a department: escalate it to "
                "the customer manager."
            )
        )
    serves = Compound.objects.filter(
        pk=workorder.compound_id, community__street__district_id=department.district_id
    ).exists()
    if not serves:
        raise _invalid(
            "department",
            _("That department does not serve this compound's district."),
            "department",
        )


def _check_colleague(workorder: WorkOrder, to_user: User, *, on: datetime.date) -> None:
    """A member of staff may take it if they serve its compound: its customer manager, or a
    property electrician with a valid certificate for behind-the-meter work."""
    roles = scope.serves_compound_as(to_user, workorder.compound_id)
    if RoleCode.CUSTOMER_MANAGER in roles:
        return
    if RoleCode.ELECTRICIAN not in roles:
        raise _invalid(
            "to", _("%(name)s does not serve this compound.") % {"name": _name(to_user)}, "target"
        )
    if workorder.category.routing != Category.Routing.ELECTRICIAN:
        raise _invalid(
            "to",
            _("This kind of request is the customer manager's, not an electrician's."),
            "target",
        )
    if to_user.pk not in valid_certificate_holders([to_user], on=on):
        raise _invalid(
            "to",
            _("%(name)s has no valid electrician certificate and cannot take fault repairs.")
            % {"name": _name(to_user)},
            "certificate",
        )


def _hand_over(
    workorder: WorkOrder,
    *,
    by: User,
    kind: str,
    reason: str,
    to_user: User | None,
    department: Department | None,
    now: datetime.datetime,
) -> None:
    """Put the request in new hands, which must accept it; a clock already met stays met,
    the others run on. The first responsible stays who they were."""
    same_person = to_user is not None and workorder.assignee_id == to_user.pk
    same_department = (
        department is not None
        and workorder.assignee_id is None
        and workorder.department_id == department.pk
    )
    if same_person or same_department:
        raise _invalid("to", _("The request is already in those hands."), "same")
    workorder.assignee = to_user
    workorder.department = department
    workorder.status = Status.SUBMITTED
    _step(
        workorder,
        kind,
        by=by,
        now=now,
        changed=["assignee", "department", "status"],
        note=reason,
        to_user=to_user,
        to_department=department,
        also=[to_user.pk] if to_user else [],
    )


def _may_transfer(by: User, workorder: WorkOrder) -> bool:
    if _may_act_as_staff(by, workorder):
        return True
    return by.has_role(RoleCode.SUPERVISOR) and by.pk in scope.supervisor_ids_of(workorder.compound)


def workorder_transfer(
    *,
    workorder: WorkOrder,
    by: User,
    reason: str,
    to_user: User | None = None,
    department: Department | None = None,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Pass a request sideways: to another member of staff serving its compound (an
    electrician only with a valid certificate) or to a department of its district."""
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", limit=MAX_NOTE)
    with _acting_on(workorder, *TRANSFERABLE, action=_("transferred")) as wo:
        if not _may_transfer(by, wo):
            raise PermissionDenied(
                _(
                    "Only its holder, the compound's customer manager or a supervisor may pass "
                    "it on."
                )
            )
        if (to_user is None) == (department is None):
            raise _invalid(
                "to",
                _("Name either one member of staff or one department to pass it to."),
                "target",
            )
        if department is not None:
            _check_department(wo, by, department)
        else:
            assert to_user is not None
            _check_colleague(wo, to_user, on=china_date(now))
        if wo.status == Status.WAITING:
            raise WorkOrderStateError(
                _("The request is waiting for the resident: resume it before passing it on.")
            )
        _hand_over(
            wo,
            by=by,
            kind=Event.TRANSFERRED,
            reason=reason,
            to_user=to_user,
            department=department,
            now=now,
        )
    return wo


def _manager_above(workorder: WorkOrder, by: User) -> User:
    """Whom an escalation without a department goes to: the compound's customer manager,
    unless it is already theirs."""
    manager = CompoundStaff(workorder.compound).manager
    if manager is None:
        raise _invalid(
            "department", _("This compound has no customer manager to escalate to."), "department"
        )
    if manager.pk in (by.pk, workorder.assignee_id):
        raise _invalid(
            "department", _("Name the department to pass this request to."), "department"
        )
    return manager


def workorder_escalate(
    *,
    workorder: WorkOrder,
    by: User,
    reason: str,
    department: Department | None = None,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Pass a request up: an electrician who cannot fix a fault (or a department handing it
    back) to the customer manager; the customer manager to a department (the repair crew,
    the business hall, metering)."""
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", limit=MAX_NOTE)
    with _acting_on(workorder, *ESCALATABLE, action=_("escalated")) as wo:
        _require_staff(by, wo)
        to_user = None
        if department is not None:
            _check_department(wo, by, department)
        else:
            to_user = _manager_above(wo, by)
        _hand_over(
            wo,
            by=by,
            kind=Event.ESCALATED,
            reason=reason,
            to_user=to_user,
            department=department,
            now=now,
        )
    return wo


def workorders_transfer(
    *,
    workorders: Sequence[WorkOrder],
    by: User,
    reason: str,
    to_user: User | None = None,
    department: Department | None = None,
    now: datetime.datetime | None = None,
) -> list[WorkOrder]:
    """Bulk transfer from the workbench: all of them or, if one is refused, none."""
    with transaction.atomic():
        return [
            workorder_transfer(
                workorder=wo,
                by=by,
                reason=reason,
                to_user=to_user,
                department=department,
                now=now,
            )
            for wo in workorders
        ]


# Closing the loop --------------------------------------------------------------------------


def workorder_reopen(
    *, workorder: WorkOrder, by: User, reason: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """The resident says it is not settled: back to the hands that resolved it, with new
    arrival (if nobody came) and resolution clocks, and the escalation ladder from the start."""
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", limit=MAX_NOTE)
    with _acting_on(workorder, Status.RESOLVED, action=_("reopened")) as wo:
        requester = is_requester(by, wo)
        if not (requester or is_compound_manager(by, wo)):
            raise PermissionDenied(_("Only the resident who filed it may reopen this request."))
        wo.status = Status.ACCEPTED if wo.assignee_id else Status.SUBMITTED
        wo.resolved_at = None
        wo.resolve_late = None
        wo.reopen_count += 1
        wo.escalation_level = 0
        restarted = [clock for clock in ("arrive", "resolve") if not clock_done(wo, clock)]
        wo.warned_clocks = ",".join(sorted(_warned(wo) - set(restarted)))
        _start_clocks(wo, restarted, now)
        changed = ["status", "resolved_at", "resolve_late", "reopen_count", "escalation_level"]
        risk = _raise_risk(wo, reason) if requester else []
        _step(
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
    reason = _clean_text(reason, field="reason", limit=MAX_NOTE, required=not requester)
    with _acting_on(workorder, *TRANSFERABLE, action=_("cancelled")) as wo:
        if not (requester or is_compound_manager(by, wo)):
            raise PermissionDenied(
                _("Only the resident who filed it or the customer manager may cancel it.")
            )
        wo.status = Status.CANCELLED
        wo.cancelled_at = now
        wo.paused_at = None
        _step(
            wo,
            Event.CANCELLED,
            by=by,
            now=now,
            changed=["status", "cancelled_at", "paused_at"],
            note=reason,
            residents=not requester,
        )
    return wo


def _close(workorder: WorkOrder, *, by: User | None, now: datetime.datetime) -> None:
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
    _step(workorder, kind, by=by, now=now, changed=changed, residents=by is None)


def workorder_confirm(
    *, workorder: WorkOrder, by: User, now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    with _acting_on(workorder, Status.RESOLVED, action=_("confirmed")) as wo:
        if not is_requester(by, wo):
            raise PermissionDenied(_("Only the resident who filed it may confirm it."))
        _close(wo, by=by, now=now)
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
    comment = _clean_text(comment, field="comment", limit=MAX_RATING_COMMENT, required=False)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise _invalid("rating", _("The rating is a whole number from 1 to 5."), "rating")
    with _acting_on(workorder, Status.RESOLVED, Status.CLOSED, action=_("rated")) as wo:
        if not is_requester(by, wo):
            raise PermissionDenied(_("Only the resident who filed it may rate it."))
        if wo.rated_at is not None:
            raise WorkOrderStateError(_("This request has already been rated."))
        wo.rating = rating
        wo.rating_comment = comment
        wo.visited_hall = visited_hall
        wo.rated_at = now
        # A poor rating reaches the customer manager whoever handled the request.
        manager = scope.customer_manager_id(wo.compound_id) if rating <= 2 else None
        _step(
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
            _close(wo, by=by, now=now)
    return wo


def workorder_comment(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """A message on the request's timeline, from its resident or from staff who may see it.
    A resident's words that raise an opinion risk flag it and reach the supervisors."""
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE)
    with _acting_on(workorder, action="") as wo:
        _require_open(wo)
        requester = is_requester(by, wo)
        if not (requester or workorders_visible_to(by).filter(pk=wo.pk).exists()):
            raise PermissionDenied(_("You cannot act on this request."))
        risk = _raise_risk(wo, note) if requester else []
        _step(
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


# The clocks' sweep -------------------------------------------------------------------------


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
        wo = _for_update().filter(_clocks_due(now), pk=pk).first()
        if wo is None:
            return []
        outcomes = []
        missed = [(clock, due) for clock, due in _running(wo) if due <= now]
        if missed:
            changed = [f"{clock}_late" for clock, _when in missed]
            for field in changed:
                setattr(wo, field, True)
            _escalate_overdue(wo, missed, now, changed=changed)
            outcomes.append("overdue")
        while (warning := next_warning(wo)) is not None and warning.at <= now:
            if warning.to_supervisor:
                _escalate_overdue(wo, [(warning.clock, warning.due)], now, changed=[])
                outcomes.append("overdue")
            else:
                _warn_owner(wo, warning, now)
                outcomes.append("warned")
        if not outcomes:
            _save(wo, [], now)  # what the sweep filtered on was stale
        return outcomes


def _warn_owner(workorder: WorkOrder, warning: ClockWarning, now: datetime.datetime) -> None:
    workorder.warned_clocks = ",".join(sorted(_warned(workorder) | {warning.clock}))
    _step(
        workorder,
        Event.WARNED,
        by=None,
        now=now,
        data={"clock": warning.clock, "due": warning.due.isoformat()},
        residents=False,
        extra={"clock": warning.clock, "clock_due_text": _local_text(warning.due)},
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
    _step(
        workorder,
        Event.OVERDUE,
        by=None,
        now=now,
        changed=[*changed, "escalation_level"],
        data={"clocks": clocks, "escalation_level": level},
        also=[manager] if level == 1 and manager else scope.supervisor_ids_of(workorder.compound),
        residents=False,
        urgent=True,
        extra={"clock": clocks[0], "clock_due_text": _local_text(missed[0][1])},
    )


def _auto_close(pk: int, now: datetime.datetime, *, resolved_before: datetime.datetime) -> int:
    with transaction.atomic():
        wo = (
            _for_update()
            .filter(pk=pk, status=Status.RESOLVED, resolved_at__lte=resolved_before)
            .first()
        )
        if wo is None:
            return 0
        _close(wo, by=None, now=now)
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
            wo = _for_update().filter(pk=pk, status__in=WorkOrder.ACTIVE_STATUSES).first()
            if wo is None or not wo.clock_problem:
                continue
            missing = [c for c in CLOCKS if _due(wo, c) is None and not clock_done(wo, c)]
            _start_clocks(wo, missing, wo.clocks_started_at or wo.created_at)
            if wo.clock_problem:
                continue
            _save(wo, [], now)
            fixed += 1
    return fixed


# Open311 keys ------------------------------------------------------------------------------


def open311_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open311_key_issue(
    *, name: str, account: User | None = None, key: str | None = None
) -> tuple[Open311Key, str]:
    """A new Open311 API key; the key itself is returned once and only its digest is kept."""
    key = key or f"o311_{secrets.token_urlsafe(24)}"
    item, _created = Open311Key.objects.update_or_create(
        digest=open311_key_digest(key),
        defaults={"name": name, "prefix": key[:8], "account": account, "active": True},
    )
    return item, key


def open311_key_check(key: str) -> Open311Key | None:
    if not key:
        return None
    item = Open311Key.objects.filter(digest=open311_key_digest(key), active=True).first()
    if item is not None:
        Open311Key.objects.filter(pk=item.pk).update(last_used_at=timezone.now())
    return item
