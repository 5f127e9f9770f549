"""Writes of resident requests: intake with routing and service clocks, and one function per
step of a request's life. Every step locks the request, checks who acts and in which state,
records a WorkOrderEvent and writes its notifications to the outbox, in one transaction."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import Department, RoleCode, User
from wudian.core.calendar import CalendarUnavailable, deadline, extend_deadline
from wudian.core.rules import rule_value
from wudian.fieldwork.selectors import valid_certificate_holders
from wudian.grid.models import (
    Compound,
    CompoundAssignment,
    DistrictAssignment,
    DutyShift,
    Household,
    HouseholdMembership,
    Meter,
    StationArea,
)
from wudian.notify.services import Audience, notify_publish
from wudian.workorders.models import (
    Category,
    Channel,
    ClockUnit,
    Open311Key,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from wudian.workorders.photos import PhotoUpload

logger = logging.getLogger(__name__)

MAX_DESCRIPTION = 4000
MAX_NOTE = 2000
MAX_RATING_COMMENT = 1000
MAX_PHOTOS = 6

Status = WorkOrder.Status
Event = WorkOrderEvent.Kind

# Words that make a request an opinion risk (舆情风险) for the supervisor, by topic.
RISK_TERMS: dict[str, tuple[str, ...]] = {
    "outage": ("停电", "断电", "限电", "没电", "outage", "blackout"),
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


# Reading the request's parties ------------------------------------------------------------


def customer_manager_id(compound_id: int) -> int | None:
    return (
        CompoundAssignment.objects.filter(
            compound_id=compound_id, role=RoleCode.CUSTOMER_MANAGER, user__is_active=True
        )
        .values_list("user_id", flat=True)
        .first()
    )


def supervisors_of(compound: Compound) -> list[int]:
    return list(
        DistrictAssignment.objects.filter(
            district__streets__communities__compounds=compound,
            user__is_active=True,
            user__roles__code=RoleCode.SUPERVISOR,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def is_requester(user: User, workorder: WorkOrder) -> bool:
    """The resident side of a request: who filed it, or a member of its household."""
    if workorder.created_by_id == user.pk:
        return True
    return bool(
        workorder.household_id
        and HouseholdMembership.objects.filter(
            user=user, household_id=workorder.household_id
        ).exists()
    )


def is_compound_manager(user: User, workorder: WorkOrder) -> bool:
    return user.is_superuser or customer_manager_id(workorder.compound_id) == user.pk


def holds(user: User, workorder: WorkOrder) -> bool:
    """Whether the request is in the user's hands now (or in their department's)."""
    if workorder.assignee_id is not None:
        return workorder.assignee_id == user.pk
    return workorder.department_id is not None and workorder.department_id == user.department_id


def _may_act_as_staff(user: User, workorder: WorkOrder) -> bool:
    return holds(user, workorder) or is_compound_manager(user, workorder)


# Routing -----------------------------------------------------------------------------------


def certified_electricians(compound: Compound, *, on: datetime.date) -> list[int]:
    """The compound's active electricians with a valid certificate, those on the roster that
    day first, then the least loaded."""
    assigned = list(
        CompoundAssignment.objects.filter(
            compound=compound, role=RoleCode.ELECTRICIAN, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    valid = valid_certificate_holders(assigned, on=on)
    if not valid:
        return []
    on_duty = set(
        DutyShift.objects.filter(
            compound=compound, electrician_id__in=valid, weekday=on.isoweekday()
        ).values_list("electrician_id", flat=True)
    )
    load = dict(
        WorkOrder.objects.filter(assignee_id__in=valid, status__in=WorkOrder.ACTIVE_STATUSES)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return sorted(valid, key=lambda pk: (pk not in on_duty, load.get(pk, 0), pk))


def route(category: Category, compound: Compound, *, on: datetime.date) -> int | None:
    """Whose hands a new request goes to: for behind-the-meter work a certified electrician
    of the compound, else (and for everything else) its customer manager."""
    if category.routing == Category.Routing.ELECTRICIAN:
        electricians = certified_electricians(compound, on=on)
        if electricians:
            return electricians[0]
    return customer_manager_id(compound.pk)


def risk_topics(text: str, category: Category) -> list[str]:
    lowered = text.lower()
    topics = [topic for topic, terms in RISK_TERMS.items() if any(t in lowered for t in terms)]
    if category.kind == Category.Kind.COMPLAINT:
        topics.insert(0, "complaint")
    return topics


# Clocks ------------------------------------------------------------------------------------

CLOCKS = ("accept", "arrive", "resolve")
DONE_FIELDS = {"accept": "accepted_at", "arrive": "arrived_at", "resolve": "resolved_at"}


def _target(category: Category, clock: str, *, priority: bool) -> tuple[int, str] | None:
    target = getattr(category, f"{clock}_target")
    unit = getattr(category, f"{clock}_unit")
    if target is None:
        return None
    if priority:
        percent = rule_value("workorder.priority_percent")
        shortened = (Decimal(target) * percent / 100).to_integral_value(rounding="ROUND_CEILING")
        target = max(int(shortened), 1 if unit == ClockUnit.WORKING_DAYS else 0)
    return target, unit


def _start_clocks(workorder: WorkOrder, clocks: Sequence[str], now: datetime.datetime) -> None:
    problems = []
    for clock in clocks:
        target = _target(workorder.category, clock, priority=workorder.priority)
        due = None
        if target is not None:
            try:
                due = deadline(now, *target)
            except CalendarUnavailable as error:
                problems.append(str(error.args[0]))
                logger.warning("workorder %s: %s", workorder.pk, error)
        setattr(workorder, f"{clock}_due", due)
    workorder.clock_problem = problems[0][:200] if problems else ""
    workorder.clocks_started_at = now


def _outstanding(workorder: WorkOrder) -> list[tuple[str, datetime.datetime]]:
    if workorder.status not in WorkOrder.ACTIVE_STATUSES:
        return []
    return sorted(
        (
            (clock, due)
            for clock in CLOCKS
            if (due := getattr(workorder, f"{clock}_due")) is not None
            and not clock_done(workorder, clock)
        ),
        key=lambda item: item[1],
    )


def _refresh_due(workorder: WorkOrder) -> None:
    """next_due and warn_at from the clocks still running."""
    outstanding = _outstanding(workorder)
    workorder.next_due = outstanding[0][1] if outstanding else None
    workorder.warn_at = None
    warned = set(workorder.warned_clocks.split(",")) - {""}
    percent = rule_value("workorder.warn_remaining_percent")
    started = workorder.clocks_started_at or workorder.created_at
    for clock, due in outstanding:
        if clock in warned:
            continue
        length = max(due - started, datetime.timedelta(0))
        workorder.warn_at = due - length * float(percent) / 100
        break


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


def _meet(workorder: WorkOrder, clock: str, now: datetime.datetime) -> list[str]:
    """Stop one clock; returns the fields changed."""
    at_field = DONE_FIELDS[clock]
    setattr(workorder, at_field, now)
    due = getattr(workorder, f"{clock}_due")
    late_field = f"{clock}_late"
    if due is not None and getattr(workorder, late_field) is None:
        setattr(workorder, late_field, now > due)
    return [at_field, late_field]


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
    return {
        "id": workorder.pk,
        "kind": event.kind,
        "category": workorder.category.name,
        "compound": workorder.compound.name,
        "address": workorder.household.address if workorder.household else workorder.address_text,
        "status": str(workorder.get_status_display()),
        "note": event.note,
        "actor": (event.by.display_name or event.by.username) if event.by else "",
        "to": (
            (event.to_user.display_name or event.to_user.username)
            if event.to_user
            else (event.to_department.name if event.to_department else "")
        ),
        "due_text": _local_text(workorder.next_due),
        "priority": workorder.priority,
        "opinion_risk": workorder.opinion_risk,
        "link": f"/desk/requests/{workorder.pk}/",
        "resident_link": f"/me/requests/{workorder.pk}/",
        **extra,
    }


def _staff_ids(workorder: WorkOrder) -> set[int]:
    ids = {pk for pk in (workorder.owner_id, workorder.assignee_id) if pk}
    if workorder.assignee_id is None and workorder.department_id:
        ids |= set(
            User.objects.filter(department_id=workorder.department_id, is_active=True)
            .filter(roles__code=RoleCode.DEPARTMENT)
            .values_list("pk", flat=True)
        )
    return ids


def _announce(
    workorder: WorkOrder,
    event: WorkOrderEvent,
    *,
    also: Iterable[int] = (),
    residents: bool | None = None,
    urgent: bool = False,
    **extra: Any,
) -> None:
    """Tell the people a step concerns: the first responsible and the holder of the request
    (everyone but the one acting), and the resident for the steps they see."""
    actor = event.by_id
    staff = (_staff_ids(workorder) | set(also)) - {actor}
    if staff:
        notify_publish(
            audience=Audience(users=list(User.objects.filter(pk__in=staff))),
            template="workorder_staff",
            context=_context(workorder, event, **extra),
            event_key=f"workorder:{workorder.pk}:{event.pk}:staff",
            urgent=urgent or workorder.priority,
            source=f"workorder:{workorder.pk}",
        )
    if residents is None:
        residents = event.kind in RESIDENT_EVENTS
    if not residents:
        return
    users: list[User] = []
    households: list[Household] = []
    creator = workorder.created_by
    if creator is not None and creator.is_resident_only:
        if creator.pk != actor:
            users = [creator]
    elif workorder.household is not None and workorder.channel in STAFF_FILED_CHANNELS:
        # Filed by staff for a caller: the household hears by SMS and its members in the app.
        households = [workorder.household]
    if users or households:
        notify_publish(
            audience=Audience(users=users, households=households),
            template="workorder_resident",
            context=_context(workorder, event, **extra),
            event_key=f"workorder:{workorder.pk}:{event.pk}:resident",
            source=f"workorder:{workorder.pk}",
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
    **data: Any,
) -> WorkOrderEvent:
    return WorkOrderEvent.objects.create(
        workorder=workorder,
        kind=kind,
        at=now,
        by=by,
        note=note,
        to_user=to_user,
        to_department=to_department,
        data=data,
    )


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
        raise ValidationError({field: _("This field is required.")}, code="required")
    if len(text) > limit:
        raise ValidationError(
            {
                field: _("At most %(limit)s characters are allowed (this one has %(n)s).")
                % {"limit": limit, "n": len(text)}
            },
            code="max_length",
        )
    return text


def category_for_intake(code: str, *, by: User | None) -> Category:
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise ValidationError(
            {"category": _("Unknown request category “%(code)s”.") % {"code": code}},
            code="unknown",
        )
    staff = by is not None and (by.is_superuser or not by.is_resident_only)
    if not category.resident_may_report and not staff:
        raise ValidationError(
            {"category": _("Residents cannot file requests of this category.")}, code="staff_only"
        )
    return category


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
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")}, code="channel")
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(
            {"photos": _("At most %(n)s photos may be attached.") % {"n": MAX_PHOTOS}},
            code="too_many",
        )
    if household is None and location is None:
        raise ValidationError(
            {"household_id": _("Say which household or place the request is about.")},
            code="required",
        )
    compound = household.building.compound if household else location.compound  # type: ignore[union-attr]
    topics = risk_topics(description, category)
    priority = bool(household and household.special_group)
    with transaction.atomic():
        workorder = WorkOrder(
            category=category,
            channel=channel,
            description=description,
            compound=compound,
            household=household,
            station_area=(
                household.station_area if household else location.station_area  # type: ignore[union-attr]
            ),
            meter=location.meter if location else None,
            address_text=(household.address if household else location.address_text)[:200],  # type: ignore[union-attr]
            lat=location.lat if location else None,
            long=location.long if location else None,
            contact_name=contact_name[:64],
            contact_phone=contact_phone[:20],
            contact_email=contact_email[:254],
            created_by=by,
            assignee_id=route(category, compound, on=timezone.localdate(now)),
            priority=priority,
            opinion_risk=bool(topics),
            risk_topics=topics,
            open311_token=secrets.token_hex(8) if open311 else None,
            created_at=now,
            updated_at=now,
        )
        workorder.category = category
        _start_clocks(workorder, CLOCKS, now)
        _refresh_due(workorder)
        workorder.save(force_insert=True)
        for photo in photos:
            _attach(workorder, photo, by=by)
        event = _record(
            workorder,
            Event.SUBMITTED,
            by=by,
            now=now,
            to_user=workorder.assignee,
            channel=channel,
        )
        also: list[int] = []
        manager = customer_manager_id(compound.pk)
        if priority and manager:
            also.append(manager)
        if topics:
            also.extend(supervisors_of(compound))
        _announce(workorder, event, also=also, urgent=category.is_fault)
    return workorder


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


def _locked(workorder: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("category", "compound", "household", "created_by")
        .get(pk=workorder.pk)
    )


def _require_state(workorder: WorkOrder, *allowed: str, action: str) -> None:
    if workorder.status not in allowed:
        raise WorkOrderStateError(
            _("This request is “%(status)s”: it cannot be %(action)s now.")
            % {"status": workorder.get_status_display(), "action": action}
        )


def _save(workorder: WorkOrder, fields: Iterable[str], now: datetime.datetime) -> None:
    workorder.updated_at = now
    _refresh_due(workorder)
    workorder.save(update_fields=sorted({*fields, "updated_at", *CLOCK_FIELDS}))


def workorder_accept(
    *, workorder: WorkOrder, by: User, now: datetime.datetime | None = None
) -> WorkOrder:
    """The holder (or a member of the department holding it, or the compound's customer
    manager taking it over) accepts; the first to accept becomes its first responsible."""
    now = now or timezone.now()
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.SUBMITTED, action=_("accepted"))
        if not _may_act_as_staff(by, wo):
            raise PermissionDenied(
                _("Only the member of staff holding this request may accept it.")
            )
        if (
            wo.category.routing == Category.Routing.ELECTRICIAN
            and by.has_role(RoleCode.ELECTRICIAN)
            and not by.has_role(RoleCode.CUSTOMER_MANAGER)
            and by.pk not in valid_certificate_holders([by], on=timezone.localdate(now))
        ):
            raise PermissionDenied(
                _("Fault repairs need a valid low-voltage electrician certificate.")
            )
        fields = ["status", "assignee"]
        wo.status = Status.ARRIVED if wo.arrived_at else Status.ACCEPTED
        wo.assignee = by
        if wo.accepted_at is None:
            fields += _meet(wo, "accept", now)
        if wo.owner_id is None:
            wo.owner = by
            fields.append("owner")
        _save(wo, fields, now)
        event = _record(wo, Event.ACCEPTED, by=by, now=now)
        _announce(wo, event)
    return wo


def workorder_arrive(
    *, workorder: WorkOrder, by: User, note: str = "", now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE, required=False)
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.ACCEPTED, action=_("marked as on site"))
        if not holds(by, wo):
            raise PermissionDenied(_("Only the member of staff holding this request may do this."))
        if wo.arrived_at is not None:
            raise WorkOrderStateError(_("Arrival on site has already been recorded."))
        wo.status = Status.ARRIVED
        fields = ["status", *_meet(wo, "arrive", now)]
        _save(wo, fields, now)
        event = _record(wo, Event.ARRIVED, by=by, now=now, note=note)
        _announce(wo, event)
    return wo


def workorder_resolve(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE)
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.ACCEPTED, Status.ARRIVED, action=_("resolved"))
        if not _may_act_as_staff(by, wo):
            raise PermissionDenied(_("Only the member of staff holding this request may do this."))
        wo.status = Status.RESOLVED
        wo.resolution = note
        fields = ["status", "resolution", *_meet(wo, "resolve", now)]
        _save(wo, fields, now)
        event = _record(wo, Event.RESOLVED, by=by, now=now, note=note)
        _announce(wo, event)
    return wo


def workorder_wait(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """Ask the resident for something (a document, a time to visit); the clocks pause."""
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE)
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.ACCEPTED, Status.ARRIVED, action=_("put on hold"))
        if not _may_act_as_staff(by, wo):
            raise PermissionDenied(_("Only the member of staff holding this request may do this."))
        resume_to = wo.status
        wo.status = Status.WAITING
        wo.paused_at = now
        _save(wo, ["status", "paused_at"], now)
        event = _record(wo, Event.WAITING, by=by, now=now, note=note, resume_to=resume_to)
        _announce(wo, event)
    return wo


def workorder_resume(
    *, workorder: WorkOrder, by: User, note: str = "", now: datetime.datetime | None = None
) -> WorkOrder:
    """The resident answered (or staff go on without the answer): the clocks run again,
    moved on by the pause."""
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE, required=False)
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.WAITING, action=_("resumed"))
        if not (_may_act_as_staff(by, wo) or is_requester(by, wo)):
            raise PermissionDenied(_("You cannot act on this request."))
        waited = (
            WorkOrderEvent.objects.filter(workorder=wo, kind=Event.WAITING)
            .order_by("-at", "-pk")
            .values_list("data", flat=True)
            .first()
        ) or {}
        wo.status = waited.get("resume_to", Status.ACCEPTED)
        paused_at = wo.paused_at or now
        for clock in CLOCKS:
            due = getattr(wo, f"{clock}_due")
            target = _target(wo.category, clock, priority=wo.priority)
            if due is None or target is None or clock_done(wo, clock):
                continue
            try:
                setattr(
                    wo,
                    f"{clock}_due",
                    extend_deadline(due, target[1], paused_at=paused_at, resumed_at=now),
                )
            except CalendarUnavailable as error:
                wo.clock_problem = str(error.args[0])[:200]
        wo.paused_at = None
        _save(wo, ["status", "paused_at"], now)
        event = _record(
            wo, Event.RESUMED, by=by, now=now, note=note, paused_minutes=_minutes(now - paused_at)
        )
        _announce(wo, event, residents=not is_requester(by, wo))
    return wo


def _minutes(delta: datetime.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _transfer_target(
    wo: WorkOrder, *, to_user: User | None, department: Department | None, today: datetime.date
) -> None:
    if (to_user is None) == (department is None):
        raise ValidationError(
            {"to": _("Name either one member of staff or one department to pass it to.")},
            code="target",
        )
    if department is not None:
        district_id = wo.compound.community.street.district_id
        if department.district_id != district_id:
            raise ValidationError(
                {"department": _("That department does not serve this compound's district.")},
                code="department",
            )
        return
    assert to_user is not None
    roles = set(
        CompoundAssignment.objects.filter(
            compound_id=wo.compound_id, user=to_user, user__is_active=True
        ).values_list("role", flat=True)
    )
    if RoleCode.CUSTOMER_MANAGER in roles:
        return
    if RoleCode.ELECTRICIAN in roles:
        if wo.category.routing != Category.Routing.ELECTRICIAN:
            raise ValidationError(
                {"to": _("This kind of request is the customer manager's, not an electrician's.")},
                code="target",
            )
        if to_user.pk not in valid_certificate_holders([to_user], on=today):
            raise ValidationError(
                {
                    "to": _(
                        "%(name)s has no valid electrician certificate and cannot take fault "
                        "repairs."
                    )
                    % {"name": to_user.display_name or to_user.username}
                },
                code="certificate",
            )
        return
    raise ValidationError(
        {
            "to": _("%(name)s does not serve this compound.")
            % {"name": to_user.display_name or to_user.username}
        },
        code="target",
    )


def _hand_over(
    wo: WorkOrder,
    *,
    by: User,
    kind: str,
    reason: str,
    to_user: User | None,
    department: Department | None,
    now: datetime.datetime,
) -> None:
    wo.assignee = to_user
    wo.department = department
    # The new hands must accept; the acceptance clock, once met, stays met.
    wo.status = Status.SUBMITTED
    _save(wo, ["assignee", "department", "status"], now)
    event = _record(
        wo, kind, by=by, now=now, note=reason, to_user=to_user, to_department=department
    )
    _announce(wo, event, also=[to_user.pk] if to_user else [])


TRANSFERABLE = (Status.SUBMITTED, Status.ACCEPTED, Status.ARRIVED, Status.WAITING)


def _may_transfer(by: User, wo: WorkOrder) -> bool:
    if _may_act_as_staff(by, wo):
        return True
    return by.has_role(RoleCode.SUPERVISOR) and by.pk in supervisors_of(wo.compound)


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
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, *TRANSFERABLE, action=_("transferred"))
        if not _may_transfer(by, wo):
            raise PermissionDenied(
                _(
                    "Only its holder, the compound's customer manager or a supervisor may pass "
                    "it on."
                )
            )
        _transfer_target(wo, to_user=to_user, department=department, today=timezone.localdate(now))
        if to_user is not None and wo.assignee_id == to_user.pk:
            raise ValidationError({"to": _("The request is already in those hands.")}, code="same")
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


def workorder_escalate(
    *,
    workorder: WorkOrder,
    by: User,
    reason: str,
    department: Department | None = None,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Pass a request up: an electrician who cannot fix a fault hands it to the customer
    manager; the customer manager hands it to a department (the repair crew, the business
    hall, metering)."""
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", limit=MAX_NOTE)
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.SUBMITTED, Status.ACCEPTED, Status.ARRIVED, action=_("escalated"))
        if not _may_act_as_staff(by, wo):
            raise PermissionDenied(_("Only the member of staff holding this request may do this."))
        manager = customer_manager_id(wo.compound_id)
        to_user: User | None = None
        if wo.assignee_id is not None and wo.assignee_id != manager and department is None:
            if manager is None:
                raise ValidationError(
                    {"department": _("This compound has no customer manager: name a department.")},
                    code="department",
                )
            to_user = User.objects.get(pk=manager)
        elif department is None:
            raise ValidationError(
                {"department": _("Name the department to pass this request to.")},
                code="department",
            )
        else:
            _transfer_target(wo, to_user=None, department=department, today=timezone.localdate(now))
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
) -> list[WorkOrder]:
    """Bulk transfer from the workbench: all of them or, if one is refused, none."""
    with transaction.atomic():
        return [
            workorder_transfer(
                workorder=wo, by=by, reason=reason, to_user=to_user, department=department
            )
            for wo in workorders
        ]


