from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import User
from wudian.grid.scope import Purpose, compounds_for, reaches_compound
from wudian.grid.selectors import (
    household_views_for,
    households_of_compound,
    search_text_problem,
)

HOUSEHOLD_PAGE_SIZE = 50


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
        # Those who remind its households see each one's arrears and bill (billing's pages).
        "may_remind": reaches_compound(user, Purpose.REMIND, compound.pk),
    }
    return render(request, "grid/compound_households.html", context, status=400 if problem else 200)
