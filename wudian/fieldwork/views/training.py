"""Pages of training and certificates: the training list, the organiser's form, a training's
page with its attendance sheet (/trainings/…); the certificate registry (/certificates/, CSV
too), recording a certificate for an electrician (/certificates/new/) and a certificate's
scanned copy, served only to those who may see it. Views parse, call one service, render."""

from __future__ import annotations

import csv
import datetime
import mimetypes
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wudian.accounts.models import User
from wudian.core.calendar import china_date
from wudian.core.errors import REFUSED, refusal_text, status_of
from wudian.core.photos import photo_from_bytes
from wudian.fieldwork.models import TrainingAttendance, TrainingSession
from wudian.fieldwork.policy.training import training_actions
from wudian.fieldwork.selectors import training as selectors
from wudian.fieldwork.services import training as services
from wudian.grid.models import District

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _local_datetime(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], widget=DateTimeInput()
    )


def year_bounds(today: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The local calendar year of that day, as aware datetimes [start, end)."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime(today.year, 1, 1, tzinfo=tz)
    return start, datetime.datetime(today.year + 1, 1, 1, tzinfo=tz)


# Certificates ------------------------------------------------------------------------------


class CertificateForm(forms.Form):
    electrician = forms.ModelChoiceField(
        label=gettext_lazy("Electrician"), queryset=User.objects.none()
    )
    number = forms.CharField(label=gettext_lazy("Certificate number"), max_length=40)
    issuer = forms.CharField(label=gettext_lazy("Issued by"), max_length=100, required=False)
    issued_on = forms.DateField(label=gettext_lazy("Issued on"), widget=DateInput())
    expires_on = forms.DateField(label=gettext_lazy("Expires on"), widget=DateInput())
    scan = forms.FileField(
        label=gettext_lazy("Scanned copy (JPEG, PNG or WebP photo)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["electrician"]
        field.queryset = selectors.certificate_electricians(user)
        field.label_from_instance = lambda u: u.display_name or u.username
        field.empty_label = _("Choose")


def _render_certificate_form(
    request: HttpRequest, form: CertificateForm, *, refusal: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "fieldwork/training/certificate_form.html",
        {"form": form, "refusal": refusal},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def certificate_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not selectors.may_record_certificates(user):
        raise PermissionDenied(
            _("Certificates are recorded by supervisors, property office staff and administrators.")
        )
    if request.method != "POST":
        initial = {}
        chosen = request.GET.get("electrician", "")
        if chosen.isdigit():
            initial["electrician"] = selectors.certificate_electrician_for(user, int(chosen)).pk
        return _render_certificate_form(request, CertificateForm(user=user, initial=initial))
    raw = request.POST.get("electrician", "")
    if raw.isdigit():
        # An electrician outside one's compounds is no such electrician: 404, as in the API.
        selectors.certificate_electrician_for(user, int(raw))
    form = CertificateForm(request.POST, request.FILES, user=user)
    if not form.is_valid():
        return _render_certificate_form(request, form, status=422)
    data = form.cleaned_data
    try:
        scan = None
        if data["scan"]:
            scan = photo_from_bytes(data["scan"].read(), name=data["scan"].name)
        certificate = services.certificate_record(
            electrician_id=data["electrician"].pk,
            by=user,
            data=services.CertificateIn(
                number=data["number"],
                issuer=data["issuer"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
            ),
            scan=scan,
        )
    except REFUSED as error:
        return _render_certificate_form(
            request,
            form,
            refusal=refusal_text(error, form, aliases={"photos": "scan"}),
            status=status_of(error),
        )
    messages.success(
        request,
        _("Certificate %(number)s of %(name)s is recorded, valid until %(day)s.")
        % {
            "number": certificate.number,
            "name": data["electrician"].display_name or data["electrician"].username,
            "day": certificate.expires_on.isoformat(),
        },
    )
    return redirect("fieldwork:certificate_registry")


@login_required
@require_GET
@never_cache
def certificate_scan(request: HttpRequest, pk: int) -> FileResponse:
    """The scanned copy: to its holder, staff serving or overseeing a compound the holder
    is an electrician of, and administrators; 404 to anyone else."""
    certificate = selectors.certificate_for(_user(request), pk)
    name = certificate.scan.name or ""
    if not name:
        raise Http404(_("This certificate has no scanned copy."))
    try:
        handle = certificate.scan.storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404(_("This certificate has no scanned copy.")) from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class RegistryFilterForm(forms.Form):
    district = forms.ModelChoiceField(
        label=gettext_lazy("District"), queryset=District.objects.none(), required=False
    )
    company = forms.TypedChoiceField(
        label=gettext_lazy("Property company"), coerce=int, required=False, empty_value=None
    )
    standing = forms.ChoiceField(label=gettext_lazy("Standing"), required=False)
    q = forms.CharField(label=gettext_lazy("Name"), max_length=40, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district: Any = self.fields["district"]
        district.queryset = selectors.registry_districts(user)
        district.empty_label = _("All")
        company: Any = self.fields["company"]
        company.choices = [("", _("All")), *selectors.registry_companies(user)]
        standing: Any = self.fields["standing"]
        standing.choices = [
            ("", _("All")),
            *[
                (code, selectors.standing_label(code))
                for code in (
                    selectors.Standing.VALID,
                    selectors.Standing.EXPIRING,
                    selectors.Standing.EXPIRED,
                    selectors.Standing.NONE,
                )
            ],
        ]


def _phone(user: User) -> str:
    # An electrician's work phone is a staff contact: the compound window shows it in full.
    return user.phone or ""


@login_required
@require_GET
@never_cache
def certificate_registry(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not selectors.may_read_registry(user):
        raise PermissionDenied(
            _(
                "The certificate registry is for supervisors, property office staff, customer "
                "managers and administrators."
            )
        )
    filters = RegistryFilterForm(request.GET or None, user=user)
    status = 200
    chosen = selectors.RegistryFilters()
    if filters.is_bound:
        if filters.is_valid():
            data = filters.cleaned_data
            chosen = selectors.RegistryFilters(
                district=data["district"],
                company=data["company"],
                standing=data["standing"] or "",
                query=data["q"] or "",
            )
        else:
            status = 400
    today = china_date(timezone.now())
    start, end = year_bounds(today)
    rows = (
        []
        if status == 400
        else selectors.registry_rows(user, on=today, year_start=start, year_end=end, filters=chosen)
    )
    if request.GET.get("format") == "csv" and status == 200:
        return _registry_csv(rows, today)
    counts = {
        code: sum(1 for row in rows if row.standing == code)
        for code in ("valid", "expiring", "expired", "none")
    }
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "filter_query": query.urlencode(),
        "counts": counts,
        "total": len(rows),
        "year": today.year,
        "may_record": selectors.may_record_certificates(user),
        "today": today,
    }
    return render(request, "fieldwork/training/registry.html", context, status=status)


def _registry_csv(rows: list[selectors.RegistryRow], today: datetime.date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="certificates-{today}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a byte-order mark as Chinese text
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Electrician"),
            _("Phone"),
            _("Property company"),
            _("District"),
            _("Compounds"),
            _("Certificate number"),
            _("Expires on"),
            _("Standing"),
            _("Training hours this year"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.electrician.display_name or row.electrician.username,
                _phone(row.electrician),
                "、".join(row.companies),
                "、".join(row.districts),
                "、".join(c.name for c in row.compounds),
                row.certificate.number if row.certificate else "",
                row.certificate.expires_on.isoformat() if row.certificate else "",
                row.standing_text,
                f"{row.hours}",
            ]
        )
    return response


# Trainings ---------------------------------------------------------------------------------


class TrainingForm(forms.Form):
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=120)
    trainer = forms.CharField(label=gettext_lazy("Trainer"), max_length=60)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=120)
    starts_at = _local_datetime(gettext_lazy("Starts"))
    ends_at = _local_datetime(gettext_lazy("Ends"))
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"), max_digits=4, decimal_places=1, min_value=Decimal("0.1")
    )
    district = forms.ModelChoiceField(
        label=gettext_lazy("For the district"), queryset=District.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["district"]
        field.queryset = selectors.organising_districts(user).order_by("name")
        if user.is_superuser:
            field.empty_label = _("The whole city")
        else:
            field.required = True
            field.empty_label = _("Choose")

    def training_in(self) -> services.TrainingIn:
        data = self.cleaned_data
        return services.TrainingIn(
            topic=data["topic"],
            trainer=data["trainer"],
            place=data["place"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            hours=data["hours"],
            district_id=data["district"].pk if data["district"] else None,
        )


class AttendanceForm(forms.Form):
    electrician = forms.ModelChoiceField(
        label=gettext_lazy("Electrician"), queryset=User.objects.none()
    )
    result = forms.ChoiceField(
        label=gettext_lazy("Assessment"),
        choices=TrainingAttendance.Result.choices,
        initial=TrainingAttendance.Result.PENDING,
    )
    hours = forms.DecimalField(
        label=gettext_lazy("Hours credited"),
        max_digits=4,
        decimal_places=1,
        min_value=Decimal(0),
        required=False,
        help_text=gettext_lazy("Empty: the training's hours once passed or failed, else none."),
    )
    score = forms.IntegerField(
        label=gettext_lazy("Score"), min_value=0, max_value=100, required=False
    )

    def __init__(self, *args: Any, session: TrainingSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["electrician"]
        field.queryset = selectors.attendee_candidates(session)
        field.label_from_instance = lambda u: u.display_name or u.username
        field.empty_label = _("Choose")


@login_required
@require_GET
@never_cache
def training_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not selectors.may_list_trainings(user):
        raise PermissionDenied(
            _("Trainings are for electricians and the staff looking after them.")
        )
    sessions = selectors.trainings_visible_to(user).order_by("-starts_at", "-pk")
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [session.pk for session in page.object_list]
    counts: dict[int, int] = {}
    for session_id in TrainingAttendance.objects.filter(session_id__in=ids).values_list(
        "session_id", flat=True
    ):
        counts[session_id] = counts.get(session_id, 0) + 1
    for session in page.object_list:
        session.attendee_count = counts.get(session.pk, 0)  # type: ignore[attr-defined]
    context = {
        "page": page,
        "filter_query": "",
        "may_organise": selectors.may_organise(user),
        "now": timezone.now(),
    }
    return render(request, "fieldwork/training/training_list.html", context)


def _render_training_form(
    request: HttpRequest,
    form: TrainingForm,
    *,
    session: TrainingSession | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "session": session, "refusal": refusal}
    return render(request, "fieldwork/training/training_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def training_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not selectors.may_organise(user):
        raise PermissionDenied(_("Trainings are organised by supervisors and administrators."))
    if request.method != "POST":
        return _render_training_form(request, TrainingForm(user=user))
    form = TrainingForm(request.POST, user=user)
    if not form.is_valid():
        return _render_training_form(request, form, status=422)
    try:
        session = services.training_create(by=user, data=form.training_in())
    except REFUSED as error:
        return _render_training_form(
            request, form, refusal=refusal_text(error, form), status=status_of(error)
        )
    messages.success(request, _("The training is saved. Now add its attendees."))
    return redirect("fieldwork:training_detail", pk=session.pk)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def training_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = selectors.training_for(user, pk)
    if "edit" not in training_actions(user, session):
        raise PermissionDenied(_("Only the training's organisers may change it."))
    if request.method != "POST":
        local = timezone.localtime
        initial = {
            "topic": session.topic,
            "trainer": session.trainer,
            "place": session.place,
            "starts_at": local(session.starts_at),
            "ends_at": local(session.ends_at),
            "hours": session.hours,
            "district": session.district_id,
        }
        return _render_training_form(
            request, TrainingForm(user=user, initial=initial), session=session
        )
    form = TrainingForm(request.POST, user=user)
    if not form.is_valid():
        return _render_training_form(request, form, session=session, status=422)
    try:
        services.training_update(session=session, by=user, data=form.training_in())
    except REFUSED as error:
        return _render_training_form(
            request,
            form,
            session=session,
            refusal=refusal_text(error, form),
            status=status_of(error),
        )
    messages.success(request, _("The training is changed."))
    return redirect("fieldwork:training_detail", pk=session.pk)


def _render_training_detail(
    request: HttpRequest,
    session: TrainingSession,
    *,
    form: AttendanceForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    actions = training_actions(user, session)
    attendances = list(selectors.attendances_of(session))
    reachable = set(
        selectors.electricians_of_compounds(selectors.registry_compounds(user)).values_list(
            "pk", flat=True
        )
    )
    if not (user.is_superuser or selectors.organises(user, session)):
        # Staff see the lines of their own compounds' electricians; an electrician their own.
        attendances = [
            a for a in attendances if a.electrician_id in reachable or a.electrician_id == user.pk
        ]
    context = {
        "session": session,
        "actions": actions,
        "attendances": attendances,
        "form": form
        if form is not None
        else (AttendanceForm(session=session) if "attendance" in actions else None),
        "refusal": refusal,
        "results": TrainingAttendance.Result,
    }
    return render(request, "fieldwork/training/training_detail.html", context, status=status)


@login_required
@require_GET
@never_cache
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.training_for(_user(request), pk)
    return _render_training_detail(request, session)


@login_required
@require_POST
@never_cache
def training_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    session = selectors.training_for(user, pk)
    if "attendance" not in training_actions(user, session):
        raise PermissionDenied(_("Only the training's organisers keep its attendance sheet."))
    remove = request.POST.get("remove", "")
    if remove.isdigit():
        try:
            services.attendance_remove(session=session, by=user, electrician_id=int(remove))
        except REFUSED as error:
            return _render_training_detail(
                request, session, refusal=refusal_text(error), status=status_of(error)
            )
        messages.success(request, _("The attendee is taken off the sheet."))
        return redirect("fieldwork:training_detail", pk=session.pk)
    raw = request.POST.get("electrician", "")
    if raw.isdigit() and not selectors.attendee_candidates(session).filter(pk=int(raw)).exists():
        raise Http404(_("No such electrician among those this training is for."))
    form = AttendanceForm(request.POST, session=session)
    if not form.is_valid():
        return _render_training_detail(request, session, form=form, status=422)
    data = form.cleaned_data
    try:
        services.attendance_record(
            session=session,
            by=user,
            data=services.AttendanceIn(
                electrician_id=data["electrician"].pk,
                result=data["result"],
                hours=data["hours"],
                score=data["score"],
            ),
        )
    except REFUSED as error:
        return _render_training_detail(
            request,
            session,
            form=form,
            refusal=refusal_text(error, form),
            status=status_of(error),
        )
    messages.success(request, _("The attendance sheet is saved."))
    return redirect("fieldwork:training_detail", pk=session.pk)


urlpatterns: list[URLPattern] = [
    path("trainings/", training_list, name="training_list"),
    path("trainings/new/", training_new, name="training_new"),
    path("trainings/<int:pk>/", training_detail, name="training_detail"),
    path("trainings/<int:pk>/edit/", training_edit, name="training_edit"),
    path("trainings/<int:pk>/attendance/", training_attendance, name="training_attendance"),
    path("certificates/", certificate_registry, name="certificate_registry"),
    path("certificates/new/", certificate_new, name="certificate_new"),
    path("certificates/<int:pk>/scan/", certificate_scan, name="certificate_scan"),
]
