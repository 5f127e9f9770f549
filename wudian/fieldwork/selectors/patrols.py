"""Reads of the joint monthly patrols (联合巡视): which patrols a person sees, one patrol with
its checklist and answers, the compounds' field history, and the checklists' versions.

A patrol is seen by those who patrol its compound (Purpose.PATROL: its customer manager and
its property electricians) and by the supervisors of its district (Purpose.OVERSEE, as
supervisors); nobody else, residents included, sees one: outside, it does not exist (404)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from wudian.accounts.models import RoleCode, User
from wudian.core.calendar import CalendarUnavailable, is_working_day
from wudian.core.errors import OutsideScope
from wudian.core.rules import rule_value
from wudian.fieldwork.models import (
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Defect,
    Patrol,
    PatrolAnswer,
)
from wudian.grid.models import Compound
from wudian.grid.scope import Purpose, compounds_for

DEFAULT_CHECKLIST = "residential-joint-patrol"


def patrol_compounds_for(user: User) -> QuerySet[Compound]:
    """The compounds whose patrols the user sees: those they patrol, and, for a supervisor,
    those of their districts."""
    patrolled = compounds_for(user, Purpose.PATROL)
    if user.is_authenticated and not user.is_superuser and user.has_role(RoleCode.SUPERVISOR):
        overseen = compounds_for(user, Purpose.OVERSEE)
        return Compound.objects.filter(
            Q(pk__in=patrolled.values("pk")) | Q(pk__in=overseen.values("pk"))
        )
    return patrolled


def patrols_visible_to(user: User) -> QuerySet[Patrol]:
    return Patrol.objects.filter(compound__in=patrol_compounds_for(user).values("pk"))


def patrol_for(user: User, pk: int) -> Patrol:
    """One patrol the user sees, with its compound and parties; OutsideScope otherwise."""
    patrol = (
        patrols_visible_to(user)
        .select_related("compound", "electrician", "manager", "checklist_version__checklist")
        .filter(pk=pk)
        .first()
    )
    if patrol is None:
        raise OutsideScope()
    return patrol


def sees_patrols_of(user: User, compound_id: int) -> bool:
    return patrol_compounds_for(user).filter(pk=compound_id).exists()


def patrols_anyone(user: User) -> bool:
    """Whether the user has patrols to see at all (for the menu and the desk card)."""
    return user.is_authenticated and (
        user.is_superuser
        or user.has_role(RoleCode.CUSTOMER_MANAGER)
        or user.has_role(RoleCode.ELECTRICIAN)
        or user.has_role(RoleCode.SUPERVISOR)
    )


# Checklists ---------------------------------------------------------------------------------


def latest_published_version(checklist: Checklist | None = None) -> ChecklistVersion | None:
    """The latest published version of the checklist (the default one when not given)."""
    versions = ChecklistVersion.objects.filter(published_at__isnull=False)
    if checklist is None:
        versions = versions.filter(checklist__code=DEFAULT_CHECKLIST)
    else:
        versions = versions.filter(checklist=checklist)
    return versions.select_related("checklist").order_by("-number").first()


def items_of(version: ChecklistVersion) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(version=version).order_by("position"))


def answers_of(patrol: Patrol) -> dict[int, PatrolAnswer]:
    """The patrol's answers by item id."""
    return {answer.item_id: answer for answer in PatrolAnswer.objects.filter(patrol=patrol)}


# Field history of a compound -----------------------------------------------------------------


def compound_patrols(
    compound: Compound, *, statuses: tuple[str, ...] | None = None
) -> QuerySet[Patrol]:
    """The compound's patrols, newest first, each with its number of findings and its
    defects (for the field history page: no query per patrol)."""
    patrols = Patrol.objects.filter(compound=compound)
    if statuses:
        patrols = patrols.filter(status__in=statuses)
    return (
        patrols.select_related("electrician", "manager")
        .annotate(findings=Count("answers", filter=Q(answers__result=PatrolAnswer.Result.FINDING)))
        .prefetch_related(
            Prefetch(
                "defects",
                queryset=Defect.objects.select_related("building").order_by("-found_at", "-pk"),
            )
        )
        .order_by("-planned_on", "-pk")
    )


def compound_defects(compound: Compound, *, building_id: int | None = None) -> QuerySet[Defect]:
    """The compound's defects, open first then newest (read only; defects are the defects
    part's), of one building when asked."""
    defects = Defect.objects.filter(compound=compound).select_related("building")
    if building_id is not None:
        defects = defects.filter(building_id=building_id)
    return defects.order_by("-found_at", "-pk")


def with_last_patrol(compounds: QuerySet[Compound]) -> QuerySet[Compound]:
    """The compounds, each with `last_patrolled_at`: when the last of its done patrols (both
    parties signed) was carried out at the site, for its public window; no query of its own."""
    last = (
        Patrol.objects.filter(compound=OuterRef("pk"), status=Patrol.Status.DONE)
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    return compounds.annotate(last_patrolled_at=Subquery(last))


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    first = day.replace(day=1)
    return (first + datetime.timedelta(days=32)).replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return next_month(day) - datetime.timedelta(days=1)


def patrol_counts(user: User, *, today: datetime.date) -> dict[str, Any]:
    """For the desk card: the user's patrols due this month (open), overdue (open, planned
    before today), and their compounds' open defects."""
    patrols = patrols_visible_to(user).filter(status__in=Patrol.OPEN_STATUSES)
    counts = patrols.aggregate(
        due=Count("pk", filter=Q(month=month_start(today))),
        overdue=Count("pk", filter=Q(planned_on__lt=today)),
    )
    counts["open_defects"] = Defect.objects.filter(
        compound__in=patrol_compounds_for(user).values("pk"),
        status__in=Defect.OPEN_STATUSES,
    ).count()
    return counts


def months_waiting_for_calendar(today: datetime.date) -> list[datetime.date]:
    """The months of the planning horizon whose year the official calendar does not know:
    their patrols wait for it (the planner never guesses working days)."""
    count = int(rule_value("patrol.plan_months_ahead"))
    month = month_start(today)
    waiting = []
    for _index in range(count + 1):
        try:
            is_working_day(month)
        except CalendarUnavailable:
            waiting.append(month)
        month = next_month(month)
    return waiting
