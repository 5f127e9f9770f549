"""The compounds' circles: one robot endpoint per compound, pointing at the development
gateway (debug mode), so a published outage shows what each circle's group would have read."""

from __future__ import annotations

from django.conf import settings

from wudian.front.demo.common import DemoSummary
from wudian.grid.models import Compound
from wudian.notify.models import CircleEndpoint


def circle_url(compound: Compound) -> str:
    return f"{settings.DEV_GATEWAY_URL}circle/{compound.code.lower()}/"


def circles_seed(summary: DemoSummary, compounds: list[Compound]) -> None:
    """Add the demo circle endpoint of each compound that has none; an endpoint that points
    elsewhere (a real robot set up during a demo) is left alone."""
    having = set(
        CircleEndpoint.objects.filter(compound__in=compounds).values_list("compound_id", flat=True)
    )
    missing = [
        CircleEndpoint(
            compound=compound,
            kind=CircleEndpoint.Kind.WEBHOOK,
            name=str(compound.name),
            url=circle_url(compound),
        )
        for compound in compounds
        if compound.pk not in having
    ]
    CircleEndpoint.objects.bulk_create(missing)
    summary.created["CircleEndpoint"] += len(missing)
