"""The pages that combine apps: find your compound, where a user lands, the staff desk, the
resident's home, the duty catalogue and a compound's public window."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import Duty, Role, RoleCode, User
from wudian.accounts.selectors import certificate_status_of
from wudian.analytics.selectors import may_use_lineloss
from wudian.audit.selectors import may_see_audit
from wudian.audit.services import special_group_reads_record
from wudian.billing.policy import arrears_actions, may_import_readings
from wudian.billing.selectors.arrears import arrears_latest
from wudian.billing.selectors.reminders import arrears_of_own, reminders_card
from wudian.circles.models import Post
from wudian.circles.selectors import recent_staff_posts
from wudian.civic.selectors import civic_counts, does_civic_work, my_signups
from wudian.core.throttle import client_address, throttle_wait
from wudian.fieldwork.selectors.patrols import patrol_counts, patrols_anyone, with_last_patrol
from wudian.fieldwork.selectors.training import training_card
from wudian.front.homes import desk_work, home_work
from wudian.front.poster import render_poster_pdf
from wudian.grid.models import Compound, Household
from wudian.grid.scope import (
    Purpose,
    communities_of,
    compound_contacts,
    compounds_for,
    customer_manager_of,
    districts_of,
    own_households,
    reaches_compound,
)
from wudian.grid.selectors import (
    compound_rows,
    compounds_matching,
    is_account_number,
    manager_loads,
    search_examples,
    search_text_problem,
)
from wudian.joining.links import join_link
from wudian.joining.selectors import applications_to_decide, may_decide_applications
from wudian.knowledge.selectors import desk_card as knowledge_card
from wudian.knowledge.selectors import latest_articles_for
from wudian.metrics.board import desk_card
from wudian.metrics.cuts import may_measure, resolve_cut
from wudian.metrics.periods import Preset, preset_period
from wudian.outages.selectors import (
    outages_for_compound,
    outages_for_staff,
)

DESK_PAGE_SIZE = 50
# What the window shows of the compound's knowledge and of its circle's staff posts.
WINDOW_ARTICLES = 4
WINDOW_POSTS = 3


def _search_wait(request: HttpRequest) -> int:
    """Seconds this client must wait before searching again; 0 if it may search now."""
    user = request.user
    return throttle_wait(
        scope="compound-search",
        key=f"user:{user.pk}" if user.is_authenticated else f"ip:{client_address(request)}",
        limit=settings.SEARCH_LIMIT_PER_MINUTE,
        window=60,
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Find your compound by name; logged in, also by the account number (户号) of a household
    one serves or holds. Searches are throttled per client (per user when logged in)."""
    query = request.GET.get("q", "").strip()
    wait = _search_wait(request) if query else 0
    if wait:
        problem = _("Too many searches in a short time. Please try again in %(seconds)d s.") % {
            "seconds": wait
        }
    else:
        problem = search_text_problem(query) if query else ""
    searching = bool(query) and not problem
    anonymous = not request.user.is_authenticated
    context = {
        "query": query,
        "problem": problem,
        "results": compounds_matching(query, user=request.user) if searching else [],
        "searched": bool(query),
        "needs_login": searching and anonymous and is_account_number(query),
    }
    if not request.htmx:  # type: ignore[attr-defined]
        context["examples"] = search_examples(request.user)
    template = "front/index.html#results" if request.htmx else "front/index.html"  # type: ignore[attr-defined]
    response = render(request, template, context, status=429 if wait else 400 if problem else 200)
    if wait:
        response["Retry-After"] = str(wait)
    return response


@login_required
def home_for_user(request: HttpRequest) -> HttpResponse:
    """Where a user lands after login: residents in their area, staff at the desk."""
    if request.user.is_resident_only:  # type: ignore[union-attr]
        return redirect("front:me")
    return redirect("front:desk")


