"""Defects to closure (消缺): a defect is opened (from a patrol's finding, a resident's hazard
report, a line-loss alarm, or by staff), given an owner and a deadline by its severity, fixed
by its responsible side with after-photos, and closed only when the OTHER side has checked the
fix. Overdue defects escalate (see `defects_escalate`).

Who may open one: staff reaching the compound for Purpose.OVERSEE — whoever serves it (its
customer manager, electricians, property office, community grid administrator), its
district's supervisors and departments. Residents report hazards as requests instead.

Every step locks the defect's row, checks the policy table (wudian.fieldwork.policy.defects)
on it, writes a timeline step (DefectEvent) and tells whom it concerns through notify."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import Department, User
from wudian.core.calendar import china_date
from wudian.core.errors import BadInput, OutsideScope
from wudian.core.photos import PhotoUpload, photo_store, photos_removed_on_failure
from wudian.core.rules import rule_value
from wudian.fieldwork.models import (
    Defect,
    DefectEvent,
    DefectPhoto,
    Patrol,
    PatrolAnswer,
    Severity,
)
from wudian.fieldwork.policy.defects import DEFECTS, defect_parties
from wudian.fieldwork.selectors.defects import DefectStaff, department_members, may_record_defect
from wudian.grid import scope
from wudian.grid.models import Building, Compound, StationArea
from wudian.notify.services import Audience, notify_publish
from wudian.workorders.models import WorkOrder

MAX_PHOTOS = 6
Event = DefectEvent.Kind


# Small helpers ----------------------------------------------------------------------------


def _text(text: str, *, field: str, limit: int, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise BadInput({field: ValidationError(_("This field is required."), code="required")})
    if "\x00" in text:
        raise BadInput(
            {field: ValidationError(_("The text contains a NUL character."), code="nul")}
        )
    if len(text) > limit:
        raise BadInput(
            {
                field: ValidationError(
                    _("At most %(limit)s characters are allowed (this one has %(n)s).")
                    % {"limit": limit, "n": len(text)},
                    code="max_length",
                )
            }
        )
    return text


def deadline_for(severity: str, found_at: datetime.datetime) -> datetime.datetime:
    """When a defect of that severity must be fixed by (the service rules)."""
    if severity == Severity.CRITICAL:
        return found_at + datetime.timedelta(hours=float(rule_value("defect.critical_hours")))
    if severity == Severity.SERIOUS:
        return found_at + datetime.timedelta(days=float(rule_value("defect.serious_days")))
    return found_at + datetime.timedelta(days=float(rule_value("defect.normal_days")))


def warn_time(found_at: datetime.datetime, deadline: datetime.datetime) -> datetime.datetime:
    """When the owner is warned: when the rule's share of the time to the deadline remains
    (the same rule as requests' clocks)."""
    share = rule_value("workorder.warn_remaining_percent") / 100
    return deadline - (deadline - found_at) * float(share)


def escalate_after() -> datetime.timedelta:
    hours: Decimal = rule_value("defect.escalate_after_hours")
    return datetime.timedelta(hours=float(hours))


def attach(defect: Defect, photo: PhotoUpload, *, stage: str, by: User | None) -> DefectPhoto:
    return photo_store(DefectPhoto(defect=defect, stage=stage, uploaded_by=by), photo)


def _too_many_photos() -> BadInput:
    return BadInput(
        {
            "photos": ValidationError(
                _("At most %(n)s photos may be attached.") % {"n": MAX_PHOTOS}, code="too_many"
            )
        }
    )


def record(
    defect: Defect, kind: str, *, by: User | None, now: datetime.datetime, note: str = ""
) -> DefectEvent:
    return DefectEvent.objects.create(defect=defect, kind=kind, actor=by, note=note[:500], at=now)


def _context(defect: Defect, **extra: Any) -> dict[str, Any]:
    return {
        "id": defect.pk,
        "compound": defect.compound.name,
        "building": defect.building.name if defect.building_id and defect.building else "",
        "location": defect.location,
        "description": defect.description,
        "severity": defect.get_severity_display(),
        "deadline_text": timezone.localtime(defect.deadline).strftime("%Y-%m-%d %H:%M"),
        "url": reverse("fieldwork:defect_detail", args=[defect.pk]),
        **extra,
    }


def tell(
    defect: Defect,
    users: Sequence[User],
    template: str,
    *,
    key: str,
    now: datetime.datetime,
    urgent: bool = False,
    **extra: Any,
) -> int:
    """Tell those users of one step of the defect (each once, the actor included only when
    the caller says so)."""
    unique = list({user.pk: user for user in users if user is not None and user.is_active}.values())
    if not unique:
        return 0
    return notify_publish(
        audience=Audience(users=unique),
        template=template,
        context=_context(defect, **extra),
        event_key=f"fieldwork:defect:{defect.pk}:{key}",
        source=f"fieldwork:defect:{defect.pk}",
        urgent=urgent,
        now=now,
    )


def responsible_users(defect: Defect, staff: DefectStaff) -> list[User]:
    """Who is told as the responsible party: the owner, or the department's members."""
    users: list[User] = []
    if defect.owner is not None:
        users.append(defect.owner)
    if defect.department_id is not None and defect.owner is None:
        users.extend(department_members(defect.department_id))
    return users


# Opening ----------------------------------------------------------------------------------


def defect_open(
    *,
    compound: Compound,
    description: str,
    severity: str,
    responsible: str,
    by: User,
    source: str,
    building: Building | None = None,
    location: str = "",
    department: Department | None = None,
    patrol: Patrol | None = None,
    patrol_answer: PatrolAnswer | None = None,
    workorder: WorkOrder | None = None,
    station_area: StationArea | None = None,
    photos: Sequence[PhotoUpload] = (),
    now: datetime.datetime | None = None,
) -> Defect:
    """Open a defect of the compound, found by `by`: its deadline from its severity, its
    owner from its responsible side (a property defect: the compound's electrician, a
    certified one first, else its property office; a utility defect: the department given,
    else the compound's customer manager), the before-photos attached, an OPENED step on its
    timeline. A critical defect (危急) tells the customer manager and the responsible party at
    once (urgent). `by` must reach the compound (Purpose.OVERSEE: whoever serves it, its
    district's supervisors and departments), else OutsideScope. Runs in the caller's
    transaction when there is one (a patrol's submission opens its findings)."""
    now = now or timezone.now()
    if not may_record_defect(by, compound.pk):
        raise OutsideScope()
    errors: dict[str, list[ValidationError]] = {}

    def refuse(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    try:
        description = _text(description, field="description", limit=500)
    except BadInput as error:
        errors.update(error.error_dict)
    try:
        location = _text(location, field="location", limit=120, required=False)
    except BadInput as error:
        errors.update(error.error_dict)
    if severity not in Severity.values:
        refuse("severity", _("Choose normal, serious or critical."), "severity")
    if responsible not in Defect.Responsible.values:
        refuse(
            "responsible",
            _("Choose the property company or the power supply company."),
            "responsible",
        )
    if source not in Defect.Source.values:
        refuse("source", _("Unknown source."), "source")
    if building is not None and building.compound_id != compound.pk:
        refuse("building", _("That building is not in this compound."), "building")
    if department is not None:
        if responsible == Defect.Responsible.PROPERTY:
            refuse(
                "department",
                _("A department is given only for a defect of the power supply company."),
                "department",
            )
        elif not scope.department_serves(department, compound.pk):
            refuse(
                "department",
                _("That department does not work in this compound's district."),
                "department",
            )
    if patrol is not None and patrol.compound_id != compound.pk:
        refuse("patrol", _("That patrol is of another compound."), "patrol")
    if workorder is not None and workorder.compound_id != compound.pk:
        refuse("workorder", _("That request is of another compound."), "workorder")
    if station_area is not None and not station_area.compounds.filter(pk=compound.pk).exists():
        refuse("station_area", _("That station area does not feed this compound."), "station_area")
    if len(photos) > MAX_PHOTOS:
        errors.update(_too_many_photos().error_dict)
    if errors:
        raise BadInput(errors)

    staff = DefectStaff(compound, on=china_date(now))
    owner: User | None
    if responsible == Defect.Responsible.PROPERTY:
        owner = staff.property_owner() or staff.manager
    else:
        owner = None if department is not None else staff.manager
    with photos_removed_on_failure() as attached, transaction.atomic():
        defect = Defect.objects.create(
            compound=compound,
            building=building,
            location=location,
            description=description,
            severity=severity,
            source=source,
            responsible=responsible,
            department=department,
            owner=owner,
            deadline=(deadline := deadline_for(severity, now)),
            warn_at=warn_time(now, deadline),
            patrol=patrol,
            patrol_answer=patrol_answer,
            workorder=workorder,
            station_area=station_area,
            found_by=by,
            found_at=now,
        )
        attached.extend(
            attach(defect, photo, stage=DefectPhoto.Stage.BEFORE, by=by) for photo in photos
        )
        record(defect, Event.OPENED, by=by, now=now)
        if severity == Severity.CRITICAL:
            told = [*responsible_users(defect, staff)]
            if staff.manager is not None:
                told.append(staff.manager)
            tell(defect, told, "defect_critical", key="critical", now=now, urgent=True)
        elif owner is not None and owner.pk != by.pk:
            tell(defect, [owner], "defect_assigned", key="opened", now=now)
    return defect


# Steps ------------------------------------------------------------------------------------


def _locked(defect: Defect) -> Defect:
    """The defect's row, locked for the step, read again."""
    return (
        Defect.objects.select_for_update(of=("self",))
        .select_related("compound", "owner", "building")
        .get(pk=defect.pk)
    )


def _check(action: str, defect: Defect, by: User) -> None:
    DEFECTS.check(action, defect, defect_parties(by, defect))


def _save(defect: Defect, fields: list[str]) -> None:
    defect.save(update_fields=fields)


def defect_fix(
    *,
    defect: Defect,
    by: User,
    note: str,
    photos: Sequence[PhotoUpload],
    now: datetime.datetime | None = None,
) -> Defect:
    """The responsible side reports the defect fixed: what was done, and at least one photo
    of it fixed (after). The other side is told to check it."""
    now = now or timezone.now()
    errors: dict[str, list[ValidationError]] = {}
    try:
        note = _text(note, field="note", limit=500)
    except BadInput as error:
        errors.update(error.error_dict)
    if not photos:
        errors["photos"] = [
            ValidationError(_("Attach at least one photo of the defect fixed."), code="after_photo")
        ]
    elif len(photos) > MAX_PHOTOS:
        errors.update(_too_many_photos().error_dict)
    with photos_removed_on_failure() as attached, transaction.atomic():
        locked = _locked(defect)
        _check("fix", locked, by)
        if errors:
            raise BadInput(errors)
        locked.status = Defect.Status.FIXED
        locked.fixed_at = now
        locked.fixed_by = by
        locked.fix_note = note
        locked.checked_by = None
        _save(locked, ["status", "fixed_at", "fixed_by", "fix_note", "checked_by"])
        attached.extend(
            attach(locked, photo, stage=DefectPhoto.Stage.AFTER, by=by) for photo in photos
        )
        event = record(locked, Event.FIXED, by=by, now=now, note=note)
        tell(
            locked,
            [user for user in checkers_of(locked) if user.pk != by.pk],
            "defect_fixed",
            key=f"fixed:{event.pk}",
            now=now,
            note=note,
        )
    return locked


def checkers_of(defect: Defect) -> list[User]:
    """Who checks the defect's fix: the other side (see the policy)."""
    staff = DefectStaff(defect.compound, on=china_date(timezone.now()))
    if defect.responsible == Defect.Responsible.PROPERTY:
        return [staff.manager] if staff.manager else []
    return [*staff.electricians, *staff.property_staff]


def defect_check(
    *,
    defect: Defect,
    by: User,
    passed: bool,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Defect:
    """The other side checks the fix: passed closes the defect; failed sends it back to open
    with the reason (required), its original deadline kept, and tells its owner."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(defect)
        _check("check_pass" if passed else "check_fail", locked, by)
        reason = _text(reason, field="reason", limit=500, required=not passed)
        locked.checked_by = by
        if passed:
            locked.status = Defect.Status.CLOSED
            locked.closed_at = now
            _save(locked, ["status", "closed_at", "checked_by"])
            record(locked, Event.CHECK_PASSED, by=by, now=now, note=reason)
            return locked
        locked.status = Defect.Status.OPEN
        _save(locked, ["status", "checked_by"])
        event = record(locked, Event.CHECK_FAILED, by=by, now=now, note=reason)
        staff = DefectStaff(locked.compound, on=china_date(now))
        told = [*responsible_users(locked, staff)]
        if locked.fixed_by is not None:
            told.append(locked.fixed_by)
        tell(
            locked,
            [user for user in told if user.pk != by.pk],
            "defect_check_failed",
            key=f"check_failed:{event.pk}",
            now=now,
            note=reason,
        )
    return locked


def reassign_choices(defect: Defect) -> tuple[list[User], list[Department]]:
    """Whom an open defect may be given to: a property defect to one of the compound's
    electricians or property office staff; a utility defect to its customer manager or a
    department of its district."""
    staff = DefectStaff(defect.compound, on=china_date(timezone.now()))
    if defect.responsible == Defect.Responsible.PROPERTY:
        return [*staff.electricians, *staff.property_staff], []
    departments = list(
        scope.departments_serving(Compound.objects.filter(pk=defect.compound_id)).order_by("name")
    )
    return ([staff.manager] if staff.manager else []), departments


def defect_reassign(
    *,
    defect: Defect,
    by: User,
    owner: User | None = None,
    department: Department | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Defect:
    """Give an open defect to someone else of its responsible side (the customer manager or
    a supervisor does): a person, or for a utility defect a department. The new owner is
    told."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(defect)
        _check("reassign", locked, by)
        note = _text(note, field="note", limit=500, required=False)
        people, departments = reassign_choices(locked)
        if (owner is None) == (department is None):
            raise BadInput(
                {"owner": ValidationError(_("Choose one person or one department."), code="one")}
            )
        if owner is not None and owner.pk not in {user.pk for user in people}:
            raise BadInput(
                {
                    "owner": ValidationError(
                        _("That person is not of the side responsible for this defect."),
                        code="owner",
                    )
                }
            )
        if department is not None and department.pk not in {d.pk for d in departments}:
            raise BadInput(
                {
                    "department": ValidationError(
                        _("That department cannot take this defect."), code="department"
                    )
                }
            )
        locked.owner = owner
        locked.department = department if department is not None else locked.department
        if owner is not None and locked.responsible == Defect.Responsible.UTILITY:
            locked.department = None
        _save(locked, ["owner", "department"])
        name = owner.display_name or owner.username if owner else department.name  # type: ignore[union-attr]
        event = record(locked, Event.ASSIGNED, by=by, now=now, note=f"{name} {note}".strip())
        staff = DefectStaff(locked.compound, on=china_date(now))
        tell(
            locked,
            [user for user in responsible_users(locked, staff) if user.pk != by.pk],
            "defect_assigned",
            key=f"assigned:{event.pk}",
            now=now,
        )
    return locked


def defect_add_photos(
    *,
    defect: Defect,
    by: User,
    photos: Sequence[PhotoUpload],
    now: datetime.datetime | None = None,
) -> list[DefectPhoto]:
    """More photos of an open defect as found (before)."""
    now = now or timezone.now()
    with photos_removed_on_failure() as attached, transaction.atomic():
        locked = _locked(defect)
        _check("add_photos", locked, by)
        if not photos:
            raise BadInput(
                {"photos": ValidationError(_("Choose at least one photo."), code="required")}
            )
        present = locked.photos.filter(stage=DefectPhoto.Stage.BEFORE).count()
        if present + len(photos) > MAX_PHOTOS:
            raise _too_many_photos()
        attached.extend(
            attach(locked, photo, stage=DefectPhoto.Stage.BEFORE, by=by) for photo in photos
        )
        record(
            locked,
            Event.NOTE,
            by=by,
            now=now,
            note=_("%(n)s photo(s) added.") % {"n": len(photos)},
        )
    return attached


def defect_comment(
    *, defect: Defect, by: User, note: str, now: datetime.datetime | None = None
) -> DefectEvent:
    """A note on the defect's timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(defect)
        _check("comment", locked, by)
        note = _text(note, field="note", limit=500)
        return record(locked, Event.NOTE, by=by, now=now, note=note)


# Warning before the deadline, and escalation after it ----------------------------------------

SWEEP_BATCH = 500


def _warning_due(now: datetime.datetime) -> QuerySet[Defect]:
    return Defect.objects.filter(status=Defect.Status.OPEN, warn_at__lte=now, deadline__gt=now)


def defects_warn(*, now: datetime.datetime | None = None) -> int:
    """Warn the owners (or the responsible department's members) of open defects whose
    deadline nears, once each. Safe to run twice: each defect is locked and checked again."""
    now = now or timezone.now()
    warned = 0
    due = _warning_due(now).order_by("warn_at", "pk")
    for pk in list(due.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            locked = (
                _warning_due(now)
                .select_for_update(of=("self",))
                .select_related("compound", "owner")
                .filter(pk=pk)
                .first()
            )
            if locked is None:
                continue
            locked.warn_at = None
            _save(locked, ["warn_at"])
            staff = DefectStaff(locked.compound, on=china_date(now))
            tell(
                locked,
                responsible_users(locked, staff),
                "defect_deadline_near",
                key="warned",
                now=now,
            )
            warned += 1
    return warned


def _last_escalated() -> Subquery:
    return Subquery(
        DefectEvent.objects.filter(defect=OuterRef("pk"), kind=Event.ESCALATED)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )


def _escalation_due(now: datetime.datetime) -> QuerySet[Defect]:
    """Open defects owed an escalation: past their deadline at level 0; at level 1, the
    escalation rule's hours after the first escalation."""
    later = now - escalate_after()
    return (
        Defect.objects.filter(status=Defect.Status.OPEN, deadline__lte=now, escalation__lt=2)
        .annotate(last_escalated=_last_escalated())
        .filter(Q(escalation=0) | Q(escalation=1, last_escalated__lte=later))
    )


def defects_escalate(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Escalate overdue open defects one level at a time: at the deadline to the compound's
    customer manager (level 1: they become its owner and are told), then, the rule's hours
    later, to the district's supervisors (level 2: told, urgent). A timeline step each time.

    Safe to run twice and from several consumers at once: each defect is locked and checked
    again, and the level reached is recorded on it."""
    now = now or timezone.now()
    counts = {"manager": 0, "supervisors": 0}
    due = _escalation_due(now).order_by("deadline", "pk")
    for pk in list(due.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            locked = (
                _escalation_due(now)
                .select_for_update(of=("self",))
                .select_related("compound", "owner")
                .filter(pk=pk)
                .first()
            )
            if locked is None:
                continue
            staff = DefectStaff(locked.compound, on=china_date(now))
            if locked.escalation == 0:
                locked.escalation = 1
                fields = ["escalation"]
                if staff.manager is not None:
                    locked.owner = staff.manager
                    fields.append("owner")
                _save(locked, fields)
                event = record(
                    locked,
                    Event.ESCALATED,
                    by=None,
                    now=now,
                    note=_("Overdue: escalated to the customer manager."),
                )
                told = [staff.manager] if staff.manager else []
                counts["manager"] += 1
            else:
                locked.escalation = 2
                _save(locked, ["escalation"])
                event = record(
                    locked,
                    Event.ESCALATED,
                    by=None,
                    now=now,
                    note=_("Still overdue: escalated to the district's supervisors."),
                )
                told = list(
                    User.objects.filter(pk__in=staff.supervisor_ids, is_active=True).order_by("pk")
                )
                counts["supervisors"] += 1
            tell(
                locked,
                [user for user in told if user is not None],
                "defect_escalated",
                key=f"escalated:{event.pk}",
                now=now,
                urgent=True,
            )
    return counts
