"""Pages of friendly reminders (友情化催费), phone first: the walks of the user's compounds for
the current list, and one walk — its households in the order of a walk through the building,
with their amounts, previous reminders and the four outcomes to record (a plain POST form,
swapped in place by htmx)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wudian.accounts.models import User
from wudian.audit.services import special_group_reads_record
from wudian.billing.models import Reminder, ReminderWalk
from wudian.billing.policy import lines_to_record
from wudian.billing.selectors.arrears import arrears_latest
from wudian.billing.selectors.reminders import (
    STAFF_OUTCOMES,
    Stop,
    reminds_anyone,
    walk_for,
    walk_stops,
    walks_for,
)
from wudian.billing.services.reminders import MAX_NOTE, reminder_record
from wudian.core.errors import REFUSED, NotAllowed, refusal_text, status_of

PAGE_SIZE = 50


def _reminder(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not reminds_anyone(user):
        raise NotAllowed(
            _(
                "Payment reminders are for the customer managers, property electricians and "
                "property office staff of the compounds."
            )
        )
    return user


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[(o.value, o.label) for o in STAFF_OUTCOMES],
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        max_length=MAX_NOTE,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


@login_required
@require_GET
@never_cache
def reminder_walks(request: HttpRequest) -> HttpResponse:
    """The walks of the user's compounds for the current list."""
    user = _reminder(request)
    run = arrears_latest()
    walks = walks_for(user, run)
    page = Paginator(walks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "billing/reminders/walks.html", {"run": run, "page": page})


def _stops(request: HttpRequest, walk: ReminderWalk, user: User) -> list[Stop]:
    stops = walk_stops(walk, today=timezone.localdate())
    special_group_reads_record(
        viewer=user, households=[s.household for s in stops if s.household.special_group]
    )
    return stops


def _render_walk(
    request: HttpRequest,
    walk: ReminderWalk,
    user: User,
    *,
    bound: tuple[int, OutcomeForm] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    stops = _stops(request, walk, user)
    allowed = lines_to_record(user, [stop.line for stop in stops])
    rows = []
    for stop in stops:
        form = bound[1] if bound and bound[0] == stop.line.pk else OutcomeForm()
        rows.append((stop, form, stop.line.pk in allowed))
    context: dict[str, Any] = {
        "walk": walk,
        "rows": rows,
        "refusal": refusal,
        "refused_line": bound[0] if bound else None,
        "outcomes": STAFF_OUTCOMES,
        "current": any(stop.line.current for stop in stops),
        "visit_now": sum(1 for stop in stops if stop.visit_now),
    }
    if bound and getattr(request, "htmx", False):
        for stop, form, may in rows:
            if stop.line.pk == bound[0]:
                context.update(stop=stop, form=form, may=may)
                return render(request, "billing/reminders/walk.html#stop", context, status=status)
    return render(request, "billing/reminders/walk.html", context, status=status)


@login_required
@require_GET
@never_cache
def reminder_walk(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reminder(request)
    return _render_walk(request, walk_for(user, pk), user)


@login_required
@require_POST
def reminder_walk_record(request: HttpRequest, pk: int, line_id: int) -> HttpResponse:
    """Record one outcome for one household of the walk."""
    user = _reminder(request)
    walk = walk_for(user, pk)
    line = walk.run.lines.filter(pk=line_id, household__building=walk.building_id).first()
    if line is None:
        raise Http404
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _render_walk(request, walk, user, bound=(line.pk, form), status=422)
    try:
        reminder: Reminder = reminder_record(
            line=line,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            by=user,
        )
    except REFUSED as error:
        return _render_walk(
            request,
            walk,
            user,
            bound=(line.pk, form),
            refusal=refusal_text(error, form),
            status=status_of(error),
        )
    if getattr(request, "htmx", False):
        return _render_walk(request, walk, user, bound=(line.pk, OutcomeForm()))
    messages.success(
        request,
        _("Recorded: %(outcome)s, %(room)s.")
        % {"outcome": reminder.get_outcome_display(), "room": line.household.room},
    )
    return redirect(reverse("billing:reminder_walk", args=[walk.pk]) + f"#line-{line.pk}")


urlpatterns: list[URLPattern] = [
    path("reminders/", reminder_walks, name="reminder_walks"),
    path("reminders/walks/<int:pk>/", reminder_walk, name="reminder_walk"),
    path(
        "reminders/walks/<int:pk>/lines/<int:line_id>/",
        reminder_walk_record,
        name="reminder_walk_record",
    ),
]
