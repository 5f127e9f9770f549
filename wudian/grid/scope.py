"""Scope: which compounds — and through them households, station areas, requests and outages
— a person reaches, for which purpose; and the other way round, who serves a compound.

Every selector of every app builds on this module, and no other module writes a scope query.
The purposes and what counts for each are one table (REACH); docs/architecture.md shows it.

An assignment counts only while its user is active and holds the role it names: a customer
manager whose role was taken away no longer reaches the compounds still assigned to them, and
is nobody's customer manager. A superuser reaches everything. Everyone reaches their own
households (a resident's homes), whatever the purpose.

What a person reaches is built from id subqueries, never joins over the assignment tables: no
row comes out twice, nothing needs DISTINCT, and the lists that filter tens of thousands of
requests by compound stay on their indexes. The lookups of one compound's staff, which every
filing makes, join where unique constraints keep each row single (docs/benchmarks.md,
"Resident requests")."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from wudian.accounts.models import Department, RoleCode, User
from wudian.accounts.selectors import valid_certificate_holders
from wudian.grid.models import (
    Building,
    Community,
    CommunityAssignment,
    Compound,
    CompoundAssignment,
    District,
    DistrictAssignment,
    DutyShift,
    Household,
    HouseholdMembership,
    StationArea,
)

logger = logging.getLogger(__name__)


class Purpose(StrEnum):
    """What a person reaches a compound for."""

    # Serve its households: see their contacts and account numbers in full, file requests for
    # them, call them, acknowledge a notice after a call.
    SERVE = "serve"
    # Oversee it: see it on the desk, its outages, its households (masked unless served), its
    # station areas' line loss.
    OVERSEE = "oversee"
    # Work every request of it (the utility side: its customer manager, its grid
    # administrator, its district's supervisors).
    WORK_REQUESTS = "work_requests"
    # Work its behind-the-meter requests (the property side: electricians, property office).
    WORK_PROPERTY_REQUESTS = "work_property_requests"
    # Publish and manage its outage notices.
    PUBLISH_OUTAGES = "publish_outages"
    # Override a notice period for it, with a recorded reason.
    OVERRIDE_NOTICE = "override_notice"
    # Change its households' contact details.
    EDIT_HOUSEHOLDS = "edit_households"
    # It holds one of the person's own homes.
    HOME = "home"
    # Measure its service outcomes: the dashboard, its exports and the metrics API (its
    # customer manager; its district's supervisors).
    MEASURE = "measure"
    # Write and publish power-knowledge articles and seasonal reminders for it (its customer
    # manager; its district's supervisors).
    PUBLISH_KNOWLEDGE = "publish_knowledge"
    # Do its civic work: record door-to-door visits and their appeals, organise volunteer
    # activities (its customer manager; its community's grid administrator).
    CIVIC = "civic"
    # Patrol it jointly and see its defects fixed (联合巡视, 消缺): its customer manager and its
    # property electricians; its district's supervisors oversee the defects through OVERSEE.
    PATROL = "patrol"
    # Remind its households of arrears and see the amounts (友情化催费): the staff who serve
    # them door to door (its customer manager, property electricians and property office),
    # no one who only oversees it.
    REMIND = "remind"


@dataclass(frozen=True)
class Reach:
    """Which of a person's assignments count for one purpose."""

    # Compounds assigned to them in one of these roles.
    compound_roles: frozenset[RoleCode] = frozenset()
    # The compounds of the communities of a grid administrator.
    communities: bool = False
    # The compounds of the districts of a supervisor.
    districts: bool = False
    # The compounds of the district of a department member's department.
    department: bool = False
    # The compounds of their own homes.
    homes: bool = False


CM, EL, PS = RoleCode.CUSTOMER_MANAGER, RoleCode.ELECTRICIAN, RoleCode.PROPERTY_STAFF
SERVING_ROLES = frozenset({CM, EL, PS})

