"""Outage pages: the staff list, the new-outage form with its reach preview, one outage with
its timeline, reach and actions, and the resident's acknowledgement (已知悉). The rules (notice
periods, scope) are in the services, who may do what when in policy.py; these views parse,
call and render, and answer a refusal with the status the API gives it."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wudian.accounts.models import User
from wudian.audit.services import special_group_reads_record
from wudian.core.errors import REFUSED, refusal_text, status_of
from wudian.core.rules import rule_value
from wudian.grid.models import Compound
from wudian.grid.scope import Purpose, compounds_for, own_households, supervisors_of
from wudian.grid.selectors import household_views_for
from wudian.notify.models import Channel
from wudian.notify.selectors import may_see_failed
from wudian.outages import services
from wudian.outages.forms import (
    CancelForm,
    ChangeForm,
    EstimateForm,
    ListFilterForm,
    NoticeCheckForm,
    OutageForm,
    PostponeForm,
    PublishForm,
    RestoreForm,
    ScopeForm,
)
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.policy import (
    OUTAGES,
    check_may_publish,
    is_closed,
    may_override,
    parties_of,
    user_may_manage_outages,
)
from wudian.outages.selectors import (
    outage_calls,
    outage_compounds,
    outage_reach,
    outage_rows,
    outage_scope_compounds,
    outage_scope_households,
    outage_source,
    outages_for_resident,
    outages_visible_to,
    reaching,
)

OUTAGE_PAGE_SIZE = 30


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.is_resident_only:
        raise PermissionDenied
    return user


def _manager(request: HttpRequest) -> User:
    user = _staff(request)
    if not user_may_manage_outages(user):
        raise PermissionDenied
    return user


def _feed_url(name: str, *args: Any) -> str:
    """A link into the feeds app; a route it does not have hides the link."""
    try:
        return reverse(f"feeds:{name}", args=args)
    except NoReverseMatch:
        return ""


def _unless_same_minute(
    value: datetime.datetime | None, current: datetime.datetime | None
) -> datetime.datetime | None:
    """The page shows times to the minute; an untouched field must not count as a change."""
    if value is None or current is None:
        return value
    return None if value == current.replace(second=0, microsecond=0) else value


# The staff list --------------------------------------------------------------------------


@login_required
@require_GET
@never_cache
def outage_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    filters = ListFilterForm(request.GET or None, user=user)
    outages = outages_visible_to(user)
    status = 200
    if filters.is_bound:
        if filters.is_valid():
            data = filters.cleaned_data
            if data["state"]:
                outages = outages.filter(state=data["state"])
            if data["kind"]:
                outages = outages.filter(kind=data["kind"])
            if data["compound"]:
                outages = outages.filter(reaching(Compound.objects.filter(pk=data["compound"].pk)))
        else:
            outages = outages.none()
            status = 400
    page = Paginator(outage_rows(outages), OUTAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "filter_query": query.urlencode(),
        "may_manage": user_may_manage_outages(user),
    }
    return render(request, "outages/outage_list.html", context, status=status)


# A new outage ------------------------------------------------------------------------------


def _check_preview(form: ScopeForm) -> None:
    """Refuse (NotAllowed) a scope reaching compounds the user may not publish for: a
    station area or feeder of theirs may also feed another manager's compound."""
    scope = form.scope_kwargs()
    scope.pop("household")
    reached = outage_scope_compounds(**scope).values_list("pk", flat=True)
    check_may_publish(form.user, set(reached))


def _preview(form: ScopeForm) -> dict[str, Any] | None:
    try:
        _check_preview(form)
    except REFUSED:
        return None
    scope = form.scope_kwargs()
    households = outage_scope_households(**scope)
    return {
        "households": households.count(),
        "compounds": households.values("building__compound").distinct().count(),
        "empty": not any(scope.values()),
    }


def _notice_compound_ids(form: ScopeForm) -> set[int]:
    """The compounds whose supervisors may grant an exception: those the chosen scope
    reaches, or while none is chosen, those the user publishes outages for."""
    if form.is_bound and not set(form.errors) & set(ScopeForm.base_fields):
        scope = form.scope_kwargs()
        household = scope.pop("household")
        if household is not None:
            return {household.building.compound_id}
        if any(scope.values()):
            return set(outage_scope_compounds(**scope).values_list("pk", flat=True))
    return set(compounds_for(form.user, Purpose.PUBLISH_OUTAGES).values_list("pk", flat=True))


def _notice_hint(form: ScopeForm) -> dict[str, Any] | None:
    """Whether the start being chosen keeps the notice period, the earliest start it allows,
    and who may grant an exception: shown before the notice is sent."""
    data = getattr(form, "cleaned_data", {})
    if not data.get("kind") or not data.get("start"):
        return None
    period = services.notice_period(kind=data["kind"], start=data["start"])
    if period is None:
        return None
    hint: dict[str, Any] = {"period": period}
    if period.too_early:
        ids = _notice_compound_ids(form)
        hint["may_override"] = bool(ids) and may_override(form.user, ids)
        hint["supervisors"] = list(
            supervisors_of(ids).exclude(pk=form.user.pk).order_by("display_name", "username")
        )
    return hint