@login_required
@require_GET
@never_cache
def desk(request: HttpRequest) -> HttpResponse:
    """The staff workbench: the work waiting on the user first (by what their roles may do),
    then what their roles serve, their duties and standing."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_resident_only:
        return redirect("front:me")
    today = timezone.localdate()
    now = timezone.now()
    work = desk_work(user, now=now)
    scope = compounds_for(user, Purpose.OVERSEE)
    page = Paginator(compound_rows(scope), DESK_PAGE_SIZE).get_page(request.GET.get("page"))
    oversees = user.is_superuser or user.has_role(RoleCode.SUPERVISOR, RoleCode.DEPARTMENT)
    context = {
        "page": page,
        "household_total": Household.objects.filter(
            building__compound__in=scope.values("pk")
        ).count(),
        "my_roles": Role.objects.filter(code__in=user.role_codes).prefetch_related("duties"),
        "certificate": (
            certificate_status_of(user, on=today) if user.has_role(RoleCode.ELECTRICIAN) else None
        ),
        "communities": communities_of(user).select_related("street"),
        "districts": districts_of(user),
        "department": (user.department if user.has_role(RoleCode.DEPARTMENT) else None),
        "manager_loads": manager_loads(scope) if oversees else [],
        "live_outages": outages_for_staff(user).count(),
        "may_see_audit": may_see_audit(user),
        "join_applications": (
            applications_to_decide(user).filter(state="pending").count()
            if may_decide_applications(user)
            else None
        ),
        "today": today,
        "work": work,
        "now": now,
        "may_use_lineloss": may_use_lineloss(user),
        "arrears_imports": "view" in arrears_actions(user),
        "may_import_readings": may_import_readings(user),
        "knowledge": knowledge_card(user),
        "dashboard_card": (
            desk_card(resolve_cut(user, None), preset_period(Preset.THIS_MONTH))
            if may_measure(user)
            else None
        ),
        "civic_counts": civic_counts(user, now=now) if does_civic_work(user) else None,
        **training_card(user, today=today),
        "patrol_counts": patrol_counts(user, today=today) if patrols_anyone(user) else None,
        "reminders_card": reminders_card(user),
    }
    if context["arrears_imports"]:
        context["arrears_latest"] = arrears_latest()
    special_group_reads_record(viewer=user, households=work.special_group_shown)
    return render(request, "front/desk.html", context)


@login_required
@require_GET
@never_cache
def me(request: HttpRequest) -> HttpResponse:
    """A resident's home: what waits for them first (requests to confirm or rate, outages to
    acknowledge, unread messages), then their households, each with whom to call."""
    user: User = request.user  # type: ignore[assignment]
    households = list(
        own_households(user).select_related("building__compound__community").order_by("account_no")
    )
    compounds = list({h.building.compound_id: h.building.compound for h in households}.values())
    contacts = compound_contacts(compounds, on=timezone.localdate())
    homes = [(h, contacts[h.building.compound_id]) for h in households]
    work = home_work(user, now=timezone.now())
    waiting = {outage.pk for outage in work.outages_to_acknowledge}
    context = {
        "homes": homes,
        "work": work,
        "other_outages": [outage for outage in work.outages if outage.pk not in waiting],
        "civic_signups": list(my_signups(user, now=timezone.now())[:5]),
        "arrears_homes": arrears_of_own(user, today=timezone.localdate()),
    }
    return render(request, "front/me.html", context)


@require_GET
def duties(request: HttpRequest) -> HttpResponse:
    roles = Role.objects.prefetch_related("duties")
    return render(request, "front/duties.html", {"roles": roles})


@require_GET
def compound_window(request: HttpRequest, code: str) -> HttpResponse:
    """The compound's public power service window (电力服务社区之窗). No household data."""
    compound = get_object_or_404(
        with_last_patrol(Compound.objects.select_related("community", "property_company")),
        code=code,
    )
    today = timezone.localdate()
    context = {
        "compound": compound,
        "contacts": compound_contacts([compound], on=today)[compound.pk],
        "manager_duties": list(
            Duty.objects.filter(role__code=RoleCode.CUSTOMER_MANAGER).order_by("order", "id")
        ),
        "today": today,
        "has_home": request.user.is_authenticated and own_households(request.user).exists(),
        "join_link": join_link(compound),
        "join_link_days": settings.JOIN_LINK_DAYS,
        "may_print": request.user.is_authenticated
        and reaches_compound(request.user, Purpose.SERVE, compound.pk),
        # The scope prefetches of outage_rows are not shown here: one query for the outages.
        "outages": list(outages_for_compound(compound).prefetch_related(None)),
        "articles": latest_articles_for(compound, limit=WINDOW_ARTICLES),
        "circle_posts": recent_staff_posts(
            compound, limit=WINDOW_POSTS, leave_out=[Post.Kind.KNOWLEDGE]
        ),
    }
    return render(request, "front/compound_window.html", context)


@require_GET
@cache_control(public=True, max_age=60)
def compound_poster(request: HttpRequest, code: str) -> HttpResponse:
    """The window as an A4 poster for the stairwell board, with a QR code to the compound's
    join link, made now and valid for settings.JOIN_LINK_DAYS. Public: it holds only the
    contacts the window shows."""
    compound = get_object_or_404(
        Compound.objects.select_related("community", "property_company"), code=code
    )
    with translation.override(settings.LANGUAGE_CODE):
        body = render_poster_pdf(
            compound=compound, link=join_link(compound), manager=customer_manager_of(compound)
        )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="poster-{compound.code}.pdf"'
    return response
