"""Writes of the joint monthly patrols (联合巡视), one function per business action: the
checklists' versions (draft, publish, new draft), the monthly plans generated ahead, an extra
patrol opened from a hazard or an alarm, moving a plan within its month, starting a patrol,
sending its answers (each finding becomes a defect, through the defects part), the second
party's confirmation, and cancelling.

Each action checks who the caller is and what they reach, validates everything before it
saves anything, locks the row it changes and checks the policy on it
(wudian.fieldwork.policy.patrols), in one transaction; messages go to the outbox in the same
transaction."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.accounts.selectors import valid_certificate_holders
from wudian.core.calendar import CalendarUnavailable, china_date, is_working_day
from wudian.core.errors import BadInput, OutsideScope, WrongState, invalid
from wudian.core.photos import PhotoUpload
from wudian.core.rules import rule_value
from wudian.fieldwork.models import (
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Defect,
    Patrol,
    PatrolAnswer,
    Severity,
)
from wudian.fieldwork.policy.patrols import PATROLS, patrol_parties, side_of
from wudian.fieldwork.selectors.patrols import (
    DEFAULT_CHECKLIST,
    latest_published_version,
    month_end,
    month_start,
    next_month,
)
from wudian.fieldwork.services.defects import defect_open
from wudian.grid.models import Building, Compound, StationArea
from wudian.grid.scope import (
    CM,
    EL,
    Purpose,
    assignments_in,
    customer_manager_of,
    electricians_of,
    is_supervisor_of,
    reaches_compound,
)
from wudian.notify.services import Audience, notify_publish
from wudian.workorders.models import WorkOrder

logger = logging.getLogger(__name__)

MAX_REASON = 300
MAX_MOVE_REASON = 200
MAX_NOTE = 500


def _clean(value: str | None, *, field: str, limit: int, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise invalid(field, _("Please fill this in."), "required")
    if len(text) > limit:
        raise invalid(
            field, _("At most %(limit)s characters, please.") % {"limit": limit}, "too_long"
        )
    return text


def _today(now: datetime.datetime) -> datetime.date:
    return china_date(now)


def patrol_team_of(compound: Compound, *, on: datetime.date) -> tuple[User | None, User | None]:
    """Who patrols the compound: (its electrician, its customer manager). Of several
    electricians, the first holding a valid certificate, else the first."""
    electricians = list(electricians_of(compound).order_by("username"))
    certified = valid_certificate_holders(electricians, on=on)
    chosen = next((user for user in electricians if user.pk in certified), None)
    if chosen is None and electricians:
        chosen = electricians[0]
    return chosen, customer_manager_of(compound)


def may_open_extra(user: User, compound: Compound) -> bool:
    """Who opens an extra patrol of a compound: those who patrol it (its customer manager
    and its electricians, Purpose.PATROL) and the supervisors of its district (who oversee
    it); a superuser."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or reaches_compound(user, Purpose.PATROL, compound.pk):
        return True
    return user.has_role(RoleCode.SUPERVISOR) and is_supervisor_of(user, compound)


def _tell_team(
    patrol: Patrol,
    template: str,
    *,
    key: str,
    now: datetime.datetime,
    but: User | None = None,
    **extra: str,
) -> int:
    """Tell the patrol's electrician and customer manager (`but` the one who acted)."""
    users = [
        user
        for user in (patrol.electrician, patrol.manager)
        if user is not None and (but is None or user.pk != but.pk)
    ]
    if not users:
        return 0
    return notify_publish(
        audience=Audience(users=users),
        template=template,
        context={
            "id": patrol.pk,
            "compound": patrol.compound.name,
            "planned_on": patrol.planned_on.isoformat(),
            "reason": patrol.reason or patrol.moved_reason,
            "url": reverse("fieldwork:patrol_detail", args=[patrol.pk]),
            **extra,
        },
        event_key=f"fieldwork:patrol:{patrol.pk}:{key}",
        source=f"fieldwork:patrol:{patrol.pk}",
        now=now,
    )


