"""The service dashboard's pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wudian.core.errors import REFUSED, refusal_text, status_of
from wudian.metrics.cuts import cut_choices, resolve_cut
from wudian.metrics.figures import figures, parse_codes
from wudian.metrics.periods import parse_period


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    cut = resolve_cut(request.user, request.GET.get("scope"))  # type: ignore[arg-type]
    try:
        period, preset = parse_period(
            request.GET.get("from"), request.GET.get("to"), request.GET.get("period")
        )
    except REFUSED as error:
        return render(
            request,
            "metrics/dashboard.html",
            {"error": refusal_text(error), "cut": cut, "cuts": cut_choices(request.user)},  # type: ignore[arg-type]
            status=status_of(error),
        )
    return render(
        request,
        "metrics/dashboard.html",
        {
            "cut": cut,
            "cuts": cut_choices(request.user),  # type: ignore[arg-type]
            "period": period,
            "preset": preset,
            "figures": figures(parse_codes(None), period, cut),
        },
    )
