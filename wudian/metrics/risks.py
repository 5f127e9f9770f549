"""The dashboard's risk list: what in a cut needs a supervisor's attention this morning, each
risk one small selector over the cut's compounds that returns a few rows and how many there
are in all. Rows name requests, outages, buildings and station areas, never a resident's
contact details: the links lead to the pages that apply their own masking."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wudian.analytics.models import LossStatus, StationAreaDay
from wudian.analytics.selectors import open_checks
from wudian.fieldwork.models import Defect, Severity
from wudian.grid.models import Building
from wudian.metrics.periods import Period
from wudian.metrics.sources import areas_of, outages_started
from wudian.outages.models import Outage
from wudian.outages.services.checks import notice_period
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.selectors import overdue, workorder_rows

# Rows shown per risk; the count tells how many there are.
SHOWN = 5
# Complaints from one household or one building within this many days are "repeated".
REPEAT_DAYS = 90
REPEAT_AT_LEAST = 2
# A station area's high loss counts as recent within this many days up to today.
RECENT_LOSS_DAYS = 7


@dataclass
class Risk:
    code: str
    title: Promise
    hint: Promise
    rows: list[Any] = field(default_factory=list)
    count: int = 0


def _requests_in(compound_ids: Collection[int]) -> Any:
    return WorkOrder.objects.filter(compound_id__in=compound_ids)


def overdue_requests(compound_ids: Collection[int], *, now: datetime.datetime) -> Risk:
    """Open requests past a deadline (the workbench's overdue list), the most urgent first."""
    found = overdue(_requests_in(compound_ids), now=now)
    rows = workorder_rows(found).order_by("-priority", "-escalation_level", "next_due", "pk")
    return Risk(
        "overdue",
        _("Overdue requests"),
        _("Open requests past their acceptance, arrival or resolution deadline."),
        rows=list(rows[:SHOWN]),
        count=found.count(),
    )


def opinion_risks(compound_ids: Collection[int]) -> Risk:
    """Open requests flagged as an opinion risk (舆情风险), the oldest first."""
    found = _requests_in(compound_ids).filter(opinion_risk=True, status__in=WorkOrder.OPEN_STATUSES)
    return Risk(
        "opinion",
        _("Opinion risks (舆情风险)"),
        _("Open requests whose words suggest the matter may reach the media or a hotline."),
        rows=list(workorder_rows(found).order_by("created_at", "pk")[:SHOWN]),
        count=found.count(),
    )


@dataclass(frozen=True)
class Repeat:
    """Complaints from one household or one building within REPEAT_DAYS days."""

    compound: str
    building: str
    household: bool
    count: int
    latest_id: int


def repeated_complaints(compound_ids: Collection[int], *, now: datetime.datetime) -> Risk:
    """Households, then buildings, with REPEAT_AT_LEAST complaints or more in the last
    REPEAT_DAYS days; a household's own repeat is not told again as its building's."""
    complaints = _requests_in(compound_ids).filter(
        category__kind=Category.Kind.COMPLAINT,
        created_at__gte=now - datetime.timedelta(days=REPEAT_DAYS),
        household__isnull=False,
    )
    by_household = list(
        complaints.values("household_id", "household__building_id")
        .annotate(n=Count("pk"), latest=Max("pk"))
        .filter(n__gte=REPEAT_AT_LEAST)
        .order_by("-n", "-latest")
    )
    by_building = list(
        complaints.values("household__building_id")
        .annotate(n=Count("pk"), homes=Count("household_id", distinct=True), latest=Max("pk"))
        .filter(n__gte=REPEAT_AT_LEAST, homes__gte=2)
        .order_by("-n", "-latest")
    )
    found = [(row, True) for row in by_household] + [(row, False) for row in by_building]
    shown = found[:SHOWN]
    buildings = {
        b.pk: b
        for b in Building.objects.filter(
            pk__in={row["household__building_id"] for row, _home in shown}
        ).select_related("compound")
    }
    rows = [
        Repeat(
            compound=buildings[row["household__building_id"]].compound.name,
            building=buildings[row["household__building_id"]].name,
            household=home,
            count=row["n"],
            latest_id=row["latest"],
        )
        for row, home in shown
    ]
    return Risk(
        "repeated",
        _("Repeated complaints"),
        _("Two or more complaints in 90 days from one household, or from one building."),
        rows=rows,
        count=len(found),
    )


@dataclass(frozen=True)
class LateNotice:
    outage: Outage
    late_by: datetime.timedelta


def late_notices(period: Period, compound_ids: Collection[int]) -> Risk:
    """Outages starting in the period whose notice went out later than its rule asks."""
    late: list[LateNotice] = []
    for outage in outages_started(period, compound_ids).order_by("-start", "-pk"):
        assert outage.published_at is not None
        rule = notice_period(kind=outage.kind, start=outage.start, now=outage.published_at)
        if rule is not None and rule.too_early:
            late.append(LateNotice(outage, rule.earliest - outage.start))
    return Risk(
        "late_notices",
        _("Outage notices published late"),
        _("Outages starting in the period announced later than the notice rules ask."),
        rows=late[:SHOWN],
        count=len(late),
    )


def unchecked_high_loss(compound_ids: Collection[int], *, today: datetime.date) -> Risk:
    """Station areas with a high-loss day in the last RECENT_LOSS_DAYS days and no open
    check request of the area as a whole."""
    recent = StationAreaDay.objects.filter(
        station_area=OuterRef("pk"),
        status=LossStatus.HIGH_LOSS,
        date__gt=today - datetime.timedelta(days=RECENT_LOSS_DAYS),
        date__lte=today,
    )
    checked = open_checks().filter(station_area=OuterRef("pk"), meter__isnull=True)
    found = (
        areas_of(compound_ids)
        .filter(Exists(recent))
        .exclude(Exists(checked))
        .annotate(
            high_days=Count(
                "loss_days",
                filter=Q(
                    loss_days__status=LossStatus.HIGH_LOSS,
                    loss_days__date__gt=today - datetime.timedelta(days=RECENT_LOSS_DAYS),
                    loss_days__date__lte=today,
                ),
            )
        )
        .order_by("-high_days", "code")
    )
    return Risk(
        "high_loss",
        _("High line loss without a check"),
        _("Station areas with high loss in the last 7 days and no open check request."),
        rows=list(found[:SHOWN]),
        count=found.count(),
    )


def overdue_critical_defects(compound_ids: Collection[int], *, now: datetime.datetime) -> Risk:
    """Critical defects (危急) still open past their deadline, the longest overdue first."""
    found = Defect.objects.filter(
        compound_id__in=compound_ids,
        severity=Severity.CRITICAL,
        status__in=Defect.OPEN_STATUSES,
        deadline__lt=now,
    )
    return Risk(
        "critical_defects",
        _("Critical defects past their deadline"),
        _("Critical defects not closed by their deadline: a danger to residents."),
        rows=list(found.select_related("compound").order_by("deadline", "pk")[:SHOWN]),
        count=found.count(),
    )


def risks_of(
    period: Period, compound_ids: Collection[int], *, now: datetime.datetime | None = None
) -> list[Risk]:
    now = now or timezone.now()
    return [
        overdue_requests(compound_ids, now=now),
        opinion_risks(compound_ids),
        repeated_complaints(compound_ids, now=now),
        late_notices(period, compound_ids),
        unchecked_high_loss(compound_ids, today=timezone.localdate(now)),
        overdue_critical_defects(compound_ids, now=now),
    ]
