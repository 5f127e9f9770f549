"""Arrears and reminders (友情化催费): which lines need a reminder and which are close to
disconnection (one condition each, used by the walks, the daily telling, the pages and the
outages' check), the walks within a person's reach (`Purpose.REMIND`), a walk's stops in the
order of a walk through the building, and whether a household paid after a list."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from wudian.accounts.models import User
from wudian.billing.models import (
    Arrears,
    ArrearsImport,
    Reminder,
    ReminderWalk,
)
from wudian.billing.selectors.arrears import arrears_latest
from wudian.core.errors import OutsideScope
from wudian.core.rules import rule_value
from wudian.grid.models import Household
from wudian.grid.scope import (
    Purpose,
    compounds_for,
    own_household_ids,
)

POSTPAID = Arrears.Kind.POSTPAID
PREPAID = Arrears.Kind.PREPAID
Outcome = Reminder.Outcome

# What staff record on a visit or a call; a message is the system's.
STAFF_OUTCOMES = (
    Outcome.IN_PERSON,
    Outcome.NOTE_LEFT,
    Outcome.PHONE_CALL,
    Outcome.NOT_REACHABLE,
)
# Outcomes that count as a household reminded; for a special-group household only a visit
# or a call counts (never only a message, never a note through the door).
REMINDED = (Outcome.IN_PERSON, Outcome.NOTE_LEFT, Outcome.PHONE_CALL, Outcome.MESSAGE)
REMINDED_SPECIAL = (Outcome.IN_PERSON, Outcome.PHONE_CALL)

# A line to remind: a postpaid account that owes, a prepaid balance below its warning level.
TO_REMIND = Q(kind=POSTPAID, amount__gt=0) | Q(
    kind=PREPAID, warning_level__isnull=False, amount__lt=F("warning_level")
)


def overdue_days() -> int:
    """The rule `arrears.overdue_days`: supply may stop only after this many days overdue."""
    return int(rule_value("arrears.overdue_days"))


def close_to_disconnection(on: datetime.date) -> Q:
    """Lines close to disconnection on a day: a prepaid balance below its warning level, or a
    postpaid amount owed at least `arrears.overdue_days` past its due date."""
    limit = on - datetime.timedelta(days=overdue_days())
    return Q(kind=PREPAID, warning_level__isnull=False, amount__lt=F("warning_level")) | Q(
        kind=POSTPAID, amount__gt=0, due_date__isnull=False, due_date__lte=limit
    )


def counts_as_reminded(prefix: str = "") -> Q:
    """Q on Reminder (or on a relation to it, with `prefix`) for a reminder that counts."""
    return Q(**{f"{prefix}outcome__in": REMINDED_SPECIAL}) | Q(
        **{
            f"{prefix}outcome__in": REMINDED,
            f"{prefix}household__special_group": False,
        }
    )


def is_close(line: Arrears, on: datetime.date) -> bool:
    if line.kind == PREPAID:
        return line.warning_level is not None and line.amount < line.warning_level
    return bool(
        line.amount > 0
        and line.due_date is not None
        and (on - line.due_date).days >= overdue_days()
    )


def days_overdue(line: Arrears, on: datetime.date) -> int | None:
    if line.kind != POSTPAID or line.due_date is None or line.amount <= 0:
        return None
    return max(0, (on - line.due_date).days)


def current_line(household_id: int) -> Arrears | None:
    return (
        Arrears.objects.filter(household_id=household_id, current=True)
        .select_related("run", "household")
        .first()
    )


# Walking through a building ------------------------------------------------------------------

_PARTS = re.compile(r"(\d+)")


def natural(text: str) -> tuple[Any, ...]:
    """A key that sorts "2" before "10" and "A3" before "A12"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in _PARTS.split(text.strip())
        if part
    )


def floor_of(room: str) -> int:
    """The floor a room number says: "1202" → 12, "302" → 3, "5" → 0 (not known)."""
    digits = "".join(_PARTS.findall(room))
    return int(digits[:-2]) if len(digits) > 2 else 0


def walk_order(household: Household) -> tuple[Any, ...]:
    """Unit, floor (from the room number), room: the order of a walk through a building."""
    return (natural(household.unit), floor_of(household.room), natural(household.room))


# Walks within reach --------------------------------------------------------------------------


def reminds_anyone(user: User) -> bool:
    """Whether the user reminds households of some compound (for menus and the desk card)."""
    return bool(user.is_authenticated) and compounds_for(user, Purpose.REMIND).exists()


