"""Reads of the stored line loss. A user sees the station areas of the compounds they oversee
(wudian.grid.scope.station_areas_for with Purpose.OVERSEE)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When

from wudian.accounts.models import RoleCode, User
from wudian.analytics.models import LossStatus, MeterAnomaly, StationAreaDay
from wudian.grid.models import StationArea
from wudian.workorders.models import WorkOrder

TREND_DAYS = 30
CHECK_CATEGORY = "meter_data_check"

# Worst first: the areas a manager must act on, then those whose figures cannot be trusted.
_STATUS_RANK = {
    LossStatus.HIGH_LOSS: 0,
    LossStatus.NEGATIVE_LOSS: 1,
    LossStatus.INCOMPLETE: 2,
    LossStatus.QUALIFIED: 3,
}


def station_area_loss_rows(areas: QuerySet[StationArea]) -> QuerySet[StationArea]:
    """The areas with their latest stored day (latest_date, latest_loss_rate,
    latest_collection_rate, latest_status), worst first; areas never imported come last."""
    latest = StationAreaDay.objects.filter(station_area=OuterRef("pk")).order_by("-date")
    return (
        areas.select_related("feeder")
        .annotate(
            latest_date=Subquery(latest.values("date")[:1]),
            latest_loss_rate=Subquery(latest.values("loss_rate")[:1]),
            latest_collection_rate=Subquery(latest.values("collection_rate")[:1]),
            latest_status=Subquery(latest.values("status")[:1]),
        )
        .annotate(
            status_rank=Case(
                *(
                    When(latest_status=status, then=Value(rank))
                    for status, rank in _STATUS_RANK.items()
                ),
                default=Value(len(_STATUS_RANK)),
                output_field=IntegerField(),
            )
        )
        .order_by(
            "status_rank",
            F("latest_loss_rate").desc(nulls_last=True),
            F("latest_collection_rate").asc(nulls_last=True),
            "code",
        )
    )


ALARM_STATUSES = (LossStatus.HIGH_LOSS, LossStatus.NEGATIVE_LOSS)


def may_use_lineloss(user: User) -> bool:
    """Line loss is the work of the customer managers who answer for their station areas and
    the supervisors over them; other staff get no line-loss card."""
    return user.is_superuser or user.has_role(RoleCode.CUSTOMER_MANAGER, RoleCode.SUPERVISOR)


def loss_alarms(areas: QuerySet[StationArea]) -> QuerySet[StationArea]:
    """The areas whose latest day is out of the qualified range (high or negative loss)."""
    return station_area_loss_rows(areas).filter(latest_status__in=ALARM_STATUSES)  # type: ignore[misc]


@dataclass(frozen=True)
class TrendPoint:
    date: date
    loss_rate: Decimal | None
    collection_rate: Decimal


def loss_trends(areas: list[StationArea], *, days: int = TREND_DAYS) -> dict[int, list[TrendPoint]]:
    """Each area's stored days over the `days` days up to its latest one, oldest first, in
    one query. `areas` come from station_area_loss_rows (they carry latest_date)."""
    latest = [area.latest_date for area in areas if getattr(area, "latest_date", None)]  # type: ignore[attr-defined]
    trends: dict[int, list[TrendPoint]] = defaultdict(list)
    if not latest:
        return trends
    since = min(latest) - timedelta(days=days - 1)
    starts = {
        area.pk: area.latest_date - timedelta(days=days - 1)  # type: ignore[attr-defined]
        for area in areas
        if getattr(area, "latest_date", None)
    }
    rows = (
        StationAreaDay.objects.filter(station_area__in=list(starts), date__gte=since)
        .order_by("station_area_id", "date")
        .values_list("station_area_id", "date", "loss_rate", "collection_rate")
    )
    for area_id, day, loss_rate, collection_rate in rows:
        if day >= starts[area_id]:
            trends[area_id].append(TrendPoint(day, loss_rate, collection_rate))
    return trends


def station_area_days(area: StationArea, *, days: int = TREND_DAYS) -> list[StationAreaDay]:
    """The area's latest `days` stored days, newest first."""
    return list(StationAreaDay.objects.filter(station_area=area).order_by("-date")[:days])


def station_area_anomalies(area: StationArea, *, since: date | None) -> QuerySet[MeterAnomaly]:
    """Registers of the area's meters that went backwards, newest first."""
    anomalies = MeterAnomaly.objects.filter(
        meter__station_area=area, kind=MeterAnomaly.Kind.BACKWARDS
    ).select_related("meter__household")
    if since is not None:
        anomalies = anomalies.filter(date__gte=since)
    return anomalies.order_by("-date", "meter__meter_no")


def station_area_failures(area: StationArea, *, since: date | None) -> QuerySet[MeterAnomaly]:
    """The stretches of days on which the area's meters were not collected, ending on or
    after `since`, latest first, with the check request opened for them."""
    failures = MeterAnomaly.objects.filter(
        meter__station_area=area, kind=MeterAnomaly.Kind.NOT_COLLECTED
    ).select_related("meter__household", "workorder")
    if since is not None:
        failures = failures.filter(date_to__gte=since)
    return failures.order_by("-date_to", "meter__meter_no")


def open_checks() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(
        category__code=CHECK_CATEGORY, status__in=WorkOrder.OPEN_STATUSES
    )


def open_area_check(area: StationArea) -> WorkOrder | None:
    """The open check request of the station area as a whole (not of one of its meters)."""
    return (
        open_checks()
        .filter(station_area=area, meter__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def open_meter_checks(meter_ids: list[int]) -> dict[int, int]:
    """meter id → the id of an open check request for that meter."""
    found: dict[int, int] = {}
    for start in range(0, len(meter_ids), 500):
        rows = (
            open_checks()
            .filter(meter_id__in=meter_ids[start : start + 500])
            .order_by("meter_id", "-created_at", "-pk")
            .values_list("meter_id", "pk")
        )
        for meter_id, pk in rows:
            found.setdefault(meter_id, pk)
    return found
