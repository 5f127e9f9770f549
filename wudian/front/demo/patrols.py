"""The demo city's joint patrols: the default checklist, the monthly plans of the last three
months done (most on time, a few with findings that became defects, one month's patrol of a
compound missed), the plans of this month and the months ahead the calendar knows, and
electrician1's patrol with manager1 in progress. Made through the services at their own
times; the past is seeded once, the plans and the patrol in progress are topped up."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone

from wudian.accounts.models import RoleCode
from wudian.core.calendar import CHINA
from wudian.fieldwork.models import ChecklistItem, Patrol
from wudian.fieldwork.selectors.patrols import month_start
from wudian.fieldwork.services.patrols import (
    AnswerIn,
    checklist_default,
    patrol_confirm,
    patrol_plans_for_month,
    patrol_plans_generate,
    patrol_start,
    patrol_submit,
)
from wudian.front.demo.common import DemoSummary
from wudian.notify.services import notify_backfill

HISTORY_MONTHS = 3
# (item position, note, severity, responsible) of the findings, taken in turn.
FINDINGS = [
    (1, "配电室东侧防小动物挡板缺失，门下有约10厘米缝隙。", "serious", "utility"),
    (7, "3号楼2单元表箱内有私拉电线，接头未做绝缘处理。", "critical", "property"),
    (9, "5号楼1单元楼道有电动车飞线充电。", "serious", "property"),
    (12, "竖井内灭火器压力不足，已过检验期。", "normal", "property"),
    (14, "车棚充电桩急停按钮损坏。", "normal", "utility"),
]


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), CHINA)


def patrols_seed(summary: DemoSummary) -> None:
    checklist_default()
    now = timezone.now()
    today = timezone.localdate(now)
    first = month_start(today)
    past = []
    month = first
    for _index in range(HISTORY_MONTHS):
        month = month_start(month - datetime.timedelta(days=1))
        past.append(month)
    if not Patrol.objects.filter(month__in=past, status=Patrol.Status.DONE).exists():
        for month in sorted(past):
            _done_month(summary, month, now)
    summary.created["Patrol"] += patrol_plans_generate(now=now).total
    _in_progress(first, now)


def _done_month(summary: DemoSummary, month: datetime.date, now: datetime.datetime) -> None:
    summary.created["Patrol"] += patrol_plans_for_month(month=month, today=month)
    patrols = list(
        Patrol.objects.filter(month=month, kind=Patrol.Kind.MONTHLY, status=Patrol.Status.PLANNED)
        .select_related("compound", "electrician", "manager")
        .order_by("compound__code")
    )
    for index, patrol in enumerate(patrols):
        if patrol.electrician is None or patrol.manager is None:
            continue
        # The last compound of the month before last was not patrolled in time.
        if index == len(patrols) - 1 and month.month % 2 == 0:
            continue
        day = patrol.planned_on
        with notify_backfill(at=_at(day, 9, 30)):
            started = patrol_start(patrol=patrol, by=patrol.electrician, now=_at(day, 9, 30))
        items = list(
            ChecklistItem.objects.filter(version=started.checklist_version).order_by("position")
        )
        answers = [AnswerIn(item=item.pk, result="ok") for item in items]
        if (index + month.month) % 3 == 0:
            position, note, severity, responsible = FINDINGS[(index + month.month) % len(FINDINGS)]
            # A finding in a building is filed under the compound's first one.
            building = (
                patrol.compound.buildings.order_by("code").values_list("pk", flat=True).first()
                if "号楼" in note
                else None
            )
            answers[position - 1] = AnswerIn(
                item=items[position - 1].pk,
                result="finding",
                note=note,
                severity=severity,
                responsible=responsible,
                building=building,
            )
        if items and items[-1].area == ChecklistItem.Area.EV_CHARGING and index % 4 == 1:
            answers[-1] = AnswerIn(item=items[-1].pk, result="na")
        with notify_backfill(at=_at(day, 11)):
            sent = patrol_submit(
                patrol=started,
                by=patrol.electrician,
                submission_key=uuid.uuid4(),
                version_id=started.checklist_version_id or 0,
                answers=answers,
                now=_at(day, 11),
            )
        summary.created["Defect"] += len(sent.defects)
        confirmed = _at(day, 17)
        if confirmed < now:
            with notify_backfill(at=confirmed):
                patrol_confirm(patrol=sent.patrol, by=patrol.manager, now=confirmed)


def _in_progress(month: datetime.date, now: datetime.datetime) -> None:
    """electrician1 and manager1 at one of their compounds this month, answers not sent yet."""
    patrol = (
        Patrol.objects.filter(
            month=month,
            kind=Patrol.Kind.MONTHLY,
            electrician__username="electrician1",
            manager__username="manager1",
        )
        .select_related("electrician")
        .order_by("planned_on", "pk")
        .first()
    )
    if patrol is None or patrol.electrician is None:
        return
    if patrol.status == Patrol.Status.PLANNED and patrol.electrician.has_role(RoleCode.ELECTRICIAN):
        patrol_start(patrol=patrol, by=patrol.electrician, now=now)
