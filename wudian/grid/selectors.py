"""Reads of the grid that apply the caller's scope. Every page and endpoint that shows
compounds or households goes through these functions."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.core.privacy import mask_name, mask_phone, mask_room
from wudian.fieldwork.selectors import valid_certificate_holders
from wudian.grid.models import (
    Community,
    Compound,
    CompoundAssignment,
    District,
    DutyShift,
    Household,
)


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


# Pages: search, the public window, the desk ------------------------------------------------

ACCOUNT_NO_RE = re.compile(r"^\d{10,16}$")
COMPOUND_SEARCH_LIMIT = 20
SEARCH_MAX_LENGTH = 50


def search_text_problem(query: str) -> str:
    """Why a search text typed by a user cannot be searched, or "" when it can."""
    if len(query) > SEARCH_MAX_LENGTH:
        return _("Please type at most %(count)d characters.") % {"count": SEARCH_MAX_LENGTH}
    if any(ord(char) < 32 for char in query):
        return _("The search text contains characters that cannot be searched.")
    if query.isdigit() and not ACCOUNT_NO_RE.fullmatch(query):
        return _("An account number has 10 to 16 digits. Please check it and try again.")
    return ""


def compounds_matching(query: str, *, limit: int = COMPOUND_SEARCH_LIMIT) -> list[Compound]:
    """Public search for a compound by part of its name or address, or by an exact account
    number. An account number only ever reveals its compound, never the household."""
    query = query.strip()
    if not query:
        return []
    compounds = Compound.objects.select_related("community")
    if ACCOUNT_NO_RE.fullmatch(query):
        return list(compounds.filter(buildings__households__account_no=query)[:1])
    return list(
        compounds.filter(
            Q(name__icontains=query) | Q(address__icontains=query) | Q(code__iexact=query)
        ).order_by("name", "code")[:limit]
    )


@dataclass(frozen=True)
class ElectricianContact:
    user: User
    certified: bool


@dataclass
class CompoundContacts:
    """Whom a resident of one compound calls: its customer manager and its electricians,
    those on today's roster when there is one (on_roster), otherwise all of them."""

    manager: User | None = None
    electricians: list[ElectricianContact] = field(default_factory=list)
    on_roster: bool = False


def compound_contacts(
    compounds: Sequence[Compound], *, on: datetime.date
) -> dict[int, CompoundContacts]:
    """Contacts of several compounds in three queries, whatever their number."""
    ids = [compound.pk for compound in compounds]
    contacts = {pk: CompoundContacts() for pk in ids}
    if not ids:
        return contacts
    assigned: dict[int, list[User]] = {pk: [] for pk in ids}
    for assignment in (
        CompoundAssignment.objects.filter(
            compound_id__in=ids,
            role__in=[RoleCode.CUSTOMER_MANAGER, RoleCode.ELECTRICIAN],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("compound_id", "user__username")
    ):
        if assignment.role == RoleCode.CUSTOMER_MANAGER:
            contacts[assignment.compound_id].manager = assignment.user
        else:
            assigned[assignment.compound_id].append(assignment.user)
    rostered: dict[int, list[User]] = {pk: [] for pk in ids}
    for shift in (
        DutyShift.objects.filter(
            compound_id__in=ids, weekday=on.isoweekday(), electrician__is_active=True
        )
        .select_related("electrician")
        .order_by("compound_id", "electrician__username")
    ):
        rostered[shift.compound_id].append(shift.electrician)
    everyone = [user for users in (*assigned.values(), *rostered.values()) for user in users]
    certified = valid_certificate_holders(everyone, on=on)
    for pk in ids:
        on_roster = bool(rostered[pk])
        contacts[pk].on_roster = on_roster
        contacts[pk].electricians = [
            ElectricianContact(user=user, certified=user.pk in certified)
            for user in (rostered[pk] if on_roster else assigned[pk])
        ]
    return contacts


def compounds_in_staff_scope(user: User) -> QuerySet[Compound]:
    """The compounds a member of staff works with (not the homes they live in)."""
    if not user.is_authenticated or not user.is_active:
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    return Compound.objects.filter(_staff_scope(user)).distinct()


def compound_rows(compounds: QuerySet[Compound]) -> QuerySet[Compound]:
    """Compounds for a list: with community, household_count and manager_assignments
    (the customer manager, as a list of at most one), in a constant number of queries."""
    return (
        Compound.objects.filter(pk__in=compounds.values("pk"))
        .select_related("community", "property_company")
        .annotate(household_count=Count("buildings__households"))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=CompoundAssignment.objects.filter(
                    role=RoleCode.CUSTOMER_MANAGER
                ).select_related("user"),
                to_attr="manager_assignments",
            )
        )
        .order_by("community__code", "code")
    )