def workorder_reopen(
    *, workorder: WorkOrder, by: User, reason: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """The resident says it is not settled: back to the hands that resolved it, with a new
    resolution clock."""
    now = now or timezone.now()
    reason = _clean_text(reason, field="reason", limit=MAX_NOTE)
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.RESOLVED, action=_("reopened"))
        if not (is_requester(by, wo) or is_compound_manager(by, wo)):
            raise PermissionDenied(_("Only the resident who filed it may reopen this request."))
        wo.status = Status.ACCEPTED if wo.assignee_id else Status.SUBMITTED
        wo.resolved_at = None
        wo.resolve_late = None
        wo.reopen_count += 1
        wo.warned_clocks = ",".join(c for c in wo.warned_clocks.split(",") if c and c != "resolve")
        target = _target(wo.category, "resolve", priority=wo.priority)
        if target:
            try:
                wo.resolve_due = deadline(now, *target)
            except CalendarUnavailable as error:
                wo.resolve_due = None
                wo.clock_problem = str(error.args[0])[:200]
        wo.clocks_started_at = now
        _save(wo, ["status", "resolved_at", "resolve_late", "reopen_count"], now)
        event = _record(wo, Event.REOPENED, by=by, now=now, note=reason)
        _announce(wo, event)
    return wo


