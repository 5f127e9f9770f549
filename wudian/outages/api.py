"""Outage notices over the API: publish and manage them (staff), list them, and
acknowledge them (residents)."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field

from wudian.accounts.models import User
from wudian.core.api import PageNumbers, Refusal
from wudian.core.errors import BadInput, NotAllowed, OutsideScope
from wudian.grid.scope import own_households
from wudian.outages import services
from wudian.outages.models import Outage
from wudian.outages.policy import (
    OUTAGES,
    check_may_publish,
    parties_of,
    user_may_manage_outages,
)
from wudian.outages.schemas import (
    AcknowledgeIn,
    AcknowledgementOut,
    ChangeIn,
    EstimateIn,
    MyOutageOut,
    OutageCancelIn,
    OutageDetailOut,
    OutageIn,
    OutageOut,
    PostponeIn,
    PublishIn,
    RestoreIn,
)
from wudian.outages.selectors import (
    outage_reach,
    outage_rows,
    outage_scope_compounds,
    outage_scope_households,
    outages_for_resident,
    outages_for_staff,
    outages_visible_to,
)

router = Router(tags=["outages"])

ERRORS: dict[int, Any] = {400: Refusal, 403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _visible(user: User, outage_id: int) -> Outage:
    outage = outages_visible_to(user).filter(pk=outage_id).first()
    if outage is None:
        raise OutsideScope(_("No such outage, or it is outside your scope."))
    return outage


def _row(outage: Outage) -> Outage:
    return outage_rows(Outage.objects.filter(pk=outage.pk)).get()


def _detail(user: User, outage: Outage) -> Outage:
    row = _row(outage)
    row.allowed_actions = OUTAGES.allowed(row, parties_of(user, row))  # type: ignore[attr-defined]
    if not user.is_resident_only:
        row.staff_view = True  # type: ignore[attr-defined]
        row.event_rows = list(row.events.select_related("by"))  # type: ignore[attr-defined]
        row.reach_data = outage_reach(row)  # type: ignore[attr-defined]
    return row


def _act(request: HttpRequest, outage_id: int, action: Callable[..., Outage], **kwargs: Any) -> Any:
    user = _caller(request)
    outage = action(outage=_visible(user, outage_id), by=user, **kwargs)
    return _detail(user, outage)


# Create, preview and list ---------------------------------------------------------------


@router.post(
    "/outages",
    response={201: OutageOut, **ERRORS},
    summary="Publish an outage notice",
)
def outage_create(request: HttpRequest, payload: OutageIn) -> Any:
    """Customer managers (their compounds), supervisors (their districts) and administrators
    publish outages; `draft: true` saves without publishing. A notice shorter than the rule
    allows is refused with 422 naming the rule (`rule` holds its key) unless a supervisor
    gives `override_reason`. An overlapping live outage gives 409."""
    outage = services.outage_create(
        by=_caller(request),
        kind=payload.kind,
        title=payload.title,
        reason=payload.reason,
        start=payload.start,
        end=payload.end,
        station_areas=payload.station_areas,
        compounds=payload.compounds,
        buildings=payload.buildings,
        feeders=payload.feeders,
        household=payload.household,
        estimated_restoration=payload.estimated_restoration,
        override_reason=payload.override_reason,
        publish=not payload.draft,
    )
    return Status(201, _row(outage))


class ScopeIn(Schema):
    station_areas: list[str] = Field(default_factory=list, max_length=500)
    compounds: list[str] = Field(default_factory=list, max_length=500)
    buildings: list[str] = Field(default_factory=list, max_length=2000)
    feeders: list[str] = Field(default_factory=list, max_length=100)


class ScopePreviewOut(Schema):
    households: int
    compounds: list[str]


@router.post(
    "/outages/preview",
    response={200: ScopePreviewOut, 403: Refusal, 422: Refusal},
    summary="How many households a scope reaches",
)
def outage_preview(request: HttpRequest, payload: ScopeIn) -> Any:
    """The count shown before publishing (unknown codes match nothing). A scope reaching a
    compound the caller may not publish for is refused as publishing it would be (403)."""
    user = _caller(request)
    if not user_may_manage_outages(user):
        raise NotAllowed(_("You may not publish outages."))
    reached = outage_scope_compounds(
        station_areas=payload.station_areas,
        compounds=payload.compounds,
        buildings=payload.buildings,
        feeders=payload.feeders,
    )
    check_may_publish(user, set(reached.values_list("pk", flat=True)))
    households = outage_scope_households(
        station_areas=payload.station_areas,
        compounds=payload.compounds,
        buildings=payload.buildings,
        feeders=payload.feeders,
    )
    codes = households.order_by().values_list("building__compound__code", flat=True).distinct()
    return {"households": households.count(), "compounds": sorted(codes)}


class OutageFilters(Schema):
    state: str | None = Field(None, max_length=12, description="draft, published, …")
    kind: str | None = Field(None, max_length=12)


@router.get("/outages", response=list[OutageOut], summary="Outages in my scope")
@paginate(PageNumbers)
def outage_list(request: HttpRequest, filters: Query[OutageFilters]) -> QuerySet[Outage]:
    outages = outages_visible_to(_caller(request))
    if filters.state:
        outages = outages.filter(state=filters.state)
    if filters.kind:
        outages = outages.filter(kind=filters.kind)
    return outage_rows(outages)


@router.get("/me/outages", response=list[MyOutageOut], summary="My upcoming and current outages")
def my_outages(request: HttpRequest) -> list[Outage]:
    """Residents: the live outages affecting their households, with their acknowledgement;
    staff: also the live outages in the compounds they work with."""
    user = _caller(request)
    mine = list(outages_for_resident(user))
    if not user.is_resident_only:
        seen = {outage.pk for outage in mine}
        mine += [
            outage
            for outage in outage_rows(outages_for_staff(user)).order_by("start", "pk")
            if outage.pk not in seen
        ]
        mine.sort(key=lambda outage: (outage.start, outage.pk))
    return mine


@router.get(
    "/outages/{outage_id}",
    response={200: OutageDetailOut, 404: Refusal},
    summary="One outage",
)
def outage_detail(request: HttpRequest, outage_id: int) -> Any:
    """One outage, with `actions`: those of publish, estimate, restore, postpone, change,
    cancel (POST /outages/{id}/actions/<name>) and acknowledge (POST /outages/{id}/acknowledge)
    that the caller may take now. Staff also get its timeline and reach."""
    user = _caller(request)
    return _detail(user, _visible(user, outage_id))


# Lifecycle -------------------------------------------------------------------------------


@router.post(
    "/outages/{outage_id}/actions/publish",
    response={200: OutageDetailOut, **ERRORS},
    summary="Publish a draft",
)
def outage_publish(request: HttpRequest, outage_id: int, payload: PublishIn) -> Any:
    return _act(
        request, outage_id, services.outage_publish, override_reason=payload.override_reason
    )


@router.post(
    "/outages/{outage_id}/actions/postpone",
    response={200: OutageDetailOut, **ERRORS},
    summary="Postpone an outage",
)
def outage_postpone(request: HttpRequest, outage_id: int, payload: PostponeIn) -> Any:
    return _act(
        request,
        outage_id,
        services.outage_postpone,
        start=payload.start,
        end=payload.end,
        note=payload.note,
    )


@router.post(
    "/outages/{outage_id}/actions/change",
    response={200: OutageDetailOut, **ERRORS},
    summary="Change an outage",
)
def outage_change(request: HttpRequest, outage_id: int, payload: ChangeIn) -> Any:
    fields = payload.model_dump(exclude_none=True)
    note = fields.pop("note", "")
    return _act(request, outage_id, services.outage_change, note=note, **fields)


@router.post(
    "/outages/{outage_id}/actions/cancel",
    response={200: OutageDetailOut, **ERRORS},
    summary="Cancel an outage",
)
def outage_cancel(request: HttpRequest, outage_id: int, payload: OutageCancelIn) -> Any:
    return _act(request, outage_id, services.outage_cancel, note=payload.note)


@router.post(
    "/outages/{outage_id}/actions/estimate",
    response={200: OutageDetailOut, **ERRORS},
    summary="Update the estimated restoration",
)
def outage_estimate(request: HttpRequest, outage_id: int, payload: EstimateIn) -> Any:
    return _act(
        request,
        outage_id,
        services.outage_update_estimate,
        estimated_restoration=payload.estimated_restoration,
        note=payload.note,
    )


@router.post(
    "/outages/{outage_id}/actions/restore",
    response={200: OutageDetailOut, **ERRORS},
    summary="Power restored (送电)",
)
def outage_restore(request: HttpRequest, outage_id: int, payload: RestoreIn) -> Any:
    return _act(request, outage_id, services.outage_restore, at=payload.at)


@router.post(
    "/outages/{outage_id}/acknowledge",
    response={200: AcknowledgementOut, **ERRORS},
    summary="Acknowledge an outage (已知悉)",
)
def outage_acknowledge(request: HttpRequest, outage_id: int, payload: AcknowledgeIn) -> Any:
    """A resident confirms they know of the outage, for one of their affected households
    (`household` may be left out when only one is affected)."""
    user = _caller(request)
    outage = _visible(user, outage_id)
    households = own_households(user).filter(affected_by__outage=outage)
    if payload.household:
        households = households.filter(account_no=payload.household)
    candidates = list(households[:2])
    if not candidates:
        raise BadInput(_("This outage does not affect any household of yours."))
    if len(candidates) > 1:
        raise BadInput(_("Several of your households are affected: say which one (household)."))
    row = services.outage_acknowledge(outage=outage, household=candidates[0], by=user)
    return {
        "outage": outage.pk,
        "household": candidates[0].account_no,
        "acknowledged_at": row.acknowledged_at,
    }
