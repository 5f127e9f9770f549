"""fieldwork's API: defects (消缺) — the caller's defects (filters, by deadline), one defect
with the actions the caller may take now, recording one, reporting it fixed with the
after-photos (multipart), and the other side's check.

Handlers parse input and call one service; scope comes from the selectors: a defect the
caller may not see answers 404 before anything else is looked at. Refusals are mapped once,
by the root API (wudian.api.on_refusal)."""

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from wudian.accounts.models import Department, User
from wudian.core.api import PageNumbers, Refusal, RowId
from wudian.core.errors import BadInput, NotAllowed, OutsideScope, invalid
from wudian.core.photos import MAX_PHOTO_BYTES, PhotoUpload, photo_from_bytes
from wudian.fieldwork.models import Defect
from wudian.fieldwork.policy.defects import defect_actions
from wudian.fieldwork.selectors import defects as selectors
from wudian.fieldwork.services import defects as services
from wudian.grid.models import Compound

router = Router(tags=["fieldwork"])

ERRORS: dict[int, Any] = {403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}

SeverityCode = Literal["normal", "serious", "critical"]
StatusCode = Literal["open", "fixed", "closed"]
ResponsibleCode = Literal["property", "utility"]


def _caller(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not selectors.works_defects(user):
        raise NotAllowed(_("Defects are for the staff serving the compounds."))
    return user


def _name(user: User | None) -> str:
    return (user.display_name or user.username) if user is not None else ""


# Schemas ----------------------------------------------------------------------------------


class DefectFilters(Schema):
    compound: str | None = Field(None, max_length=32, description="A compound's code")
    building: RowId | None = Field(None, description="A building's id")
    severity: SeverityCode | None = None
    status: StatusCode | None = Field(None, description="Without it, the defects not closed")
    responsible: ResponsibleCode | None = None
    overdue: bool = Field(False, description="Open defects past their deadline only")


class DefectRowOut(Schema):
    id: int
    compound: str
    compound_name: str
    building: str
    location: str
    description: str
    severity: SeverityCode
    status: StatusCode
    responsible: ResponsibleCode
    source: str
    owner: str = Field(description="Who must act now (empty: the department)")
    department: str
    deadline: datetime.datetime
    escalation: int = Field(description="0: the owner; 1: the customer manager; 2: supervisors")
    found_at: datetime.datetime
    url: str

    @staticmethod
    def resolve_compound(obj: Defect) -> str:
        return obj.compound.code

    @staticmethod
    def resolve_compound_name(obj: Defect) -> str:
        return obj.compound.name

    @staticmethod
    def resolve_building(obj: Defect) -> str:
        return obj.building.name if obj.building is not None else ""

    @staticmethod
    def resolve_owner(obj: Defect) -> str:
        return _name(obj.owner)

    @staticmethod
    def resolve_department(obj: Defect) -> str:
        return obj.department.name if obj.department is not None else ""

    @staticmethod
    def resolve_url(obj: Defect) -> str:
        return f"/api/v1/fieldwork/defects/{obj.pk}"


class DefectPhotoOut(Schema):
    id: int
    stage: Literal["before", "after"]
    content_type: str
    size: int
    url: str = Field(description="The photo, to those who may see the defect")


class DefectEventOut(Schema):
    kind: str
    actor: str
    note: str
    at: datetime.datetime


class DefectOut(DefectRowOut):
    fixed_at: datetime.datetime | None
    fixed_by: str
    fix_note: str
    checked_by: str
    closed_at: datetime.datetime | None
    request: int | None = Field(description="The hazard report it was opened from")
    station_area: str = Field(description="The station area whose alarm it came from")
    patrol: int | None
    photos: list[DefectPhotoOut]
    timeline: list[DefectEventOut]
    actions: list[str] = Field(description="What the caller may do now")

    @staticmethod
    def resolve_fixed_by(obj: Defect) -> str:
        return _name(obj.fixed_by)

    @staticmethod
    def resolve_checked_by(obj: Defect) -> str:
        return _name(obj.checked_by)

    @staticmethod
    def resolve_request(obj: Defect) -> int | None:
        return obj.workorder_id

    @staticmethod
    def resolve_station_area(obj: Defect) -> str:
        return obj.station_area.code if obj.station_area is not None else ""

    @staticmethod
    def resolve_patrol(obj: Defect) -> int | None:
        return obj.patrol_id

    @staticmethod
    def resolve_photos(obj: Defect) -> list[dict[str, Any]]:
        return [
            {
                "id": photo.pk,
                "stage": photo.stage,
                "content_type": photo.content_type,
                "size": photo.size,
                "url": f"/defects/{obj.pk}/photos/{photo.pk}/",
            }
            for photo in obj.photos.all()
        ]

    @staticmethod
    def resolve_timeline(obj: Defect) -> list[dict[str, Any]]:
        return [
            {"kind": event.kind, "actor": _name(event.actor), "note": event.note, "at": event.at}
            for event in obj.events.all()
        ]

    @staticmethod
    def resolve_actions(obj: Defect) -> list[str]:
        return list(getattr(obj, "actions", []))


class DefectIn(Schema):
    compound: str = Field(max_length=32, description="The compound's code")
    building: RowId | None = Field(None, description="A building of the compound, by id")
    location: str = Field("", description="Where, in words")
    description: str
    severity: SeverityCode
    responsible: ResponsibleCode
    department: str | None = Field(
        None, max_length=32, description="A utility department's code (utility defects)"
    )


class CheckIn(Schema):
    passed: bool = Field(description="true: the fix is accepted and the defect closes")
    reason: str = Field("", description="Required when the fix is not accepted")


# Handlers ---------------------------------------------------------------------------------


def _detail(user: User, pk: int) -> Defect:
    defect = selectors.defect_of(user, pk)
    defect.actions = defect_actions(user, defect)  # type: ignore[attr-defined]
    return defect


@router.get(
    "/fieldwork/defects",
    response={200: list[DefectRowOut], 403: Refusal},
    summary="Defects",
)
@paginate(PageNumbers)
def defect_list(request: HttpRequest, filters: Query[DefectFilters]) -> Any:
    """The defects the caller may see, the nearest deadline first: those of the compounds
    they serve, of their districts for supervisors, those given to their department."""
    user = _caller(request)
    compound: int | None = None
    if filters.compound:
        # An unknown code matches nothing (0 is no compound's id).
        found = Compound.objects.filter(code=filters.compound).values_list("pk", flat=True)
        compound = found.first() or 0
    return selectors.defect_list(
        user,
        selectors.DefectFilters(
            compound=compound,
            building=filters.building,
            severity=filters.severity or "",
            status=filters.status or "",
            open_only=filters.status is None,
            responsible=filters.responsible or "",
            overdue=filters.overdue,
        ),
    )


@router.get(
    "/fieldwork/defects/{defect_id}",
    response={200: DefectOut, **ERRORS},
    summary="One defect",
)
def defect_get(request: HttpRequest, defect_id: RowId) -> Any:
    """A defect with its photos, its timeline and the actions the caller may take now."""
    user = _caller(request)
    return _detail(user, defect_id)


@router.post("/fieldwork/defects", response={201: DefectOut, **ERRORS}, summary="Record a defect")
def defect_create(request: HttpRequest, payload: DefectIn) -> Any:
    """Staff reaching the compound record a defect found (source: staff); its deadline follows
    from its severity and its owner from its responsible side. Photos as found may be sent
    with the page's form."""
    user = _caller(request)
    compound = Compound.objects.filter(code=payload.compound).first()
    if compound is None:
        raise OutsideScope(_("No such compound, or it is outside your scope."))
    if not selectors.may_record_defect(user, compound.pk):
        raise OutsideScope(_("No such compound, or it is outside your scope."))
    building = None
    if payload.building is not None:
        building = compound.buildings.filter(pk=payload.building).first()
        if building is None:
            raise invalid("building", _("That building is not in this compound."), "building")
    department = None
    if payload.department:
        department = Department.objects.filter(code=payload.department).first()
        if department is None:
            raise invalid("department", _("No such department."), "department")
    defect = services.defect_open(
        compound=compound,
        building=building,
        location=payload.location,
        description=payload.description,
        severity=payload.severity,
        responsible=payload.responsible,
        department=department,
        source=Defect.Source.STAFF,
        by=user,
    )
    return Status(201, _detail(user, defect.pk))


def _photos(uploads: list[UploadedFile]) -> list[PhotoUpload]:
    if len(uploads) > services.MAX_PHOTOS:
        raise invalid(
            "photos",
            _("At most %(n)s photos may be attached.") % {"n": services.MAX_PHOTOS},
            "too_many",
        )
    cleaned: list[PhotoUpload] = []
    problems: list[str] = []
    for upload in uploads:
        if (upload.size or 0) > MAX_PHOTO_BYTES:
            problems.append(
                _("“%(name)s” is %(size)s MB; a photo may be at most %(max)s MB.")
                % {
                    "name": upload.name,
                    "size": f"{(upload.size or 0) / 1024 / 1024:.1f}",
                    "max": MAX_PHOTO_BYTES // 1024 // 1024,
                }
            )
            continue
        try:
            cleaned.append(photo_from_bytes(upload.read(), name=upload.name or "photo"))
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise BadInput({"photos": problems})
    return cleaned


@router.post(
    "/fieldwork/defects/{defect_id}/fix",
    response={200: DefectOut, **ERRORS},
    summary="Report a defect fixed",
)
def defect_fix(
    request: HttpRequest,
    defect_id: RowId,
    note: Form[str] = "",
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """multipart/form-data: `note` (what was done) and one or more files in `photos` (the
    defect fixed: JPEG, PNG or WebP, at most 5 MB each and 6 in all). The responsible side
    reports it; without an after-photo it is refused (422). The other side is told to check."""
    user = _caller(request)
    defect = selectors.defect_of(user, defect_id)
    services.defect_fix(defect=defect, by=user, note=note, photos=_photos(list(photos or [])))
    return _detail(user, defect.pk)


@router.post(
    "/fieldwork/defects/{defect_id}/check",
    response={200: DefectOut, **ERRORS},
    summary="Check a defect's fix",
)
def defect_check(request: HttpRequest, defect_id: RowId, payload: CheckIn) -> Any:
    """The other side checks the fix: passed closes the defect; not passed sends it back to
    open with the reason (required), on its original deadline. Whoever fixed it never checks
    it (403)."""
    user = _caller(request)
    defect = selectors.defect_of(user, defect_id)
    services.defect_check(defect=defect, by=user, passed=payload.passed, reason=payload.reason)
    return _detail(user, defect.pk)