def workorder_cancel(
    *, workorder: WorkOrder, by: User, reason: str = "", now: datetime.datetime | None = None
) -> WorkOrder:
    """The resident withdraws the request, or the customer manager cancels it with a reason
    (a duplicate, filed by mistake)."""
    now = now or timezone.now()
    requester = is_requester(by, workorder)
    reason = _clean_text(reason, field="reason", limit=MAX_NOTE, required=not requester)
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, *TRANSFERABLE, action=_("cancelled"))
        if not (requester or is_compound_manager(by, wo)):
            raise PermissionDenied(
                _("Only the resident who filed it or the customer manager may cancel it.")
            )
        wo.status = Status.CANCELLED
        wo.cancelled_at = now
        wo.paused_at = None
        _save(wo, ["status", "cancelled_at", "paused_at"], now)
        event = _record(wo, Event.CANCELLED, by=by, now=now, note=reason)
        _announce(wo, event, residents=not requester)
    return wo


def workorder_confirm(
    *, workorder: WorkOrder, by: User, now: datetime.datetime | None = None
) -> WorkOrder:
    now = now or timezone.now()
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.RESOLVED, action=_("confirmed"))
        if not is_requester(by, wo):
            raise PermissionDenied(_("Only the resident who filed it may confirm it."))
        _close(wo, by=by, now=now, kind=Event.CONFIRMED)
    return wo


