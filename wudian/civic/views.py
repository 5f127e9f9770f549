"""Pages of civic work: the visit list, the new-visit form with its appeals and a visit's page
with each appeal's actions (/desk/visits/…); volunteer activities for residents and staff,
the organiser's forms and the attendance sheet (/activities/…). Who may do what in which
state is policy.py (the buttons come from it), the rules are in services; these views parse,
call and render, and show a refusal the way wudian.core.errors maps it."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wudian.accounts.models import User
from wudian.civic import selectors, services
from wudian.civic.forms import (
    ActionForm,
    ActivityForm,
    AnswerForm,
    AppealFormSet,
    CancelForm,
    CloseForm,
    EmptyForm,
    RequestForm,
    VisitFilterForm,
    VisitForm,
)
from wudian.civic.models import Activity, Appeal, SignUp, Visit
from wudian.civic.policy import activity_actions, appeal_actions, may_organise, works_on_visit
from wudian.core.errors import REFUSED, refusal_text, status_of
from wudian.grid.selectors import household_views_for
from wudian.workorders.selectors import categories_open_to

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _visit_reader(request: HttpRequest) -> User:
    user = _user(request)
    if not selectors.may_read_visits(user):
        raise PermissionDenied(
            _("Door-to-door visits are for grid administrators, customer managers and supervisors.")
        )
    return user


# Visits -----------------------------------------------------------------------------------


def _month_range(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return month, following


@login_required
@require_GET
@never_cache
def visit_list(request: HttpRequest) -> HttpResponse:
    user = _visit_reader(request)
    compounds = selectors.visit_compounds_of(user).order_by("community__name", "name")
    filters = VisitFilterForm(
        request.GET or None,
        communities=selectors.communities_of_visits(user),
        compounds=compounds,
    )
    visits = selectors.visits_visible_to(user)
    status = 200
    if filters.is_bound:
        if filters.is_valid():
            data = filters.cleaned_data
            if data["community"]:
                visits = visits.filter(compound__community=data["community"])
            if data["compound"]:
                visits = visits.filter(compound=data["compound"])
            if data["month"]:
                start, end = _month_range(data["month"])
                visits = visits.filter(visited_on__gte=start, visited_on__lt=end)
            if data["appeals"]:
                visits = visits.filter(
                    pk__in=Appeal.objects.filter(status=data["appeals"]).values("visit_id")
                )
        else:
            visits = visits.none()
            status = 400
    page = Paginator(selectors.visit_rows(visits), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "filter_query": query.urlencode(),
        "may_record": selectors.does_civic_work(user)
        and selectors.civic_compounds_of(user).exists(),
        "counts": selectors.civic_counts(user, now=timezone.now())
        if selectors.does_civic_work(user)
        else None,
    }
    return render(request, "civic/visit_list.html", context, status=status)


def _render_visit_new(
    request: HttpRequest,
    form: VisitForm,
    appeals: Any,
    *,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "appeals": appeals, "refusal": refusal}
    return render(request, "civic/visit_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def visit_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not selectors.does_civic_work(user):
        raise PermissionDenied(_("Only grid administrators and customer managers do civic work."))
    if request.method != "POST":
        return _render_visit_new(request, VisitForm(user=user), AppealFormSet(prefix="appeals"))
    form = VisitForm(request.POST, user=user)
    appeals = AppealFormSet(request.POST, prefix="appeals")
    if not (form.is_valid() & appeals.is_valid()):
        return _render_visit_new(request, form, appeals, status=422)
    data = form.cleaned_data
    try:
        visit = services.visit_record(
            by=user,
            compound=data["compound"],
            visited_on=data["visited_on"],
            people_met=data["people_met"],
            summary=data["summary"],
            appeals=[
                services.AppealIn(text=row.cleaned_data["text"], kind=row.cleaned_data["kind"])
                for row in appeals.forms
                if row.has_changed() and row.cleaned_data.get("text", "").strip()
            ],
            building=data["building_obj"],
            household=data["household"],
            companions=list(data["companions"]),
        )
    except REFUSED as error:
        refusal = refusal_text(error, form)
        return _render_visit_new(request, form, appeals, refusal=refusal, status=status_of(error))
    messages.success(request, _("The visit is recorded."))
    return redirect("civic:visit_detail", pk=visit.pk)


APPEAL_FORMS: dict[str, type[ActionForm]] = {
    "request": RequestForm,
    "answer": AnswerForm,
    "close": CloseForm,
}


@dataclass
class AppealRow:
    appeal: Appeal
    actions: dict[str, ActionForm]
    refusal: str = ""


def _render_visit_detail(
    request: HttpRequest,
    visit: Visit,
    *,
    failed: tuple[int, str, ActionForm] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    rows = []
    worker = works_on_visit(user, visit.compound_id)
    categories = list(categories_open_to(user)) if worker else []
    for appeal in visit.appeals.all():
        appeal.visit = visit
        actions = {
            name: APPEAL_FORMS[name](user=user, categories=categories, prefix=f"{name}-{appeal.pk}")
            for name in appeal_actions(user, appeal, worker=worker)
        }
        row = AppealRow(appeal=appeal, actions=actions)
        if failed is not None and failed[0] == appeal.pk:
            row.actions[failed[1]] = failed[2]
            row.refusal = refusal
        rows.append(row)
    view = household_views_for(user, [visit.household])[0] if visit.household else None
    context = {
        "visit": visit,
        "household": view,
        "visitors": [person.display_name or person.username for person in visit.visitors.all()],
        "rows": rows,
    }
    return render(request, "civic/visit_detail.html", context, status=status)


@login_required
@require_GET
@never_cache
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _visit_reader(request)
    return _render_visit_detail(request, selectors.visit_for(user, pk))


APPEAL_DONE = {
    "request": gettext_lazy("The appeal is now request No. %(id)s."),
    "answer": gettext_lazy("The answer is recorded."),
    "close": gettext_lazy("The appeal is closed."),
}


@login_required
@require_POST
def appeal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _visit_reader(request)
    if action not in APPEAL_FORMS:
        raise Http404
    appeal = selectors.appeal_for(user, pk)
    form = APPEAL_FORMS[action](request.POST, user=user, prefix=f"{action}-{appeal.pk}")

    def again(refusal: str, status: int) -> HttpResponse:
        visit = selectors.visit_for(user, appeal.visit_id)
        return _render_visit_detail(
            request, visit, failed=(appeal.pk, action, form), refusal=refusal, status=status
        )

    if not form.is_valid():
        return again("", 422)
    data = form.cleaned_data
    try:
        if action == "request":
            appeal = services.appeal_to_request(
                appeal=appeal, by=user, category=data["category"], description=data["description"]
            )
        else:
            appeal = services.appeal_answer(
                appeal=appeal, by=user, answer=data["answer"], close=action == "close"
            )
    except REFUSED as error:
        return again(refusal_text(error, form), status_of(error))
    messages.success(request, str(APPEAL_DONE[action]) % {"id": appeal.work_order_id})
    return redirect(reverse("civic:visit_detail", args=[appeal.visit_id]) + f"#appeal-{appeal.pk}")


# Volunteer activities -----------------------------------------------------------------------

TABS = {
    "upcoming": gettext_lazy("Upcoming"),
    "mine": gettext_lazy("Signed up"),
    "past": gettext_lazy("Past"),
    "drafts": gettext_lazy("Drafts"),
}


@login_required
@require_GET
@never_cache
def activity_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    organiser = may_organise(user)
    tab = request.GET.get("tab", "upcoming")
    if tab not in TABS or (tab == "drafts" and not organiser):
        tab = "upcoming"
    activities = selectors.activities_visible_to(user)
    State = Activity.State
    if tab == "upcoming":
        activities = activities.filter(
            state__in=(State.OPEN, State.CLOSED), ends_at__gt=now
        ).order_by("starts_at", "pk")
    elif tab == "mine":
        activities = activities.filter(
            signups__user=user, signups__status=SignUp.Status.SIGNED_UP
        ).order_by("-starts_at", "-pk")
    elif tab == "past":
        activities = activities.exclude(state=State.DRAFT).filter(
            ends_at__lte=now
        ) | activities.filter(state=State.CANCELLED)
        activities = activities.order_by("-starts_at", "-pk")
    else:
        activities = activities.filter(state=State.DRAFT).order_by("starts_at", "pk")
    page = Paginator(selectors.activity_rows(activities), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    mine = set(
        SignUp.objects.filter(
            user=user,
            status=SignUp.Status.SIGNED_UP,
            activity__in=[activity.pk for activity in page.object_list],
        ).values_list("activity_id", flat=True)
    )
    tabs = [(key, label) for key, label in TABS.items() if key != "drafts" or organiser]
    context = {
        "page": page,
        "tab": tab,
        "tabs": tabs,
        "mine": mine,
        "may_organise": organiser,
        "filter_query": f"tab={tab}",
        "now": now,
    }
    return render(request, "civic/activity_list.html", context)


def _render_activity_form(
    request: HttpRequest,
    form: ActivityForm,
    *,
    activity: Activity | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "activity": activity, "refusal": refusal}
    return render(request, "civic/activity_form.html", context, status=status)


ACTIVITY_ALIASES = {"compounds": "compounds"}


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def activity_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_organise(user):
        raise PermissionDenied(
            _("Only grid administrators and customer managers organise activities.")
        )
    if request.method != "POST":
        return _render_activity_form(request, ActivityForm(user=user))
    form = ActivityForm(request.POST, user=user)
    if not form.is_valid():
        return _render_activity_form(request, form, status=422)
    try:
        activity = services.activity_create(
            by=user, data=form.activity_in(), publish="publish" in request.POST
        )
    except REFUSED as error:
        return _render_activity_form(
            request, form, refusal=refusal_text(error, form), status=status_of(error)
        )
    messages.success(
        request,
        _("The activity is open for sign-up.")
        if activity.state == Activity.State.OPEN
        else _("The activity is saved as a draft."),
    )
    return redirect("civic:activity_detail", pk=activity.pk)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    activity = selectors.activity_for(user, pk)
    if "change" not in activity_actions(user, activity):
        raise PermissionDenied(_("This activity cannot be changed by you now."))
    if request.method != "POST":
        local = timezone.localtime
        initial = {
            "title": activity.title,
            "description": activity.description,
            "place": activity.place,
            "starts_at": local(activity.starts_at),
            "ends_at": local(activity.ends_at),
            "signup_deadline": local(activity.signup_deadline),
            "capacity": activity.capacity,
            "compounds": list(activity.compounds.all()),
        }
        form = ActivityForm(initial=initial, user=user)
        return _render_activity_form(request, form, activity=activity)
    form = ActivityForm(request.POST, user=user)
    if not form.is_valid():
        return _render_activity_form(request, form, activity=activity, status=422)
    try:
        services.activity_update(activity=activity, by=user, data=form.activity_in())
    except REFUSED as error:
        return _render_activity_form(
            request,
            form,
            activity=activity,
            refusal=refusal_text(error, form),
            status=status_of(error),
        )
    messages.success(request, _("The activity is changed."))
    return redirect("civic:activity_detail", pk=activity.pk)


@dataclass(frozen=True)
class Step:
    form: type[forms.Form]
    call: Callable[[Activity, User, HttpRequest, dict[str, Any]], Any]
    done: Any


def _attendance(activity: Activity, user: User, request: HttpRequest, data: dict[str, Any]) -> Any:
    marks = {}
    for signup in selectors.signups_of_activity(activity):
        mark = request.POST.get(f"mark-{signup.pk}", "")
        if mark:
            marks[signup.pk] = services.Mark(
                attendance=mark, hours=request.POST.get(f"hours-{signup.pk}", "")
            )
    return services.activity_attendance(activity=activity, by=user, marks=marks)


ACTIVITY_STEPS: dict[str, Step] = {
    "signup": Step(
        EmptyForm,
        lambda a, u, r, d: services.activity_signup(activity=a, by=u),
        gettext_lazy("You are signed up. Thank you for volunteering!"),
    ),
    "withdraw": Step(
        EmptyForm,
        lambda a, u, r, d: services.activity_withdraw(activity=a, by=u),
        gettext_lazy("Your place is given back."),
    ),
    "publish": Step(
        EmptyForm,
        lambda a, u, r, d: services.activity_publish(activity=a, by=u),
        gettext_lazy("The activity is open for sign-up."),
    ),
    "close": Step(
        EmptyForm,
        lambda a, u, r, d: services.activity_close(activity=a, by=u),
        gettext_lazy("Sign-up is closed."),
    ),
    "cancel": Step(
        CancelForm,
        lambda a, u, r, d: services.activity_cancel(activity=a, by=u, reason=d["reason"]),
        gettext_lazy("The activity is cancelled; everyone signed up is told."),
    ),
    "attendance": Step(EmptyForm, _attendance, gettext_lazy("Attendance is recorded.")),
}


def _render_activity_detail(
    request: HttpRequest,
    activity: Activity,
    *,
    bound: dict[str, forms.Form] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    actions = activity_actions(user, activity, now=now)
    bound = bound or {}
    manages = bool({"change", "attendance", "cancel", "close", "publish"} & set(actions)) or (
        activity.organiser_id == user.pk
    )
    signup = selectors.signup_of(user, activity)
    taken = int(getattr(activity, "taken", 0))
    context = {
        "activity": activity,
        "actions": actions,
        "cancel_form": bound.get("cancel") or CancelForm(prefix="cancel"),
        "failed": next(iter(bound), ""),
        "refusal": refusal,
        "signup": signup if signup and signup.status == SignUp.Status.SIGNED_UP else None,
        "taken": taken,
        "left": max(activity.capacity - taken, 0),
        "past_deadline": activity.signup_deadline <= now,
        "manages": manages,
        "organiser_actions": [
            name for name in actions if name in ("publish", "change", "close", "cancel")
        ],
        "signups": list(selectors.signups_of_activity(activity)) if manages else [],
        "attended": (
            activity.signups.filter(attendance=SignUp.Attendance.ATTENDED).count()
            if activity.state == Activity.State.DONE
            else None
        ),
        "compounds": list(activity.compounds.all()),
    }
    return render(request, "civic/activity_detail.html", context, status=status)


@login_required
@require_GET
@never_cache
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_activity_detail(request, selectors.activity_for(_user(request), pk))


@login_required
@require_POST
def activity_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    if action not in ACTIVITY_STEPS:
        raise Http404
    activity = selectors.activity_for(user, pk)
    step = ACTIVITY_STEPS[action]
    form = step.form(request.POST, prefix=action)
    if not form.is_valid():
        return _render_activity_detail(request, activity, bound={action: form}, status=422)
    try:
        step.call(activity, user, request, form.cleaned_data)
    except REFUSED as error:
        activity = selectors.activity_for(user, pk)
        return _render_activity_detail(
            request,
            activity,
            bound={action: form},
            refusal=refusal_text(error, form),
            status=status_of(error),
        )
    messages.success(request, step.done)
    return redirect("civic:activity_detail", pk=activity.pk)
