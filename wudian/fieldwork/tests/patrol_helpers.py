"""Shared state of the patrol tests: the default checklist, this month's plans and a patrol
in progress, made through the real services."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.utils import timezone

from wudian.conftest import City
from wudian.core.calendar import china_date, is_working_day
from wudian.fieldwork.models import ChecklistItem, Patrol
from wudian.fieldwork.services.patrols import (
    AnswerIn,
    checklist_default,
    patrol_plans_for_month,
    patrol_start,
    patrol_submit,
)

NOW = timezone.now().replace(microsecond=0)
TODAY = china_date(NOW)


def first_working_day_from(day: datetime.date) -> datetime.date:
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def planned(city: City) -> Patrol:
    """North's monthly patrol of this month (planned from today on)."""
    checklist_default()
    patrol_plans_for_month(month=TODAY, today=TODAY)
    patrol = Patrol.objects.get(compound=city.north, kind=Patrol.Kind.MONTHLY)
    return patrol


def started(city: City) -> Patrol:
    return patrol_start(patrol=planned(city), by=city.electrician, now=NOW)


def all_ok(patrol: Patrol, **findings: Any) -> list[AnswerIn]:
    """An answer for every item: OK, but the first item a finding when `findings` are given."""
    items = list(
        ChecklistItem.objects.filter(version=patrol.checklist_version).order_by("position")
    )
    answers = [AnswerIn(item=item.pk, result="ok") for item in items]
    if findings:
        answers[0] = AnswerIn(item=items[0].pk, result="finding", **findings)
    return answers


def submitted(city: City, by: Any = None) -> Patrol:
    patrol = started(city)
    return patrol_submit(
        patrol=patrol,
        by=by or city.electrician,
        submission_key=uuid.uuid4(),
        version_id=patrol.checklist_version_id or 0,
        answers=all_ok(patrol, note="挡板缺失", severity="serious", responsible="property"),
        now=NOW,
    ).patrol
