"""Reads of outages that apply the caller's scope, shared by the pages, the API and the feeds."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from wudian.accounts.models import User
from wudian.grid.models import (
    Building,
    Compound,
    Feeder,
    Household,
    StationArea,
)
from wudian.grid.scope import Purpose, compounds_for, own_households, people_serving
from wudian.grid.selectors import household_views_for
from wudian.notify.selectors import (
    FAILED,
    REACHED,
    WAITING,
    calls_of_source,
    delivery_stats,
    failures_of,
    household_outcomes,
)
from wudian.outages.models import AffectedHousehold, Outage

# Kinds of outage that concern one household's own affairs (its debt): never public, never
# told to a compound's circle; told to the household and the staff serving it only.
PRIVATE_KINDS = (Outage.Kind.ARREARS,)

# How long a restored or cancelled outage stays on a compound's public window and feeds.
RECENT = datetime.timedelta(days=7)

# A household of an outage: reached, waiting, failed, or not reached (no channel to it).
UNREACHED = "unreached"
HOUSEHOLD_OUTCOMES = (REACHED, WAITING, FAILED, UNREACHED)

ScopeItems = Iterable[Any]  # model instances or their codes


def _split(items: ScopeItems) -> tuple[list[int], list[str]]:
    pks: list[int] = []
    codes: list[str] = []
    for item in items:
        if isinstance(item, str):
            codes.append(item)
        else:
            pks.append(item.pk)
    return pks, codes


def _matching(field: str, items: ScopeItems) -> Q | None:
    """Q for `field` being one of the items, given as instances or codes ("" for the row
    itself)."""
    pks, codes = _split(items)
    if not pks and not codes:
        return None
    prefix = f"{field}__" if field else ""
    q = Q()
    if pks:
        q |= Q(**{f"{prefix}pk__in": pks})
    if codes:
        q |= Q(**{f"{prefix}code__in": codes})
    return q


def outage_scope_households(
    *,
    station_areas: ScopeItems = (),
    compounds: ScopeItems = (),
    buildings: ScopeItems = (),
    feeders: ScopeItems = (),
    household: Household | None = None,
) -> QuerySet[Household]:
    """The households a scope given in supply terms reaches (instances or codes; unknown
    codes match nothing). A household whose station area is not recorded counts as
    reached when its compound is fed by a station area in scope: notifying one household
    too many is better than leaving one in the dark."""
    q = Q()
    matched = False
    area_q = _matching("station_area", station_areas)
    feeder_q = _matching("station_area__feeder", feeders)
    for part in (
        area_q,
        feeder_q,
        _matching("building", buildings),
        _matching("building__compound", compounds),
    ):
        if part is not None:
            q |= part
            matched = True
    fed_compounds = Q()
    fed = False
    for part in (
        _matching("station_areas", station_areas),
        _matching("station_areas__feeder", feeders),
    ):
        if part is not None:
            fed_compounds |= part
            fed = True
    if fed:
        q |= Q(
            station_area__isnull=True,
            building__compound__in=Compound.objects.filter(fed_compounds).values("pk"),
        )
    if household is not None:
        q |= Q(pk=household.pk)
        matched = True
    if not matched:
        return Household.objects.none()
    return Household.objects.filter(q)


def outage_scope_compounds(
    *,
    station_areas: ScopeItems = (),
    compounds: ScopeItems = (),
    buildings: ScopeItems = (),
    feeders: ScopeItems = (),
) -> QuerySet[Compound]:
    """The compounds a scope given in supply terms reaches (instances or codes; unknown codes
    match nothing): named, holding a named building, fed by a named station area or feeder,
    or holding a household the scope reaches."""
    q = Q(
        pk__in=outage_scope_households(
            station_areas=station_areas, compounds=compounds, buildings=buildings, feeders=feeders
        )
        .order_by()
        .values("building__compound_id")
    )
    for part in (
        _matching("", compounds),
        _matching("buildings", buildings),
        _matching("station_areas", station_areas),
        _matching("station_areas__feeder", feeders),
    ):
        if part is not None:
            q |= part
    return Compound.objects.filter(q).distinct()


def outage_compounds(outage: Outage) -> QuerySet[Compound]:
    """Every compound an outage reaches: named in its scope, holding one of its buildings or
    affected households, or fed by one of its station areas or feeders. Each source is its
    own subquery: OR-ing joins over several relations multiplies rows."""
    area_compounds = StationArea.compounds.through.objects
    return Compound.objects.filter(
        Q(pk__in=Outage.compounds.through.objects.filter(outage=outage).values("compound_id"))
        | Q(pk__in=Building.objects.filter(outages=outage).values("compound_id"))
        | Q(pk__in=area_compounds.filter(stationarea__outages=outage).values("compound_id"))
        | Q(pk__in=area_compounds.filter(stationarea__feeder__outages=outage).values("compound_id"))
        | Q(
            pk__in=Building.objects.filter(households__affected_by__outage=outage).values(
                "compound_id"
            )
        )
    )


def reaching(compounds: QuerySet[Compound]) -> Q:
    """Q on Outage: the outage reaches one of the compounds (the one definition of "reaches",
    used by lists, the window and the feeds). Subqueries rather than joins,
    since an outage may have tens of thousands of affected households."""
    ids = compounds.values("pk")
    return (
        Q(pk__in=Outage.objects.filter(compounds__in=ids).values("pk"))
        | Q(pk__in=Outage.objects.filter(buildings__compound__in=ids).values("pk"))
        | Q(pk__in=Outage.objects.filter(station_areas__compounds__in=ids).values("pk"))
        | Q(pk__in=Outage.objects.filter(feeders__station_areas__compounds__in=ids).values("pk"))
        | Q(
            pk__in=AffectedHousehold.objects.filter(household__building__compound__in=ids).values(
                "outage_id"
            )
        )
    )


def outage_rows(outages: QuerySet[Outage]) -> QuerySet[Outage]:
    """Outages for a list, with their scope codes and affected-household count in a
    constant number of queries."""
    return (
        Outage.objects.filter(pk__in=outages.values("pk"))
        .annotate(affected_count=Count("affected", distinct=True))
        .prefetch_related(
            Prefetch("station_areas", queryset=StationArea.objects.only("pk", "code", "name")),
            Prefetch("compounds", queryset=Compound.objects.only("pk", "code", "name")),
            Prefetch("buildings", queryset=Building.objects.only("pk", "code", "name")),
            Prefetch("feeders", queryset=Feeder.objects.only("pk", "code", "name")),
        )
        .order_by("-start", "-pk")
    )


def published_outages() -> QuerySet[Outage]:
    """Every outage that was published, whatever became of it: not a draft, nor a draft
    cancelled before it was ever published."""
    return Outage.objects.exclude(state=Outage.State.DRAFT).exclude(
        state=Outage.State.CANCELLED, published_at__isnull=True
    )


def public_outages() -> QuerySet[Outage]:
    """The one answer to which outages the public may see: the compound window, the calendar,
    CAP and Atom feeds and the printable notice all read it. The published outages, except
    an arrears disconnection: it concerns one household's debt and is told to that household
    and the staff serving it only."""
    return published_outages().exclude(kind__in=PRIVATE_KINDS)


def _staff_may_see(user: User) -> Q:
    """Q on Outage: what a member of staff sees. Outages reaching the compounds they oversee;
    an arrears disconnection only where they serve its household or publish outages."""
    arrears = Q(kind__in=PRIVATE_KINDS)
    serving = compounds_for(user, Purpose.SERVE) | compounds_for(user, Purpose.PUBLISH_OUTAGES)
    return (reaching(compounds_for(user, Purpose.OVERSEE)) & ~arrears) | (
        reaching(serving) & arrears
    )


def _resident_may_see(user: User) -> Q:
    """Q on Outage: what a resident sees. The public outages reaching their homes' compounds,
    and any published outage affecting one of their own households (so their own arrears
    disconnection, and no neighbour's)."""
    mine = AffectedHousehold.objects.filter(household__in=own_households(user).values("pk"))
    home = public_outages().filter(reaching(compounds_for(user, Purpose.HOME)))
    return Q(pk__in=home.values("pk")) | Q(
        pk__in=published_outages().filter(pk__in=mine.values("outage_id")).values("pk")
    )


def outages_visible_to(user: User) -> QuerySet[Outage]:
    """Staff see the outages reaching the compounds of their scope, drafts included (an
    arrears disconnection only where they serve it); residents see the published outages
    reaching the compounds of their homes, and their own households' arrears disconnections."""
    if not user.is_authenticated or not user.is_active:
        return Outage.objects.none()
    if user.is_superuser:
        return Outage.objects.all()
    return Outage.objects.filter(_staff_may_see(user) | _resident_may_see(user))


def _upcoming_or_current(now: datetime.datetime) -> Q:
    return Q(state__in=Outage.LIVE_STATES, end__gt=now)


def outages_for_resident(user: User) -> QuerySet[Outage]:
    """The resident's upcoming and current outages: live ones affecting one of their
    households, each with `my_affected` (their households' acknowledgement rows)."""
    mine = own_households(user).values("pk")
    return (
        outage_rows(
            Outage.objects.filter(
                _upcoming_or_current(timezone.now()),
                pk__in=AffectedHousehold.objects.filter(household__in=mine).values("outage_id"),
            )
        )
        .prefetch_related(
            Prefetch(
                "affected",
                queryset=AffectedHousehold.objects.filter(household__in=mine)
                .select_related("household__building")
                .order_by("household_id"),
                to_attr="my_affected",
            )
        )
        .order_by("start", "pk")
    )


def outages_for_staff(user: User) -> QuerySet[Outage]:
    """Upcoming and current live outages reaching the compounds a member of staff works with
    (an arrears disconnection only where they serve it)."""
    if not user.is_authenticated or not user.is_active:
        return Outage.objects.none()
    if user.is_superuser:
        outages = Outage.objects.all()
    else:
        outages = Outage.objects.filter(_staff_may_see(user))
    return outages.filter(_upcoming_or_current(timezone.now()))


def outages_being_prepared(user: User) -> QuerySet[Outage]:
    """The drafts a member of staff may publish: reaching the compounds they publish outages
    for, soonest first, loaded for a list (outage_rows)."""
    if not user.is_authenticated or not user.is_active:
        return Outage.objects.none()
    drafts = Outage.objects.filter(state=Outage.State.DRAFT)
    if not user.is_superuser:
        drafts = drafts.filter(reaching(compounds_for(user, Purpose.PUBLISH_OUTAGES)))
    return outage_rows(drafts).order_by("start", "pk")


def planned_reach(outage: Outage) -> int:
    """How many households a draft's notice would reach if published now (the outage loaded
    by outage_rows): one query."""
    if outage.kind in PRIVATE_KINDS:
        return int(outage.affected_count)  # type: ignore[attr-defined]
    return outage_scope_households(
        station_areas=outage.station_areas.all(),
        compounds=outage.compounds.all(),
        buildings=outage.buildings.all(),
        feeders=outage.feeders.all(),
    ).count()


def outages_for_compound(compound: Compound) -> QuerySet[Outage]:
    """Public: the published outages reaching a compound that are live, or ended, restored or
    cancelled within the last week (calendar feeds show cancellations in place); those to come
    first, each part in date order."""
    now = timezone.now()
    coming = Q(state__in=Outage.LIVE_STATES, end__gt=now)
    return (
        outage_rows(
            public_outages()
            .filter(reaching(Compound.objects.filter(pk=compound.pk)))
            .filter(
                Q(state__in=Outage.LIVE_STATES)
                | Q(end__gte=now - RECENT)
                | Q(restored_at__gte=now - RECENT)
                | Q(cancelled_at__gte=now - RECENT)
            )
        )
        # In date order, the ones still to come (or under way) first, the past week's after.
        .annotate(is_over=Case(When(coming, then=Value(0)), default=Value(1)))
        .order_by("is_over", "start", "pk")
    )


def is_private(outage: Outage) -> bool:
    """Whether the outage is one household's affair (see PRIVATE_KINDS)."""
    return outage.kind in PRIVATE_KINDS


def outage_staff_users(outage: Outage) -> QuerySet[User]:
    """The staff an outage concerns: everyone serving the compounds it reaches."""
    return people_serving(outage_compounds(outage).values_list("pk", flat=True)).order_by("pk")


def outage_reach(outage: Outage) -> dict[str, Any]:
    """How far an outage's notices got, counted in households so that the numbers add up:
    each affected household is reached (a message to it went out on some channel), waiting,
    failed (every message to it failed), or not reached (no phone and no account in the
    app, or its messages were cancelled); per building the same, summing to the whole. The
    messages themselves (households, staff and circles) are counted per channel, with the
    reasons of their failures."""
    source = outage_source(outage)
    stats = delivery_stats(source=source)
    outcomes = household_outcomes(source=source)
    buildings: dict[int, dict[str, Any]] = {}
    zero = {"households": 0, "acknowledged": 0, **dict.fromkeys(HOUSEHOLD_OUTCOMES, 0)}
    for household_id, building_id, building, compound, acknowledged in (
        AffectedHousehold.objects.filter(outage=outage)
        .order_by("household__building__compound__name", "household__building__name")
        .values_list(
            "household_id",
            "household__building_id",
            "household__building__name",
            "household__building__compound__name",
            "acknowledged_at",
        )
    ):
        row = buildings.setdefault(
            building_id,
            {"building_id": building_id, "building": building, "compound": compound, **zero},
        )
        row["households"] += 1
        row["acknowledged"] += acknowledged is not None
        row[outcomes.get(household_id, UNREACHED)] += 1
    totals = {
        key: sum(row[key] for row in buildings.values())
        for key in ("households", "acknowledged", *HOUSEHOLD_OUTCOMES)
    }
    return {
        **totals,
        "total": stats.get("total", 0),
        "messages_sent": stats.get("sent", 0),
        "messages_delivered": stats.get("delivered", 0),
        "messages_failed": stats.get("failed", 0),
        "messages_pending": stats.get("pending", 0),
        # Not sent because this server has no gateway for the channel: not failures.
        "no_gateway": stats.get("no_gateway", 0),
        "by_channel": {
            channel: dict(states) for channel, states in stats.get("by_channel", {}).items()
        },
        "failures": failures_of(source=source),
        "by_building": list(buildings.values()),
    }


def outage_calls(outage: Outage, user: User) -> dict[str, Any]:
    """The phone calls to special-group households about this outage: how many, how many
    made, and the calls to the households the user serves (special-group status is not
    shown to anyone else; the caller logs what was shown)."""
    tasks = list(calls_of_source(outage_source(outage)))
    views = {
        view.household.pk: view for view in household_views_for(user, [t.household for t in tasks])
    }
    return {
        "count": len(tasks),
        "done": sum(task.state == task.State.DONE for task in tasks),
        "rows": [
            {"task": task, "address": views[task.household_id].address}
            for task in tasks
            if not views[task.household_id].masked
        ],
    }


def outage_source(outage: Outage) -> str:
    """The `source` of an outage's outbox rows."""
    return outage_source_of(outage.pk)


def outage_source_of(outage_id: int) -> str:
    return f"outage:{outage_id}"
