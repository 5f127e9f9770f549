"""Reads of defects (消缺), always in the caller's scope (wudian.grid.scope).

Who sees a defect: the staff serving its compound (Purpose.SERVE: its customer manager, its
electricians and property office staff, its community's grid administrator); the supervisors
of its district (Purpose.OVERSEE); and the members of the utility department it was given to.
Residents and everyone else see none. Who fixes and who checks a defect is the policy's
(wudian.fieldwork.policy.defects); whom to make its owner, and who is its other party, is read
here."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from wudian.accounts.models import RoleCode, User
from wudian.core.errors import OutsideScope
from wudian.fieldwork.models import Defect, DefectEvent, DefectPhoto
from wudian.grid import scope
from wudian.grid.models import Compound
from wudian.grid.scope import Purpose, compounds_for
from wudian.workorders.services.routing import electricians_by_preference

# A station area alarms (a defect or an extra patrol may be opened from its page) on a high or
# negative loss, or when a meter has not been collected for this many days in a row.
ALARM_UNCOLLECTED_DAYS = 3

STAFF_ROLES = (
    RoleCode.CUSTOMER_MANAGER,
    RoleCode.ELECTRICIAN,
    RoleCode.PROPERTY_STAFF,
    RoleCode.GRID_ADMIN,
    RoleCode.SUPERVISOR,
    RoleCode.DEPARTMENT,
)


def works_defects(user: User) -> bool:
    """Whether the user has a part in defects at all (staff of some kind)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_role(*STAFF_ROLES))
    )


def defect_compounds_of(user: User) -> QuerySet[Compound]:
    """The compounds whose defects the user sees whole: those they serve, and for a
    supervisor, those of their districts."""
    compounds = compounds_for(user, Purpose.SERVE)
    if user.is_authenticated and user.has_role(RoleCode.SUPERVISOR):
        compounds = compounds_for(user, Purpose.SERVE) | compounds_for(user, Purpose.OVERSEE)
    return compounds


def _department_id(user: User) -> int | None:
    if user.department_id is not None and user.has_role(RoleCode.DEPARTMENT):
        return int(user.department_id)
    return None


def defects_for(user: User) -> QuerySet[Defect]:
    """The defects the user may see."""
    if not works_defects(user):
        return Defect.objects.none()
    if user.is_superuser:
        return Defect.objects.all()
    condition = Q(compound__in=defect_compounds_of(user).values("pk"))
    department = _department_id(user)
    if department is not None:
        condition |= Q(department_id=department)
    return Defect.objects.filter(condition)


def may_record_defect(user: User, compound_id: int) -> bool:
    """Whether the user may record a defect of the compound: staff reaching it (Purpose.
    OVERSEE: whoever serves it, its district's supervisors and departments)."""
    return works_defects(user) and scope.reaches_compound(user, Purpose.OVERSEE, compound_id)


def recordable_compounds(user: User) -> QuerySet[Compound]:
    if not works_defects(user):
        return Compound.objects.none()
    return compounds_for(user, Purpose.OVERSEE)


def defect_of(user: User, pk: int) -> Defect:
    """One defect the user may see, with what its page shows, or OutsideScope."""
    defect = (
        defects_for(user)
        .select_related(
            "compound",
            "building",
            "owner",
            "department",
            "found_by",
            "fixed_by",
            "checked_by",
            "patrol",
            "workorder",
            "station_area",
        )
        .prefetch_related(
            Prefetch("photos", queryset=DefectPhoto.objects.order_by("uploaded_at", "pk")),
            Prefetch("events", queryset=DefectEvent.objects.select_related("actor")),
        )
        .filter(pk=pk)
        .first()
    )
    if defect is None:
        raise OutsideScope()
    return defect


# Who stands where -------------------------------------------------------------------------


@dataclass(frozen=True)
class DefectFilters:
    compound: int | None = None
    building: int | None = None
    severity: str = ""
    status: str = ""
    responsible: str = ""
    overdue: bool = False
    open_only: bool = False


class DeferredRows:
    """A list of defects paged in two steps: the page's ids first, from the ordering index
    alone (`defect_deadline`: deadline, id, compound, status), then those rows with what a row
    shows. A deep page skips index entries, not table rows (docs/benchmarks.md, "Defects").
    Pages (Django's Paginator) and the API (ninja's pagination) slice it and count it."""

    ordered = True

    def __init__(self, defects: QuerySet[Defect]) -> None:
        self.defects = defects

    def count(self) -> int:
        return self.defects.count()

    def all(self) -> DeferredRows:
        return self

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Defect]:
        if not isinstance(index, slice):
            raise TypeError("DeferredRows is sliced, not indexed")
        ids = list(self.defects.values_list("pk", flat=True)[index])
        rows = Defect.objects.select_related("compound", "building", "owner", "department").in_bulk(
            ids
        )
        return [rows[pk] for pk in ids if pk in rows]


def defect_list(
    user: User, filters: DefectFilters, *, now: datetime.datetime | None = None
) -> DeferredRows:
    """The user's defects with the filters, by deadline (the most urgent first), ready to be
    paged (see DeferredRows)."""
    now = now or timezone.now()
    defects = defects_for(user)
    if filters.compound is not None:
        defects = defects.filter(compound_id=filters.compound)
    if filters.building is not None:
        defects = defects.filter(building_id=filters.building)
    if filters.severity:
        defects = defects.filter(severity=filters.severity)
    if filters.status:
        defects = defects.filter(status=filters.status)
    elif filters.open_only:
        defects = defects.filter(status__in=Defect.OPEN_STATUSES)
    if filters.responsible:
        defects = defects.filter(responsible=filters.responsible)
    if filters.overdue:
        defects = defects.filter(status=Defect.Status.OPEN, deadline__lt=now)
    return DeferredRows(defects.order_by("deadline", "pk"))


class DefectStaff:
    """Who stands around one compound's defects, each read once, when first needed."""

    def __init__(self, compound: Compound, *, on: datetime.date) -> None:
        self.compound = compound
        self.on = on

    @cached_property
    def manager(self) -> User | None:
        return scope.customer_manager_of(self.compound)

    @cached_property
    def electricians(self) -> list[User]:
        """Its active electricians, the certified (on duty, least loaded) first."""
        certified = electricians_by_preference(self.compound, on=self.on)
        others = scope.electricians_of(self.compound).exclude(pk__in=[u.pk for u in certified])
        return [*certified, *others.order_by("pk")]

    @cached_property
    def property_staff(self) -> list[User]:
        assigned = scope.assignments_in(RoleCode.PROPERTY_STAFF, compounds=[self.compound.pk])
        return list(
            User.objects.filter(pk__in=assigned.values("user_id"), is_active=True).order_by("pk")
        )

    @cached_property
    def property_side_ids(self) -> set[int]:
        return {user.pk for user in [*self.electricians, *self.property_staff]}

    @cached_property
    def supervisor_ids(self) -> list[int]:
        return scope.supervisor_ids_of(self.compound)

    def property_owner(self) -> User | None:
        """Who fixes a property defect: an electrician (a certified one first), else the
        property office."""
        if self.electricians:
            return self.electricians[0]
        return self.property_staff[0] if self.property_staff else None


def department_members(department_id: int) -> QuerySet[User]:
    return User.objects.filter(
        department_id=department_id, roles__code=RoleCode.DEPARTMENT, is_active=True
    ).order_by("pk")
