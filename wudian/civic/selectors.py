"""Reads of civic work, always in the caller's scope (wudian.grid.scope).

Visits are read by those who do civic work in a compound (Purpose.CIVIC: its customer
manager, its community's grid administrator) and by the supervisors overseeing it. Volunteer
activities are read by everyone reaching one of their compounds — its residents, the staff
serving or overseeing it — once published; a draft only by those who do civic work there."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.civic.models import Activity, Appeal, SignUp, Visit
from wudian.core.errors import OutsideScope
from wudian.grid.models import Community, Compound
from wudian.grid.scope import Purpose, compounds_for

# Who does civic work at all; where, Purpose.CIVIC says.
CIVIC_ROLES = (RoleCode.GRID_ADMIN, RoleCode.CUSTOMER_MANAGER)


def does_civic_work(user: User) -> bool:
    """Whether the user records visits and organises activities (somewhere)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_role(*CIVIC_ROLES))
    )


def civic_compounds_of(user: User) -> QuerySet[Compound]:
    """The compounds whose civic work the user does."""
    return compounds_for(user, Purpose.CIVIC)


def visit_compounds_of(user: User) -> QuerySet[Compound]:
    """The compounds whose visits the user reads: where they do civic work, and, for a
    supervisor, what they oversee."""
    compounds = compounds_for(user, Purpose.CIVIC)
    if user.is_authenticated and user.has_role(RoleCode.SUPERVISOR):
        compounds = compounds | compounds_for(user, Purpose.OVERSEE)
    return compounds


def may_read_visits(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_role(*CIVIC_ROLES, RoleCode.SUPERVISOR))
    )


def communities_of_visits(user: User) -> QuerySet[Community]:
    """The communities a visit list may be filtered by."""
    return Community.objects.filter(
        pk__in=visit_compounds_of(user).values("community_id")
    ).order_by("name", "code")


# Visits -----------------------------------------------------------------------------------


def visits_visible_to(user: User) -> QuerySet[Visit]:
    if not may_read_visits(user):
        return Visit.objects.none()
    if user.is_superuser:
        return Visit.objects.all()
    return Visit.objects.filter(compound_id__in=visit_compounds_of(user).values("pk"))


def visit_rows(visits: QuerySet[Visit]) -> QuerySet[Visit]:
    """A list's visits with what a row shows, in a fixed number of queries."""
    return (
        visits.select_related("compound__community", "building", "recorded_by")
        .annotate(
            appeal_count=Count("appeals", distinct=True),
            open_count=Count(
                "appeals", filter=Q(appeals__status=Appeal.Status.OPEN), distinct=True
            ),
            requested_count=Count(
                "appeals", filter=Q(appeals__status=Appeal.Status.REQUESTED), distinct=True
            ),
        )
        .order_by("-visited_on", "-pk")
    )


