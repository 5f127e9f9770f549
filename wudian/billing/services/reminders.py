"""Friendly reminders (友情化催费): the walks of a new list, tell-then-visit for households close
to disconnection, and the outcomes staff record.

A list's walks are one per building with households to remind. Households close to
disconnection are told first through their own channels (an SMS to the household's phone and
the app of its members, never the compound's circle; the message states no amount), recorded
as a `message` reminder by the system, and their walk marks them "visit now". A message never
counts for a special-group household: the walk marks it for a visit or a call."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.billing.models import Arrears, ArrearsImport, Reminder, ReminderWalk
from wudian.billing.policy import REMINDER_POLICY, reminder_parties
from wudian.billing.selectors.arrears import arrears_latest
from wudian.billing.selectors.reminders import STAFF_OUTCOMES, TO_REMIND, close_to_disconnection
from wudian.core.calendar import china_date
from wudian.core.errors import BadInput, invalid
from wudian.grid import scope
from wudian.grid.models import Household
from wudian.notify.services import Audience, notify_publish

MAX_NOTE = 200
CLOSE_TEMPLATE = "arrears_close"


def reminders_prepare(run: ArrearsImport) -> None:
    """Called inside the import's transaction once its lines are stored: builds the walks of
    the new list and tells the households close to disconnection through their channels.
    A handful of queries and bulk writes, whatever the list's length."""
    now = timezone.now()
    per_building: dict[int, int] = {}
    for building_id in (
        Arrears.objects.filter(TO_REMIND, run=run)
        .order_by()
        .values_list("household__building_id", flat=True)
    ):
        per_building[building_id] = per_building.get(building_id, 0) + 1
    ReminderWalk.objects.bulk_create(
        (
            ReminderWalk(run=run, building_id=building_id, households=count, created_at=now)
            for building_id, count in sorted(per_building.items())
        ),
        batch_size=5000,
    )
    _tell_close(run, on=run.as_of, now=now, event=f"arrears:{run.pk}:close")


def reminders_tell_close(*, now: datetime.datetime | None = None) -> int:
    """Tell the households of the current list that became close to disconnection since it
    was imported (days passing the overdue rule) and were not told yet: once per line.
    Returns how many were told. The daily task calls it; safe to run twice."""
    now = now or timezone.now()
    run = arrears_latest()
    if run is None:
        return 0
    today = china_date(now)
    with transaction.atomic():
        return _tell_close(run, on=today, now=now, event=f"arrears:{run.pk}:close:{today}")


def _reachable() -> Q:
    """Households a message reaches: a phone of their own, or a member with an account."""
    return ~Q(household__phone="") | Q(scope.has_active_member("household"))


def _tell_close(
    run: ArrearsImport, *, on: datetime.date, now: datetime.datetime, event: str
) -> int:
    told = Reminder.objects.filter(arrears=OuterRef("pk"), outcome=Reminder.Outcome.MESSAGE)
    to_tell = Arrears.objects.filter(
        TO_REMIND, close_to_disconnection(on), _reachable(), run=run
    ).exclude(Exists(told))
    lines = list(to_tell.order_by().values_list("pk", "household_id", "household__building_id"))
    if not lines:
        return 0
    walks = dict(ReminderWalk.objects.filter(run=run).values_list("building_id", "pk"))
    notify_publish(
        # The same lines as a subquery: a city's list may tell more households than a query
        # may take parameters. Nothing has changed them since `lines` was read.
        audience=Audience(
            households=Household.objects.filter(pk__in=to_tell.values("household_id"))
        ),
        template=CLOSE_TEMPLATE,
        context={"as_of": run.as_of.isoformat()},
        event_key=event,
        source=f"arrears:{run.pk}",
        now=now,
    )
    Reminder.objects.bulk_create(
        (
            Reminder(
                household_id=household,
                arrears_id=pk,
                walk_id=walks.get(building),
                outcome=Reminder.Outcome.MESSAGE,
                by=None,
                at=now,
            )
            for pk, household, building in lines
        ),
        batch_size=5000,
    )
    return len(lines)


def _checked_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise invalid(
            "note", _("At most %(count)d characters.") % {"count": MAX_NOTE}, "max_length"
        )
    return note


def reminder_record(
    *,
    line: Arrears | None = None,
    household: Household | None = None,
    outcome: str,
    note: str = "",
    by: User,
    now: datetime.datetime | None = None,
) -> Reminder:
    """Record the outcome of a visit or a call about a household's arrears line (the line,
    or the household's current line). Refused: a line a later list replaced (WrongState
    409), someone who does not remind that compound (NotAllowed 403), an outcome that is not
    a visit's or a call's, or a note over 200 characters (BadInput 422). Nothing is saved
    then."""
    if outcome not in STAFF_OUTCOMES:
        raise invalid(
            "outcome",
            _("Choose one of: told in person, note left, phone call, not reachable."),
            "invalid_choice",
        )
    note = _checked_note(note)
    with transaction.atomic():
        locked = _locked_line(line, household)
        REMINDER_POLICY.check("record", locked, reminder_parties(by, locked))
        walk_id = (
            ReminderWalk.objects.filter(
                run_id=locked.run_id, building_id=locked.household.building_id
            )
            .values_list("pk", flat=True)
            .first()
        )
        return Reminder.objects.create(
            household_id=locked.household_id,
            arrears=locked,
            walk_id=walk_id,
            outcome=outcome,
            note=note,
            by=by,
            at=now or timezone.now(),
        )


def _locked_line(line: Arrears | None, household: Household | None) -> Arrears:
    lines = Arrears.objects.select_for_update(of=("self",)).select_related(
        "run", "household__building"
    )
    if line is not None:
        return lines.get(pk=line.pk)
    if household is None:
        raise BadInput(_("Say which household or arrears line the reminder is about."))
    found = lines.filter(household=household, current=True).first()
    if found is None:
        raise invalid(
            "household", _("This household is not on the current arrears list."), "not_listed"
        )
    return found
