"""Creating an outage notice and publishing it: its households resolved, the notice period
and overlaps checked, everyone it reaches told."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from wudian.accounts.models import User
from wudian.grid.models import Building, Compound, Feeder, Household, StationArea
from wudian.outages.models import Outage, OutageEvent
from wudian.outages.policy import check_may_publish
from wudian.outages.services.checks import (
    check_arrears_reminded,
    check_horizon,
    check_kind_scope,
    check_notice,
    check_overlap,
    check_text,
    check_times,
)
from wudian.outages.services.notifications import _notify
from wudian.outages.services.resolution import Scope, scope_of
from wudian.outages.services.rows import (
    acting_on,
    affect,
    insert_affected_households,
    record_event,
    stamp,
)


def outage_create(
    *,
    by: User,
    kind: str,
    title: str,
    reason: str,
    start: datetime.datetime,
    end: datetime.datetime,
    station_areas: Sequence[StationArea | str] | QuerySet[StationArea] = (),
    compounds: Sequence[Compound | str] | QuerySet[Compound] = (),
    buildings: Sequence[Building | str] | QuerySet[Building] = (),
    feeders: Sequence[Feeder | str] | QuerySet[Feeder] = (),
    household: Household | str | None = None,
    estimated_restoration: datetime.datetime | None = None,
    override_reason: str = "",
    publish: bool = True,
    now: datetime.datetime | None = None,
) -> Outage:
    """Create an outage notice (scope as instances or codes; an arrears disconnection names
    its household) and, unless `publish` is false, publish it at once. `now` is when (the
    clock's time unless a notice of the past is recorded at its own time): the notice period
    and how far the times may lie are counted from it.

    Raises NotAllowed when the scope reaches a compound outside the caller's, BadInput for
    bad input (OutageRuleError for the notice period) and WrongState (OutageConflictError)
    for an overlapping outage; nothing is saved then."""
    title = check_text("title", title, 120)
    reason = check_text("reason", reason, 2000)
    check_times(start, end, estimated_restoration)
    check_horizon(now=now, start=start, end=end, estimated_restoration=estimated_restoration)
    scope = Scope(
        station_areas=station_areas,
        compounds=compounds,
        buildings=buildings,
        feeders=feeders,
        household=household,
    )
    check_kind_scope(kind, scope)
    if kind == Outage.Kind.FAULT and estimated_restoration is None:
        estimated_restoration = end
    with transaction.atomic():
        compound_ids = scope.compound_ids()
        check_may_publish(by, compound_ids)
        outage = Outage.objects.create(
            kind=kind,
            title=title,
            reason=reason,
            start=start,
            end=end,
            estimated_restoration=estimated_restoration,
            created_by=by,
        )
        scope.save_to(outage)
        if scope.household is not None:
            # The household of an arrears disconnection is its whole scope; kept from the start.
            affect(outage, [scope.household.pk])
        record_event(outage, OutageEvent.Kind.CREATED, by, now=now)
        stamp(outage, now, created=True)
        if publish:
            outage = _publish(
                outage=outage,
                by=by,
                override_reason=override_reason,
                scope=scope,
                compound_ids=compound_ids,
                now=now,
            )
    return outage


def outage_publish(
    *,
    outage: Outage,
    by: User,
    override_reason: str = "",
    now: datetime.datetime | None = None,
) -> Outage:
    """Publish a draft: resolve its households, check the notice period (counted from `now`,
    the clock's time unless given) and overlaps, and notify everyone it reaches."""
    with transaction.atomic():
        locked = acting_on(outage, "publish", by)
        scope = scope_of(locked)
        compound_ids = scope.compound_ids()
        # The households about to be recorded may lie in compounds the draft does not name
        # (fed by its station areas): the caller must publish for those too.
        check_may_publish(by, compound_ids)
        return _publish(
            outage=locked,
            by=by,
            override_reason=override_reason,
            scope=scope,
            compound_ids=compound_ids,
            now=now,
        )


def _publish(
    *,
    outage: Outage,
    by: User,
    override_reason: str,
    scope: Scope,
    compound_ids: set[int],
    now: datetime.datetime | None,
) -> Outage:
    households = scope.households()
    if outage.kind == Outage.Kind.ARREARS and scope.household is not None:
        check_arrears_reminded(household=scope.household, start=outage.start)
    override = check_notice(
        kind=outage.kind,
        start=outage.start,
        by=by,
        override_reason=override_reason,
        compound_ids=compound_ids,
        now=now,
    )
    check_overlap(households=households, start=outage.start, end=outage.end, exclude=outage)
    given = now
    now = now or timezone.now()
    outage.state = Outage.State.PUBLISHED
    outage.published_at = now
    fields = ["state", "published_at", "updated_at"]
    if override is not None:
        outage.lead_time_override_reason = override[1]
        outage.lead_time_overridden_by = by
        fields += ["lead_time_override_reason", "lead_time_overridden_by"]
    outage.save(update_fields=fields)
    insert_affected_households(outage, households)
    data: dict[str, Any] = {}
    if override is not None:
        data = {"override": {"rule": override[0], "reason": override[1]}}
    stamp(outage, given)
    event = record_event(outage, OutageEvent.Kind.PUBLISHED, by, now=given, **data)
    _notify(outage, event, now=given)
    return outage
