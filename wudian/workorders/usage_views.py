"""A metering dispute's usage analysis as a page and a PDF, for the staff who may open the
request (/desk/requests/<id>/usage/<report>/) and for its resident (/me/requests/<id>/usage/…):
the monthly chart with the same months a year before and the compound's median, the daily
chart, the findings and the advice, drawn on the server (SVG, no script). The steps that make
an analysis and a meter test are the desk's actions (views.DESK_ACTIONS)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import User
from wudian.billing.charts import daily_chart, monthly_chart
from wudian.billing.services import usage
from wudian.billing.services.usage import AdviceKind, UsageAnalysis
from wudian.grid.selectors import household_views_for
from wudian.workorders.forms import MeterTestForm, category_label
from wudian.workorders.models import UsageReport, WorkOrder
from wudian.workorders.policy import is_requester, usage_actions_for
from wudian.workorders.selectors import meter_tests_of, usage_report_for, workorder_for


def definitions() -> dict[str, Any]:
    """The rules' numbers, as the page and the PDF state them."""
    return {
        "vacant_kwh": usage.VACANT_KWH_PER_YEAR,
        "jump_up": int(usage.JUMP_UP * 100),
        "jump_down": int(usage.JUMP_DOWN * 100),
        "baseline_months": usage.BASELINE_MONTHS,
        "zero_months": usage.ZERO_RUN_MONTHS,
        "zero_days": usage.ZERO_RUN_DAYS,
        "zero_month_kwh": usage.ZERO_MONTH_KWH,
    }


def usage_context(user: User, workorder: WorkOrder, report: UsageReport) -> dict[str, Any]:
    """What the page and the PDF show of one analysis."""
    analysis = UsageAnalysis.from_json(report.data)
    household = household_views_for(user, [report.household])[0]
    return {
        "workorder": workorder,
        "category_name": category_label(workorder.category),
        "report": report,
        "analysis": analysis,
        "address": household.address,
        "account_no": household.account_no,
        "monthly": monthly_chart(analysis),
        "daily": daily_chart(analysis),
        "causes": analysis.advice_of(AdviceKind.CAUSE),
        "tips": analysis.advice_of(AdviceKind.TIP),
        "test": analysis.advice_of(AdviceKind.TEST),
        "rule": analysis.advice_of(AdviceKind.RULE),
        "rules": definitions(),
        "meter_tests": list(meter_tests_of(workorder)),
    }


def _report(request: HttpRequest, pk: int, report_id: int) -> tuple[WorkOrder, UsageReport]:
    workorder = workorder_for(request.user, pk)  # type: ignore[arg-type]
    return workorder, usage_report_for(workorder, report_id)


def _page(
    request: HttpRequest, workorder: WorkOrder, report: UsageReport, *, desk: bool
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = usage_context(user, workorder, report)
    context["desk"] = desk
    # The meter test is requested from the analysis as from the request page (the same step).
    if desk and "request_meter_test" in usage_actions_for(user, workorder):
        context["meter_test_form"] = MeterTestForm(
            workorder=workorder, user=user, prefix="request_meter_test"
        )
    return render(request, "workorders/usage_report.html", context)


def render_usage_pdf(context: dict[str, Any]) -> bytes:
    # WeasyPrint is heavy to import and only this path needs it.
    from weasyprint import HTML

    pdf = HTML(string=render_to_string("workorders/usage_report_pdf.html", context)).write_pdf()
    if pdf is None:  # only when a target file is given, never here
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)


def _pdf(request: HttpRequest, workorder: WorkOrder, report: UsageReport) -> HttpResponse:
    context = usage_context(request.user, workorder, report)  # type: ignore[arg-type]
    response = HttpResponse(render_usage_pdf(context), content_type="application/pdf")
    name = f"usage-{workorder.pk}-{report.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


# Like the request pages: a resident who opens the desk's address is sent to their own page, and
# staff who may open the request to the desk's; anyone else finds nothing.


def _resident_side(request: HttpRequest) -> bool:
    return bool(request.user.is_resident_only)  # type: ignore[union-attr]


@login_required
@require_GET
@never_cache
def desk_usage(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    workorder, report = _report(request, pk, report_id)
    if _resident_side(request):
        return redirect("workorders:my_usage", pk=pk, report_id=report_id)
    return _page(request, workorder, report, desk=True)


@login_required
@require_GET
def desk_usage_pdf(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    workorder, report = _report(request, pk, report_id)
    if _resident_side(request):
        raise PermissionDenied(_("This page is for staff."))
    return _pdf(request, workorder, report)


@login_required
@require_GET
@never_cache
def my_usage(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    workorder, report = _report(request, pk, report_id)
    if not is_requester(request.user, workorder):  # type: ignore[arg-type]
        if not _resident_side(request):
            return redirect("workorders:desk_usage", pk=pk, report_id=report_id)
        raise Http404
    return _page(request, workorder, report, desk=False)


@login_required
@require_GET
def my_usage_pdf(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    workorder, report = _report(request, pk, report_id)
    if not is_requester(request.user, workorder):  # type: ignore[arg-type]
        raise Http404
    return _pdf(request, workorder, report)
