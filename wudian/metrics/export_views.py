"""The dashboard's downloads: the `.xlsx` exports and the monthly report's PDF. Each one
checks the role (403), the scope (404: outside one's reach is refused, never emptied) and
the period (422) before anything is written; the workbook is written whole into an anonymous
temporary file and only then sent, so a failure never leaves half a file behind."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_safe

from wudian.core.errors import refusal_text, status_of
from wudian.metrics import exports
from wudian.metrics.cuts import Cut, resolve_cut
from wudian.metrics.periods import Period, Preset, month_period, parse_period, preset_period
from wudian.metrics.registry import Drill, DrillKind
from wudian.metrics.report import render_report_pdf, report_filename


def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return render(
        request,
        "metrics/export_refused.html",
        {"message": refusal_text(error), "status": status_of(error)},
        status=status_of(error),
    )


def _cut_and_period(request: HttpRequest) -> tuple[Cut, Period]:
    cut = resolve_cut(request.user, request.GET.get("scope"))  # type: ignore[arg-type]
    period, _preset = parse_period(
        request.GET.get("from"), request.GET.get("to"), request.GET.get("period")
    )
    return cut, period


def _xlsx(build: Callable[[IO[bytes]], None], names: tuple[str, str]) -> FileResponse:
    out = tempfile.TemporaryFile()  # noqa: SIM115  closed by the response
    try:
        build(out)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    response = FileResponse(out, content_type=exports.XLSX_TYPE)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = exports.content_disposition(*names)
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@login_required
def dashboard_xlsx(request: HttpRequest) -> HttpResponseBase:
    """The dashboard's figures, complaints by category and station areas."""
    try:
        cut, period = _cut_and_period(request)
    except ValidationError as error:
        return _refused(request, error)
    tables = exports.dashboard_tables(period, cut)
    return _xlsx(lambda out: exports.write(tables, out), exports.filename("dashboard", period, cut))


# What each list's workbook holds, from the list behind a figure, its period and cut.
LIST_TABLES: dict[DrillKind, Callable[[Drill, Period, Cut], exports.Table]] = {
    DrillKind.REQUESTS: lambda drill, period, cut: exports.requests_table(drill, period, cut),
    DrillKind.OUTAGES: lambda drill, period, cut: exports.outages_table(drill, period, cut),
    DrillKind.AREAS: lambda _drill, period, cut: exports.areas_table(period, cut),
}


@require_safe
@login_required
def list_xlsx(request: HttpRequest, kind: DrillKind) -> HttpResponseBase:
    """The requests, outages or station areas behind a figure (all of them, with no metric
    named); a list of requests longer than a workbook should hold is refused."""
    try:
        cut, period = _cut_and_period(request)
        code = request.GET.get("metric")
        drill = exports.drill_of(code, kind)
        if kind == DrillKind.REQUESTS:
            exports.check_list_length(exports.requests_count(drill, period, cut))
    except ValidationError as error:
        return _refused(request, error)
    return _xlsx(
        lambda out: exports.write([LIST_TABLES[kind](drill, period, cut)], out),
        exports.filename(kind.value, period, cut, metric=code),
    )


@require_safe
@login_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    """The monthly report for a month (the last whole one unless named) and a scope."""
    try:
        cut = resolve_cut(request.user, request.GET.get("scope"))  # type: ignore[arg-type]
        month = month_period(request.GET.get("month") or _last_month())
    except ValidationError as error:
        return _refused(request, error)
    body = render_report_pdf(month, cut)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = exports.content_disposition(
        *report_filename(month, cut)
    ).replace("attachment;", "inline;", 1)
    response["Cache-Control"] = "private, no-store"
    return response


def _last_month() -> str:
    return preset_period(Preset.LAST_MONTH).first.strftime("%Y-%m")
