"""Training and certificates over the API: the certificate registry and recording a
certificate; training sessions (list, read, organise) and their attendance sheet.

Handlers parse input and call one service; scope comes from the selectors (404 outside it).
Refusals are mapped once, by the root API (wudian.api.on_refusal). A scanned copy is added on
the page (multipart), not here."""

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from wudian.accounts.models import User
from wudian.core.api import PageNumbers, Refusal, RowId
from wudian.core.calendar import china_date
from wudian.core.errors import NotAllowed
from wudian.fieldwork.models import TrainingAttendance, TrainingSession
from wudian.fieldwork.policy.training import state_of, training_actions
from wudian.fieldwork.selectors import training as selectors
from wudian.fieldwork.services import training as services
from wudian.grid.models import District

router = Router(tags=["fieldwork"])

ERRORS: dict[int, Any] = {403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}

StandingCode = Literal["valid", "expiring", "expired", "none"]
ResultCode = Literal["passed", "failed", "absent", "pending"]


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _name(user: User) -> str:
    return user.display_name or user.username


# Certificates ------------------------------------------------------------------------------


class RegistryQuery(Schema):
    district: str | None = Field(None, max_length=32, description="A district's code")
    company: RowId | None = Field(None, description="A property company's id")
    standing: StandingCode | None = Field(None, description="Only electricians in this standing")


class CertificateOut(Schema):
    id: int
    kind: str
    number: str
    issuer: str
    issued_on: datetime.date
    expires_on: datetime.date
    has_scan: bool


class RegistryRowOut(Schema):
    electrician_id: int
    username: str
    name: str
    phone: str
    compounds: list[str] = Field(description="Codes of the compounds they serve as electrician")
    companies: list[str]
    districts: list[str]
    standing: StandingCode
    certificate: CertificateOut | None
    training_hours: Decimal = Field(description="Hours credited by trainings this year")


def _certificate_out(certificate: Any) -> dict[str, Any] | None:
    if certificate is None:
        return None
    return {
        "id": certificate.pk,
        "kind": certificate.kind,
        "number": certificate.number,
        "issuer": certificate.issuer,
        "issued_on": certificate.issued_on,
        "expires_on": certificate.expires_on,
        "has_scan": bool(certificate.scan),
    }


def _year() -> tuple[datetime.date, datetime.datetime, datetime.datetime]:
    today = china_date(timezone.now())
    tz = timezone.get_current_timezone()
    return (
        today,
        datetime.datetime(today.year, 1, 1, tzinfo=tz),
        datetime.datetime(today.year + 1, 1, 1, tzinfo=tz),
    )


@router.get(
    "/fieldwork/certificates",
    response={200: list[RegistryRowOut], 403: Refusal},
    summary="The certificate registry",
)
@paginate(PageNumbers)
def certificate_registry(request: HttpRequest, filters: Query[RegistryQuery]) -> list[Any]:
    """Every electrician of the compounds within the caller's reach (supervisors: their
    districts; property staff and customer managers: their compounds; administrators: all),
    with their current certificate, its standing and this year's training hours."""
    user = _caller(request)
    if not selectors.may_read_registry(user):
        raise NotAllowed(
            _(
                "The certificate registry is for supervisors, property office staff, customer "
                "managers and administrators."
            )
        )
    district = None
    if filters.district:
        district = selectors.registry_districts(user).filter(code=filters.district).first()
        if district is None:
            return []
    today, start, end = _year()
    rows = selectors.registry_rows(
        user,
        on=today,
        year_start=start,
        year_end=end,
        filters=selectors.RegistryFilters(
            district=district, company=filters.company, standing=filters.standing or ""
        ),
    )
    return [
        {
            "electrician_id": row.electrician.pk,
            "username": row.electrician.username,
            "name": _name(row.electrician),
            "phone": row.electrician.phone or "",
            "compounds": [compound.code for compound in row.compounds],
            "companies": row.companies,
            "districts": row.districts,
            "standing": row.standing,
            "certificate": _certificate_out(row.certificate),
            "training_hours": row.hours,
        }
        for row in rows
    ]


class CertificateIn(Schema):
    electrician_id: RowId
    number: str = Field(max_length=200)
    issuer: str = Field("", max_length=400)
    issued_on: datetime.date
    expires_on: datetime.date


@router.post(
    "/fieldwork/certificates",
    response={201: CertificateOut, **ERRORS},
    summary="Record a certificate",
)
def certificate_record(request: HttpRequest, payload: CertificateIn) -> Any:
    """Record an electrician's certificate, new or renewed: by supervisors for their
    districts' electricians, property staff for their compounds', administrators for any.
    An expired one, expiry before issue or a number on record already is refused (422)."""
    certificate = services.certificate_record(
        electrician_id=payload.electrician_id,
        by=_caller(request),
        data=services.CertificateIn(
            number=payload.number,
            issuer=payload.issuer,
            issued_on=payload.issued_on,
            expires_on=payload.expires_on,
        ),
    )
    return Status(201, _certificate_out(certificate))


