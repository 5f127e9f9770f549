from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import Duty, RoleCode, User
from wudian.grid.models import Compound
from wudian.grid.scope import Purpose, compound_contacts, compounds_for
from wudian.grid.selectors import (
    household_views_for,
    households_of_compound,
    search_text_problem,
)
from wudian.outages.selectors import outages_for_compound

HOUSEHOLD_PAGE_SIZE = 50


@require_GET
def compound_window(request: HttpRequest, code: str) -> HttpResponse:
    """The compound's public power service window (电力服务社区之窗). No household data."""
    compound = get_object_or_404(
        Compound.objects.select_related("community", "property_company"), code=code
    )
    today = timezone.localdate()
    context = {
        "compound": compound,
        "contacts": compound_contacts([compound], on=today)[compound.pk],
        "manager_duties": list(
            Duty.objects.filter(role__code=RoleCode.CUSTOMER_MANAGER).order_by("order", "id")
        ),
        "today": today,
        # The scope prefetches of outage_rows are not shown here: one query for the outages.
        "outages": list(outages_for_compound(compound).prefetch_related(None)),
    }
    return render(request, "grid/compound_window.html", context)


@login_required
@require_GET
@never_cache
def compound_households(request: HttpRequest, code: str) -> HttpResponse:
    """A compound's household list for the staff who work with it; contact data is masked
    where the user does not serve the compound. Outside the user's scope: 404."""
    user: User = request.user  # type: ignore[assignment]
    compound = get_object_or_404(
        compounds_for(user, Purpose.OVERSEE).select_related("community"), code=code
    )
    query = request.GET.get("q", "").strip()
    problem = ""
    if query:
        problem = search_text_problem(query)
        # A partial account number is fine here, unlike the public search.
        if problem and query.isdigit() and len(query) <= 16:
            problem = ""
    households = households_of_compound(compound, query="" if problem else query)
    page = Paginator(households, HOUSEHOLD_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "compound": compound,
        "query": query,
        "problem": problem,
        "page": page,
        "rows": household_views_for(user, list(page.object_list)),
    }
    return render(request, "grid/compound_households.html", context, status=400 if problem else 200)
