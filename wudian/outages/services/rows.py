"""The rows every step writes: the outage locked for the step once the policy allows it, its
event, and the households it affects."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from wudian.accounts.models import User
from wudian.grid.models import Household
from wudian.outages.models import AffectedHousehold, Outage, OutageEvent
from wudian.outages.policy import OUTAGES, parties_of


def acting_on(outage: Outage, action: str, by: User) -> Outage:
    """The outage, locked for this transaction, once the policy allows the user the action in
    its current state: two members of staff acting at once are served one after the other."""
    locked = Outage.objects.select_for_update().get(pk=outage.pk)
    OUTAGES.check(action, locked, parties_of(by, locked))
    return locked


def record_event(
    outage: Outage,
    kind: str,
    by: User,
    note: str = "",
    *,
    now: datetime.datetime | None = None,
    **data: Any,
) -> OutageEvent:
    """The step's event, at `now` when the step is recorded at its own time (else the clock's)."""
    event = OutageEvent.objects.create(outage=outage, kind=kind, by=by, note=note, data=data)
    if now is not None:
        # `at` is auto_now_add, which always takes the clock's time on insert.
        OutageEvent.objects.filter(pk=event.pk).update(at=now)
        event.at = now
    return event


def stamp(outage: Outage, now: datetime.datetime | None, *, created: bool = False) -> None:
    """Date a step recorded at its own time (`now` given): the outage's updated_at (and
    created_at when the step created it) are auto fields, which take the clock's time on
    save. Nothing to do for a step taken now."""
    if now is None:
        return
    times = {"updated_at": now, **({"created_at": now} if created else {})}
    Outage.objects.filter(pk=outage.pk).update(**times)
    for name, value in times.items():
        setattr(outage, name, value)


def affect(outage: Outage, household_ids: Iterable[int]) -> None:
    AffectedHousehold.objects.bulk_create(
        [AffectedHousehold(outage_id=outage.pk, household_id=pk) for pk in household_ids],
        batch_size=5000,
    )


def insert_affected_households(outage: Outage, households: QuerySet[Household]) -> None:
    """Record the households a scope reaches, except those already recorded, in one
    INSERT … SELECT: bulk_create took 1.5 s longer for 20,000 (docs/benchmarks.md, "Outage
    publishing")."""
    scope = (
        households.exclude(
            pk__in=AffectedHousehold.objects.filter(outage_id=outage.pk).values("household_id")
        )
        .order_by()
        .values("pk")
        .distinct()
    )
    sql, params = scope.query.sql_with_params()
    table = connection.ops.quote_name(AffectedHousehold._meta.db_table)
    with connection.cursor() as cursor:
        # The table name is ours and the subquery Django's; only params carry values.
        cursor.execute(
            f"INSERT INTO {table} (outage_id, household_id) "  # noqa: S608
            f"SELECT %s, scope.* FROM ({sql}) AS scope",
            [outage.pk, *params],
        )
