"""The business calendar: deadlines in wall time or in working days on China's official
calendar, adjusted working days (调休) included. A working-day deadline in a year the
calendar has no data for is refused, never guessed."""

from __future__ import annotations

import datetime

import chinese_calendar
from django.utils import timezone
from django.utils.translation import gettext as _


class CalendarUnavailable(ValueError):
    """The official calendar of that year is not known (yet)."""


def is_working_day(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarUnavailable(
            _(
                "The official working-day calendar of %(year)s is not known yet; working-day "
                "deadlines in that year cannot be computed."
            )
            % {"year": day.year}
        ) from None


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """The end (local midnight) of the `days`-th working day after the local date of `start`;
    the day the clock starts does not count. Zero days: the end of that day."""
    day = timezone.localtime(start).date()
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(end)


def working_days_between(first: datetime.date, last: datetime.date) -> int:
    """How many working days lie in (first, last]."""
    count = 0
    day = first
    while day < last:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def deadline(start: datetime.datetime, target: int, unit: str) -> datetime.datetime:
    """`target` minutes or working days after `start` (unit "minutes" or "working_days")."""
    if unit == "working_days":
        return add_working_days(start, target)
    return start + datetime.timedelta(minutes=target)


def extend_deadline(
    due: datetime.datetime,
    unit: str,
    *,
    paused_at: datetime.datetime,
    resumed_at: datetime.datetime,
) -> datetime.datetime:
    """A deadline moved on by a pause: by the pause's length in wall time, or by the working
    days the pause covered."""
    if unit == "working_days":
        covered = working_days_between(
            timezone.localtime(paused_at).date(), timezone.localtime(resumed_at).date()
        )
        if not covered:
            return due
        return add_working_days(due - datetime.timedelta(microseconds=1), covered)
    return due + (resumed_at - paused_at)
