"""The residents' acknowledgement of an outage notice (已知悉)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.core.errors import BadInput
from wudian.grid.models import Household
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.policy import OUTAGES, parties_of


def outage_acknowledge(
    *,
    outage: Outage,
    household: Household,
    by: User,
    now: datetime.datetime | None = None,
) -> AffectedHousehold:
    """A resident of the household (or staff serving it, after a phone call) confirms the
    notice was received (已知悉), at `now` (the clock's time unless given). Acknowledging twice
    keeps the first time."""
    with transaction.atomic():
        row = (
            AffectedHousehold.objects.select_for_update()
            .select_related("outage")
            .filter(outage=outage, household=household)
            .first()
        )
        current = row.outage if row is not None else Outage.objects.get(pk=outage.pk)
        OUTAGES.check("acknowledge", current, parties_of(by, current, household=household))
        if row is None:
            raise BadInput(_("This outage does not affect that household."))
        if row.acknowledged_at is None:
            row.acknowledged_at = now or timezone.now()
            row.acknowledged_by = by
            row.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return row