def visit_for(user: User, pk: int) -> Visit:
    """One visit the user may read, with its appeals and their requests, or 404."""
    visit = (
        visits_visible_to(user)
        .select_related("compound__community", "building", "household__building__compound")
        .select_related("recorded_by")
        .prefetch_related(
            "visitors",
            Prefetch(
                "appeals",
                queryset=Appeal.objects.select_related("work_order", "answered_by").order_by("pk"),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise OutsideScope(_("No such visit, or it is outside your scope."))
    return visit


def appeal_for(user: User, pk: int) -> Appeal:
    """One appeal of a visit the user may read, or 404."""
    appeal = (
        Appeal.objects.filter(visit__in=visits_visible_to(user).values("pk"), pk=pk)
        .select_related("visit__compound", "visit__household__building__compound", "work_order")
        .first()
    )
    if appeal is None:
        raise OutsideScope(_("No such appeal, or it is outside your scope."))
    return appeal


def appeal_of_request(workorder_id: int) -> Appeal | None:
    """The visit's appeal a request came from, if it came from one."""
    return (
        Appeal.objects.select_related("visit__compound", "visit__recorded_by")
        .filter(work_order_id=workorder_id)
        .first()
    )


@dataclass(frozen=True)
class CivicCounts:
    """The desk card of someone doing civic work."""

    visits_this_month: int
    appeals_open: int
    requested_this_month: int


def month_start(now: datetime.datetime) -> datetime.date:
    return timezone.localdate(now).replace(day=1)


def civic_counts(user: User, *, now: datetime.datetime) -> CivicCounts:
    """Visits this month, appeals still open and appeals turned into requests this month, in
    the compounds of the user's civic work (three queries)."""
    visits = Visit.objects.filter(compound_id__in=civic_compounds_of(user).values("pk"))
    start = month_start(now)
    appeals = Appeal.objects.filter(visit__in=visits.values("pk"))
    return CivicCounts(
        visits_this_month=visits.filter(visited_on__gte=start).count(),
        appeals_open=appeals.filter(status=Appeal.Status.OPEN).count(),
        requested_this_month=appeals.filter(
            status=Appeal.Status.REQUESTED,
            work_order__created_at__gte=timezone.make_aware(
                datetime.datetime.combine(start, datetime.time())
            ),
        ).count(),
    )


# Volunteer activities -------------------------------------------------------------------------


def activity_reach_of(user: User) -> QuerySet[Compound]:
    """The compounds whose published activities the user sees: their homes', and those they
    serve or oversee."""
    return compounds_for(user, Purpose.OVERSEE) | compounds_for(user, Purpose.HOME)


def activities_visible_to(user: User) -> QuerySet[Activity]:
    if not user.is_authenticated or not user.is_active:
        return Activity.objects.none()
    if user.is_superuser:
        return Activity.objects.all()
    published = ~Q(state=Activity.State.DRAFT) & Q(
        pk__in=Activity.compounds.through.objects.filter(
            compound_id__in=activity_reach_of(user).values("pk")
        ).values("activity_id")
    )
    condition = published | Q(organiser=user)
    if does_civic_work(user) or user.has_role(RoleCode.SUPERVISOR):
        drafting = Activity.compounds.through.objects.filter(
            compound_id__in=visit_compounds_of(user).values("pk")
        )
        condition |= Q(pk__in=drafting.values("activity_id"))
    return Activity.objects.filter(condition)


def with_taken(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """Each activity with `taken`: how many places are signed up for."""
    return activities.annotate(
        taken=Count("signups", filter=Q(signups__status=SignUp.Status.SIGNED_UP), distinct=True)
    )


def activity_rows(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    return with_taken(activities).prefetch_related(
        Prefetch("compounds", queryset=Compound.objects.order_by("code").only("pk", "name"))
    )


def activity_for(user: User, pk: int) -> Activity:
    """One activity the user may see, or 404."""
    activity = (
        with_taken(activities_visible_to(user))
        .select_related("organiser")
        .prefetch_related(Prefetch("compounds", queryset=Compound.objects.order_by("code")))
        .filter(pk=pk)
        .first()
    )
    if activity is None:
        raise OutsideScope(_("No such activity, or it is outside your scope."))
    return activity


def taken_places(activity: Activity) -> int:
    return activity.signups.filter(status=SignUp.Status.SIGNED_UP).count()


def signup_of(user: User, activity: Activity) -> SignUp | None:
    return SignUp.objects.filter(activity=activity, user=user).first()


def signups_of_activity(activity: Activity) -> QuerySet[SignUp]:
    """Who signed up (still signed up first), for the organiser."""
    return (
        activity.signups.select_related("user")
        .filter(status=SignUp.Status.SIGNED_UP)
        .order_by("signed_up_at", "pk")
    )


def my_signups(user: User, *, now: datetime.datetime) -> QuerySet[SignUp]:
    """The user's sign-ups of activities not yet over, soonest first."""
    return (
        SignUp.objects.filter(
            user=user,
            status=SignUp.Status.SIGNED_UP,
            activity__ends_at__gt=now,
            activity__state__in=(Activity.State.OPEN, Activity.State.CLOSED),
        )
        .select_related("activity")
        .order_by("activity__starts_at", "pk")
    )
