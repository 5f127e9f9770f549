from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wudian.accounts.models import User
from wudian.analytics.models import loss_badge
from wudian.analytics.selectors import (
    TREND_DAYS,
    TrendPoint,
    loss_trends,
    open_area_check,
    station_area_anomalies,
    station_area_days,
    station_area_failures,
    station_area_loss_rows,
)
from wudian.analytics.services import CHECK_STATUSES, lineloss_open_check, user_may_open_check
from wudian.core.badges import Badge
from wudian.core.errors import REFUSED, refusal_text, status_of
from wudian.fieldwork.selectors.defects import ALARM_UNCOLLECTED_DAYS
from wudian.grid.models import Meter, StationArea
from wudian.grid.scope import Purpose, station_areas_for
from wudian.grid.selectors import household_views_for

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


def account_nos_for(user: User, meters: list[Meter]) -> dict[int, str]:
    """The account number of each meter's household as the user may see it: masked unless
    they serve the household."""
    households = {meter.household.pk: meter.household for meter in meters if meter.household}
    return {
        view.household.pk: view.account_no
        for view in household_views_for(user, list(households.values()))
    }


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    feeder: str
    latest_date: date | None
    badge: Badge
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
    areas = station_area_loss_rows(station_areas_for(user, Purpose.OVERSEE))
    page = Paginator(areas, AREA_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    trends = loss_trends(shown)
    rows = [
        AreaRow(
            code=area.code,
            name=area.name,
            feeder=area.feeder.name,
            latest_date=area.latest_date,  # type: ignore[attr-defined]
            badge=loss_badge(area.latest_status),  # type: ignore[attr-defined]
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


ANOMALY_LIMIT = 200


def _visible_area(user: User, code: str) -> StationArea:
    return get_object_or_404(
        station_areas_for(user, Purpose.OVERSEE)
        .select_related("feeder")
        .prefetch_related("compounds"),
        code=code,
    )


def _render_area(
    request: HttpRequest, area: StationArea, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    days = station_area_days(area)
    since = days[-1].date if days else None
    open_check = open_area_check(area)
    latest = days[0] if days else None
    anomalies = list(station_area_anomalies(area, since=since)[:ANOMALY_LIMIT])
    failures = list(station_area_failures(area, since=since)[:ANOMALY_LIMIT])
    shown = account_nos_for(user, [row.meter for row in (*anomalies, *failures)])
    context = {
        "area": area,
        "days": [
            {
                "day": day,
                "badge": loss_badge(day.status),
                "loss_rate": percent(day.loss_rate),
                "collection_rate": percent(day.collection_rate),
            }
            for day in days
        ],
        "latest": latest,
        # Each row with its household's account number as the user may see it.
        "anomalies": [(row, shown.get(row.meter.household_id or 0, "")) for row in anomalies],
        "failures": [(row, shown.get(row.meter.household_id or 0, "")) for row in failures],
        "open_check": open_check,
        # The button: only for a high or negative loss, only when no check is open, and
        # only for those who may open one.
        "may_open_check": (
            open_check is None
            and latest is not None
            and latest.status in CHECK_STATUSES
            and user_may_open_check(user)
        ),
        "refusal": refusal,
        "trend_days": TREND_DAYS,
        # A defect or an extra patrol may be opened from it (wudian.fieldwork).
        "field_alarm": (latest is not None and latest.status in CHECK_STATUSES)
        or any(failure.days >= ALARM_UNCOLLECTED_DAYS for failure in failures),
    }
    return render(request, "analytics/lineloss_station_area.html", context, status=status)


@login_required
@require_GET
@never_cache
def lineloss_station_area(request: HttpRequest, code: str) -> HttpResponse:
    """One station area's daily line loss, its meters that failed to report (with the days)
    or went backwards, and its open check request. Outside the user's scope: 404."""
    user: User = request.user  # type: ignore[assignment]
    return _render_area(request, _visible_area(user, code))


@login_required
@require_POST
def lineloss_check(request: HttpRequest, code: str) -> HttpResponse:
    """Open a check request for a high-loss or negative-loss station area in one action."""
    user: User = request.user  # type: ignore[assignment]
    area = _visible_area(user, code)
    try:
        workorder = lineloss_open_check(station_area=area, by=user)
    except REFUSED as error:
        return _render_area(request, area, refusal=refusal_text(error), status=status_of(error))
    messages.success(
        request, _("Check request #%(id)s is open for this station area.") % {"id": workorder.pk}
    )
    return redirect("analytics:lineloss_station_area", code=area.code)
