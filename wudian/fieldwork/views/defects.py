"""Pages of fieldwork: defects (消缺) — the list with its filters (a compound's or a building's
defect history too), a defect's page with its photos, timeline and the steps the viewer may
take (from the policy table), recording a defect, and opening a defect or an extra patrol in
one action from a resident's hazard report or a station area's line-loss alarm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wudian.accounts.models import Department, User
from wudian.core.errors import REFUSED, OutsideScope, refusal_text, status_of
from wudian.fieldwork.models import (
    Defect,
    DefectPhoto,
    Severity,
)
from wudian.fieldwork.policy.defects import defect_actions
from wudian.fieldwork.selectors import defects as selectors
from wudian.fieldwork.services import defects as services
from wudian.fieldwork.services.patrols import patrol_extra_open
from wudian.grid.models import Building, Compound, StationArea
from wudian.grid.scope import Purpose, departments_serving, station_areas_for
from wudian.knowledge.forms import ImagesField
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.selectors import workorder_for

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _user(request)
    if not selectors.works_defects(user):
        raise PermissionDenied(_("Defects are for the staff serving the compounds."))
    return user


# Forms ------------------------------------------------------------------------------------


class NamedChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "name", obj))


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.username)


def _places_within(form: forms.Form, compounds: QuerySet[Compound]) -> None:
    """Offers the form's compound and building choices within those compounds."""
    compound_field: Any = form.fields["compound"]
    compound_field.queryset = compounds.order_by("name")
    building_field: Any = form.fields["building"]
    building_field.queryset = (
        Building.objects.filter(compound__in=compounds.values("pk"))
        .select_related("compound")
        .order_by("compound__name", "code")
    )
    building_field.label_from_instance = lambda b: f"{b.compound.name} {b.name}"


class FilterForm(forms.Form):
    compound = NamedChoice(
        queryset=Compound.objects.none(),
        required=False,
        label=gettext_lazy("Compound"),
        empty_label=gettext_lazy("All compounds"),
    )
    building = NamedChoice(
        queryset=Building.objects.none(),
        required=False,
        label=gettext_lazy("Building"),
        empty_label=gettext_lazy("All buildings"),
    )
    severity = forms.ChoiceField(
        choices=[("", gettext_lazy("Any severity")), *Severity.choices],
        required=False,
        label=gettext_lazy("Severity"),
    )
    status = forms.ChoiceField(
        choices=[
            ("", gettext_lazy("Not closed")),
            ("all", gettext_lazy("Any status")),
            *Defect.Status.choices,
        ],
        required=False,
        label=gettext_lazy("Status"),
    )
    responsible = forms.ChoiceField(
        choices=[("", gettext_lazy("Either side")), *Defect.Responsible.choices],
        required=False,
        label=gettext_lazy("Responsible party"),
    )
    overdue = forms.BooleanField(required=False, label=gettext_lazy("Overdue only"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _places_within(self, selectors.defect_compounds_of(user))

    def filters(self) -> selectors.DefectFilters:
        data = self.cleaned_data if self.is_valid() else {}
        status = data.get("status") or ""
        return selectors.DefectFilters(
            compound=data["compound"].pk if data.get("compound") else None,
            building=data["building"].pk if data.get("building") else None,
            severity=data.get("severity") or "",
            status="" if status in ("", "all") else status,
            open_only=status == "",
            responsible=data.get("responsible") or "",
            overdue=bool(data.get("overdue")),
        )


class DefectFields(forms.Form):
    severity = forms.ChoiceField(
        choices=Severity.choices, label=gettext_lazy("Severity"), initial=Severity.NORMAL
    )
    responsible = forms.ChoiceField(
        choices=Defect.Responsible.choices,
        label=gettext_lazy("Responsible party"),
        initial=Defect.Responsible.PROPERTY,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        max_length=500, label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3})
    )
    location = forms.CharField(max_length=120, required=False, label=gettext_lazy("Where"))