REACH: dict[Purpose, Reach] = {
    Purpose.SERVE: Reach(compound_roles=SERVING_ROLES, communities=True),
    Purpose.OVERSEE: Reach(
        compound_roles=SERVING_ROLES, communities=True, districts=True, department=True
    ),
    Purpose.WORK_REQUESTS: Reach(compound_roles=frozenset({CM}), communities=True, districts=True),
    Purpose.WORK_PROPERTY_REQUESTS: Reach(compound_roles=frozenset({EL, PS})),
    Purpose.PUBLISH_OUTAGES: Reach(compound_roles=frozenset({CM}), districts=True),
    Purpose.OVERRIDE_NOTICE: Reach(districts=True),
    Purpose.EDIT_HOUSEHOLDS: Reach(compound_roles=frozenset({CM, PS})),
    Purpose.HOME: Reach(homes=True),
    Purpose.MEASURE: Reach(compound_roles=frozenset({CM}), districts=True),
    Purpose.PUBLISH_KNOWLEDGE: Reach(compound_roles=frozenset({CM}), districts=True),
    Purpose.CIVIC: Reach(compound_roles=frozenset({CM}), communities=True),
    Purpose.PATROL: Reach(compound_roles=frozenset({CM, EL})),
    Purpose.REMIND: Reach(compound_roles=SERVING_ROLES),
}


# A person → what they reach --------------------------------------------------------------