def _close(wo: WorkOrder, *, by: User | None, now: datetime.datetime, kind: str) -> WorkOrderEvent:
    wo.status = Status.CLOSED
    wo.closed_at = now
    fields = ["status", "closed_at"]
    if kind == Event.CONFIRMED:
        wo.confirmed_at = now
        fields.append("confirmed_at")
    else:
        wo.auto_closed = True
        fields.append("auto_closed")
    _save(wo, fields, now)
    event = _record(wo, kind, by=by, now=now)
    _announce(wo, event, residents=kind != Event.CONFIRMED)
    return event


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
        raise ValidationError(
            {"rating": _("The rating is a whole number from 1 to 5.")}, code="rating"
        )
    with transaction.atomic():
        wo = _locked(workorder)
        _require_state(wo, Status.RESOLVED, Status.CLOSED, action=_("rated"))
        if not is_requester(by, wo):
            raise PermissionDenied(_("Only the resident who filed it may rate it."))
        if wo.rated_at is not None:
            raise WorkOrderStateError(_("This request has already been rated."))
        wo.rating = rating
        wo.rating_comment = comment
        wo.visited_hall = visited_hall
        wo.rated_at = now
        _save(wo, ["rating", "rating_comment", "visited_hall", "rated_at"], now)
        event = _record(
            wo, Event.RATED, by=by, now=now, note=comment, rating=rating, visited_hall=visited_hall
        )
        # A poor rating reaches the customer manager whoever handled the request.
        manager = customer_manager_id(wo.compound_id)
        _announce(
            wo,
            event,
            residents=False,
            also=[manager] if manager and rating <= 2 else [],
            rating=rating,
        )
        if wo.status == Status.RESOLVED:
            _close(wo, by=by, now=now, kind=Event.CONFIRMED)
    return wo


