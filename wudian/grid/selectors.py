"""Reads of the grid that apply the caller's scope. Every page and endpoint that shows
compounds or households goes through these functions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from wudian.accounts.models import RoleCode, User
from wudian.core.privacy import mask_name, mask_phone, mask_room
from wudian.grid.models import Compound, CompoundAssignment, Household


def compounds_served_by(user: User) -> QuerySet[Compound]:
    """Compounds the user serves: as customer manager, electrician or property staff, or as
    grid administrator of the compound's community. Superusers serve everything."""
    if not user.is_authenticated or not user.is_active:
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    return Compound.objects.filter(
        Q(assignments__user=user) | Q(community__assignments__user=user)
    ).distinct()


def _staff_scope(user: User) -> Q:
    """Compounds a member of staff may see: those they serve, those of their communities,
    and every compound of a district they supervise or whose department they belong to."""
    scope = (
        Q(assignments__user=user)
        | Q(community__assignments__user=user)
        | Q(community__street__district__assignments__user=user)
    )
    if user.department is not None:
        scope |= Q(community__street__district_id=user.department.district_id)
    return scope


def compounds_visible_to(user: User) -> QuerySet[Compound]:
    """The compounds the user may see: their staff scope and the compounds of their homes."""
    if not user.is_authenticated or not user.is_active:
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    return Compound.objects.filter(
        _staff_scope(user) | Q(buildings__households__memberships__user=user)
    ).distinct()


def households_served_by(user: User) -> QuerySet[Household]:
    return Household.objects.filter(building__compound__in=compounds_served_by(user))


def households_visible_to(user: User) -> QuerySet[Household]:
    """Households the user may open: their own, and those of compounds in their staff scope
    (contact data masked where they do not serve it, see household_views_for)."""
    if not user.is_authenticated or not user.is_active:
        return Household.objects.none()
    if user.is_superuser:
        return Household.objects.all()
    staff_compounds = Compound.objects.filter(_staff_scope(user))
    return Household.objects.filter(
        Q(memberships__user=user) | Q(building__compound__in=staff_compounds)
    ).distinct()


def households_of_resident(user: User) -> QuerySet[Household]:
    return Household.objects.filter(memberships__user=user)


def households_editable_by(user: User) -> QuerySet[Household]:
    """Who may change a household's contact details: the residents of the household and the
    customer manager and property staff of its compound."""
    if not user.is_authenticated or not user.is_active:
        return Household.objects.none()
    if user.is_superuser:
        return Household.objects.all()
    return Household.objects.filter(
        Q(memberships__user=user)
        | Q(
            building__compound__assignments__user=user,
            building__compound__assignments__role__in=[
                RoleCode.CUSTOMER_MANAGER,
                RoleCode.PROPERTY_STAFF,
            ],
        )
    ).distinct()


def user_serves_household(user: User, household: Household) -> bool:
    if user.is_superuser:
        return True
    return (
        households_of_resident(user).filter(pk=household.pk).exists()
        or compounds_served_by(user).filter(pk=household.building.compound_id).exists()
    )


@dataclass(frozen=True)
class HouseholdView:
    """A household as one viewer may see it: contact data is masked for anyone who does not
    serve the household."""

    household: Household
    masked: bool

    @property
    def phone(self) -> str:
        return mask_phone(self.household.phone) if self.masked else self.household.phone

    @property
    def holder_name(self) -> str:
        name = self.household.holder_name
        return mask_name(name) if self.masked else name

    @property
    def address(self) -> str:
        if not self.masked:
            return self.household.address
        building = self.household.building
        return f"{building.compound.address} {building.compound.name} {building.name} " + (
            mask_room(self.household.unit + self.household.room)
        )


def household_views_for(user: User, households: list[Household]) -> list[HouseholdView]:
    """Wrap households for display; one query decides which of them the user serves."""
    if user.is_superuser:
        served: set[int] = {h.pk for h in households}
    else:
        ids = [h.pk for h in households]
        served = set(
            Household.objects.filter(pk__in=ids)
            .filter(Q(memberships__user=user) | Q(building__compound__in=compounds_served_by(user)))
            .values_list("pk", flat=True)
        )
    return [HouseholdView(household=h, masked=h.pk not in served) for h in households]


def customer_manager_of(compound: Compound) -> User | None:
    assignment = (
        CompoundAssignment.objects.select_related("user")
        .filter(compound=compound, role=RoleCode.CUSTOMER_MANAGER)
        .first()
    )
    return assignment.user if assignment else None
