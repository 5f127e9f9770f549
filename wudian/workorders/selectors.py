"""Reads of resident requests, always in the caller's scope."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from enum import StrEnum

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.core.errors import OutsideScope
from wudian.core.kept import Kept
from wudian.grid.models import Compound, Household
from wudian.grid.scope import Purpose, compound_condition, compounds_for, own_household_ids
from wudian.workorders.models import Category, UsageReport, WorkOrder, WorkOrderEvent


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
    """Compounds whose requests a member of staff works: every request of the compounds they
    work for the utility (customer manager, grid administrator, supervisor) and the
    behind-the-meter requests of those they serve for the property (electrician, property
    office). Department members see only what was handed to their department."""
    return compounds_for(user, Purpose.WORK_REQUESTS) | compounds_for(
        user, Purpose.WORK_PROPERTY_REQUESTS
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
    households = own_household_ids(user)
    scope = Q(created_by=user) | Q(household_id__in=households) | Q(assignee=user) | Q(owner=user)
    utility_side = compound_condition(user, Purpose.WORK_REQUESTS)
    if utility_side is not None:
        scope |= Q(compound_id__in=Compound.objects.filter(utility_side).values("pk"))
    # The property side (electricians, property office) sees its compounds' behind-the-meter
    # work, not residents' bills, complaints or business applications.
    property_side = compound_condition(user, Purpose.WORK_PROPERTY_REQUESTS)
    if property_side is not None:
        scope |= Q(
            compound_id__in=Compound.objects.filter(property_side).values("pk"),
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
        raise OutsideScope(_("No such request, or it is outside your scope."))
    return workorder


def requests_of_home(user: User) -> QuerySet[WorkOrder]:
    """What a user asked for as a resident: the requests of their homes and, for a resident,
    the requests they filed. Staff see their work on the desk, not here."""
    mine = Q(household_id__in=own_household_ids(user))
    if user.is_resident_only:
        mine |= Q(created_by=user)
    return workorders_visible_to(user).filter(mine)


# A closed request the resident did not rate stays on their home page this long.
RATE_WAIT = datetime.timedelta(days=30)


def waiting_on_resident(user: User, *, now: datetime.datetime | None = None) -> QuerySet[WorkOrder]:
    """The requests a resident filed that wait for them: to confirm (resolved), to answer
    (staff wait for them) or to rate (closed lately, not rated); the oldest step first."""
    now = now or timezone.now()
    Status = WorkOrder.Status
    return (
        workorders_visible_to(user)
        .filter(created_by=user)
        .filter(
            Q(status__in=(Status.RESOLVED, Status.WAITING))
            | Q(status=Status.CLOSED, rated_at__isnull=True, closed_at__gte=now - RATE_WAIT)
        )
        .order_by("updated_at", "pk")
    )


def count_up_to(workorders: QuerySet[WorkOrder], cap: int) -> int:
    """How many requests there are, counted no further than cap + 1, which means "more than
    cap". A manager's scope can hold tens of thousands: counting them all took longer than
    reading the page itself."""
    return workorders.order_by()[: cap + 1].count()


def workorder_rows(workorders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """Requests for a list: what a row shows, in a fixed number of queries (the household's
    account number names it in the audit log when the row shows a priority flag)."""
    return workorders.select_related(
        "category", "compound", "assignee", "department", "household"
    ).only(
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
        "household__account_no",
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


def workbench_tabs(
    user: User, workorders: QuerySet[WorkOrder], *, now: datetime.datetime
) -> dict[str, QuerySet[WorkOrder]]:
    """The workbench's four lists, each in the order it is worked through."""
    next_due = F("next_due").asc(nulls_last=True)
    return {
        "mine": workorder_queue_of(user, workorders).order_by(
            "-priority", next_due, "-created_at", "-pk"
        ),
        "due": due_soon(workorders, now=now).order_by("next_due", "pk"),
        "overdue": overdue(workorders, now=now).order_by(
            "-priority", "-escalation_level", next_due, "pk"
        ),
        "all": workorders.order_by("-created_at", "-pk"),
    }


# The timeline ----------------------------------------------------------------------------

Event = WorkOrderEvent.Kind


class Viewer(StrEnum):
    """Who reads a request's timeline."""

    STAFF = "staff"
    RESIDENT = "resident"  # the resident who asked, on their page or through the API
    PUBLIC = "public"  # anyone, through Open311


# Deadline alarms are the staff's business, not the resident's.
STAFF_ONLY_EVENTS = frozenset({Event.WARNED, Event.OVERDUE})
# What a public bulletin board may say about a request: its progress, never who it was
# handed to, what anyone commented or how it was rated.
PUBLIC_EVENTS = frozenset(
    {
        Event.SUBMITTED,
        Event.ACCEPTED,
        Event.ARRIVED,
        Event.WAITING,
        Event.RESUMED,
        Event.RESOLVED,
        Event.REOPENED,
        Event.CANCELLED,
        Event.CLOSED,
    }
)
EVENTS_SEEN: dict[Viewer, frozenset[str]] = {
    Viewer.STAFF: frozenset(Event.values),
    Viewer.RESIDENT: frozenset(Event.values) - STAFF_ONLY_EVENTS,
    Viewer.PUBLIC: PUBLIC_EVENTS,
}


def priority_households(workorders: Iterable[WorkOrder]) -> list[Household]:
    """The households whose special-group status a list of requests shows: those of its
    priority rows (loaded by workorder_rows)."""
    return [wo.household for wo in workorders if wo.priority and wo.household is not None]


def viewer_of(user: User) -> Viewer:
    """How the API shows a request's timeline to its caller."""
    return Viewer.RESIDENT if user.is_resident_only else Viewer.STAFF


def timeline_of(workorder: WorkOrder, viewer: Viewer) -> QuerySet[WorkOrderEvent]:
    """The steps of the request the viewer sees, in order."""
    events = workorder.events.select_related("by", "to_user", "to_department")
    if viewer != Viewer.STAFF:
        events = events.filter(kind__in=sorted(EVENTS_SEEN[viewer]))
    return events.order_by("at", "pk")


# A metering dispute's usage analyses -------------------------------------------------------


def usage_reports_of(workorder: WorkOrder) -> QuerySet[UsageReport]:
    """The analyses attached to a request the caller may see, oldest first."""
    return workorder.usage_reports.select_related("made_by").order_by("made_at", "pk")


def usage_report_for(workorder: WorkOrder, report_id: int) -> UsageReport:
    """One analysis of a request the caller may see (workorder_for), or 404."""
    report = usage_reports_of(workorder).filter(pk=report_id).first()
    if report is None:
        raise OutsideScope(_("No such usage analysis."))
    return report


def meter_tests_of(workorder: WorkOrder) -> QuerySet[WorkOrder]:
    """The meter tests raised from a metering dispute, newest first."""
    return (
        workorder.raised.filter(category__code="meter_test")
        .select_related("department", "assignee")
        .order_by("-created_at", "-pk")
    )