# Trainings ---------------------------------------------------------------------------------


class TrainingRowOut(Schema):
    id: int
    topic: str
    trainer: str
    place: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    hours: Decimal
    district: str | None = Field(description="The district's code; none: the whole city")
    state: Literal["upcoming", "held"]

    @staticmethod
    def resolve_district(obj: TrainingSession) -> str | None:
        return obj.district.code if obj.district else None

    @staticmethod
    def resolve_state(obj: TrainingSession) -> str:
        return state_of(obj)


class AttendanceOut(Schema):
    electrician_id: int
    name: str
    result: ResultCode
    score: int | None
    hours: Decimal


def _attendance_out(line: TrainingAttendance) -> dict[str, Any]:
    return {
        "electrician_id": line.electrician_id,
        "name": _name(line.electrician),
        "result": line.result,
        "score": line.score,
        "hours": line.hours,
    }


def _training_out(user: User, session: TrainingSession) -> TrainingSession:
    lines = list(selectors.attendances_of(session))
    if not (user.is_superuser or selectors.organises(user, session)):
        reachable = set(
            selectors.electricians_of_compounds(selectors.registry_compounds(user)).values_list(
                "pk", flat=True
            )
        )
        lines = [a for a in lines if a.electrician_id in reachable or a.electrician_id == user.pk]
    session.attendances_out = [_attendance_out(line) for line in lines]  # type: ignore[attr-defined]
    session.actions_out = training_actions(user, session)  # type: ignore[attr-defined]
    return session


class TrainingDetailOut(TrainingRowOut):
    attendances: list[AttendanceOut] = Field(alias="attendances_out")
    actions: list[str] = Field(
        alias="actions_out", description="What the caller may do now: edit, attendance"
    )


@router.get(
    "/fieldwork/trainings",
    response={200: list[TrainingRowOut], 403: Refusal},
    summary="Trainings",
)
@paginate(PageNumbers)
def training_list(request: HttpRequest) -> Any:
    """The trainings the caller sees, newest first: organisers theirs, electricians those
    they attend, property staff and customer managers those their electricians attend."""
    user = _caller(request)
    if not selectors.may_list_trainings(user):
        raise NotAllowed(_("Trainings are for electricians and the staff looking after them."))
    return selectors.trainings_visible_to(user).order_by("-starts_at", "-pk")


@router.get(
    "/fieldwork/trainings/{training_id}",
    response={200: TrainingDetailOut, **ERRORS},
    summary="A training",
)
def training_detail(request: HttpRequest, training_id: RowId) -> Any:
    user = _caller(request)
    return _training_out(user, selectors.training_for(user, training_id))


class TrainingIn(Schema):
    topic: str = Field(max_length=400)
    trainer: str = Field(max_length=200)
    place: str = Field(max_length=400)
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    hours: Decimal = Field(max_digits=6, decimal_places=2)
    district: str | None = Field(
        None, max_length=32, description="The district's code; none: the whole city (admins)"
    )


@router.post(
    "/fieldwork/trainings",
    response={201: TrainingDetailOut, **ERRORS},
    summary="Organise a training",
)
def training_create(request: HttpRequest, payload: TrainingIn) -> Any:
    """A supervisor organises a training for one of their districts; an administrator for a
    district or the whole city. An end before the start is refused (422)."""
    user = _caller(request)
    district_id = None
    if payload.district:
        district = District.objects.filter(code=payload.district).first()
        district_id = district.pk if district is not None else 0
    session = services.training_create(
        by=user,
        data=services.TrainingIn(
            topic=payload.topic,
            trainer=payload.trainer,
            place=payload.place,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            hours=payload.hours,
            district_id=district_id,
        ),
    )
    return Status(201, _training_out(user, session))


class AttendanceIn(Schema):
    electrician_id: RowId
    result: ResultCode = "pending"
    hours: Decimal | None = Field(None, max_digits=6, decimal_places=2)
    score: int | None = Field(None, ge=0, le=100)


@router.post(
    "/fieldwork/trainings/{training_id}/attendance",
    response={200: TrainingDetailOut, **ERRORS},
    summary="Record an attendee's line",
)
def training_attendance(request: HttpRequest, training_id: RowId, payload: AttendanceIn) -> Any:
    """Put an electrician of the training's district on its sheet, or change their line: the
    result, the hours credited (the training's by default) and an optional score."""
    user = _caller(request)
    session = selectors.training_for(user, training_id)
    services.attendance_record(
        session=session,
        by=user,
        data=services.AttendanceIn(
            electrician_id=payload.electrician_id,
            result=payload.result,
            hours=payload.hours,
            score=payload.score,
        ),
    )
    session.refresh_from_db()
    return _training_out(user, session)
