"""Resident requests over the API: the categories, filing a request (with photos), the
caller's requests, one request with its timeline, and every step of its life as an action.

Handlers parse input and call one service; scope comes from the selectors: a request the
caller may not see answers 404 before anything else is looked at. Refusals are mapped once,
by the root API (wudian.api.on_refusal)."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field

from wudian.accounts.models import Department, User
from wudian.audit.services import special_group_reads_record
from wudian.billing.services.usage import UsageAnalysis
from wudian.core.api import PageNumbers, Refusal
from wudian.core.errors import BadInput, NotAllowed, OutsideScope, field_errors, invalid
from wudian.core.photos import MAX_PHOTO_BYTES, PhotoUpload, photo_from_bytes
from wudian.grid import scope
from wudian.grid.models import Household
from wudian.grid.scope import Purpose, own_households, reaches_compound, reaches_household
from wudian.grid.selectors import household_views_for
from wudian.workorders import selectors, services
from wudian.workorders.models import Category, Channel, UsageReport, WorkOrder, WorkOrderPhoto
from wudian.workorders.policy import POLICY, actions_for, is_requester, usage_actions_for
from wudian.workorders.schemas import (
    CategoryOut,
    EscalateIn,
    NoteIn,
    OptionalNoteIn,
    PhotoOut,
    RateIn,
    ReasonIn,
    StatusCode,
    TransferIn,
    UsageIn,
    UsageReportOut,
    WorkOrderCancelIn,
    WorkOrderDetailOut,
    WorkOrderIn,
    WorkOrderOut,
    WorkOrderRowOut,
)
from wudian.workorders.selectors import Viewer, viewer_of

router = Router(tags=["requests"])

ERRORS: dict[int, Any] = {403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}

# The actions the API takes by name (add_photos has its own endpoint).
ACTIONS = tuple(name for name in POLICY.actions if name != "add_photos")


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _detail(user: User, workorder: WorkOrder) -> WorkOrder:
    """The request with what the detail schema reads set on it."""
    wo = WorkOrder.objects.select_related(
        "category", "compound", "household__building__compound", "assignee", "owner", "department"
    ).get(pk=workorder.pk)
    viewer = viewer_of(user)
    events = selectors.timeline_of(wo, viewer)
    photos = list(wo.photos.all())
    for photo in photos:
        photo.url = reverse(  # type: ignore[attr-defined]
            "api:workorder_photo", kwargs={"workorder_id": wo.pk, "photo_id": photo.pk}
        )
    view = household_views_for(user, [wo.household])[0] if wo.household else None
    if view is not None:
        serves = not view.masked
    else:
        serves = reaches_compound(user, Purpose.SERVE, wo.compound_id)
    if viewer == Viewer.STAFF and wo.priority and wo.household is not None:
        special_group_reads_record(viewer=user, households=[wo.household])
    wo.staff_view = viewer == Viewer.STAFF  # type: ignore[attr-defined]
    wo.household_view = view  # type: ignore[attr-defined]
    wo.serves = serves  # type: ignore[attr-defined]
    wo.timeline_rows = list(events)  # type: ignore[attr-defined]
    wo.photo_rows = photos  # type: ignore[attr-defined]
    wo.action_names = actions_for(user, wo) + usage_actions_for(user, wo)  # type: ignore[attr-defined]
    return wo


def _act(
    request: HttpRequest, workorder_id: int, action: Callable[..., WorkOrder], **kwargs: Any
) -> Any:
    user = _caller(request)
    workorder = action(workorder=selectors.workorder_for(user, workorder_id), by=user, **kwargs)
    return _detail(user, workorder)


# Categories and filing -------------------------------------------------------------------


@router.get(
    "/workorders/categories",
    response=list[CategoryOut],
    summary="Request categories I may file",
)
def category_list(request: HttpRequest) -> QuerySet[Category]:
    """Each category with its routing and its service clocks (in minutes or working days
    on China's official calendar); a business application lists the documents it needs."""
    return selectors.categories_open_to(_caller(request))


@router.post(
    "/workorders",
    response={201: WorkOrderOut, **ERRORS},
    summary="File a request",
)
def workorder_file(request: HttpRequest, payload: WorkOrderIn) -> Any:
    """A resident files about one of their households; staff file for a household they
    serve (with the channel the resident used). The request is routed at once: the answer
    says whose hands it is in and when each clock is due. Photos are added afterwards with
    POST /workorders/{id}/photos."""
    user = _caller(request)
    category = services.category_for_intake(payload.category, by=user)
    staff = not user.is_resident_only
    # By key: the households' own order (by compound, building and room) would only cost.
    households = (
        Household.objects.select_related("building__compound")
        .filter(pk=payload.household_id)
        .order_by()
    )
    if staff:
        household = households.first()
        if household is None:
            raise OutsideScope(_("No such household."))
        if not reaches_household(user, Purpose.SERVE, household.pk):
            raise NotAllowed(_("You do not serve this household."))
        channel = payload.channel or Channel.API
    else:
        # A resident's filing is the hot path: one query finds the household if it is theirs.
        household = (
            own_households(user)
            .select_related("building__compound")
            .filter(pk=payload.household_id)
            .order_by()
            .first()
        )
        if household is None:
            if households.exists():
                raise NotAllowed(_("This household is not one of yours."))
            raise OutsideScope(_("No such household."))
        channel = Channel.API
    workorder = services.workorder_create(
        category=category,
        description=payload.description,
        channel=channel,
        by=user,
        household=household,
        contact_name=payload.contact_name if staff else "",
        contact_phone=payload.contact_phone if staff else "",
    )
    return Status(201, workorder)


# Photos ----------------------------------------------------------------------------------


def _photo_too_large(upload: UploadedFile) -> BadInput:
    # The same words photo_from_bytes uses, without reading an oversize upload into memory.
    return BadInput(
        {
            "photos": _("“%(name)s” is %(size)s MB; a photo may be at most %(max)s MB.")
            % {
                "name": upload.name,
                "size": f"{(upload.size or 0) / 1024 / 1024:.1f}",
                "max": MAX_PHOTO_BYTES // 1024 // 1024,
            }
        },
        code="too_large",
    )


@router.post(
    "/workorders/{workorder_id}/photos",
    response={201: list[PhotoOut], **ERRORS},
    summary="Add photos to a request",
)
def workorder_photos_add(
    request: HttpRequest,
    workorder_id: int,
    photo: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """multipart/form-data with one or more files in the field `photo`: JPEG, PNG or WebP,
    at most 5 MB each and 6 per request in all. The resident who filed it or the member of
    staff holding it may add photos while the request is open. Photos are re-encoded, so
    no metadata (such as a phone's GPS position) is kept. One bad file: none is saved."""
    user = _caller(request)
    workorder = selectors.workorder_for(user, workorder_id)
    uploads = list(photo or [])
    if not uploads:
        raise invalid("photo", _("Attach at least one photo in the field “photo”."), "required")
    if len(uploads) > services.MAX_PHOTOS:
        raise invalid(
            "photo",
            _("At most %(n)s photos may be attached.") % {"n": services.MAX_PHOTOS},
            "too_many",
        )
    cleaned: list[PhotoUpload] = []
    problems: list[str] = []
    for upload in uploads:
        try:
            if (upload.size or 0) > MAX_PHOTO_BYTES:
                raise _photo_too_large(upload)
            cleaned.append(photo_from_bytes(upload.read(), name=upload.name or "photo"))
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise BadInput({"photo": problems})
    services.workorder_add_photos(workorder=workorder, by=user, photos=cleaned)
    return Status(201, _detail(user, workorder).photo_rows)  # type: ignore[attr-defined]


@router.get(
    "/workorders/{workorder_id}/photos/{photo_id}",
    response={404: Refusal},
    summary="One photo of a request",
    url_name="workorder_photo",
    openapi_extra={
        "responses": {
            200: {
                "description": "The image",
                "content": {
                    kind: {"schema": {"type": "string", "format": "binary"}}
                    for kind in ("image/jpeg", "image/png", "image/webp")
                },
            }
        }
    },
)
def workorder_photo(request: HttpRequest, workorder_id: int, photo_id: int) -> FileResponse:
    """The image bytes, for those who may see the request."""
    workorder = selectors.workorder_for(_caller(request), workorder_id)
    item = WorkOrderPhoto.objects.filter(workorder=workorder, pk=photo_id).first()
    if item is None:
        raise OutsideScope(_("No such photo."))
    try:
        handle = item.image.open("rb")
    except OSError:
        raise OutsideScope(_("No such photo.")) from None
    response = FileResponse(handle, content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = f'inline; filename="{item.digest[:16]}"'
    return response


# A metering dispute's usage analyses ------------------------------------------------------


def _usage_out(user: User, report: UsageReport) -> UsageReport:
    """The analysis with what UsageReportOut reads set on it: its PDF for the caller (the
    resident's or the desk's) and its advice in the caller's language."""
    name = "workorders:my_usage_pdf" if user.is_resident_only else "workorders:desk_usage_pdf"
    report.pdf = reverse(name, args=[report.workorder_id, report.pk])  # type: ignore[attr-defined]
    analysis = UsageAnalysis.from_json(report.data)
    report.advice_text = [item.text for item in analysis.advice]  # type: ignore[attr-defined]
    return report


def _usage_workorder(user: User, workorder_id: int) -> WorkOrder:
    """A request the caller may see; a resident reads the analyses of their own requests."""
    workorder = selectors.workorder_for(user, workorder_id)
    if user.is_resident_only and not is_requester(user, workorder):
        raise OutsideScope(_("No such request, or it is outside your scope."))
    return workorder


@router.post(
    "/workorders/{workorder_id}/usage",
    response={201: UsageReportOut, **ERRORS},
    summary="Attach a usage analysis to a metering dispute",
)
def workorder_usage_attach(request: HttpRequest, workorder_id: int, payload: UsageIn) -> Any:
    """The staff working a metering dispute (its holder, the compound's customer manager, a
    supervisor) analyse the household's use over `months` months up to `until` and attach it:
    the monthly series with the same months a year before and the median of similar
    households of the compound, the daily series, abnormal jumps, runs of zero use and advice.
    The resident is told and reads it on the request."""
    user = _caller(request)
    report = services.workorder_attach_usage(
        workorder=selectors.workorder_for(user, workorder_id),
        by=user,
        until=payload.until,
        months=payload.months,
    )
    return Status(201, _usage_out(user, report))


@router.get(
    "/workorders/{workorder_id}/usage",
    response={200: list[UsageReportOut], 404: Refusal},
    summary="The usage analyses of a request",
)
def workorder_usage_list(request: HttpRequest, workorder_id: int) -> Any:
    """Oldest first; empty for a request that is not a metering dispute."""
    user = _caller(request)
    workorder = _usage_workorder(user, workorder_id)
    return [_usage_out(user, report) for report in selectors.usage_reports_of(workorder)]


# Lists and detail ------------------------------------------------------------------------


class WorkOrderFilters(Schema):
    status: StatusCode | None = None
    category: str | None = Field(None, max_length=40, description="Code of a category")
    compound: str | None = Field(None, max_length=32, description="Code of a compound")
    mine: bool = Field(False, description="Only what is in my hands (or my department's)")
    overdue: bool = Field(False, description="Only open requests with a missed deadline")
    due_soon: bool = Field(False, description="Only requests due within the next 4 hours")


API_COUNT_CAP = 10_000


class RequestPages(PageNumbers):
    """Page numbers, with `count` counted no further than API_COUNT_CAP + 1."""

    def _items_count(self, queryset: QuerySet[WorkOrder]) -> int:
        return selectors.count_up_to(queryset, API_COUNT_CAP)

    def paginate_queryset(
        self, queryset: QuerySet[WorkOrder], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        rows = list(page[self.items_attribute])
        page[self.items_attribute] = rows
        user = _caller(request)
        if viewer_of(user) == Viewer.STAFF:
            special_group_reads_record(viewer=user, households=selectors.priority_households(rows))
        return page


@router.get("/workorders", response=list[WorkOrderRowOut], summary="Requests I may see")
@paginate(RequestPages)
def workorder_list(request: HttpRequest, filters: Query[WorkOrderFilters]) -> QuerySet[WorkOrder]:
    """Newest first: a resident's own requests and their households'; for staff, the
    requests of the compounds they work in and whatever was put in their hands. `count` is
    exact up to 10,000; 10,001 means more (the pages go on all the same)."""
    user = _caller(request)
    workorders = selectors.workorders_visible_to(user)
    if filters.status:
        workorders = workorders.filter(status=filters.status)
    if filters.category:
        workorders = workorders.filter(category__code=filters.category)
    if filters.compound:
        workorders = workorders.filter(compound__code=filters.compound)
    if filters.mine:
        workorders = selectors.workorder_queue_of(user, workorders)
    if filters.overdue:
        workorders = selectors.overdue(workorders)
    if filters.due_soon:
        workorders = selectors.due_soon(workorders)
    return selectors.workorder_rows(workorders).order_by("-created_at", "-pk")


@router.get(
    "/workorders/{workorder_id}",
    response={200: WorkOrderDetailOut, 404: Refusal},
    summary="One request with its timeline",
)
def workorder_detail(request: HttpRequest, workorder_id: int) -> Any:
    user = _caller(request)
    return _detail(user, selectors.workorder_for(user, workorder_id))


# Actions ---------------------------------------------------------------------------------


def _action(name: str, summary: str) -> Any:
    return router.post(
        f"/workorders/{{workorder_id}}/actions/{name}",
        response={200: WorkOrderDetailOut, **ERRORS},
        summary=summary,
    )


@_action("accept", "Accept a request")
def workorder_accept(request: HttpRequest, workorder_id: int) -> Any:
    """The member of staff holding it (or a member of the department holding it, or the
    compound's customer manager) accepts; the first to accept stays first responsible.
    Fault repairs need a valid electrician certificate."""
    return _act(request, workorder_id, services.workorder_accept)


@_action("arrive", "Arrived on site")
def workorder_arrive(request: HttpRequest, workorder_id: int, payload: OptionalNoteIn) -> Any:
    return _act(request, workorder_id, services.workorder_arrive, note=payload.note)


@_action("resolve", "Resolve a request")
def workorder_resolve(request: HttpRequest, workorder_id: int, payload: NoteIn) -> Any:
    """`note` says what was done; the resident then confirms, reopens or rates."""
    return _act(request, workorder_id, services.workorder_resolve, note=payload.note)


@_action("escalate", "Escalate a request")
def workorder_escalate(request: HttpRequest, workorder_id: int, payload: EscalateIn) -> Any:
    """An electrician passes a fault they cannot fix up to the customer manager; the
    customer manager passes a request to a department (`department`: its code)."""
    department = None
    if payload.department:
        department = Department.objects.filter(code=payload.department).first()
        if department is None:
            selectors.workorder_for(_caller(request), workorder_id)
            raise invalid(
                "department",
                _("No department “%(code)s”.") % {"code": payload.department},
                "unknown",
            )
    return _act(
        request,
        workorder_id,
        services.workorder_escalate,
        reason=payload.reason,
        department=department,
    )


@_action("transfer", "Transfer a request")
def workorder_transfer(request: HttpRequest, workorder_id: int, payload: TransferIn) -> Any:
    """Pass it sideways: `to` is the username of a member of staff serving the compound
    (an electrician only for behind-the-meter work and with a valid certificate) or the
    code of a department of the district."""
    user = _caller(request)
    workorder = selectors.workorder_for(user, workorder_id)
    # Only the staff serving the compound are looked up by username: a refusal must not tell
    # who stands behind any other username.
    to_user = scope.people_serving([workorder.compound_id]).filter(username=payload.to).first()
    department = None if to_user else Department.objects.filter(code=payload.to).first()
    try:
        workorder = services.workorder_transfer(
            workorder=workorder,
            by=user,
            reason=payload.reason,
            to_user=to_user,
            department=department,
        )
    except BadInput as exc:
        if to_user is None and department is None and "to" in field_errors(exc):
            # With neither a person nor a department, the only complaint about `to` is that
            # it names no one; said only to those allowed to pass it on, whom the policy
            # checks first.
            raise invalid(
                "to",
                _("“%(name)s” is neither a member of staff nor a department.")
                % {"name": payload.to},
                "unknown",
            ) from None
        raise
    return _detail(user, workorder)


@_action("reopen", "Reopen a resolved request")
def workorder_reopen(request: HttpRequest, workorder_id: int, payload: ReasonIn) -> Any:
    return _act(request, workorder_id, services.workorder_reopen, reason=payload.reason)


@_action("cancel", "Cancel a request")
def workorder_cancel(request: HttpRequest, workorder_id: int, payload: WorkOrderCancelIn) -> Any:
    """The resident who filed it withdraws it, or the customer manager cancels it with a
    reason."""
    return _act(request, workorder_id, services.workorder_cancel, reason=payload.reason)


@_action("rate", "Rate a request")
def workorder_rate(request: HttpRequest, workorder_id: int, payload: RateIn) -> Any:
    """1 to 5, a comment, and whether you had to go to the service hall; rating a resolved
    request also confirms it."""
    return _act(
        request,
        workorder_id,
        services.workorder_rate,
        rating=payload.rating,
        comment=payload.comment,
        visited_hall=payload.visited_hall,
    )


@_action("confirm", "Confirm a resolved request")
def workorder_confirm(request: HttpRequest, workorder_id: int) -> Any:
    return _act(request, workorder_id, services.workorder_confirm)


@_action("wait", "Wait for the resident")
def workorder_wait(request: HttpRequest, workorder_id: int, payload: NoteIn) -> Any:
    """Ask the resident for something (`note`); the clocks pause until it is resumed."""
    return _act(request, workorder_id, services.workorder_wait, note=payload.note)


@_action("resume", "Resume after waiting")
def workorder_resume(request: HttpRequest, workorder_id: int, payload: OptionalNoteIn) -> Any:
    return _act(request, workorder_id, services.workorder_resume, note=payload.note)


@_action("comment", "Comment on a request")
def workorder_comment(request: HttpRequest, workorder_id: int, payload: NoteIn) -> Any:
    return _act(request, workorder_id, services.workorder_comment, note=payload.note)


@router.post(
    "/workorders/{workorder_id}/actions/{action}",
    response={404: Refusal},
    summary="Unknown action",
    include_in_schema=False,
)
def workorder_unknown_action(request: HttpRequest, workorder_id: int, action: str) -> Any:
    selectors.workorder_for(_caller(request), workorder_id)
    raise OutsideScope(
        _("Unknown action “%(action)s”. The actions are: %(actions)s.")
        % {"action": action[:40], "actions": ", ".join(ACTIONS)}
    )