def _count_of(queryset: QuerySet[Any], group: str) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by()
            .values(group)
            .annotate(n=Count("household_id", distinct=True))
            # the subquery groups by one value
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def walks_for(user: User, run: ArrearsImport | None = None) -> QuerySet[ReminderWalk]:
    """The walks of the user's compounds (Purpose.REMIND) for a list (the current one when
    not given), each with `close` (households close to disconnection on the list's day) and
    `reminded` (households reminded so far: any outcome but not reachable, a message not
    counting for a special-group household)."""
    run = run or arrears_latest()
    if run is None:
        return ReminderWalk.objects.none()
    close = Arrears.objects.filter(
        TO_REMIND,
        close_to_disconnection(run.as_of),
        run=run,
        household__building=OuterRef("building"),
    )
    reminded = Reminder.objects.filter(counts_as_reminded(), walk=OuterRef("pk"))
    return (
        ReminderWalk.objects.filter(
            run=run, building__compound__in=compounds_for(user, Purpose.REMIND).values("pk")
        )
        .select_related("building__compound", "run")
        .annotate(
            close=_count_of(close, "run"),
            reminded=_count_of(reminded, "walk"),
        )
        .order_by("building__compound__name", "building__code")
    )


def walk_for(user: User, pk: int) -> ReminderWalk:
    """One walk of the user's compounds, of any list; OutsideScope (404) otherwise."""
    walk = (
        ReminderWalk.objects.filter(
            pk=pk, building__compound__in=compounds_for(user, Purpose.REMIND).values("pk")
        )
        .select_related("building__compound", "run")
        .first()
    )
    if walk is None:
        raise OutsideScope()
    return walk


def line_for(user: User, pk: int) -> Arrears:
    """One arrears line of a household of the user's compounds (Purpose.REMIND)."""
    line = (
        Arrears.objects.filter(
            pk=pk,
            household__building__compound__in=compounds_for(user, Purpose.REMIND).values("pk"),
        )
        .select_related("run", "household__building__compound")
        .first()
    )
    if line is None:
        raise OutsideScope()
    return line


# A walk's stops ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Paid:
    """A later list on which the household no longer owes (absent) or owes less."""

    as_of: datetime.date
    absent: bool
    amount: Decimal | None = None


@dataclass
class Stop:
    line: Arrears
    household: Household
    close: bool
    days_overdue: int | None
    reminders: list[Reminder] = field(default_factory=list)
    paid: Paid | None = None
    # The household's reminders about the lists before this one.
    earlier: list[Reminder] = field(default_factory=list)

    @property
    def messaged(self) -> bool:
        return any(r.outcome == Outcome.MESSAGE for r in self.reminders)

    @property
    def visited(self) -> bool:
        """Reminded by staff in a way that counts for this household."""
        allowed = REMINDED_SPECIAL if self.household.special_group else REMINDED
        return any(r.by_id is not None and r.outcome in allowed for r in self.reminders)

    @property
    def reminded(self) -> bool:
        allowed = REMINDED_SPECIAL if self.household.special_group else REMINDED
        return any(r.outcome in allowed for r in self.reminders)

    @property
    def visit_now(self) -> bool:
        """Close to disconnection and not yet visited or called."""
        return self.close and not self.visited


@dataclass(frozen=True)
class LineFacts:
    """What deciding whether a line was paid needs of it."""

    pk: int
    household_id: int
    kind: str
    amount: Decimal
    as_of: datetime.date


CHUNK = 5000


def paid_on(lines: list[LineFacts], *, until: datetime.date | None = None) -> dict[int, Paid]:
    """For each line (by its id), the first later list (up to `until`) on which its
    household is absent or owes less (a prepaid balance higher). Two queries for up to 5,000
    households, one more for each 5,000 more."""
    if not lines:
        return {}
    later_runs = ArrearsImport.objects.filter(as_of__gt=min(line.as_of for line in lines))
    if until is not None:
        later_runs = later_runs.filter(as_of__lte=until)
    later = list(later_runs.order_by("as_of", "imported_at", "pk").values_list("pk", "as_of"))
    if not later:
        return {}
    run_ids = [pk for pk, _day in later]
    household_ids = sorted({line.household_id for line in lines})
    amounts: dict[tuple[int, int], Decimal] = {}
    # In chunks: a city's reminded households are more ids than a query may take parameters.
    for start in range(0, len(household_ids), CHUNK):
        amounts.update(
            ((run_id, household_id), amount)
            for run_id, household_id, amount in Arrears.objects.filter(
                run_id__in=run_ids, household_id__in=household_ids[start : start + CHUNK]
            ).values_list("run_id", "household_id", "amount")
        )
    found: dict[int, Paid] = {}
    for line in lines:
        for run_id, day in later:
            if day <= line.as_of:
                continue
            amount = amounts.get((run_id, line.household_id))
            if amount is None:
                found[line.pk] = Paid(as_of=day, absent=True)
                break
            better = amount > line.amount if line.kind == PREPAID else amount < line.amount
            if better:
                found[line.pk] = Paid(as_of=day, absent=False, amount=amount)
                break
    return found


