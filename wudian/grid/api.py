from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from wudian.accounts.models import User
from wudian.core.api import PageNumbers, Refusal
from wudian.core.errors import OutsideScope
from wudian.grid.models import Household
from wudian.grid.schemas import HouseholdContactIn, HouseholdOut, MeOut
from wudian.grid.scope import Purpose, assignments_of, households_for
from wudian.grid.selectors import (
    HouseholdView,
    household_views_for,
    households_listed_for,
    households_of_resident_detailed,
)
from wudian.grid.services import household_update_contact

router = Router(tags=["grid"])


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class HouseholdPagination(PageNumbers):
    """Page numbers; each page's households are wrapped for the caller (masking decided in
    one query per page)."""

    def paginate_queryset(
        self, queryset: QuerySet[Household], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page["items"] = household_views_for(_caller(request), list(page["items"]))
        return page


class HouseholdFilters(Schema):
    compound: str | None = Field(None, max_length=32, description="Code of a compound")
    q: str | None = Field(
        None,
        max_length=32,
        description="Part of an account number, or a room number",
    )


def _visible_household(user: User, household_id: int) -> Household:
    household = (
        households_for(user, Purpose.OVERSEE)
        .select_related("building__compound", "station_area")
        .filter(pk=household_id)
        .first()
    )
    if household is None:
        raise OutsideScope(_("No such household, or it is outside your scope."))
    return household


@router.get("/me/households", response=list[HouseholdOut], summary="My households")
def my_households(request: HttpRequest) -> list[HouseholdView]:
    """The caller's own household accounts (as a resident), unmasked."""
    households = households_of_resident_detailed(_caller(request))
    return [HouseholdView(household=household, masked=False) for household in households]


@router.get("/households", response=list[HouseholdOut], summary="Households in my scope")
@paginate(HouseholdPagination)
def household_list(request: HttpRequest, filters: Query[HouseholdFilters]) -> QuerySet[Household]:
    """Households the caller may see; contact data is masked where the caller does not
    serve the household."""
    return households_listed_for(_caller(request), compound=filters.compound, q=filters.q)


@router.get(
    "/households/{household_id}",
    response={200: HouseholdOut, 404: Refusal},
    summary="One household",
)
def household_detail(request: HttpRequest, household_id: int) -> HouseholdView:
    user = _caller(request)
    household = _visible_household(user, household_id)
    return household_views_for(user, [household])[0]


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdOut, 403: Refusal, 404: Refusal, 422: Refusal},
    summary="Change a household's contact details",
)
def household_update(request: HttpRequest, household_id: int, payload: HouseholdContactIn) -> Any:
    """Residents of the household and the compound's customer manager and property staff
    may change the phone number and holder name."""
    user = _caller(request)
    household = household_update_contact(
        household=_visible_household(user, household_id),
        by=user,
        phone=payload.phone,
        holder_name=payload.holder_name,
    )
    return household_views_for(user, [household])[0]


@router.get("/me", response=MeOut, summary="Who am I")
def me(request: HttpRequest) -> dict[str, Any]:
    """The caller, their roles, and what they are assigned to. A superuser may see
    everything, whatever the scope lists."""
    user = _caller(request)
    scope = assignments_of(user)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": str(user),
        "roles": [{"code": role.code, "name": role.display_name} for role in user.roles.all()],
        "is_superuser": user.is_superuser,
        "scope": {
            "compounds": [
                {"code": c.code, "name": c.name, "role": c.role} for c in scope.compounds
            ],
            "communities": scope.communities,
            "districts": scope.districts,
            "households": scope.households,
        },
    }
