"""Reads of resident requests, always in the caller's scope."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from wudian.accounts.models import RoleCode, User
from wudian.core.kept import Kept
from wudian.grid.models import (
    CommunityAssignment,
    Compound,
    CompoundAssignment,
    DistrictAssignment,
    HouseholdMembership,
)
from wudian.workorders.models import Category, WorkOrder, WorkOrderEvent


def _active_categories() -> dict[str, Category]:
    return {category.code: category for category in Category.objects.filter(active=True)}


# Every filing looks its category up by code; each process keeps the active ones for a while
# (wudian.core.kept). The instances are shared: read them, never change them.
active_categories = Kept(_active_categories, reads=Category)


def active_category(code: str) -> Category | None:
    return active_categories.get().get(code)


def categories_open_to(user: User | None) -> QuerySet[Category]:
    """The categories a user may file: staff file every active one, residents those open to
    residents."""
    categories = Category.objects.filter(active=True)
    if user is None or not user.is_authenticated or user.is_resident_only:
        categories = categories.filter(resident_may_report=True)
    return categories


def workorder_compounds_of(user: User) -> QuerySet[Compound]:
    """Compounds whose requests a member of staff sees: those they serve (customer manager,
    electrician, property staff), those of their communities (grid admin) and districts
    (supervisor). Department members see only what was handed to their department."""
    direct = CompoundAssignment.objects.filter(user=user).values("compound_id")
    community = CommunityAssignment.objects.filter(user=user).values("community_id")
    district = DistrictAssignment.objects.filter(user=user).values("district_id")
    return Compound.objects.filter(
        Q(pk__in=direct)
        | Q(community_id__in=community)
        | Q(community__street__district_id__in=district)
    )


def workorders_visible_to(user: User) -> QuerySet[WorkOrder]:
    """Every request the user may open: their own and their households' as a resident; the
    requests of the compounds they work in; and anything that is or was in their hands or
    their department's. Each part is a plain condition or an id subquery, never a join, so
    rows are not repeated and the database can use its indexes."""
    if not user.is_authenticated or not user.is_active:
        return WorkOrder.objects.none()
    if user.is_superuser:
        return WorkOrder.objects.all()
    households = HouseholdMembership.objects.filter(user=user).values("household_id")
    scope = Q(created_by=user) | Q(household_id__in=households) | Q(assignee=user) | Q(owner=user)
    if not user.is_resident_only:
        # The property side (electricians, property office) sees its compounds' behind-the-meter
        # work, not residents' bills, complaints or business applications.
        property_side = CompoundAssignment.objects.filter(
            user=user, role__in=(RoleCode.ELECTRICIAN, RoleCode.PROPERTY_STAFF)
        ).values("compound_id")
        utility_side = Compound.objects.filter(
            Q(
                pk__in=CompoundAssignment.objects.filter(
                    user=user, role=RoleCode.CUSTOMER_MANAGER
                ).values("compound_id")
            )
            | Q(
                community_id__in=CommunityAssignment.objects.filter(user=user).values(
                    "community_id"
                )
            )
            | Q(
                community__street__district_id__in=DistrictAssignment.objects.filter(
                    user=user
                ).values("district_id")
            )
        )
        scope |= Q(compound_id__in=utility_side.values("pk")) | Q(
            compound_id__in=property_side,
            category_id__in=Category.objects.filter(routing=Category.Routing.ELECTRICIAN).values(
                "pk"
            ),
        )
    if user.department_id is not None and user.has_role(RoleCode.DEPARTMENT):
        handed = WorkOrderEvent.objects.filter(to_department_id=user.department_id)
        scope |= Q(department_id=user.department_id) | Q(pk__in=handed.values("workorder_id"))
    return WorkOrder.objects.filter(scope)


def workorder_for(user: User, pk: int) -> WorkOrder:
    """One request the user may see, or 404: outside the scope it does not exist."""
    workorder = (
        workorders_visible_to(user)
        .select_related(
            "category",
            "compound",
            "household",
            "assignee",
            "owner",
            "department",
            "created_by",
        )
        .filter(pk=pk)
        .first()
    )
    if workorder is None:
        raise Http404
    return workorder


def count_up_to(workorders: QuerySet[WorkOrder], cap: int) -> int:
    """How many requests there are, counted no further than cap + 1, which means "more than
    cap". A manager's scope can hold tens of thousands: counting them all took longer than
    reading the page itself."""
    return workorders.order_by()[: cap + 1].count()


def workorder_rows(workorders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """Requests for a list: what a row shows, in a fixed number of queries."""
    return workorders.select_related("category", "compound", "assignee", "department").only(
        "pk",
        "status",
        "channel",
        "description",
        "priority",
        "opinion_risk",
        "escalation_level",
        "next_due",
        "accept_late",
        "arrive_late",
        "resolve_late",
        "created_at",
        "updated_at",
        "rating",
        "household_id",
        "category__code",
        "category__name",
        "category__name_en",
        "category__kind",
        "compound__code",
        "compound__name",
        "assignee__username",
        "assignee__display_name",
        "department__code",
        "department__name",
    )


def workorder_queue_of(user: User, workorders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """What is waiting on the user: in their hands, or their department's and unclaimed."""
    q = Q(assignee=user)
    if user.department_id is not None:
        q |= Q(assignee__isnull=True, department_id=user.department_id)
    return workorders.filter(q, status__in=WorkOrder.QUEUE_STATUSES)


def due_soon(
    workorders: QuerySet[WorkOrder], *, now: datetime.datetime | None = None, hours: int = 4
) -> QuerySet[WorkOrder]:
    now = now or timezone.now()
    return workorders.filter(
        status__in=WorkOrder.ACTIVE_STATUSES,
        next_due__gt=now,
        next_due__lte=now + datetime.timedelta(hours=hours),
    )


def overdue(
    workorders: QuerySet[WorkOrder], *, now: datetime.datetime | None = None
) -> QuerySet[WorkOrder]:
    """Requests with a deadline already missed that are still open."""
    now = now or timezone.now()
    return workorders.filter(status__in=WorkOrder.ACTIVE_STATUSES).filter(
        Q(next_due__lte=now)
        | Q(accept_late=True, accepted_at__isnull=True)
        | Q(arrive_late=True, arrived_at__isnull=True)
        | Q(resolve_late=True, resolved_at__isnull=True)
    )


def timeline_of(workorder: WorkOrder) -> QuerySet[WorkOrderEvent]:
    return workorder.events.select_related("by", "to_user", "to_department").order_by("at", "pk")
