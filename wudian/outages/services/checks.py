"""The checks of what a step is given: times, texts, the kind against its scope, the notice
periods of the service rules, and overlaps with other live outages."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.billing.selectors.reminders import (
    REMINDED,
    REMINDED_SPECIAL,
    current_line,
    overdue_days,
    owes,
)
from wudian.core.calendar import china_date
from wudian.core.errors import BadInput, WrongState, invalid
from wudian.core.rule_catalogue import RULES
from wudian.core.rules import rule_value
from wudian.grid.models import Household
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.policy import may_override
from wudian.outages.services.resolution import Scope

MAX_OVERRIDE_REASON = 2000
MAX_NOTE = 2000

# How far from now an outage's times may lie. No maintenance is planned more than a year ahead,
# and a fault noticed late is recorded within a month; a date beyond either is a slip of the
# keyboard (the year 4950), and the feeds and calendars would carry it.
HORIZON_AHEAD = datetime.timedelta(days=366)
HORIZON_BACK = datetime.timedelta(days=31)

# Control characters other than tab and line breaks, and lone surrogates: no notice needs them,
# and neither XML (CAP, Atom) nor iCalendar can carry them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

NOTICE_RULES = {
    Outage.Kind.PLANNED: "outage.planned.notice_days",
    Outage.Kind.TEMPORARY: "outage.temporary.notice_hours",
    Outage.Kind.ARREARS: "outage.arrears.notice_days",
}


class OutageRuleError(BadInput):
    """A notice that breaks a service rule (the notice period); the message names the rule
    and `rule` holds its key (so does the API's answer)."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message, code="rule", extra={"rule": rule})
        self.rule = rule


class OutageConflictError(WrongState):
    """Another live outage already covers part of the scope at an overlapping time; `other`
    is that outage (the API's answer gives its id as `conflict`)."""

    def __init__(self, message: str, *, other: Outage) -> None:
        super().__init__(message, code="overlap", extra={"conflict": other.pk})
        self.other = other


def local_text(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def check_aware(*values: datetime.datetime) -> None:
    if any(timezone.is_naive(value) for value in values):
        raise BadInput(_("Start and end must carry a time zone."))


def check_times(
    start: datetime.datetime,
    end: datetime.datetime,
    estimated_restoration: datetime.datetime | None = None,
) -> None:
    check_aware(start, end)
    if end <= start:
        raise invalid("end", _("The outage must end after it starts."), "order")
    if estimated_restoration is not None and estimated_restoration <= start:
        raise invalid(
            "estimated_restoration",
            _("The estimated restoration must be after the start."),
            "order",
        )


def check_horizon(
    *, now: datetime.datetime | None = None, **values: datetime.datetime | None
) -> None:
    """Refuse a time further from now than an outage can sensibly lie (the field named);
    `now` is the step's time (the clock's unless a step is recorded at its own time)."""
    now = now or timezone.now()
    for name, value in values.items():
        if value is None:
            continue
        check_aware(value)
        shown = {"date": value.date().isoformat()}
        if value > now + HORIZON_AHEAD:
            raise invalid(
                name,
                _("%(date)s is more than a year ahead: check the date, the year above all.")
                % shown,
                "horizon",
            )
        if value < now - HORIZON_BACK:
            raise invalid(
                name,
                _("%(date)s is more than a month back: check the date, the year above all.")
                % shown,
                "horizon",
            )


def check_no_control(name: str, value: str) -> None:
    if _CONTROL.search(value):
        raise invalid(
            name,
            _("Remove the invisible control characters from this text (pasted along with it)."),
            "control",
        )


def check_text(name: str, value: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(name, _("This field is required."), "required")
    check_no_control(name, value)
    if len(value) > max_length:
        raise invalid(
            name, _("At most %(count)d characters.") % {"count": max_length}, "max_length"
        )
    return value


def check_kind_scope(kind: str, scope: Scope) -> None:
    if kind not in Outage.Kind.values:
        raise invalid("kind", _("Unknown kind of outage: %(kind)s.") % {"kind": kind}, "unknown")
    if kind == Outage.Kind.ARREARS:
        if scope.household is None or not (
            scope.station_areas == scope.compounds == scope.buildings == scope.feeders == []
        ):
            raise BadInput(
                _("An arrears disconnection concerns exactly one household and nothing else.")
            )
    elif scope.household is not None:
        raise BadInput(_("Only an arrears disconnection names a single household."))
    if scope.is_empty:
        raise BadInput(
            _("Say where the power goes off: feeders, station areas, buildings or compounds.")
        )


def _notice_required(kind: str) -> tuple[str, datetime.timedelta] | None:
    key = NOTICE_RULES.get(kind)  # type: ignore[call-overload]
    if key is None:
        return None
    value = rule_value(key)
    unit = datetime.timedelta(hours=1) if key.endswith("_hours") else datetime.timedelta(days=1)
    return key, unit * float(value)


def _format_number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _rule_message(kind: str, key: str, left: datetime.timedelta) -> str:
    rule = RULES[key]
    params = {"value": _format_number(rule_value(key)), "source": rule.source}
    if kind == Outage.Kind.PLANNED:
        text = _(
            "A planned maintenance outage must be announced at least %(value)s days ahead "
            "(%(source)s)"
        )
    elif kind == Outage.Kind.TEMPORARY:
        text = _(
            "A temporary maintenance outage must be announced at least %(value)s hours ahead "
            "(%(source)s)"
        )
    else:
        text = _(
            "An arrears disconnection must be announced at least %(value)s days ahead (%(source)s)"
        )
    hours = int(left.total_seconds() // 3600)
    if left.total_seconds() <= 0:
        detail = _("this outage has already started")
    else:
        detail = _("this outage starts in %(hours)d hours") % {"hours": hours}
    return _("%(rule)s: %(detail)s.") % {"rule": text % params, "detail": detail}


@dataclass(frozen=True)
class NoticePeriod:
    """How a start compares with the notice period of its kind: the rule (its key and the
    message that names it) and the earliest start the rule allows."""

    rule: str
    earliest: datetime.datetime
    too_early: bool
    message: str


def notice_period(
    *, kind: str, start: datetime.datetime, now: datetime.datetime | None = None
) -> NoticePeriod | None:
    """The notice period a start of this kind must keep, or None for a kind without one
    (a fault is published at once). The same rule check_notice refuses by."""
    required = _notice_required(kind)
    if required is None:
        return None
    key, period = required
    now = now or timezone.now()
    # A start is chosen to the minute: the earliest is the next whole minute that keeps it.
    earliest = (now + period).replace(second=0, microsecond=0)
    if earliest < now + period:
        earliest += datetime.timedelta(minutes=1)
    left = start - now
    too_early = left < period
    message = _rule_message(kind, key, left) if too_early else ""
    return NoticePeriod(rule=key, earliest=earliest, too_early=too_early, message=message)


def check_notice(
    *,
    kind: str,
    start: datetime.datetime,
    by: User,
    override_reason: str,
    compound_ids: set[int],
    now: datetime.datetime | None = None,
) -> tuple[str, str] | None:
    """Refuse a notice shorter than the rule allows, unless a supervisor overrides it with a
    reason. Returns (rule key, reason) when the override was used. The notice is counted from
    `now`, the time of publishing."""
    period = notice_period(kind=kind, start=start, now=now)
    if period is None or not period.too_early:
        return None
    key, message = period.rule, period.message
    override_reason = override_reason.strip()
    check_no_control("override_reason", override_reason)
    if not override_reason:
        raise OutageRuleError(
            message + " " + _("A supervisor may override the notice period, giving a reason."),
            rule=key,
        )
    if len(override_reason) > MAX_OVERRIDE_REASON:
        raise invalid("override_reason", _("The reason is too long."), "max_length")
    if not may_override(by, compound_ids):
        raise OutageRuleError(
            message + " " + _("Only a supervisor in charge of these compounds may override it."),
            rule=key,
        )
    return key, override_reason


def _arrears_rules() -> str:
    """Both rules an arrears disconnection keeps, with their numbers and sources."""
    overdue = RULES["arrears.overdue_days"]
    notice = RULES["outage.arrears.notice_days"]
    return _(
        "Supply may be stopped for arrears only after %(overdue)s days overdue and a recorded "
        "reminder (%(overdue_source)s), and with notice at least %(notice)s days ahead "
        "(%(notice_source)s)"
    ) % {
        "overdue": _format_number(rule_value("arrears.overdue_days")),
        "overdue_source": overdue.source,
        "notice": _format_number(rule_value("outage.arrears.notice_days")),
        "notice_source": notice.source,
    }


def check_arrears_reminded(*, household: Household, start: datetime.datetime) -> None:
    """Refuse an arrears disconnection of a household that is not on the current arrears
    list, was not reminded on its current line (a visit, a note, a call or a message; for a
    special-group household a visit or a call only), or is not yet `arrears.overdue_days`
    overdue on the planned start. The refusal names both rules (the overdue days with
    reminders, and the notice period)."""
    line = current_line(household.pk)
    if line is None:
        detail = _("this household is not on the current arrears list")
    elif not owes(line):
        detail = _("this household owes nothing on the current arrears list")
    else:
        special = line.household.special_group
        allowed = REMINDED_SPECIAL if special else REMINDED
        overdue = (china_date(start) - line.due_date).days if line.due_date is not None else None
        if not line.reminders.filter(outcome__in=allowed).exists():
            detail = (
                _("no visit or phone call to this household is recorded on its current line")
                if special
                else _("no reminder to this household is recorded on its current line")
            )
        elif overdue is None or overdue < overdue_days():
            detail = _(
                "on the planned start the bill is %(days)s days overdue (due date: %(due)s)"
            ) % {
                "days": overdue if overdue is not None else 0,
                "due": line.due_date.isoformat() if line.due_date else "—",
            }
        else:
            return
    raise OutageRuleError(
        _("%(rule)s: %(detail)s.") % {"rule": _arrears_rules(), "detail": detail},
        rule="arrears.overdue_days",
    )


def check_overlap(
    *,
    households: QuerySet[Household],
    start: datetime.datetime,
    end: datetime.datetime,
    exclude: Outage | None = None,
) -> None:
    clash = AffectedHousehold.objects.filter(
        outage__state__in=Outage.LIVE_STATES,
        outage__start__lt=end,
        outage__end__gt=start,
        household__in=households.values("pk"),
    )
    if exclude is not None:
        clash = clash.exclude(outage=exclude)
    other_id = clash.values_list("outage_id", flat=True).first()
    if other_id is not None:
        other = Outage.objects.get(pk=other_id)
        raise OutageConflictError(
            _(
                "Another outage already covers part of this area at an overlapping time: "
                "“%(title)s” (no. %(id)d, %(start)s – %(end)s). Change or cancel that one first."
            )
            % {
                "title": other.title,
                "id": other.pk,
                "start": local_text(other.start),
                "end": local_text(other.end),
            },
            other=other,
        )
