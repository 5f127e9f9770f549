"""The service dashboard's pages: the dashboard, and the lists behind its figures (requests,
outages, station areas). Every page is for the people who measure (`cuts.may_measure`) and
shows a period and a cut within their reach: a cut outside it is a 404, a period or scope
that cannot be read is told on the page with a 422."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import User
from wudian.analytics.selectors import open_checks
from wudian.core.errors import NotAllowed, invalid, refusal_text, status_of
from wudian.metrics.board import Selection, board, drill_url
from wudian.metrics.cuts import cut_choices, may_measure, resolve_cut
from wudian.metrics.figures import parse_codes
from wudian.metrics.periods import PRESET_LABELS, parse_period
from wudian.metrics.registry import METRICS, DrillKind, Metric
from wudian.metrics.risks import risks_of
from wudian.metrics.sources import area_rows, outage_reach, outages_started, requests_filed
from wudian.outages.services.checks import notice_period

PAGE_SIZE = 50


def _measurer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not may_measure(user):
        raise NotAllowed(_("The service dashboard is for supervisors and customer managers."))
    return user


def _selection(request: HttpRequest, user: User) -> Selection:
    """The period and cut the request names; a cut outside the user's reach raises
    OutsideScope (404), what cannot be read raises BadInput (422)."""
    cut = resolve_cut(user, request.GET.get("scope"))
    period, preset = parse_period(
        request.GET.get("from"), request.GET.get("to"), request.GET.get("period")
    )
    return Selection(period=period, preset=preset, cut=cut)


def _chooser(request: HttpRequest, user: User, selection: Selection | None) -> dict[str, Any]:
    """What the period and scope chooser shows: the choices, and what was asked (as it was
    sent when it could not be read)."""
    if selection is not None:
        asked = {
            "period": selection.preset.value,
            "from": selection.period.first.isoformat(),
            "to": selection.period.last.isoformat(),
            "scope": selection.cut.key,
        }
    else:
        asked = {name: request.GET.get(name, "") for name in ("period", "from", "to", "scope")}
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, kind_label, name in cut_choices(user):
        groups.setdefault(kind_label, []).append((key, name))
    return {
        "asked": asked,
        "presets": [(preset.value, label) for preset, label in PRESET_LABELS.items()],
        "cut_groups": list(groups.items()),
    }


@login_required
@require_GET
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _measurer(request)
    try:
        selection = _selection(request, user)
    except ValidationError as error:
        context = {"error": refusal_text(error), **_chooser(request, user, None)}
        return render(request, "metrics/dashboard.html", context, status=status_of(error))
    context = {
        "selection": selection,
        "board": board(selection),
        "risks": risks_of(selection.period, selection.cut.compound_ids),
        "now": timezone.now(),
        **_chooser(request, user, selection),
    }
    return render(request, "metrics/dashboard.html", context)


def _drill_metric(request: HttpRequest, kind: DrillKind, default: str | None) -> Metric | None:
    """The figure whose list is asked for; it must have a list of this kind."""
    code = request.GET.get("metric", "").strip()
    if not code:
        return METRICS[default] if default else None
    metric = parse_codes([code])[0]
    if metric.drill is None or metric.drill.kind != kind:
        raise invalid("metric", _("This figure has no list of this kind."), "invalid_choice")
    return metric


def _drill_page(
    request: HttpRequest,
    template: str,
    kind: DrillKind,
    rows: Any,
    *,
    default: str | None = None,
    extra: Any = None,
) -> HttpResponse:
    """A list behind a figure: the selection, the figure it counts, a page of its rows."""
    user = _measurer(request)
    try:
        selection = _selection(request, user)
        metric = _drill_metric(request, kind, default)
    except ValidationError as error:
        context = {"error": refusal_text(error), **_chooser(request, user, None)}
        return render(request, template, context, status=status_of(error))
    found = rows(selection, metric)
    page: Page[Any] = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = selection.query + (f"&{urlencode({'metric': metric.code})}" if metric else "")
    context = {
        "selection": selection,
        "metric": metric,
        "page": page,
        "filter_query": query,
        "dashboard_query": selection.query,
        "metric_url": drill_url(metric, selection) if metric else None,
        "now": timezone.now(),
        **_chooser(request, user, selection),
    }
    if extra is not None:
        context.update(extra(selection, page))
    return render(request, template, context)


def _requests(selection: Selection, metric: Metric | None) -> Any:
    found = requests_filed(selection.period, selection.cut.compound_ids)
    if metric is not None and metric.drill is not None:
        found = found.filter(metric.drill.where)
    return (
        found.select_related("category", "compound", "household__building")
        .only(
            "pk",
            "created_at",
            "channel",
            "status",
            "accept_late",
            "arrive_late",
            "resolve_late",
            "rating",
            "opinion_risk",
            "priority",
            "escalation_level",
            "category__name",
            "category__name_en",
            "category__kind",
            "compound__name",
            "household__building__name",
        )
        .order_by("-created_at", "-pk")
    )


@login_required
@require_GET
@never_cache
def drill_requests(request: HttpRequest) -> HttpResponse:
    """The requests filed in the period in the cut, narrowed to those the figure counts."""
    return _drill_page(
        request, "metrics/drill_requests.html", DrillKind.REQUESTS, _requests, default=None
    )


def _outages(selection: Selection, metric: Metric | None) -> Any:
    found = outages_started(selection.period, selection.cut.compound_ids)
    if metric is not None and metric.drill is not None:
        found = found.filter(metric.drill.where)
    return found.order_by("-start", "-pk")


def _outage_rows(selection: Selection, page: Page[Any]) -> dict[str, Any]:
    reach = outage_reach([o.pk for o in page.object_list], selection.cut.compound_ids)
    rows = []
    for outage in page.object_list:
        rule = notice_period(kind=outage.kind, start=outage.start, now=outage.published_at)
        rows.append(
            {
                "outage": outage,
                "on_time": None if rule is None else not rule.too_early,
                **reach.get(outage.pk, {"affected": 0, "told": 0, "acknowledged": 0}),
            }
        )
    return {"rows": rows}


@login_required
@require_GET
@never_cache
def drill_outages(request: HttpRequest) -> HttpResponse:
    """The published outages starting in the period that reach the cut."""
    return _drill_page(
        request,
        "metrics/drill_outages.html",
        DrillKind.OUTAGES,
        _outages,
        extra=_outage_rows,
    )


def _areas(selection: Selection, metric: Metric | None) -> list[dict[str, Any]]:
    return area_rows(selection.period, selection.cut.compound_ids)


def _area_checks(selection: Selection, page: Page[Any]) -> dict[str, Any]:
    ids = [row["station_area_id"] for row in page.object_list]
    checked = set(
        open_checks()
        .filter(station_area_id__in=ids, meter__isnull=True)
        .values_list("station_area_id", flat=True)
    )
    return {"checked": checked}


@login_required
@require_GET
@never_cache
def drill_areas(request: HttpRequest) -> HttpResponse:
    """The station areas supplying the cut over the period, the worst first."""
    return _drill_page(
        request,
        "metrics/drill_areas.html",
        DrillKind.AREAS,
        _areas,
        extra=_area_checks,
    )
