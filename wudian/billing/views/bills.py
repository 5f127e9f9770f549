"""The bill explainer: a month of a household's bill told in plain words, for the resident
(`/me/bill/`: their households) and for the staff who serve the household for reminders
(`/desk/households/<account_no>/bill/`; 404 outside their scope)."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import User
from wudian.billing.selectors.arrears import household_reminded
from wudian.billing.selectors.readings import reading_months
from wudian.billing.services.explainer import bill_explained
from wudian.core.errors import REFUSED, BadInput, refusal_text, status_of
from wudian.grid.models import Household
from wudian.grid.scope import own_households


def parse_month(text: str | None) -> datetime.date | None:
    """YYYY-MM as the month's first day; None when not given. BadInput when unreadable."""
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise BadInput(
            {"month": _("“%(text)s” is not a month (write it as 2026-11).") % {"text": text}}
        ) from None


def _render(
    request: HttpRequest,
    household: Household | None,
    *,
    households: list[Household],
    staff: bool,
) -> HttpResponse:
    context: dict[str, object] = {"household": household, "households": households, "staff": staff}
    status = 200
    if household is not None:
        months = reading_months(household)
        context["months"] = months
        try:
            month = parse_month(request.GET.get("month")) or (months[0] if months else None)
            context["month"] = month
            if month is not None:
                context["bill"] = bill_explained(household, month)
        except REFUSED as error:
            context["refusal"] = refusal_text(error)
            status = status_of(error)
    return render(request, "billing/bill.html", context, status=status)


@login_required
@require_GET
@never_cache
def my_bill(request: HttpRequest) -> HttpResponse:
    """The resident's bill: their households (chosen by account number), a month with a reading
    (the latest by default)."""
    user: User = request.user  # type: ignore[assignment]
    households = list(own_households(user).order_by("account_no"))
    chosen = request.GET.get("household")
    household = None
    if chosen:
        household = household_reminded(user, chosen, own=True)
    elif households:
        household = households[0]
    return _render(request, household, households=households, staff=False)


@login_required
@require_GET
@never_cache
def household_bill_page(request: HttpRequest, account_no: str) -> HttpResponse:
    """The same explanation for staff who remind the household (Purpose.REMIND)."""
    user: User = request.user  # type: ignore[assignment]
    household = household_reminded(user, account_no)
    return _render(request, household, households=[], staff=True)


urlpatterns = [
    path("me/bill/", my_bill, name="my_bill"),
    path("desk/households/<str:account_no>/bill/", household_bill_page, name="household_bill"),
]
