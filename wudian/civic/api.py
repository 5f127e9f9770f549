"""Civic work over the API: door-to-door visits (list, record, read) and turning a visit's
appeal into a request; volunteer activities (list, read), signing up and giving a place back.

Handlers parse input and call one service; scope comes from the selectors: what the caller
may not see answers 404 before anything else is looked at. Refusals are mapped once, by the
root API (wudian.api.on_refusal)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from wudian.accounts.models import User
from wudian.civic import selectors, services
from wudian.civic.models import Activity, SignUp, Visit
from wudian.civic.policy import activity_actions
from wudian.civic.schemas import (
    ActivityFilters,
    ActivityOut,
    ActivityRowOut,
    AppealOut,
    AppealRequestIn,
    SignUpOut,
    VisitFilters,
    VisitIn,
    VisitOut,
    VisitRowOut,
)
from wudian.core.api import PageNumbers, Refusal
from wudian.core.errors import NotAllowed, OutsideScope, invalid
from wudian.grid.models import Compound, Household
from wudian.grid.selectors import household_views_for
from wudian.workorders.services import category_for_intake

router = Router(tags=["civic"])

ERRORS: dict[int, Any] = {403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


def _reader(request: HttpRequest) -> User:
    user = _caller(request)
    if not selectors.may_read_visits(user):
        raise NotAllowed(
            _("Door-to-door visits are for grid administrators, customer managers and supervisors.")
        )
    return user


def _visit_out(user: User, pk: int) -> Visit:
    visit = selectors.visit_for(user, pk)
    view = household_views_for(user, [visit.household])[0] if visit.household else None
    visit.household_view = view  # type: ignore[attr-defined]
    return visit


# Visits -----------------------------------------------------------------------------------


@router.get(
    "/civic/visits", response={200: list[VisitRowOut], 403: Refusal}, summary="Door-to-door visits"
)
@paginate(PageNumbers)
def visit_list(request: HttpRequest, filters: Query[VisitFilters]) -> QuerySet[Visit]:
    """The visits of the compounds the caller does civic work in (or oversees, for a
    supervisor), newest first."""
    user = _reader(request)
    visits = selectors.visits_visible_to(user)
    if filters.community:
        visits = visits.filter(compound__community__code=filters.community)
    if filters.compound:
        visits = visits.filter(compound__code=filters.compound)
    if filters.since:
        visits = visits.filter(visited_on__gte=filters.since)
    if filters.until:
        visits = visits.filter(visited_on__lte=filters.until)
    return selectors.visit_rows(visits)


@router.post("/civic/visits", response={201: VisitOut, **ERRORS}, summary="Record a visit")
def visit_create(request: HttpRequest, payload: VisitIn) -> Any:
    """A grid administrator (or a customer manager) records a door-to-door visit in one of
    their compounds, with the appeals raised."""
    user = _caller(request)
    compound = Compound.objects.filter(code=payload.compound).first()
    if compound is None:
        raise OutsideScope(_("No such compound, or it is outside your scope."))
    household = None
    if payload.household_id is not None:
        household = (
            Household.objects.select_related("building__compound")
            .filter(pk=payload.household_id, building__compound=compound)
            .first()
        )
        if household is None:
            raise invalid("household_id", _("No such household in this compound."), "unknown")
    building = None
    if payload.building.strip():
        building = compound.buildings.filter(name=payload.building.strip()).first() or (
            compound.buildings.filter(code__iexact=payload.building.strip()).first()
        )
        if building is None:
            raise invalid("building", _("No such building in this compound."), "unknown")
    companions = list(User.objects.filter(username__in=payload.companions))
    if len(companions) != len(set(payload.companions)):
        raise invalid("companions", _("Some of the companions are unknown."), "unknown")
    visit = services.visit_record(
        by=user,
        compound=compound,
        visited_on=payload.visited_on,
        people_met=payload.people_met,
        summary=payload.summary,
        appeals=[services.AppealIn(text=a.text, kind=a.kind) for a in payload.appeals],
        building=building,
        household=household,
        companions=companions,
    )
    return Status(201, _visit_out(user, visit.pk))


@router.get("/civic/visits/{visit_id}", response={200: VisitOut, **ERRORS}, summary="One visit")
def visit_get(request: HttpRequest, visit_id: int) -> Any:
    return _visit_out(_reader(request), visit_id)


@router.post(
    "/civic/appeals/{appeal_id}/request",
    response={200: AppealOut, **ERRORS},
    summary="Turn an appeal into a request",
)
def appeal_request(request: HttpRequest, appeal_id: int, payload: AppealRequestIn) -> Any:
    """An electricity appeal becomes a resident request of the category chosen (channel
    "visit"); the answer carries the request's number and state."""
    user = _reader(request)
    appeal = selectors.appeal_for(user, appeal_id)
    category = category_for_intake(payload.category, by=user)
    return services.appeal_to_request(
        appeal=appeal, by=user, category=category, description=payload.description
    )


