"""Writes of the joint monthly patrols (联合巡视), one function per business action: the
checklists' versions (draft, publish, new draft), the monthly plans generated ahead, an extra
patrol opened from a hazard or an alarm, moving a plan within its month, starting a patrol,
sending its answers (each finding becomes a defect, through the defects part), the second
party's confirmation, and cancelling.

Each action checks who the caller is and what they reach, validates everything before it
saves anything, locks the row it changes and checks the policy on it
(wudian.fieldwork.policy.patrols), in one transaction; messages go to the outbox in the same
transaction."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.accounts.selectors import valid_certificate_holders
from wudian.core.calendar import china_date
from wudian.core.errors import OutsideScope, invalid
from wudian.fieldwork.models import Patrol
from wudian.fieldwork.policy.patrols import PATROLS, patrol_parties
from wudian.fieldwork.selectors.patrols import month_start
from wudian.grid.models import Compound, StationArea
from wudian.grid.scope import (
    Purpose,
    customer_manager_of,
    electricians_of,
    is_supervisor_of,
    reaches_compound,
)
from wudian.notify.services import Audience, notify_publish
from wudian.workorders.models import WorkOrder

logger = logging.getLogger(__name__)

MAX_REASON = 300
MAX_MOVE_REASON = 200
MAX_NOTE = 500


def _clean(value: str | None, *, field: str, limit: int, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise invalid(field, _("Please fill this in."), "required")
    if len(text) > limit:
        raise invalid(
            field, _("At most %(limit)s characters, please.") % {"limit": limit}, "too_long"
        )
    return text


def _today(now: datetime.datetime) -> datetime.date:
    return china_date(now)


def patrol_team_of(compound: Compound, *, on: datetime.date) -> tuple[User | None, User | None]:
    """Who patrols the compound: (its electrician, its customer manager). Of several
    electricians, the first holding a valid certificate, else the first."""
    electricians = list(electricians_of(compound).order_by("username"))
    certified = valid_certificate_holders(electricians, on=on)
    chosen = next((user for user in electricians if user.pk in certified), None)
    if chosen is None and electricians:
        chosen = electricians[0]
    return chosen, customer_manager_of(compound)


def may_open_extra(user: User, compound: Compound) -> bool:
    """Who opens an extra patrol of a compound: those who patrol it (its customer manager
    and its electricians, Purpose.PATROL) and the supervisors of its district (who oversee
    it); a superuser."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or reaches_compound(user, Purpose.PATROL, compound.pk):
        return True
    return user.has_role(RoleCode.SUPERVISOR) and is_supervisor_of(user, compound)


def _tell_team(
    patrol: Patrol, template: str, *, key: str, now: datetime.datetime, **extra: str
) -> int:
    users = [user for user in (patrol.electrician, patrol.manager) if user is not None]
    if not users:
        return 0
    return notify_publish(
        audience=Audience(users=users),
        template=template,
        context={
            "id": patrol.pk,
            "compound": patrol.compound.name,
            "planned_on": patrol.planned_on.isoformat(),
            "reason": patrol.reason or patrol.moved_reason,
            "url": reverse("fieldwork:patrol_detail", args=[patrol.pk]),
            **extra,
        },
        event_key=f"fieldwork:patrol:{patrol.pk}:{key}",
        source=f"fieldwork:patrol:{patrol.pk}",
        now=now,
    )


def patrol_extra_open(
    *,
    compound: Compound,
    by: User,
    reason: str,
    workorder: WorkOrder | None = None,
    station_area: StationArea | None = None,
    planned_on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Patrol:
    """Open an extra patrol of the compound (a resident's hazard report, a line-loss alarm),
    assigned to its electrician and customer manager, keeping the link to the request or the
    station area; both are told. `by` must patrol the compound or supervise its district
    (OutsideScope otherwise); the reason is required and the day (today by default) may not
    be in the past (BadInput)."""
    now = now or timezone.now()
    today = _today(now)
    if not may_open_extra(by, compound):
        raise OutsideScope()
    reason = _clean(reason, field="reason", limit=MAX_REASON)
    planned_on = planned_on or today
    if planned_on < today:
        raise invalid("planned_on", _("The patrol cannot be planned in the past."), "past")
    if workorder is not None and workorder.compound_id != compound.pk:
        raise invalid("workorder", _("The request is not of this compound."), "other_compound")
    if station_area is not None and not station_area.compounds.filter(pk=compound.pk).exists():
        raise invalid(
            "station_area", _("The station area does not feed this compound."), "other_compound"
        )
    electrician, manager = patrol_team_of(compound, on=today)
    with transaction.atomic():
        patrol = Patrol.objects.create(
            compound=compound,
            kind=Patrol.Kind.EXTRA,
            month=month_start(planned_on),
            planned_on=planned_on,
            electrician=electrician,
            manager=manager,
            workorder=workorder,
            station_area=station_area,
            reason=reason,
        )
        _tell_team(patrol, "fieldwork_patrol_extra", key="opened", now=now)
    logger.info("Extra patrol %s of %s opened by %s", patrol.pk, compound.code, by.pk)
    return patrol


@contextmanager
def _acting_on(patrol: Patrol, action: str, *, by: User) -> Iterator[Patrol]:
    """The patrol, locked for the rest of the transaction, once the policy allows `by` to
    take the action on it."""
    with transaction.atomic():
        locked = Patrol.objects.select_for_update().select_related("compound").get(pk=patrol.pk)
        PATROLS.check(action, locked, patrol_parties(by, locked))
        yield locked