def paid_after(run: ArrearsImport, lines: list[Arrears]) -> dict[int, Paid]:
    """For lines of `run`, the later list on which each paid, by household id."""
    paid = paid_on(
        [LineFacts(line.pk, line.household_id, line.kind, line.amount, run.as_of) for line in lines]
    )
    return {line.household_id: paid[line.pk] for line in lines if line.pk in paid}


def walk_stops(walk: ReminderWalk, *, today: datetime.date) -> list[Stop]:
    """The households of a walk in the order to walk them, each with its line, whether it is
    close to disconnection (on the list's day, or today for the current list), the
    reminders of the line, and the later list on which it paid. Five queries."""
    lines = list(
        Arrears.objects.filter(TO_REMIND, run=walk.run_id, household__building=walk.building_id)
        .select_related("household__building")
        .order_by()
    )
    reminders: dict[int, list[Reminder]] = defaultdict(list)
    earlier: dict[int, list[Reminder]] = defaultdict(list)
    mine = {line.pk for line in lines}
    for reminder in (
        Reminder.objects.filter(
            household__in=[line.household_id for line in lines],
            arrears__run__as_of__lte=walk.run.as_of,
        )
        .select_related("by", "arrears")
        .order_by("at", "pk")
    ):
        if reminder.arrears_id in mine:
            reminders[reminder.arrears_id].append(reminder)
        elif reminder.arrears.run_id != walk.run_id:
            earlier[reminder.household_id].append(reminder)
    paid = paid_after(walk.run, lines)
    on = today if walk.run.lines.filter(current=True).exists() else walk.run.as_of
    stops = [
        Stop(
            line=line,
            household=line.household,
            close=is_close(line, on),
            days_overdue=days_overdue(line, on),
            reminders=reminders.get(line.pk, []),
            paid=paid.get(line.household_id),
            earlier=earlier.get(line.household_id, []),
        )
        for line in lines
    ]
    stops.sort(key=lambda stop: walk_order(stop.household))
    return stops


# A resident's own households ---------------------------------------------------------------


@dataclass(frozen=True)
class HomeArrears:
    """What a resident sees of one of their households on the current list: its line, or
    none (`listed`: the household has been on some list, so "no arrears" is honest)."""

    household: Household
    line: Arrears | None
    close: bool
    listed: bool
    as_of: datetime.date | None


def arrears_of_own(user: User, *, today: datetime.date) -> list[HomeArrears]:
    """The user's own households and their standing on the current list (four queries)."""
    households = list(
        Household.objects.filter(pk__in=own_household_ids(user))
        .select_related("building__compound")
        .order_by("account_no")
    )
    if not households:
        return []
    run = arrears_latest()
    ids = [h.pk for h in households]
    current = {
        line.household_id: line
        for line in Arrears.objects.filter(household_id__in=ids, current=True).select_related("run")
    }
    ever = set(Arrears.objects.filter(household_id__in=ids).values_list("household_id", flat=True))
    result = []
    for household in households:
        line = current.get(household.pk)
        result.append(
            HomeArrears(
                household=household,
                line=line,
                close=line is not None and is_close(line, today),
                listed=household.pk in ever,
                as_of=run.as_of if run is not None else None,
            )
        )
    return [item for item in result if item.line is not None or item.listed]


def owes(line: Arrears) -> bool:
    """Whether the line asks for a reminder (owes, or a balance below its warning level)."""
    if line.kind == POSTPAID:
        return line.amount > 0
    return line.warning_level is not None and line.amount < line.warning_level


def reminders_card(user: User) -> dict[str, Any] | None:
    """For the desk: the user's walks on the current list, households to remind, reminded
    so far and close to disconnection; None for someone who reminds no compound."""
    if not reminds_anyone(user):
        return None
    run = arrears_latest()
    walks = list(walks_for(user, run)) if run is not None else []
    return {
        "run": run,
        "walks": len(walks),
        "households": sum(w.households for w in walks),
        "reminded": sum(getattr(w, "reminded", 0) for w in walks),
        "close": sum(getattr(w, "close", 0) for w in walks),
    }
