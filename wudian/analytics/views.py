from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import User
from wudian.analytics.models import LossStatus
from wudian.analytics.selectors import (
    TREND_DAYS,
    TrendPoint,
    loss_trends,
    station_area_anomalies,
    station_area_days,
    station_area_loss_rows,
    station_areas_visible_to,
)

AREA_PAGE_SIZE = 50
SPARK_WIDTH = 120
SPARK_HEIGHT = 28


def percent(rate: Decimal | None) -> str:
    if rate is None:
        return ""
    return f"{(rate * 100).quantize(Decimal('0.01'))}%"


def sparkline(points: list[TrendPoint], *, last: date, days: int = TREND_DAYS) -> str:
    """SVG polyline points of the loss rate over the `days` days up to `last`: one x step a
    day, so a missing day shows as a longer segment; incomplete days have no loss rate."""
    values = [(point.date, point.loss_rate) for point in points if point.loss_rate is not None]
    if not values:
        return ""
    low = min(Decimal(0), *(rate for _day, rate in values))
    high = max(Decimal("0.1"), *(rate for _day, rate in values))
    first = last - timedelta(days=days - 1)
    step = Decimal(SPARK_WIDTH) / max(days - 1, 1)
    coords = []
    for day, rate in values:
        x = step * (day - first).days
        y = Decimal(SPARK_HEIGHT) * (high - rate) / (high - low)
        coords.append(f"{x:.1f},{y:.1f}")
    return " ".join(coords)


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    feeder: str
    latest_date: date | None
    status: str
    status_label: str
    loss_rate: str
    collection_rate: str
    spark: str


@login_required
@require_GET
@never_cache
def lineloss_overview(request: HttpRequest) -> HttpResponse:
    """The station areas of the user's compounds with their latest line loss and collection,
    worst first, and a 30-day loss trend."""
    user: User = request.user  # type: ignore[assignment]
    areas = station_area_loss_rows(station_areas_visible_to(user))
    page = Paginator(areas, AREA_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    trends = loss_trends(shown)
    labels = dict(LossStatus.choices)
    rows = [
        AreaRow(
            code=area.code,
            name=area.name,
            feeder=area.feeder.name,
            latest_date=area.latest_date,  # type: ignore[attr-defined]
            status=area.latest_status or "",  # type: ignore[attr-defined]
            status_label=str(labels.get(area.latest_status, "")),  # type: ignore[attr-defined]
            loss_rate=percent(area.latest_loss_rate),  # type: ignore[attr-defined]
            collection_rate=percent(area.latest_collection_rate),  # type: ignore[attr-defined]
            spark=sparkline(trends.get(area.pk, []), last=area.latest_date)  # type: ignore[attr-defined]
            if area.latest_date  # type: ignore[attr-defined]
            else "",
        )
        for area in shown
    ]
    context = {
        "page": page,
        "rows": rows,
        "spark_width": SPARK_WIDTH,
        "spark_height": SPARK_HEIGHT,
        "trend_days": TREND_DAYS,
    }
    return render(request, "analytics/lineloss_overview.html", context)


@login_required
@require_GET
@never_cache
def lineloss_station_area(request: HttpRequest, code: str) -> HttpResponse:
    """One station area's daily line loss and its meters that went backwards or failed to
    report. Outside the user's scope: 404."""
    user: User = request.user  # type: ignore[assignment]
    area = get_object_or_404(
        station_areas_visible_to(user).select_related("feeder").prefetch_related("compounds"),
        code=code,
    )
    days = station_area_days(area)
    since = days[-1].date if days else None
    context = {
        "area": area,
        "days": [
            {
                "day": day,
                "loss_rate": percent(day.loss_rate),
                "collection_rate": percent(day.collection_rate),
            }
            for day in days
        ],
        "anomalies": list(station_area_anomalies(area, since=since)[:200]),
        "trend_days": TREND_DAYS,
    }
    return render(request, "analytics/lineloss_station_area.html", context)