def _counts(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def own_household_ids(user: User) -> QuerySet[HouseholdMembership, Any]:
    """The ids of the user's own households, as a subquery."""
    return HouseholdMembership.objects.filter(user=user).values("household_id")


def compound_condition(user: User, purpose: Purpose) -> Q | None:
    """Q on Compound for the compounds the user reaches for the purpose, or None when they
    reach none (superusers are the caller's to handle: see compounds_for)."""
    reach = REACH[purpose]
    parts: list[Q] = []
    roles = sorted(role for role in reach.compound_roles if user.has_role(role))
    if roles:
        assigned = CompoundAssignment.objects.filter(user=user)
        assigned = (
            assigned.filter(role=roles[0]) if len(roles) == 1 else assigned.filter(role__in=roles)
        )
        parts.append(Q(pk__in=assigned.values("compound_id")))
    if reach.communities and user.has_role(RoleCode.GRID_ADMIN):
        communities = CommunityAssignment.objects.filter(user=user).values("community_id")
        parts.append(Q(community_id__in=communities))
    if reach.districts and user.has_role(RoleCode.SUPERVISOR):
        districts = DistrictAssignment.objects.filter(user=user).values("district_id")
        parts.append(Q(community__street__district_id__in=districts))
    if reach.department and user.department_id is not None and user.has_role(RoleCode.DEPARTMENT):
        district = Department.objects.filter(pk=user.department_id).values("district_id")
        parts.append(Q(community__street__district_id__in=district))
    if reach.homes:
        homes = Building.objects.filter(households__in=own_household_ids(user))
        parts.append(Q(pk__in=homes.values("compound_id")))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def compounds_for(user: User, purpose: Purpose) -> QuerySet[Compound]:
    """The compounds the user reaches for the purpose."""
    if not _counts(user):
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    condition = compound_condition(user, purpose)
    if condition is None:
        return Compound.objects.none()
    return Compound.objects.filter(condition)


def reaches_compound(user: User, purpose: Purpose, compound_id: int) -> bool:
    return compounds_for(user, purpose).filter(pk=compound_id).exists()


def compounds_outside(user: User, purpose: Purpose, compound_ids: Collection[int]) -> set[int]:
    """Those of the compounds the user does not reach for the purpose (one query)."""
    ids = set(compound_ids)
    if not ids:
        return set()
    reached = compounds_for(user, purpose).filter(pk__in=ids).values_list("pk", flat=True)
    return ids - set(reached)


def households_for(user: User, purpose: Purpose) -> QuerySet[Household]:
    """The user's own households, and the households of the compounds they reach for the
    purpose."""
    if not _counts(user):
        return Household.objects.none()
    if user.is_superuser:
        return Household.objects.all()
    condition = Q(pk__in=own_household_ids(user))
    compounds = compound_condition(user, purpose) if purpose != Purpose.HOME else None
    if compounds is not None:
        condition |= Q(building__compound__in=Compound.objects.filter(compounds).values("pk"))
    return Household.objects.filter(condition)


def own_households(user: User) -> QuerySet[Household]:
    """The households the user belongs to (as holder, family member or tenant). A join: a
    user belongs to a household once, and a filing looks its household up here."""
    return Household.objects.filter(memberships__user=user)


def belongs_to_household(user: User, household_id: int) -> bool:
    """Whether the household is one of the user's own."""
    return own_household_ids(user).filter(household_id=household_id).exists()


def reaches_household(user: User, purpose: Purpose, household_id: int) -> bool:
    return households_for(user, purpose).filter(pk=household_id).exists()


def households_reached(user: User, purpose: Purpose, household_ids: Iterable[int]) -> set[int]:
    """Those of the households the user reaches for the purpose (one query)."""
    ids = set(household_ids)
    if not ids:
        return set()
    if user.is_superuser:
        return ids
    return set(households_for(user, purpose).filter(pk__in=ids).values_list("pk", flat=True))


def station_areas_for(user: User, purpose: Purpose) -> QuerySet[StationArea]:
    """The station areas that feed a compound the user reaches for the purpose."""
    if not _counts(user):
        return StationArea.objects.none()
    if user.is_superuser:
        return StationArea.objects.all()
    feeding = StationArea.compounds.through.objects.filter(
        compound_id__in=compounds_for(user, purpose).values("pk")
    )
    return StationArea.objects.filter(pk__in=feeding.values("stationarea_id"))


@dataclass(frozen=True)
class CompoundRole:
    code: str
    name: str
    role: str


@dataclass(frozen=True)
class Assignments:
    """What a user is assigned to, for "who am I" answers. A superuser reaches everything
    whatever is listed here."""

    compounds: list[CompoundRole]
    communities: list[str]
    districts: list[str]
    households: list[int]


def assignments_of(user: User) -> Assignments:
    """The user's assignments that count: compounds with the role they serve them in (grid
    administrators serve the compounds of their communities; residents appear as residents
    of their homes' compounds), community and district codes, and their own households."""
    roles = [role for role in SERVING_ROLES if user.has_role(role)]
    compounds = [
        CompoundRole(code=code, name=name, role=role)
        for code, name, role in CompoundAssignment.objects.filter(user=user, role__in=roles)
        .order_by("compound__code", "role")
        .values_list("compound__code", "compound__name", "role")
    ]
    communities: list[str] = []
    if user.has_role(RoleCode.GRID_ADMIN):
        communities = list(
            Community.objects.filter(
                pk__in=CommunityAssignment.objects.filter(user=user).values("community_id")
            )
            .order_by("code")
            .values_list("code", flat=True)
        )
        compounds += [
            CompoundRole(code=code, name=name, role=RoleCode.GRID_ADMIN)
            for code, name in Compound.objects.filter(community__code__in=communities)
            .order_by("code")
            .values_list("code", "name")
        ]
    compounds += [
        CompoundRole(code=code, name=name, role=RoleCode.RESIDENT)
        for code, name in compounds_for(user, Purpose.HOME)
        .order_by("code")
        .values_list("code", "name")
    ]
    districts: set[str] = set()
    if user.has_role(RoleCode.SUPERVISOR):
        districts.update(
            District.objects.filter(
                pk__in=DistrictAssignment.objects.filter(user=user).values("district_id")
            ).values_list("code", flat=True)
        )
    if user.department_id is not None and user.has_role(RoleCode.DEPARTMENT):
        districts.update(
            District.objects.filter(departments=user.department_id).values_list("code", flat=True)
        )
    households = list(own_households(user).order_by("pk").values_list("pk", flat=True))
    return Assignments(
        compounds=compounds,
        communities=communities,
        districts=sorted(districts),
        households=households,
    )


def communities_of(user: User) -> QuerySet[Community]:
    """The communities of a grid administrator."""
    if not _counts(user) or not user.has_role(RoleCode.GRID_ADMIN):
        return Community.objects.none()
    return Community.objects.filter(
        pk__in=CommunityAssignment.objects.filter(user=user).values("community_id")
    )


def districts_of(user: User) -> QuerySet[District]:
    """The districts a supervisor supervises."""
    if not _counts(user) or not user.has_role(RoleCode.SUPERVISOR):
        return District.objects.none()
    return District.objects.filter(
        pk__in=DistrictAssignment.objects.filter(user=user).values("district_id")
    )


# A compound → who serves it --------------------------------------------------------------


def _holding(role: str) -> QuerySet[Any]:
    """The ids of the users who hold the role."""
    return User.roles.through.objects.filter(role__code=role).values("user_id")


def assignments_in(
    *roles: RoleCode, compounds: Iterable[int] | QuerySet[Compound, Compound] | None = None
) -> QuerySet[CompoundAssignment]:
    """The assignments in those roles that count (active user, holding the role), of the
    compounds given (ids or a queryset), or of every compound."""
    condition = Q()
    for role in roles:
        condition |= Q(role=role, user__in=_holding(role))
    assignments = CompoundAssignment.objects.filter(condition, user__is_active=True)
    if compounds is None:
        return assignments
    if isinstance(compounds, QuerySet):
        return assignments.filter(compound__in=Subquery(compounds.values("pk")))
    return assignments.filter(compound_id__in=list(compounds))


def _serving_one(compound_id: int, role: RoleCode) -> QuerySet[User]:
    """The users whose assignment to one compound in the role counts. Joins, each row single
    (a user holds a role once and is assigned to a compound in it once): every filing asks for
    its compound's customer manager and electricians, and these build in half the CPU of the
    id subqueries."""
    return User.objects.filter(
        is_active=True,
        roles__code=role,
        compound_assignments__compound_id=compound_id,
        compound_assignments__role=role,
    )


def customer_managers_of(compound_ids: Iterable[int]) -> dict[int, User]:
    """Each compound's customer manager, for those that have one (one query)."""
    return {
        assignment.compound_id: assignment.user
        for assignment in assignments_in(CM, compounds=compound_ids).select_related("user")
    }


def customer_manager_of(compound: Compound) -> User | None:
    return _serving_one(compound.pk, CM).first()


def customer_manager_id(compound_id: int) -> int | None:
    return _serving_one(compound_id, CM).values_list("pk", flat=True).first()


def is_customer_manager_of(user: User, compound_id: int) -> bool:
    """Whether the user is the compound's customer manager (or a superuser)."""
    if user.is_superuser:
        return True
    return bool(user.is_active and customer_manager_id(compound_id) == user.pk)


def electricians_of(compound: Compound) -> QuerySet[User]:
    """The compound's property electricians whose assignment counts."""
    return _serving_one(compound.pk, EL)


def serves_compound_as(user: User, compound_id: int) -> set[str]:
    """The roles in which the user serves the compound (assignments that count)."""
    if not _counts(user):
        return set()
    roles = CompoundAssignment.objects.filter(user=user, compound_id=compound_id).values_list(
        "role", flat=True
    )
    return {role for role in roles if user.has_role(role)}


def serving_roles(user: User, compound_ids: Iterable[int]) -> set[str]:
    """The roles in which the user serves any of the compounds: customer manager,
    electrician, property staff (assignments that count) and grid administrator (of one of
    their communities). Two queries at most."""
    ids = list(compound_ids)
    if not _counts(user) or not ids:
        return set()
    roles = {
        role
        for role in CompoundAssignment.objects.filter(user=user, compound_id__in=ids)
        .values_list("role", flat=True)
        .distinct()
        if user.has_role(role)
    }
    if (
        user.has_role(RoleCode.GRID_ADMIN)
        and CommunityAssignment.objects.filter(user=user, community__compounds__in=ids).exists()
    ):
        roles.add(RoleCode.GRID_ADMIN)
    return roles


def departments_serving(compounds: QuerySet[Compound]) -> QuerySet[Department]:
    """The utility departments of the compounds' districts."""
    return Department.objects.filter(
        district__in=Compound.objects.filter(pk__in=compounds.values("pk")).values(
            "community__street__district"
        )
    )


def department_serves(department: Department, compound_id: int) -> bool:
    """Whether the department works in the compound's district."""
    return Compound.objects.filter(
        pk=compound_id, community__street__district_id=department.district_id
    ).exists()


def supervisor_ids_of(compound: Compound) -> list[int]:
    """The active supervisors of the compound's district."""
    return list(
        DistrictAssignment.objects.filter(
            district__streets__communities=compound.community_id,
            user__is_active=True,
            user__roles__code=RoleCode.SUPERVISOR,
        ).values_list("user_id", flat=True)
    )


def supervisors_of(compound_ids: Iterable[int]) -> QuerySet[User]:
    """The active supervisors of the compounds' districts: who may override a notice period
    there (Purpose.OVERRIDE_NOTICE), and whom a manager asks for it."""
    districts = Compound.objects.filter(pk__in=list(compound_ids)).values(
        "community__street__district_id"
    )
    return User.objects.filter(
        is_active=True,
        roles__code=RoleCode.SUPERVISOR,
        district_assignments__district__in=districts,
    ).distinct()


def is_supervisor_of(user: User, compound: Compound) -> bool:
    return bool(user.is_active and user.pk in supervisor_ids_of(compound))


def residents_of(compounds: QuerySet[Compound]) -> QuerySet[User]:
    """Everyone who belongs to a household of one of the compounds."""
    members = HouseholdMembership.objects.filter(
        household__building__compound__in=compounds.values("pk")
    )
    return User.objects.filter(pk__in=members.values("user_id"))


def residents_served_by(user: User, resident_ids: Iterable[int]) -> set[int]:
    """Those of the residents one of whose households the user reaches for SERVE."""
    ids = set(resident_ids)
    if not ids:
        return set()
    if user.is_superuser:
        return ids
    members = HouseholdMembership.objects.filter(
        user_id__in=ids, household__in=households_for(user, Purpose.SERVE).values("pk")
    )
    return set(members.values_list("user_id", flat=True))


def household_members(
    household_ids: Iterable[int] | QuerySet[Any],
) -> QuerySet[HouseholdMembership, tuple[int, int]]:
    """(user id, household id) of the active members of the households (ids, or a subquery
    of them)."""
    ids = household_ids if isinstance(household_ids, QuerySet) else list(household_ids)
    return HouseholdMembership.objects.filter(
        household_id__in=ids, user__is_active=True
    ).values_list("user_id", "household_id")


def has_active_member(household: str = "household") -> Exists:
    """Exists, for rows of an outer query: the household its field names (an outer reference)
    has an active member."""
    return Exists(
        HouseholdMembership.objects.filter(household=OuterRef(household), user__is_active=True)
    )


def people_serving(compound_ids: Iterable[int]) -> QuerySet[User]:
    """Everyone serving the compounds: their customer managers, electricians and property
    office staff, and the grid administrators of their communities."""
    ids = list(compound_ids)
    grid_admins = CommunityAssignment.objects.filter(
        community__compounds__in=ids, user__in=_holding(RoleCode.GRID_ADMIN)
    )
    return User.objects.filter(
        Q(pk__in=assignments_in(*SERVING_ROLES, compounds=ids).values("user_id"))
        | Q(pk__in=grid_admins.values("user_id")),
        is_active=True,
    )


def serving_ids(compound_ids: Iterable[int]) -> QuerySet[Any]:
    """The ids of everyone serving the compounds, as `people_serving` says (active or not:
    the caller filters), as one UNION subquery of ids (see `everyone_of`)."""
    ids = list(compound_ids)
    grid_admins = CommunityAssignment.objects.filter(
        community__compounds__in=ids, user__in=_holding(RoleCode.GRID_ADMIN)
    )
    return (
        assignments_in(*SERVING_ROLES, compounds=ids)
        .order_by()
        .values("user_id")
        .union(grid_admins.order_by().values("user_id"))
    )


def everyone_of(compound_ids: Iterable[int]) -> QuerySet[Any]:
    """The ids of everyone serving the compounds (`serving_ids`) and everyone holding a
    household there (as `residents_of`), as one UNION subquery of ids: a query of users
    `pk__in` it stays on the indexes, where an OR of the two over a city's users scans them
    all (docs/benchmarks.md, "Circles")."""
    ids = list(compound_ids)
    homes = HouseholdMembership.objects.filter(household__building__compound_id__in=ids)
    return serving_ids(ids).union(homes.order_by().values("user_id"))


def everyone_by_compound(compound_ids: Iterable[int]) -> QuerySet[Any]:
    """(user_id, compound_id) of everyone serving each of the compounds and everyone holding
    a household there (as `everyone_of` says for one compound), as one UNION ALL: a city's
    circles are told of a post in one set-based INSERT … SELECT (docs/benchmarks.md,
    "Circles"). A person may come more than once; active or not: the caller filters."""
    ids = list(compound_ids)
    staff = (
        assignments_in(*SERVING_ROLES, compounds=ids).order_by().values("user_id", "compound_id")
    )
    grid_admins = (
        CommunityAssignment.objects.filter(
            community__compounds__in=ids, user__in=_holding(RoleCode.GRID_ADMIN)
        )
        .order_by()
        .values("user_id", compound=F("community__compounds"))
    )
    homes = (
        HouseholdMembership.objects.filter(household__building__compound_id__in=ids)
        .order_by()
        .values("user_id", compound=F("household__building__compound_id"))
    )
    return staff.union(grid_admins, homes, all=True)


def serving_among(compound_id: int, user_ids: Iterable[int]) -> set[int]:
    """Which of the users serve one compound, as `people_serving` says, in one query of joins:
    every step of a request asks it of the few staff it tells (the id subqueries of
    `people_serving` cost a filing about 3 ms of CPU to build)."""
    ids = list(user_ids)
    if not ids:
        return set()
    assigned = Q(
        roles__code__in=SERVING_ROLES,
        compound_assignments__compound_id=compound_id,
        compound_assignments__role=F("roles__code"),
    )
    grid_admin = Q(
        roles__code=RoleCode.GRID_ADMIN,
        community_assignments__community__compounds=compound_id,
    )
    found = User.objects.filter(assigned | grid_admin, pk__in=ids, is_active=True)
    return set(found.values_list("pk", flat=True))


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

    @property
    def caller(self) -> User | None:
        """Who phones a household of the compound for an urgent notice: the first certified
        electrician on duty, else the customer manager."""
        certified = [contact.user for contact in self.electricians if contact.certified]
        return certified[0] if certified else self.manager


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
        assignments_in(CM, EL, compounds=ids)
        .select_related("user")
        .order_by("compound_id", "user__username")
    ):
        if assignment.role == CM:
            contacts[assignment.compound_id].manager = assignment.user
        else:
            assigned[assignment.compound_id].append(assignment.user)
    rostered: dict[int, list[User]] = {pk: [] for pk in ids}
    for shift in (
        DutyShift.objects.filter(
            compound_id__in=ids,
            weekday=on.isoweekday(),
            electrician__is_active=True,
            electrician__in=_holding(EL),
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


def phone_calls_for(
    households: Iterable[Household] | QuerySet[Household], *, on: datetime.date
) -> list[tuple[int, int]]:
    """(household id, caller id) for each special-group household among them: who phones it
    for an urgent notice (see CompoundContacts.caller). A compound with nobody to call is
    logged and left out."""
    if isinstance(households, QuerySet):
        chosen = Household.objects.filter(pk__in=Subquery(households.values("pk")))
    else:
        # Households already loaded say whether they are special: most are not, and then
        # there is nothing to ask the database.
        ids = [household.pk for household in households if household.special_group]
        if not ids:
            return []
        chosen = Household.objects.filter(pk__in=ids)
    special = list(
        chosen.filter(special_group=True).values_list("pk", "building__compound_id").order_by("pk")
    )
    if not special:
        return []
    callers = callers_of({compound_id for _pk, compound_id in special}, on=on)
    for compound_id in {compound_id for _pk, compound_id in special} - set(callers):
        logger.warning("No electrician or customer manager to call for compound %s", compound_id)
    return [(pk, callers[compound_id]) for pk, compound_id in special if compound_id in callers]


def callers_of(compound_ids: Iterable[int], *, on: datetime.date) -> dict[int, int]:
    """Who phones the special-group households of each compound (see CompoundContacts.caller),
    as user ids, for the compounds that have someone."""
    compounds = list(Compound.objects.filter(pk__in=list(compound_ids)))
    return {
        pk: contacts.caller.pk
        for pk, contacts in compound_contacts(compounds, on=on).items()
        if contacts.caller is not None
    }


# Residents joining by themselves (wudian.joining) ------------------------------------------


def household_editors_of(compound_id: int) -> QuerySet[User]:
    """Who decides a resident's application to join a household of the compound: those who
    reach it for EDIT_HOUSEHOLDS (its customer manager and its property office staff)."""
    roles = REACH[Purpose.EDIT_HOUSEHOLDS].compound_roles
    assigned = assignments_in(*sorted(roles), compounds=[compound_id])
    return User.objects.filter(pk__in=assigned.values("user_id"), is_active=True)


def own_membership(user: User, household_id: int) -> HouseholdMembership | None:
    """The user's own membership of the household, or None."""
    if not _counts(user):
        return None
    return HouseholdMembership.objects.filter(user=user, household_id=household_id).first()