@dataclass(frozen=True)
class ManagerLoad:
    """One customer manager and how many compounds they serve (the 1 + N structure)."""

    username: str
    name: str
    compound_count: int


def manager_loads(compounds: QuerySet[Compound]) -> list[ManagerLoad]:
    rows = (
        CompoundAssignment.objects.filter(
            role=RoleCode.CUSTOMER_MANAGER, compound__in=compounds.values("pk")
        )
        .values("user__username", "user__display_name")
        .annotate(compound_count=Count("compound", distinct=True))
        .order_by("-compound_count", "user__username")
    )
    return [
        ManagerLoad(
            username=row["user__username"],
            name=row["user__display_name"] or row["user__username"],
            compound_count=row["compound_count"],
        )
        for row in rows
    ]


def households_of_compound(compound: Compound, *, query: str = "") -> QuerySet[Household]:
    """A compound's households for its list, filtered by account number or room. The caller
    has checked that the compound is in the user's scope."""
    households = Household.objects.filter(building__compound=compound).select_related(
        "building__compound"
    )
    query = query.strip()
    if query.isdigit() and len(query) >= 5:
        households = households.filter(account_no__startswith=query)
    elif query:
        households = households.filter(
            Q(room__icontains=query) | Q(unit__icontains=query) | Q(building__name__icontains=query)
        )
    return households.order_by("building__code", "unit", "room", "pk")


@dataclass(frozen=True)
class CompoundRole:
    code: str
    name: str
    role: str


@dataclass(frozen=True)
class UserScope:
    """What a user is assigned to, for "who am I" answers. A superuser sees everything
    whatever is listed here."""

    compounds: list[CompoundRole]
    communities: list[str]
    districts: list[str]
    households: list[int]


def user_scope(user: User) -> UserScope:
    """The user's assignments: compounds with the role they serve them in (grid
    administrators serve the compounds of their communities; residents appear as residents
    of their homes' compounds), community and district codes, and their own households."""
    compounds: list[CompoundRole] = [
        CompoundRole(code=code, name=name, role=role)
        for code, name, role in CompoundAssignment.objects.filter(user=user)
        .order_by("compound__code", "role")
        .values_list("compound__code", "compound__name", "role")
    ]
    compounds += [
        CompoundRole(code=code, name=name, role=RoleCode.GRID_ADMIN)
        for code, name in Compound.objects.filter(community__assignments__user=user)
        .order_by("code")
        .values_list("code", "name")
        .distinct()
    ]
    compounds += [
        CompoundRole(code=code, name=name, role=RoleCode.RESIDENT)
        for code, name in Compound.objects.filter(buildings__households__memberships__user=user)
        .order_by("code")
        .values_list("code", "name")
        .distinct()
    ]
    communities = list(
        Community.objects.filter(assignments__user=user)
        .order_by("code")
        .values_list("code", flat=True)
    )
    districts = set(District.objects.filter(assignments__user=user).values_list("code", flat=True))
    if user.department_id is not None:
        districts.update(
            District.objects.filter(departments__members=user).values_list("code", flat=True)
        )
    households = list(households_of_resident(user).order_by("pk").values_list("pk", flat=True))
    return UserScope(
        compounds=compounds,
        communities=communities,
        districts=sorted(districts),
        households=households,
    )


def households_of_resident_detailed(user: User) -> QuerySet[Household]:
    """The user's own households with what a listing shows, in a stable order."""
    return (
        households_of_resident(user)
        .select_related("building__compound", "station_area")
        .order_by("building__compound__code", "building__code", "unit", "room", "pk")
    )


def households_listed_for(
    user: User, *, compound: str | None = None, q: str | None = None
) -> QuerySet[Household]:
    """Households visible to the user, filtered for a listing, with what a listing shows.
    `q` matches an account number (any part) or a room number (exactly)."""
    households = households_visible_to(user)
    if compound:
        households = households.filter(building__compound__code=compound)
    if q:
        households = households.filter(Q(account_no__contains=q) | Q(room=q))
    return households.select_related("building__compound", "station_area").order_by(
        "building__compound__code", "building__code", "unit", "room", "pk"
    )