def patrol_extra_open(
    *,
    compound: Compound,
    by: User,
    reason: str,
    workorder: WorkOrder | None = None,
    station_area: StationArea | None = None,
    planned_on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Patrol:
    """Open an extra patrol of the compound (a resident's hazard report, a line-loss alarm),
    assigned to its electrician and customer manager, keeping the link to the request or the
    station area; both are told. `by` must patrol the compound or supervise its district
    (OutsideScope otherwise); the reason is required and the day (today by default) may not
    be in the past (BadInput)."""
    now = now or timezone.now()
    today = _today(now)
    if not may_open_extra(by, compound):
        raise OutsideScope()
    reason = _clean(reason, field="reason", limit=MAX_REASON)
    planned_on = planned_on or today
    if planned_on < today:
        raise invalid("planned_on", _("The patrol cannot be planned in the past."), "past")
    if workorder is not None and workorder.compound_id != compound.pk:
        raise invalid("workorder", _("The request is not of this compound."), "other_compound")
    if station_area is not None and not station_area.compounds.filter(pk=compound.pk).exists():
        raise invalid(
            "station_area", _("The station area does not feed this compound."), "other_compound"
        )
    electrician, manager = patrol_team_of(compound, on=today)
    with transaction.atomic():
        patrol = Patrol.objects.create(
            compound=compound,
            kind=Patrol.Kind.EXTRA,
            month=month_start(planned_on),
            planned_on=planned_on,
            electrician=electrician,
            manager=manager,
            workorder=workorder,
            station_area=station_area,
            reason=reason,
        )
        _tell_team(patrol, "fieldwork_patrol_extra", key="opened", now=now)
    logger.info("Extra patrol %s of %s opened by %s", patrol.pk, compound.code, by.pk)
    return patrol


@contextmanager
def _acting_on(
    patrol: Patrol, action: str, *, by: User, key: uuid.UUID | None = None
) -> Iterator[Patrol]:
    """The patrol, locked for the rest of the transaction, once the policy allows `by` to
    take the action on it (a submission already recorded under `key` is let through, for
    the caller to answer as it was)."""
    with transaction.atomic():
        locked = Patrol.objects.select_for_update().get(pk=patrol.pk)
        locked.compound = Compound.objects.get(pk=locked.compound_id)
        if key is None or locked.submission_key != key:
            PATROLS.check(action, locked, patrol_parties(by, locked))
        yield locked


# Checklists -------------------------------------------------------------------------------

A = ChecklistItem.Area
DEFAULT_ITEMS: tuple[tuple[str, str, str], ...] = (
    (
        A.DISTRIBUTION_ROOM,
        "配电室门窗、防小动物挡板完好，无漏雨积水",
        "挡板高度不低于40厘米，通风口有防护网",
    ),
    (A.DISTRIBUTION_ROOM, "变压器、开关柜运行声音和温度正常，无异味", "测温枪读数记入备注"),
    (A.DISTRIBUTION_ROOM, "配电室内无堆放杂物，消防器材和应急照明完好", ""),
    (A.CABLE_SHAFT, "电缆井盖板完好、上锁，井内无积水和杂物", ""),
    (A.CABLE_SHAFT, "竖井内电缆无破损、过热痕迹，防火封堵完整", "楼层间孔洞须用防火泥封堵"),
    (A.METER_BOX, "表箱箱体完好、加锁，箱门无缺失", ""),
    (A.METER_BOX, "表箱内接线牢固，无烧蚀、私拉乱接", "发现表前私接按窃电隐患上报"),
    (A.STAIRWELL, "楼道公共线路穿管敷设，无裸露、老化线头", ""),
    (A.STAIRWELL, "楼道内无飞线充电、无电动车停放", "楼道飞线充电属严重隐患"),
    (A.LEAKAGE, "总漏电保护器试验按钮动作正常", "按下试验按钮应可靠跳闸"),
    (A.LEAKAGE, "单元漏电保护器投入运行，无短接、拆除", ""),
    (A.FIRE, "配电室及竖井灭火器在有效期内，压力正常", ""),
    (A.FIRE, "消防通道畅通，无占用", ""),
    (A.EV_CHARGING, "充电桩外观完好，接地可靠，急停按钮有效", ""),
    (A.EV_CHARGING, "充电区域无私拉电线、无插线板串接", ""),
)


def checklist_default(*, now: datetime.datetime | None = None) -> Checklist:
    """The default checklist (住宅小区联合巡视) with a first published version of the usual
    items: made once, left as the administrator keeps it afterwards."""
    now = now or timezone.now()
    with transaction.atomic():
        checklist, _created = Checklist.objects.get_or_create(
            code=DEFAULT_CHECKLIST, defaults={"name": "住宅小区联合巡视"}
        )
        if not ChecklistVersion.objects.filter(checklist=checklist).exists():
            version = ChecklistVersion.objects.create(
                checklist=checklist, number=1, note="首版", published_at=now
            )
            ChecklistItem.objects.bulk_create(
                ChecklistItem(version=version, position=index, area=area, text=text, guidance=hint)
                for index, (area, text, hint) in enumerate(DEFAULT_ITEMS, start=1)
            )
    return checklist


def checklist_version_editable(version: ChecklistVersion) -> None:
    """Refuse a change to a published version's items (WrongState): a patrol keeps the
    version it started on, so a published one is frozen; make a new draft from it."""
    published = (
        ChecklistVersion.objects.filter(pk=version.pk)
        .values_list("published_at", flat=True)
        .first()
    )
    if published is not None:
        raise WrongState(
            _(
                "Version %(number)s of this checklist is published and cannot change: make a "
                "new draft from it, edit that and publish it."
            )
            % {"number": version.number}
        )


def checklist_version_publish(
    *, version: ChecklistVersion, now: datetime.datetime | None = None
) -> ChecklistVersion:
    """Publish a draft: new patrols start on it; patrols already started keep theirs."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ChecklistVersion.objects.select_for_update().get(pk=version.pk)
        if locked.published_at is not None:
            raise WrongState(_("This version is already published."))
        if not ChecklistItem.objects.filter(version=locked).exists():
            raise BadInput(_("A version without items cannot be published."))
        locked.published_at = now
        locked.save(update_fields=["published_at"])
    return locked


def checklist_version_new_draft(*, version: ChecklistVersion) -> ChecklistVersion:
    """A new draft of the version's checklist with a copy of its items; one draft at a
    time (WrongState when there is one already)."""
    with transaction.atomic():
        checklist = Checklist.objects.select_for_update().get(pk=version.checklist_id)
        draft = ChecklistVersion.objects.filter(checklist=checklist, published_at__isnull=True)
        if draft.exists():
            raise WrongState(
                _("Version %(number)s is already a draft of this checklist: edit that one.")
                % {"number": draft.values_list("number", flat=True).first()}
            )
        top = ChecklistVersion.objects.filter(checklist=checklist).aggregate(top=Max("number"))
        new = ChecklistVersion.objects.create(checklist=checklist, number=(top["top"] or 0) + 1)
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                version=new,
                position=item.position,
                area=item.area,
                text=item.text,
                guidance=item.guidance,
            )
            for item in ChecklistItem.objects.filter(version=version).order_by("position")
        )
    return new


# Monthly plans --------------------------------------------------------------------------


@dataclass
class PlanReport:
    """What one run of the planner did: patrols created per month, and the months it left
    because the official calendar of their year is not known yet."""

    created: dict[datetime.date, int] = field(default_factory=dict)
    waiting: list[datetime.date] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.created.values())


def months_ahead(today: datetime.date, count: int | None = None) -> list[datetime.date]:
    """The first days of this month and of the `count` months after it (the rule's)."""
    count = int(rule_value("patrol.plan_months_ahead")) if count is None else count
    months = [month_start(today)]
    for _index in range(count):
        months.append(next_month(months[-1]))
    return months


def working_days_of(
    month: datetime.date, *, after: datetime.date | None = None
) -> list[datetime.date]:
    """The month's working days on the official calendar (from `after` on); raises
    CalendarUnavailable for a year it does not know."""
    days = []
    day = month_start(month)
    last = month_end(month)
    while day <= last:
        if (after is None or day >= after) and is_working_day(day):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


@dataclass
class Teams:
    """Who patrols every compound that has a customer manager: its manager, and its
    electricians by username (one query)."""

    managers: dict[int, int] = field(default_factory=dict)
    electricians: dict[int, list[tuple[str, int]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Teams:
        teams = cls()
        people: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for compound_id, role, user_id, username in (
            assignments_in(CM, EL)
            .order_by("compound__code", "user__username")
            .values_list("compound_id", "role", "user_id", "user__username")
        ):
            if role == CM:
                teams.managers.setdefault(compound_id, user_id)
            else:
                people[compound_id].append((username, user_id))
        teams.electricians = dict(people)
        return teams


# The columns a plan sets; the others keep their defaults (empty or NULL).
PLAN_COLUMNS = (
    "compound",
    "kind",
    "status",
    "month",
    "planned_on",
    "moved_reason",
    "electrician",
    "manager",
    "reason",
    "created_at",
)


def _insert_plans(rows: list[tuple[Any, ...]]) -> None:
    """Insert the plans, leaving any compound's month already planned as it is. One
    statement executed for all rows: Django's bulk_create spent three quarters of a city's
    year of plans compiling its rows (docs/benchmarks.md, "Joint patrols")."""
    if not rows:
        return
    meta = Patrol._meta
    quote = connection.ops.quote_name
    column_of = {field.name: str(field.column) for field in meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in PLAN_COLUMNS)
    marks = ", ".join(["%s"] * len(PLAN_COLUMNS))
    # The names are the model's, quoted; the values are parameters.
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)


def patrol_plans_for_month(
    *, month: datetime.date, today: datetime.date, teams: Teams | None = None
) -> int:
    """Plan the month's patrol of every compound that has a customer manager, on a working
    day (each manager's compounds spread over the month's working days, from today on),
    assigned to the manager and the compound's electrician (a certified one first). A
    compound already planned that month keeps its plan. Raises CalendarUnavailable."""
    month = month_start(month)
    days = working_days_of(month, after=today)
    if not days:
        return 0
    teams = teams or Teams.load()
    if not teams.managers:
        return 0
    certified = valid_certificate_holders(
        {user_id for people in teams.electricians.values() for _name, user_id in people},
        on=max(month, today),
    )
    already = set(
        Patrol.objects.filter(kind=Patrol.Kind.MONTHLY, month=month).values_list(
            "compound_id", flat=True
        )
    )
    by_manager: dict[int, list[int]] = defaultdict(list)
    for compound_id, manager_id in teams.managers.items():
        by_manager[manager_id].append(compound_id)
    created_at = timezone.now()
    rows: list[tuple[Any, ...]] = []
    for manager_id, compound_ids in by_manager.items():
        count = len(compound_ids)
        for index, compound_id in enumerate(compound_ids):
            if compound_id in already:
                continue
            day = days[(index * len(days) // count) % len(days)]
            people = teams.electricians.get(compound_id, [])
            chosen = next((pk for _name, pk in people if pk in certified), None)
            if chosen is None and people:
                chosen = people[0][1]
            rows.append(
                (
                    compound_id,
                    Patrol.Kind.MONTHLY.value,
                    Patrol.Status.PLANNED.value,
                    month,
                    day,
                    "",
                    chosen,
                    manager_id,
                    "",
                    created_at,
                )
            )
    _insert_plans(rows)
    return len(rows)


def patrol_plans_generate(
    *, now: datetime.datetime | None = None, months: int | None = None
) -> PlanReport:
    """Plan this month and the rule's months ahead (patrol.plan_months_ahead). A month of a
    year the official calendar does not know is left, and logged, not guessed: the patrol
    list tells staff it waits for the calendar. Safe to run any number of times."""
    now = now or timezone.now()
    today = _today(now)
    report = PlanReport()
    teams = Teams.load()
    for month in months_ahead(today, months):
        try:
            with transaction.atomic():
                report.created[month] = patrol_plans_for_month(
                    month=month, today=today, teams=teams
                )
        except CalendarUnavailable:
            logger.warning(
                "Patrols of %s not planned: the official calendar of %s is not known yet",
                month.strftime("%Y-%m"),
                month.year,
            )
            report.waiting.append(month)
    return report


# Moving, starting, sending, confirming, cancelling -------------------------------------------


def patrol_move(
    *,
    patrol: Patrol,
    by: User,
    planned_on: datetime.date,
    reason: str,
    now: datetime.datetime | None = None,
) -> Patrol:
    """Move a planned monthly patrol to another working day of its month, not in the past,
    with a reason; the other party is told."""
    now = now or timezone.now()
    today = _today(now)
    reason = _clean(reason, field="reason", limit=MAX_MOVE_REASON)
    with _acting_on(patrol, "move", by=by) as locked:
        if month_start(planned_on) != locked.month:
            raise invalid(
                "planned_on",
                _("A monthly patrol moves within its month (%(month)s).")
                % {"month": locked.month.strftime("%Y-%m")},
                "other_month",
            )
        if planned_on < today:
            raise invalid("planned_on", _("The patrol cannot be moved into the past."), "past")
        try:
            working = is_working_day(planned_on)
        except CalendarUnavailable as error:
            raise invalid("planned_on", str(error), "calendar_unknown") from None
        if not working:
            raise invalid(
                "planned_on",
                _("%(day)s is not a working day; choose a working day.")
                % {"day": planned_on.isoformat()},
                "not_working_day",
            )
        if planned_on == locked.planned_on:
            raise invalid("planned_on", _("The patrol is already planned on that day."), "same")
        locked.planned_on = planned_on
        locked.moved_reason = reason
        locked.save(update_fields=["planned_on", "moved_reason"])
        _tell_team(locked, "fieldwork_patrol_moved", key=f"moved:{now.timestamp()}", now=now)
    return locked


def patrol_start(*, patrol: Patrol, by: User, now: datetime.datetime | None = None) -> Patrol:
    """Start the patrol at the site: it takes the latest published version of the checklist,
    and keeps it whatever is published later."""
    now = now or timezone.now()
    with _acting_on(patrol, "start", by=by) as locked:
        version = latest_published_version()
        if version is None:
            raise WrongState(
                _("No checklist is published yet: an administrator publishes one first.")
            )
        locked.checklist_version = version
        locked.status = Patrol.Status.IN_PROGRESS
        locked.started_at = now
        locked.save(update_fields=["checklist_version", "status", "started_at"])
    return locked


@dataclass(frozen=True)
class AnswerIn:
    """The answer to one item; a finding says what was found, how serious it is and who must
    fix it (property company or power supply company), and where."""

    item: int
    result: str
    note: str = ""
    severity: str = ""
    responsible: str = ""
    building: int | None = None


@dataclass
class Submission:
    patrol: Patrol
    # False when the same submission had already been recorded (sent twice).
    recorded: bool
    defects: list[Defect] = field(default_factory=list)


def _checked_answers(
    patrol: Patrol, version_id: int, answers: Sequence[AnswerIn]
) -> tuple[dict[int, ChecklistItem], dict[int, Building]]:
    """The patrol's items by id and the buildings named, once every answer is usable."""
    if patrol.checklist_version_id != version_id:
        raise WrongState(
            _(
                "The checklist of this patrol is not the one your page shows: reload the page, "
                "check your answers against it and send them again."
            ),
            code="checklist_changed",
            extra={"checklist_version": patrol.checklist_version_id},
        )
    items = {item.pk: item for item in ChecklistItem.objects.filter(version_id=version_id)}
    given = [answer.item for answer in answers]
    if set(given) - set(items):
        raise WrongState(
            _(
                "Some answers are for items that are not on this patrol's checklist: reload "
                "the page and send them again."
            ),
            code="checklist_changed",
            extra={"checklist_version": patrol.checklist_version_id},
        )
    errors: dict[str, list[str]] = {}
    if len(set(given)) != len(given):
        errors["answers"] = [_("An item is answered twice.")]
    missing = [items[pk] for pk in items if pk not in set(given)]
    if missing:
        errors.setdefault("answers", []).append(
            _("Answer every item: %(n)s left, the first “%(item)s”.")
            % {"n": len(missing), "item": missing[0].text}
        )
    buildings = {
        building.pk: building
        for building in Building.objects.filter(
            compound_id=patrol.compound_id,
            pk__in=[answer.building for answer in answers if answer.building],
        )
    }
    results = set(PatrolAnswer.Result.values)
    for index, answer in enumerate(answers):
        prefix = f"answers.{index}"
        if answer.result not in results:
            errors[f"{prefix}.result"] = [_("Answer OK, finding or not applicable.")]
            continue
        if len(answer.note) > MAX_NOTE:
            errors[f"{prefix}.note"] = [
                _("At most %(limit)s characters, please.") % {"limit": MAX_NOTE}
            ]
        if answer.result != PatrolAnswer.Result.FINDING:
            continue
        if not answer.note.strip():
            errors[f"{prefix}.note"] = [_("Say what was found.")]
        if answer.severity not in Severity.values:
            errors[f"{prefix}.severity"] = [_("Choose how serious the finding is.")]
        if answer.responsible not in Defect.Responsible.values:
            errors[f"{prefix}.responsible"] = [_("Choose who must fix it.")]
        if answer.building and answer.building not in buildings:
            errors[f"{prefix}.building"] = [_("No such building in this compound.")]
    if errors:
        raise BadInput(errors)
    return items, buildings


def patrol_submit(
    *,
    patrol: Patrol,
    by: User,
    submission_key: uuid.UUID,
    version_id: int,
    answers: Sequence[AnswerIn],
    photos: Mapping[int, Sequence[PhotoUpload]] | None = None,
    now: datetime.datetime | None = None,
) -> Submission:
    """Record the patrol's answers, sent from the phone once with its own key: each finding
    becomes a defect (with its photos, as found), the submitter signs, and the other party
    is asked to confirm. The same key sent again answers what was recorded, and records
    nothing more. Answers for another checklist version than the patrol's are refused as a
    conflict (WrongState), nothing saved."""
    now = now or timezone.now()
    photos = photos or {}
    earlier = Patrol.objects.filter(submission_key=submission_key).first()
    if earlier is not None:
        if earlier.pk != patrol.pk:
            raise invalid("submission_key", _("This key was used for another patrol."), "used")
        return Submission(patrol=earlier, recorded=False)
    try:
        with _acting_on(patrol, "submit", by=by, key=submission_key) as locked:
            if locked.submission_key == submission_key:
                return Submission(patrol=locked, recorded=False)
            items, buildings = _checked_answers(locked, version_id, answers)
            side = side_of(by, locked)
            made = PatrolAnswer.objects.bulk_create(
                PatrolAnswer(
                    patrol=locked,
                    item_id=answer.item,
                    result=answer.result,
                    note=" ".join(answer.note.split()),
                )
                for answer in answers
            )
            defects = []
            for answer, row in zip(answers, made, strict=True):
                if answer.result != PatrolAnswer.Result.FINDING:
                    continue
                item = items[answer.item]
                defects.append(
                    defect_open(
                        compound=locked.compound,
                        description=f"{item.text}：{row.note}",
                        severity=answer.severity,
                        responsible=answer.responsible,
                        by=by,
                        source=Defect.Source.PATROL,
                        building=buildings.get(answer.building or 0),
                        location=str(item.get_area_display()),
                        patrol=locked,
                        patrol_answer=row,
                        workorder=locked.workorder,
                        station_area=locked.station_area,
                        photos=tuple(photos.get(answer.item, ())),
                        now=now,
                    )
                )
            locked.status = Patrol.Status.SIGNED
            locked.submission_key = submission_key
            locked.submitted_at = now
            locked.submitted_by = by
            signed = "manager_signed_at" if side == "manager" else "electrician_signed_at"
            setattr(locked, signed, now)
            locked.save(
                update_fields=["status", "submission_key", "submitted_at", "submitted_by", signed]
            )
            _tell_team(
                locked,
                "fieldwork_patrol_signed",
                key="signed",
                now=now,
                but=by,
                findings=str(len(defects)),
            )
    except IntegrityError:
        # The same key recorded by a concurrent request between our look and our write.
        earlier = Patrol.objects.filter(submission_key=submission_key, pk=patrol.pk).first()
        if earlier is None:
            raise
        return Submission(patrol=earlier, recorded=False)
    return Submission(patrol=locked, recorded=True, defects=defects)


def patrol_confirm(*, patrol: Patrol, by: User, now: datetime.datetime | None = None) -> Patrol:
    """The second party confirms the patrol sent by the first: it is done."""
    now = now or timezone.now()
    with _acting_on(patrol, "confirm", by=by) as locked:
        side = side_of(by, locked)
        signed = "manager_signed_at" if side == "manager" else "electrician_signed_at"
        setattr(locked, signed, now)
        locked.status = Patrol.Status.DONE
        locked.done_at = now
        locked.save(update_fields=[signed, "status", "done_at"])
    return locked


def patrol_cancel(
    *, patrol: Patrol, by: User, reason: str, now: datetime.datetime | None = None
) -> Patrol:
    """The customer manager cancels a patrol not yet sent, with a reason; both are told."""
    now = now or timezone.now()
    reason = _clean(reason, field="reason", limit=MAX_REASON)
    with _acting_on(patrol, "cancel", by=by) as locked:
        locked.status = Patrol.Status.CANCELLED
        locked.reason = reason
        locked.save(update_fields=["status", "reason"])
        _tell_team(locked, "fieldwork_patrol_cancelled", key="cancelled", now=now)
    return locked