def _render_new(
    request: HttpRequest, form: OutageForm, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    scope_ok = form.is_bound and not set(form.errors) & set(ScopeForm.base_fields)
    preview = _preview(form) if scope_ok else None
    notice = {
        name: f"{rule_value(key).normalize():f}"
        for name, key in [
            ("planned_days", "outage.planned.notice_days"),
            ("temporary_hours", "outage.temporary.notice_hours"),
            ("arrears_days", "outage.arrears.notice_days"),
            ("arrears_overdue_days", "arrears.overdue_days"),
        ]
    }
    context = {
        "form": form,
        "preview": preview,
        "refusal": refusal,
        "notice": notice,
        "notice_hint": _notice_hint(form) if form.is_bound else None,
    }
    return render(request, "outages/outage_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def outage_new(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    if request.method != "POST":
        return _render_new(request, OutageForm(user=user))
    form = OutageForm(request.POST, user=user)
    if not form.is_valid():
        return _render_new(request, form, status=422)
    data = form.cleaned_data
    publish = request.POST.get("action") != "draft"
    try:
        outage = services.outage_create(
            by=user,
            kind=data["kind"],
            title=data["title"],
            reason=data["reason"],
            start=data["start"],
            end=data["end"],
            estimated_restoration=data.get("estimated_restoration"),
            override_reason=data.get("override_reason", ""),
            publish=publish,
            **form.scope_kwargs(),
        )
    except REFUSED as error:
        return _render_new(
            request, form, refusal=refusal_text(error, form), status=status_of(error)
        )
    messages.success(
        request, _("The outage is published.") if publish else _("The outage is saved as a draft.")
    )
    return redirect("outages:detail", pk=outage.pk)


@login_required
@require_POST
@never_cache
def outage_preview(request: HttpRequest) -> HttpResponse:
    """How many households in how many compounds the scope being chosen reaches (htmx)."""
    user = _manager(request)
    form = ScopeForm(request.POST, user=user)
    if not form.is_valid():
        context: dict[str, Any] = {"preview": None, "preview_errors": form.errors}
        return render(request, "outages/outage_new.html#preview", context, status=422)
    try:
        _check_preview(form)
    except REFUSED as error:
        context = {"preview": None, "preview_errors": {"scope": [refusal_text(error)]}}
        return render(request, "outages/outage_new.html#preview", context, status=status_of(error))
    return render(request, "outages/outage_new.html#preview", {"preview": _preview(form)})


@login_required
@require_POST
@never_cache
def outage_notice_check(request: HttpRequest) -> HttpResponse:
    """Whether the start being chosen keeps the notice period of its kind (htmx): if not, the
    earliest start allowed and who may grant an exception, before anything is sent."""
    user = _manager(request)
    form = NoticeCheckForm(request.POST, user=user)
    form.is_valid()
    # A start not typed yet is no error; one that cannot be read is, and so is a scope
    # outside the user's (the hint then names the supervisors of the user's own compounds).
    typed = bool(request.POST.get("start"))
    unreadable = typed and bool({"kind", "start"} & set(form.errors))
    status = 422 if typed and form.errors else 200
    context = {"notice_hint": _notice_hint(form), "notice_unreadable": unreadable}
    return render(request, "outages/outage_new.html#notice", context, status=status)


# One outage ----------------------------------------------------------------------------------


def _visible_outage(user: User, pk: int) -> Outage:
    return get_object_or_404(
        outages_visible_to(user).select_related("created_by", "lead_time_overridden_by"), pk=pk
    )


def _action_forms(outage: Outage, user: User, bound: dict[str, forms.Form]) -> dict[str, Any]:
    publish = PublishForm(prefix="publish")
    change = ChangeForm(
        initial={
            "title": outage.title,
            "reason": outage.reason,
            "start": outage.start,
            "end": outage.end,
        },
        prefix="change",
    )
    publish.drop_override_unless(user)
    change.drop_override_unless(user)
    unbound: dict[str, forms.Form] = {
        "publish": publish,
        "postpone": PostponeForm(
            initial={"start": outage.start, "end": outage.end}, prefix="postpone"
        ),
        "change": change,
        "cancel": CancelForm(prefix="cancel"),
        "estimate": EstimateForm(
            initial={"estimated_restoration": outage.estimated_restoration}, prefix="estimate"
        ),
        "restore": RestoreForm(prefix="restore"),
    }
    return {**unbound, **bound}


def _channel_rows(reach: dict[str, Any]) -> list[dict[str, Any]]:
    labels = dict(Channel.choices)
    return [
        {
            "label": labels.get(channel, channel),
            "sent": states.get("sent", 0),
            "delivered": states.get("delivered", 0),
            "failed": states.get("failed", 0),
            "pending": states.get("pending", 0) + states.get("sending", 0),
        }
        for channel, states in sorted(reach.get("by_channel", {}).items())
    ]


def _render_detail(
    request: HttpRequest,
    outage: Outage,
    *,
    bound: dict[str, forms.Form] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    reach = outage_reach(outage)
    calls = outage_calls(outage, user)
    special_group_reads_record(
        viewer=user, households=[row["task"].household for row in calls["rows"]]
    )
    failed_url = (
        f"{reverse('notify:failed')}?{urlencode({'source': outage_source(outage)})}"
        if reach["failures"] and may_see_failed(user)
        else ""
    )
    context = {
        "outage": outage,
        "calls": calls,
        "failed_url": failed_url,
        "events": list(outage.events.select_related("by")),
        "reach": reach,
        "channel_rows": _channel_rows(reach),
        "forms": _action_forms(outage, user, bound or {}),
        # What the page has forms for: every step but the residents' acknowledgement.
        "actions": OUTAGES.allowed(outage, parties_of(user, outage), among=ACTIONS),
        "closed": is_closed(outage),
        "refusal": refusal,
        "pdf_url": _feed_url("notice_pdf", outage.pk),
        "cap_url": _feed_url("cap_alert", outage.pk),
        "ics_links": [
            (compound, url)
            for compound in outage_compounds(outage).order_by("code")
            if (url := _feed_url("compound_calendar", compound.code))
        ],
        # The household of an arrears disconnection, masked for staff who do not serve it.
        "arrears_households": (
            household_views_for(
                user,
                [
                    row.household
                    for row in outage.affected.select_related("household__building__compound")
                ],
            )
            if outage.kind == Outage.Kind.ARREARS
            else []
        ),
    }
    return render(request, "outages/outage_detail.html", context, status=status)


@login_required
@require_GET
@never_cache
def outage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    return _render_detail(request, _visible_outage(user, pk))


Call = Callable[[Outage, User, dict[str, Any]], Any]


def _change(outage: Outage, by: User, data: dict[str, Any]) -> Any:
    return services.outage_change(
        outage=outage,
        by=by,
        note=data["note"],
        title=data["title"],
        reason=data["reason"],
        start=_unless_same_minute(data["start"], outage.start),
        end=_unless_same_minute(data["end"], outage.end),
        override_reason=data.get("override_reason", ""),
    )


ACTIONS: dict[str, tuple[type[forms.Form], Call, Any]] = {
    "publish": (
        PublishForm,
        lambda outage, by, data: services.outage_publish(
            outage=outage, by=by, override_reason=data.get("override_reason", "")
        ),
        gettext_lazy("The outage is published."),
    ),
    "postpone": (
        PostponeForm,
        lambda outage, by, data: services.outage_postpone(
            outage=outage, by=by, start=data["start"], end=data["end"], note=data["note"]
        ),
        gettext_lazy("The outage is postponed and everyone is told."),
    ),
    "change": (ChangeForm, _change, gettext_lazy("The change is saved.")),
    "cancel": (
        CancelForm,
        lambda outage, by, data: services.outage_cancel(outage=outage, by=by, note=data["note"]),
        gettext_lazy("The outage is cancelled."),
    ),
    "estimate": (
        EstimateForm,
        lambda outage, by, data: services.outage_update_estimate(
            outage=outage,
            by=by,
            estimated_restoration=data["estimated_restoration"],
            note=data.get("note", ""),
        ),
        gettext_lazy("The restoration estimate is updated and everyone is told."),
    ),
    "restore": (
        RestoreForm,
        lambda outage, by, data: services.outage_restore(outage=outage, by=by, at=data.get("at")),
        gettext_lazy("Power restored: everyone is told."),
    ),
}


@login_required
@require_POST
def outage_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _staff(request)
    if action not in ACTIONS:
        raise Http404
    outage = _visible_outage(user, pk)
    form_class, call, done = ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if isinstance(form, PublishForm | ChangeForm):
        form.drop_override_unless(user)
    if not form.is_valid():
        return _render_detail(request, outage, bound={action: form}, status=422)
    try:
        call(outage, user, form.cleaned_data)
    except REFUSED as error:
        refusal = refusal_text(error, form)
        return _render_detail(
            request, outage, bound={action: form}, refusal=refusal, status=status_of(error)
        )
    messages.success(request, done)
    return redirect("outages:detail", pk=outage.pk)


# Residents -------------------------------------------------------------------------------------


@login_required
@require_POST
def outage_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident confirms they have read an outage notice of one of their households."""
    user: User = request.user  # type: ignore[assignment]
    household_id = request.POST.get("household", "")
    if not household_id.isdigit():
        raise Http404
    outage = get_object_or_404(outages_for_resident(user), pk=pk)
    affected = get_object_or_404(
        AffectedHousehold.objects.select_related("household"),
        outage=outage,
        household__in=own_households(user),
        household_id=int(household_id),
    )
    try:
        services.outage_acknowledge(outage=outage, household=affected.household, by=user)
    except REFUSED as error:
        messages.error(request, refusal_text(error))
        return redirect("front:me")
    messages.success(request, _("Thank you: we have noted that you have read this notice."))
    return redirect(f"{reverse('front:me')}#outage-{outage.pk}")
