"""Pages of fieldwork: patrols — the list of one's patrols, a patrol on the phone at the site
(start, answer the checklist, send once, confirm, move, cancel) and a compound's field
history (its patrols with their findings, and its defects)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wudian.accounts.models import User
from wudian.core.calendar import china_date
from wudian.core.errors import (
    REFUSED,
    BadInput,
    NotAllowed,
    field_errors,
    messages_of,
    refusal_text,
    status_of,
)
from wudian.core.photos import PhotoUpload, photo_from_bytes
from wudian.fieldwork.models import ChecklistItem, Defect, Patrol, PatrolAnswer, Severity
from wudian.fieldwork.policy.patrols import patrol_actions, side_of
from wudian.fieldwork.selectors.patrols import (
    answers_of,
    compound_defects,
    compound_patrols,
    items_of,
    month_start,
    months_waiting_for_calendar,
    patrol_compounds_for,
    patrol_for,
    patrols_anyone,
    patrols_visible_to,
)
from wudian.fieldwork.services.patrols import (
    AnswerIn,
    patrol_cancel,
    patrol_confirm,
    patrol_move,
    patrol_start,
    patrol_submit,
)

PAGE_SIZE = 25
MAX_PHOTOS = 6

TABS = {
    "due": gettext_lazy("Due this month"),
    "upcoming": gettext_lazy("Upcoming"),
    "done": gettext_lazy("Done"),
    "all": gettext_lazy("All"),
}


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


class PatrolFilter(forms.Form):
    month = forms.DateField(
        required=False,
        label=gettext_lazy("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    status = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Any status")), *Patrol.Status.choices],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {
            "compound": forms.ModelChoiceField(
                queryset=patrol_compounds_for(user).order_by("code"),
                required=False,
                label=gettext_lazy("Compound"),
                to_field_name="code",
                empty_label=gettext_lazy("All compounds"),
            ),
            **self.fields,
        }


@login_required
@require_GET
@never_cache
def patrol_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not patrols_anyone(user):
        raise NotAllowed(
            _("Joint patrols are for customer managers, electricians and supervisors.")
        )
    today = china_date(timezone.now())
    this_month = month_start(today)
    tab = request.GET.get("tab", "due")
    if tab not in TABS:
        tab = "due"
    patrols = patrols_visible_to(user)
    if tab == "due":
        patrols = patrols.filter(status__in=Patrol.OPEN_STATUSES, month__lte=this_month).order_by(
            "planned_on", "pk"
        )
    elif tab == "upcoming":
        patrols = patrols.filter(status__in=Patrol.OPEN_STATUSES, month__gt=this_month).order_by(
            "planned_on", "pk"
        )
    elif tab == "done":
        patrols = patrols.filter(status=Patrol.Status.DONE).order_by("-planned_on", "-pk")
    else:
        patrols = patrols.order_by("-planned_on", "-pk")
    query = request.GET.copy()
    query.pop("page", None)
    filters = PatrolFilter(request.GET or None, user=user)
    if filters.is_valid():
        data = filters.cleaned_data
        if data["compound"]:
            patrols = patrols.filter(compound=data["compound"])
        if data["month"]:
            patrols = patrols.filter(month=month_start(data["month"]))
        if data["status"]:
            patrols = patrols.filter(status=data["status"])
    rows = patrols.select_related("compound", "electrician", "manager")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query["tab"] = tab
    context = {
        "page": page,
        "tab": tab,
        "tabs": list(TABS.items()),
        "filters": filters,
        "filter_query": query.urlencode(),
        "today": today,
        "waiting": months_waiting_for_calendar(today),
        "filtered": filters.is_bound and any(request.GET.get(name) for name in filters.fields),
    }
    return render(request, "fieldwork/patrols/list.html", context)


# One patrol -----------------------------------------------------------------------------


class MoveForm(forms.Form):
    planned_on = forms.DateField(
        label=gettext_lazy("New day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("Why"), max_length=200)


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why"), max_length=300)


@dataclass
class ItemRow:
    item: ChecklistItem
    answer: PatrolAnswer | None
    # What the page shows when a sending is refused: what was sent.
    sent: dict[str, str]
    errors: list[str]


def _rows(
    patrol: Patrol, sent: dict[str, Any] | None = None, errors: dict[int, list[str]] | None = None
) -> list[ItemRow]:
    if patrol.checklist_version is None:
        return []
    answers = answers_of(patrol)
    sent = sent or {}
    errors = errors or {}
    return [
        ItemRow(
            item=item,
            answer=answers.get(item.pk),
            sent={
                name: str(sent.get(f"{name}-{item.pk}", ""))
                for name in ("result", "note", "severity", "responsible", "building")
            },
            errors=errors.get(item.pk, []),
        )
        for item in items_of(patrol.checklist_version)
    ]


def _render_detail(
    request: HttpRequest,
    patrol: Patrol,
    *,
    refusal: str = "",
    status: int = 200,
    move_form: MoveForm | None = None,
    cancel_form: CancelForm | None = None,
    sent: dict[str, Any] | None = None,
    item_errors: dict[int, list[str]] | None = None,
) -> HttpResponse:
    user = _user(request)
    actions = patrol_actions(user, patrol)
    defects = list(Defect.objects.filter(patrol=patrol).select_related("building").order_by("pk"))
    context = {
        "patrol": patrol,
        "actions": actions,
        "side": side_of(user, patrol),
        "rows": _rows(patrol, sent, item_errors),
        "results": PatrolAnswer.Result.choices,
        "severities": Severity.choices,
        "responsibles": Defect.Responsible.choices,
        "buildings": list(patrol.compound.buildings.order_by("code")),
        "defects": defects,
        "move_form": move_form or MoveForm(initial={"planned_on": patrol.planned_on}),
        "cancel_form": cancel_form or CancelForm(),
        "submission_key": uuid.uuid4(),
        "refusal": refusal,
        "today": china_date(timezone.now()),
    }
    return render(request, "fieldwork/patrols/detail.html", context, status=status)


@login_required
@require_GET
@never_cache
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, patrol_for(_user(request), pk))


@login_required
@require_POST
def patrol_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    patrol = patrol_for(user, pk)
    try:
        patrol_start(patrol=patrol, by=user)
    except REFUSED as error:
        return _render_detail(request, patrol, refusal=refusal_text(error), status=status_of(error))
    messages.success(request, _("Patrol started: answer each item at the site."))
    return redirect("fieldwork:patrol_detail", pk=patrol.pk)


@login_required
@require_POST
def patrol_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    patrol = patrol_for(user, pk)
    try:
        patrol_confirm(patrol=patrol, by=user)
    except REFUSED as error:
        return _render_detail(request, patrol, refusal=refusal_text(error), status=status_of(error))
    messages.success(request, _("Patrol confirmed: it is done."))
    return redirect("fieldwork:patrol_detail", pk=patrol.pk)


@login_required
@require_POST
def patrol_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    patrol = patrol_for(user, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, patrol, move_form=form, status=422)
    try:
        patrol_move(
            patrol=patrol,
            by=user,
            planned_on=form.cleaned_data["planned_on"],
            reason=form.cleaned_data["reason"],
        )
    except REFUSED as error:
        text = refusal_text(error, form)
        return _render_detail(
            request, patrol, move_form=form, refusal=text, status=status_of(error)
        )
    messages.success(request, _("Patrol moved; the other party has been told."))
    return redirect("fieldwork:patrol_detail", pk=patrol.pk)


@login_required
@require_POST
def patrol_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    patrol = patrol_for(user, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, patrol, cancel_form=form, status=422)
    try:
        patrol_cancel(patrol=patrol, by=user, reason=form.cleaned_data["reason"])
    except REFUSED as error:
        text = refusal_text(error, form)
        return _render_detail(
            request, patrol, cancel_form=form, refusal=text, status=status_of(error)
        )
    messages.success(request, _("Patrol cancelled."))
    return redirect("fieldwork:patrol_detail", pk=patrol.pk)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _submission_of(
    request: HttpRequest, patrol: Patrol
) -> tuple[uuid.UUID, int, list[AnswerIn], dict[int, list[PhotoUpload]]]:
    """What the page sent: its key, the checklist version it was rendered with, one answer per
    item it shows, the photos of each finding (checked and cleaned). BadInput otherwise."""
    data = request.POST
    try:
        key = uuid.UUID(data.get("submission_key", ""))
    except ValueError:
        raise BadInput(
            {"submission_key": [_("The page's sending key is missing; reload the page.")]}
        ) from None
    version = _int(data.get("version"))
    if version is None:
        raise BadInput({"version": [_("The page's checklist version is missing; reload it.")]})
    item_ids = sorted(
        {
            pk
            for name in data
            if name.startswith("result-") and (pk := _int(name.removeprefix("result-")))
        }
    )
    answers = [
        AnswerIn(
            item=pk,
            result=data.get(f"result-{pk}", ""),
            note=data.get(f"note-{pk}", ""),
            severity=data.get(f"severity-{pk}", ""),
            responsible=data.get(f"responsible-{pk}", ""),
            building=_int(data.get(f"building-{pk}")),
        )
        for pk in item_ids
    ]
    # The items the page showed but left unanswered count as missing answers.
    photos: dict[int, list[PhotoUpload]] = {}
    errors: dict[str, list[str]] = {}
    for name in request.FILES:
        pk = _int(name.removeprefix("photos-")) if name.startswith("photos-") else None
        if pk is None:
            continue
        files: list[UploadedFile] = request.FILES.getlist(name)
        if len(files) > MAX_PHOTOS:
            errors[name] = [_("At most %(n)s photos per finding.") % {"n": MAX_PHOTOS}]
            continue
        for upload in files:
            try:
                photos.setdefault(pk, []).append(
                    photo_from_bytes(upload.read(), name=upload.name or "photo")
                )
            except ValidationError as error:
                errors[name] = [*errors.get(name, []), *messages_of(error)]
    if errors:
        raise BadInput(errors)
    return key, version, answers, photos


def _item_errors(error: Exception, answers: list[AnswerIn]) -> dict[int, list[str]]:
    """A refusal's field errors (answers.<index>.<field>, photos-<item>) by item."""
    by_item: dict[int, list[str]] = {}
    for name, texts in field_errors(error).items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "answers" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(answers):
                by_item.setdefault(answers[index].item, []).extend(texts)
        elif name.startswith("photos-") and (pk := _int(name.removeprefix("photos-"))):
            by_item.setdefault(pk, []).extend(texts)
    return by_item


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def patrol_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The checklist sent from the phone: by the page's script (one request, answered in
    JSON, safe to send again with the same key) or as a plain form."""
    user = _user(request)
    patrol = patrol_for(user, pk)
    answers: list[AnswerIn] = []
    try:
        key, version, answers, photos = _submission_of(request, patrol)
        done = patrol_submit(
            patrol=patrol,
            by=user,
            submission_key=key,
            version_id=version,
            answers=answers,
            photos=photos,
        )
    except REFUSED as error:
        status = status_of(error)
        if _wants_json(request):
            return JsonResponse(
                {"detail": " ".join(messages_of(error)), "errors": field_errors(error)},
                status=status,
            )
        return _render_detail(
            request,
            patrol,
            refusal=" ".join(messages_of(error)),
            status=status,
            sent=request.POST.dict(),
            item_errors=_item_errors(error, answers),
        )
    url = reverse("fieldwork:patrol_detail", args=[patrol.pk])
    if _wants_json(request):
        return JsonResponse(
            {
                "id": done.patrol.pk,
                "status": done.patrol.status,
                "recorded": done.recorded,
                "findings": len(done.defects),
                "url": url,
            }
        )
    if done.recorded:
        messages.success(
            request,
            _("Patrol sent with %(n)s findings; the other party confirms it.")
            % {"n": len(done.defects)},
        )
    return redirect(url)


# A compound's field history ----------------------------------------------------------------


@login_required
@require_GET
@never_cache
def compound_field(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    compound = patrol_compounds_for(user).filter(code=code).select_related("community").first()
    if compound is None:
        raise Http404
    buildings = list(compound.buildings.order_by("code"))
    building = next((b for b in buildings if str(b.pk) == request.GET.get("building", "")), None)
    patrols = Paginator(compound_patrols(compound), 12).get_page(request.GET.get("page"))
    defects = Paginator(
        compound_defects(compound, building_id=building.pk if building else None), 25
    ).get_page(request.GET.get("defects_page"))
    context = {
        "compound": compound,
        "buildings": buildings,
        "building": building,
        "page": patrols,
        "defects": defects,
        "filter_query": f"building={building.pk}" if building else "",
    }
    return render(request, "fieldwork/patrols/compound_field.html", context)


urlpatterns: list[URLPattern] = [
    path("patrols/", patrol_list, name="patrol_list"),
    path("patrols/<int:pk>/", patrol_detail, name="patrol_detail"),
    path("patrols/<int:pk>/start/", patrol_start_view, name="patrol_start"),
    path("patrols/<int:pk>/submit/", patrol_submit_view, name="patrol_submit"),
    path("patrols/<int:pk>/confirm/", patrol_confirm_view, name="patrol_confirm"),
    path("patrols/<int:pk>/move/", patrol_move_view, name="patrol_move"),
    path("patrols/<int:pk>/cancel/", patrol_cancel_view, name="patrol_cancel"),
    path("desk/compounds/<slug:code>/field/", compound_field, name="compound_field"),
]