# Activities -------------------------------------------------------------------------------


class ActivityPages(PageNumbers):
    """Pages of activities, each row told whether the caller holds a place (one query)."""

    def paginate_queryset(
        self, queryset: QuerySet[Activity], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        rows = list(page[self.items_attribute])
        signed = set(
            SignUp.objects.filter(
                user=_caller(request),
                status=SignUp.Status.SIGNED_UP,
                activity__in=[row.pk for row in rows],
            ).values_list("activity_id", flat=True)
        )
        for row in rows:
            row.signed_up = row.pk in signed
        page[self.items_attribute] = rows
        return page


@router.get("/civic/activities", response=list[ActivityRowOut], summary="Volunteer activities")
@paginate(ActivityPages)
def activity_list(request: HttpRequest, filters: Query[ActivityFilters]) -> QuerySet[Activity]:
    """The activities the caller may see (those of their homes' compounds, and of the
    compounds they serve or oversee), the latest first."""
    user = _caller(request)
    activities = selectors.activities_visible_to(user)
    if filters.upcoming:
        activities = activities.filter(ends_at__gt=timezone.now()).exclude(
            state__in=(Activity.State.CANCELLED, Activity.State.DRAFT)
        )
    if filters.mine:
        activities = activities.filter(
            pk__in=SignUp.objects.filter(user=user, status=SignUp.Status.SIGNED_UP).values(
                "activity_id"
            )
        )
    return selectors.activity_rows(activities.select_related("organiser")).order_by(
        "-starts_at", "-pk"
    )


def _activity_out(user: User, pk: int) -> Activity:
    activity = selectors.activity_for(user, pk)
    activity.signed_up = SignUp.objects.filter(  # type: ignore[attr-defined]
        activity=activity, user=user, status=SignUp.Status.SIGNED_UP
    ).exists()
    activity.action_names = activity_actions(user, activity)  # type: ignore[attr-defined]
    return activity


@router.get(
    "/civic/activities/{activity_id}",
    response={200: ActivityOut, **ERRORS},
    summary="One volunteer activity",
)
def activity_get(request: HttpRequest, activity_id: int) -> Any:
    return _activity_out(_caller(request), activity_id)


@router.post(
    "/civic/activities/{activity_id}/signup",
    response={200: SignUpOut, **ERRORS},
    summary="Sign up for an activity",
)
def activity_signup(request: HttpRequest, activity_id: int) -> Any:
    """Take a place: refused (409) when the activity is full, past its deadline or not open;
    (403) to anyone neither living in nor serving one of its compounds."""
    user = _caller(request)
    return services.activity_signup(activity=selectors.activity_for(user, activity_id), by=user)


@router.delete(
    "/civic/activities/{activity_id}/signup",
    response={200: SignUpOut, **ERRORS},
    summary="Give one's place back",
)
def activity_withdraw(request: HttpRequest, activity_id: int) -> Any:
    user = _caller(request)
    return services.activity_withdraw(activity=selectors.activity_for(user, activity_id), by=user)