class NewDefectForm(DefectFields):
    compound = NamedChoice(
        queryset=Compound.objects.none(),
        label=gettext_lazy("Compound"),
        empty_label=gettext_lazy("Choose"),
    )
    building = NamedChoice(
        queryset=Building.objects.none(),
        required=False,
        label=gettext_lazy("Building"),
        empty_label=gettext_lazy("No particular building"),
    )
    department = NamedChoice(
        queryset=Department.objects.none(),
        required=False,
        label=gettext_lazy("Department (power supply company's defects)"),
        empty_label=gettext_lazy("None: the customer manager"),
    )
    photos = ImagesField(limit=services.MAX_PHOTOS, label=gettext_lazy("Photos as found"))

    field_order = [
        "compound",
        "building",
        "location",
        "severity",
        "responsible",
        "department",
        "description",
        "photos",
    ]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        compounds = selectors.recordable_compounds(user)
        _places_within(self, compounds)
        department_field: Any = self.fields["department"]
        department_field.queryset = departments_serving(compounds).order_by("name")


class FixForm(forms.Form):
    note = forms.CharField(
        max_length=500,
        label=gettext_lazy("What was done"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photos = ImagesField(
        limit=services.MAX_PHOTOS,
        label=gettext_lazy("Photos of the fix (at least one)"),
    )


class CheckForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        label=gettext_lazy("Remarks"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FailForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label=gettext_lazy("Why the fix is not accepted"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReassignForm(forms.Form):
    owner = PersonChoice(queryset=User.objects.none(), required=False, label=gettext_lazy("To"))
    department = NamedChoice(
        queryset=Department.objects.none(), required=False, label=gettext_lazy("Or a department")
    )
    note = forms.CharField(max_length=500, required=False, label=gettext_lazy("Note"))

    def __init__(self, *args: Any, defect: Defect, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people, departments = services.reassign_choices(defect)
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = User.objects.filter(pk__in=[user.pk for user in people])
        if departments:
            department_field: Any = self.fields["department"]
            department_field.queryset = Department.objects.filter(
                pk__in=[d.pk for d in departments]
            )
        else:
            del self.fields["department"]


class PhotosForm(forms.Form):
    photos = ImagesField(limit=services.MAX_PHOTOS, label=gettext_lazy("Photos as found"))


class CommentForm(forms.Form):
    note = forms.CharField(
        max_length=500, label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2})
    )


class PatrolReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label=gettext_lazy("Why an extra patrol"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# The list ---------------------------------------------------------------------------------


@login_required
@require_GET
@never_cache
def defect_list(request: HttpRequest) -> HttpResponse:
    """The viewer's defects, the most urgent deadline first; with a compound or a building
    chosen, its defect history."""
    user = _staff(request)
    form = FilterForm(request.GET or None, user=user)
    defects = selectors.defect_list(user, form.filters())
    paginator: Paginator[Defect] = Paginator(defects, PAGE_SIZE)  # type: ignore[arg-type]
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "fieldwork/defects/list.html",
        {
            "filters": form,
            "page": page,
            "rows": list(page.object_list),
            "filter_query": query.urlencode(),
            "may_record": selectors.recordable_compounds(user).exists(),
            "now": timezone.now(),
        },
    )


# Recording --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def defect_new(request: HttpRequest) -> HttpResponse:
    """Record a defect found by staff (Source.STAFF)."""
    user = _staff(request)
    if not selectors.recordable_compounds(user).exists():
        raise PermissionDenied(_("You serve no compound whose defects you could record."))
    initial = {}
    if request.GET.get("compound"):
        initial["compound"] = request.GET["compound"]
    form = NewDefectForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    refusal, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                defect = services.defect_open(
                    compound=data["compound"],
                    building=data.get("building"),
                    location=data.get("location") or "",
                    description=data["description"],
                    severity=data["severity"],
                    responsible=data["responsible"],
                    department=data.get("department"),
                    source=Defect.Source.STAFF,
                    photos=data.get("photos") or [],
                    by=user,
                )
            except REFUSED as error:
                refusal, status = refusal_text(error, form), status_of(error)
            else:
                messages.success(request, _("Defect No. %(id)s is recorded.") % {"id": defect.pk})
                return redirect("fieldwork:defect_detail", pk=defect.pk)
        else:
            status = 422
    return render(
        request,
        "fieldwork/defects/new.html",
        {"form": form, "refusal": refusal},
        status=status,
    )


# One defect -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    form: Callable[..., forms.Form]
    call: Callable[[Defect, User, dict[str, Any]], Any]
    done: Any
    label: Any
    button: Any


def _fix(defect: Defect, user: User, data: dict[str, Any]) -> Any:
    return services.defect_fix(
        defect=defect, by=user, note=data["note"], photos=data.get("photos") or []
    )


def _pass(defect: Defect, user: User, data: dict[str, Any]) -> Any:
    return services.defect_check(
        defect=defect, by=user, passed=True, reason=data.get("reason") or ""
    )


def _fail(defect: Defect, user: User, data: dict[str, Any]) -> Any:
    return services.defect_check(defect=defect, by=user, passed=False, reason=data["reason"])


def _reassign(defect: Defect, user: User, data: dict[str, Any]) -> Any:
    return services.defect_reassign(
        defect=defect,
        by=user,
        owner=data.get("owner"),
        department=data.get("department"),
        note=data.get("note") or "",
    )


def _photos(defect: Defect, user: User, data: dict[str, Any]) -> Any:
    return services.defect_add_photos(defect=defect, by=user, photos=data.get("photos") or [])


def _comment(defect: Defect, user: User, data: dict[str, Any]) -> Any:
    return services.defect_comment(defect=defect, by=user, note=data["note"])


STEPS: dict[str, Step] = {
    "fix": Step(
        FixForm,
        _fix,
        gettext_lazy("The fix is reported; the other side will check it."),
        gettext_lazy("Report it fixed"),
        gettext_lazy("Report fixed"),
    ),
    "check_pass": Step(
        CheckForm,
        _pass,
        gettext_lazy("The fix is accepted: the defect is closed."),
        gettext_lazy("Accept the fix"),
        gettext_lazy("Accept and close"),
    ),
    "check_fail": Step(
        FailForm,
        _fail,
        gettext_lazy("The fix is not accepted: the defect is open again."),
        gettext_lazy("Do not accept the fix"),
        gettext_lazy("Send it back"),
    ),
    "reassign": Step(
        ReassignForm,
        _reassign,
        gettext_lazy("The defect has a new owner."),
        gettext_lazy("Reassign"),
        gettext_lazy("Reassign"),
    ),
    "add_photos": Step(
        PhotosForm,
        _photos,
        gettext_lazy("The photos are added."),
        gettext_lazy("Add photos as found"),
        gettext_lazy("Add the photos"),
    ),
    "comment": Step(
        CommentForm,
        _comment,
        gettext_lazy("The note is on the timeline."),
        gettext_lazy("Add a note"),
        gettext_lazy("Save the note"),
    ),
}


def _form_of(name: str, defect: Defect, data: Any = None, files: Any = None) -> forms.Form:
    step = STEPS[name]
    kwargs: dict[str, Any] = {"prefix": name}
    if name == "reassign":
        kwargs["defect"] = defect
    return step.form(data, files, **kwargs)


def _render_detail(
    request: HttpRequest,
    defect: Defect,
    *,
    bound: dict[str, forms.Form] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    bound = bound or {}
    actions = defect_actions(user, defect)
    photos = list(defect.photos.all())
    return render(
        request,
        "fieldwork/defects/detail.html",
        {
            "defect": defect,
            "before": [p for p in photos if p.stage == DefectPhoto.Stage.BEFORE],
            "after": [p for p in photos if p.stage == DefectPhoto.Stage.AFTER],
            "events": list(defect.events.all()),
            "steps": [
                (name, STEPS[name], bound.get(name) or _form_of(name, defect)) for name in actions
            ],
            "refusal": refusal,
            "overdue": defect.status == Defect.Status.OPEN and defect.deadline < timezone.now(),
            "may_see_request": defect.workorder_id is not None
            and _may_see_request(user, defect.workorder_id),
        },
        status=status,
    )


def _may_see_request(user: User, pk: int) -> bool:
    try:
        workorder_for(user, pk)
    except OutsideScope:
        return False
    return True


@login_required
@require_GET
@never_cache
def defect_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    return _render_detail(request, selectors.defect_of(user, pk))


@login_required
@require_POST
def defect_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _staff(request)
    if action not in STEPS:
        raise Http404
    defect = selectors.defect_of(user, pk)
    form = _form_of(action, defect, request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, defect, bound={action: form}, status=422)
    try:
        STEPS[action].call(defect, user, form.cleaned_data)
    except REFUSED as error:
        return _render_detail(
            request,
            selectors.defect_of(user, pk),
            bound={action: form},
            refusal=refusal_text(error, form),
            status=status_of(error),
        )
    messages.success(request, str(STEPS[action].done))
    return redirect("fieldwork:defect_detail", pk=pk)


@login_required
@require_GET
def defect_photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    """One photo of a defect, to those who may see the defect; never a public media URL."""
    defect = selectors.defects_for(_staff(request)).filter(pk=pk).first()
    if defect is None:
        raise OutsideScope()
    item = get_object_or_404(DefectPhoto, pk=photo_id, defect_id=defect.pk)
    if not item.image.name:
        raise Http404
    try:
        handle = item.image.storage.open(item.image.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


# From a hazard report or a line-loss alarm -------------------------------------------------


class OriginDefectForm(DefectFields):
    compound = NamedChoice(queryset=Compound.objects.none(), label=gettext_lazy("Compound"))
    field_order = ["compound", "severity", "responsible", "description", "location"]

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["compound"]
        field.queryset = compounds.order_by("name")
        if compounds.count() == 1:
            field.initial = compounds.first()
            field.widget = forms.HiddenInput()


class OriginPatrolForm(PatrolReasonForm):
    compound = NamedChoice(queryset=Compound.objects.none(), label=gettext_lazy("Compound"))
    field_order = ["compound", "reason"]

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["compound"]
        field.queryset = compounds.order_by("name")
        if compounds.count() == 1:
            field.initial = compounds.first()
            field.widget = forms.HiddenInput()


def _hazard_request(user: User, pk: int) -> WorkOrder:
    workorder = workorder_for(user, pk)
    if workorder.category.kind != Category.Kind.HAZARD:
        raise Http404
    if not selectors.may_record_defect(user, workorder.compound_id):
        raise OutsideScope()
    return workorder


def _alarm_area(user: User, code: str) -> tuple[StationArea, QuerySet[Compound]]:
    area = get_object_or_404(station_areas_for(user, Purpose.OVERSEE), code=code)
    compounds = selectors.recordable_compounds(user).filter(pk__in=area.compounds.values("pk"))
    if not compounds.exists():
        raise OutsideScope()
    return area, compounds


def _origin_page(
    request: HttpRequest,
    *,
    kind: str,
    form: forms.Form,
    workorder: WorkOrder | None,
    area: StationArea | None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "fieldwork/defects/from_origin.html",
        {"kind": kind, "form": form, "workorder": workorder, "area": area, "refusal": refusal},
        status=status,
    )


def _open_from(
    request: HttpRequest,
    *,
    kind: str,
    compounds: QuerySet[Compound],
    workorder: WorkOrder | None = None,
    area: StationArea | None = None,
    initial: dict[str, Any],
) -> HttpResponse:
    user = _user(request)
    form: forms.Form
    if kind == "defect":
        form = OriginDefectForm(request.POST or None, compounds=compounds, initial=initial)
    else:
        form = OriginPatrolForm(request.POST or None, compounds=compounds, initial=initial)
    if request.method != "POST":
        return _origin_page(request, kind=kind, form=form, workorder=workorder, area=area)
    if not form.is_valid():
        return _origin_page(
            request, kind=kind, form=form, workorder=workorder, area=area, status=422
        )
    data = form.cleaned_data
    try:
        if kind == "defect":
            defect = services.defect_open(
                compound=data["compound"],
                description=data["description"],
                severity=data["severity"],
                responsible=data["responsible"],
                location=data.get("location") or "",
                building=workorder.household.building
                if workorder is not None and workorder.household is not None
                else None,
                source=Defect.Source.HAZARD if workorder is not None else Defect.Source.LINE_LOSS,
                workorder=workorder,
                station_area=area,
                by=user,
            )
        else:
            patrol = patrol_extra_open(
                compound=data["compound"],
                by=user,
                reason=data["reason"],
                workorder=workorder,
                station_area=area,
            )
    except REFUSED as error:
        return _origin_page(
            request,
            kind=kind,
            form=form,
            workorder=workorder,
            area=area,
            refusal=refusal_text(error, form),
            status=status_of(error),
        )
    if kind == "defect":
        messages.success(request, _("Defect No. %(id)s is open.") % {"id": defect.pk})
        return redirect("fieldwork:defect_detail", pk=defect.pk)
    messages.success(
        request,
        _("An extra patrol is planned for %(day)s.") % {"day": patrol.planned_on.isoformat()},
    )
    return redirect("fieldwork:patrol_detail", pk=patrol.pk)


def _hazard_initial(workorder: WorkOrder) -> dict[str, Any]:
    return {
        "compound": workorder.compound_id,
        "description": workorder.description[:500],
        "severity": Severity.SERIOUS,
        "responsible": Defect.Responsible.PROPERTY,
        "reason": _("Resident's hazard report No. %(id)s: %(text)s")
        % {"id": workorder.pk, "text": workorder.description[:200]},
    }


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def defect_from_request(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Open a defect or an extra patrol from a resident's hazard report, keeping the link."""
    user = _staff(request)
    if kind not in ("defect", "patrol"):
        raise Http404
    workorder = _hazard_request(user, pk)
    compounds = Compound.objects.filter(pk=workorder.compound_id)
    return _open_from(
        request,
        kind=kind,
        compounds=compounds,
        workorder=workorder,
        initial=_hazard_initial(workorder),
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def defect_from_station_area(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    """Open a defect or an extra patrol from a station area's line-loss alarm."""
    user = _staff(request)
    if kind not in ("defect", "patrol"):
        raise Http404
    area, compounds = _alarm_area(user, code)
    text = _("Line-loss alarm of station area %(name)s (%(code)s)") % {
        "name": area.name,
        "code": area.code,
    }
    initial = {
        "description": text,
        "reason": text,
        "severity": Severity.SERIOUS,
        "responsible": Defect.Responsible.UTILITY,
    }
    return _open_from(request, kind=kind, compounds=compounds, area=area, initial=initial)


urlpatterns: list[URLPattern] = [
    path("defects/", defect_list, name="defect_list"),
    path("defects/new/", defect_new, name="defect_new"),
    path("defects/<int:pk>/", defect_detail, name="defect_detail"),
    path("defects/<int:pk>/photos/<int:photo_id>/", defect_photo, name="defect_photo"),
    path("defects/<int:pk>/<slug:action>/", defect_action, name="defect_action"),
    path(
        "defects/from-request/<int:pk>/<slug:kind>/",
        defect_from_request,
        name="defect_from_request",
    ),
    path(
        "defects/from-station-area/<str:code>/<slug:kind>/",
        defect_from_station_area,
        name="defect_from_station_area",
    ),
]