def workorder_comment(
    *, workorder: WorkOrder, by: User, note: str, now: datetime.datetime | None = None
) -> WorkOrder:
    """A message on the request's timeline, from the resident or from staff."""
    now = now or timezone.now()
    note = _clean_text(note, field="note", limit=MAX_NOTE)
    with transaction.atomic():
        wo = _locked(workorder)
        if not wo.is_open:
            raise WorkOrderStateError(_("This request is closed: file a new one instead."))
        event = _record(wo, Event.COMMENTED, by=by, now=now, note=note)
        WorkOrder.objects.filter(pk=wo.pk).update(updated_at=now)
        _announce(wo, event, residents=not is_requester(by, wo))
    return wo


# The clocks' sweep -------------------------------------------------------------------------


def workorders_check_clocks(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Warn owners before a deadline, record and escalate missed deadlines (to the customer
    manager, then the supervisor), and close resolved requests nobody confirmed. Safe to run
    twice and from several consumers: each row is claimed by a conditional update."""
    now = now or timezone.now()
    counts = {"warned": 0, "overdue": 0, "closed": 0}
    for pk in WorkOrder.objects.filter(
        status__in=WorkOrder.ACTIVE_STATUSES, warn_at__lte=now
    ).values_list("pk", flat=True)[:500]:
        counts["warned"] += _warn(pk, now)
    for pk in WorkOrder.objects.filter(
        status__in=WorkOrder.ACTIVE_STATUSES, next_due__lte=now
    ).values_list("pk", flat=True)[:500]:
        counts["overdue"] += _mark_overdue(pk, now)
    days = int(rule_value("workorder.autoclose_days"))
    for pk in WorkOrder.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - datetime.timedelta(days=days)
    ).values_list("pk", flat=True)[:500]:
        counts["closed"] += _auto_close(pk, now)
    return counts


def _warn(pk: int, now: datetime.datetime) -> int:
    with transaction.atomic():
        wo = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("category", "compound", "household", "created_by")
            .filter(pk=pk, status__in=WorkOrder.ACTIVE_STATUSES, warn_at__lte=now)
            .first()
        )
        if wo is None:
            return 0
        outstanding = _outstanding(wo)
        warned = set(wo.warned_clocks.split(",")) - {""}
        clock = next((c for c, _due in outstanding if c not in warned), None)
        if clock is None:
            _save(wo, [], now)
            return 0
        wo.warned_clocks = ",".join(sorted(warned | {clock}))
        _save(wo, [], now)
        due = getattr(wo, f"{clock}_due")
        event = _record(wo, Event.WARNED, by=None, now=now, clock=clock, due=due.isoformat())
        _announce(wo, event, residents=False, clock=clock, clock_due_text=_local_text(due))
    return 1


def _mark_overdue(pk: int, now: datetime.datetime) -> int:
    with transaction.atomic():
        wo = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("category", "compound", "household", "created_by")
            .filter(pk=pk, status__in=WorkOrder.ACTIVE_STATUSES, next_due__lte=now)
            .first()
        )
        if wo is None:
            return 0
        missed = [(c, due) for c, due in _outstanding(wo) if due <= now]
        if not missed:
            _save(wo, [], now)
            return 0
        fields = []
        for clock, _due in missed:
            if getattr(wo, f"{clock}_late") is None:
                setattr(wo, f"{clock}_late", True)
                fields.append(f"{clock}_late")
        # One level per missed deadline: first the customer manager, then the supervisors.
        manager = customer_manager_id(wo.compound_id)
        level = min(wo.escalation_level + 1, 2)
        if level == 1 and manager in (wo.assignee_id, None):
            level = 2
        also = [manager] if level == 1 and manager else supervisors_of(wo.compound)
        wo.escalation_level = level
        fields.append("escalation_level")
        # The clock stays unmet; it no longer drives next_due, so the sweep moves on.
        _save(wo, fields, now)
        wo.next_due = next((due for _c, due in _outstanding(wo) if due > now), None)
        WorkOrder.objects.filter(pk=wo.pk).update(next_due=wo.next_due)
        clock, due = missed[0]
        event = _record(
            wo,
            Event.OVERDUE,
            by=None,
            now=now,
            clocks=[c for c, _d in missed],
            escalation_level=level,
        )
        _announce(
            wo,
            event,
            also=also,
            residents=False,
            urgent=True,
            clock=clock,
            clock_due_text=_local_text(due),
        )
    return 1


def _auto_close(pk: int, now: datetime.datetime) -> int:
    days = int(rule_value("workorder.autoclose_days"))
    with transaction.atomic():
        wo = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("category", "compound", "household", "created_by")
            .filter(
                pk=pk, status=Status.RESOLVED, resolved_at__lte=now - datetime.timedelta(days=days)
            )
            .first()
        )
        if wo is None:
            return 0
        _close(wo, by=None, now=now, kind=Event.CLOSED)
    return 1


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
