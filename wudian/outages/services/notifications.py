"""The outbox rows of a step: who an outage's event is told to, and what they are told."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from wudian.core.calendar import china_date
from wudian.grid.models import Household
from wudian.grid.scope import phone_calls_for
from wudian.notify.services import Audience, notify_publish
from wudian.outages.models import Outage, OutageEvent
from wudian.outages.selectors import (
    is_private,
    outage_compounds,
    outage_source,
    outage_staff_users,
)
from wudian.outages.services.checks import local_text

TEMPLATES = {
    OutageEvent.Kind.PUBLISHED: "outage_published",
    OutageEvent.Kind.POSTPONED: "outage_postponed",
    OutageEvent.Kind.CHANGED: "outage_changed",
    OutageEvent.Kind.CANCELLED: "outage_cancelled",
    OutageEvent.Kind.ESTIMATE_UPDATED: "outage_estimate",
    OutageEvent.Kind.RESTORED: "outage_restored",
}


def _context(outage: Outage, **extra: Any) -> dict[str, Any]:
    compounds = list(outage_compounds(outage).order_by("code").values_list("code", "name"))
    buildings = list(outage.buildings.order_by("code").values_list("name", flat=True))
    return {
        "outage_id": outage.pk,
        "kind": outage.kind,
        "title": outage.title,
        "reason": outage.reason,
        "start": outage.start.isoformat(),
        "end": outage.end.isoformat(),
        "start_text": local_text(outage.start),
        "end_text": local_text(outage.end),
        "estimated_restoration": (
            outage.estimated_restoration.isoformat() if outage.estimated_restoration else None
        ),
        "estimated_restoration_text": local_text(outage.estimated_restoration),
        "restored_at_text": local_text(outage.restored_at),
        "sequence": outage.sequence,
        "compounds": [name for _code, name in compounds],
        "compound_codes": [code for code, _name in compounds],
        "buildings": buildings,
        # The compound's public window: a private outage is not shown there.
        "url": f"/c/{compounds[0][0]}/" if compounds and not is_private(outage) else "",
        **extra,
    }


def _notify(
    outage: Outage,
    event: OutageEvent,
    *,
    households: QuerySet[Household] | None = None,
    template: str | None = None,
    key_suffix: str = "",
    now: datetime.datetime | None = None,
    **extra: Any,
) -> int:
    """Write the event's messages to the outbox in this transaction: the affected
    households, the staff of the compounds reached, and the compounds' circles. `now` is the
    step's time (the clock's unless the step is recorded at its own time)."""
    if households is None:
        households = Household.objects.filter(affected_by__outage=outage)
    audience = Audience(
        users=list(outage_staff_users(outage)),
        households=households,
        # A compound's circle is read by all its residents: a private outage stays out.
        compounds=[] if is_private(outage) else list(outage_compounds(outage)),
        calls=phone_calls_for(households, on=china_date(now or timezone.now())),
        call_template="outage_call",
    )
    return notify_publish(
        audience=audience,
        template=template or TEMPLATES[event.kind],  # type: ignore[index]
        context=_context(outage, note=event.note, event=event.kind, **extra),
        event_key=f"outage:{outage.pk}:{event.pk}{key_suffix}",
        urgent=outage.kind == Outage.Kind.FAULT,
        source=outage_source(outage),
        now=now,
    )
