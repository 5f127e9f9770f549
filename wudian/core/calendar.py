"""The business calendar: deadlines in wall time or in working days on China's official
calendar, adjusted working days (调休) included. A working-day deadline in a year the
calendar has no data for is refused, never guessed.

Working days are counted on Beijing time whatever the server's or the user's time zone: the
State Council's calendar is a list of Chinese dates."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.translation import gettext as _

CHINA = ZoneInfo("Asia/Shanghai")
MINUTES = "minutes"
WORKING_DAYS = "working_days"


class CalendarUnavailable(ValueError):
    """The official calendar of that year is not known (yet)."""


def china_date(at: datetime.datetime) -> datetime.date:
    """The date in China at that moment."""
    return at.astimezone(CHINA).date()


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


def _end_of(day: datetime.date) -> datetime.datetime:
    """Midnight in China after that day, as an aware datetime."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, CHINA)


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """The end (midnight in China) of the `days`-th working day after the date of `start`;
    the day the clock starts does not count. Zero days: the end of that day."""
    day = china_date(start)
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return _end_of(day)


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
    if unit == WORKING_DAYS:
        return add_working_days(start, target)
    if unit != MINUTES:
        raise ValueError(f"Unknown clock unit {unit!r}.")
    return start + datetime.timedelta(minutes=target)


def extend_deadline(
    due: datetime.datetime,
    unit: str,
    *,
    paused_at: datetime.datetime,
    resumed_at: datetime.datetime,
) -> datetime.datetime:
    """A deadline moved on by a pause: by the pause's length in wall time, or by the working
    days the pause covered (a pause within one day moves a working-day deadline not at all)."""
    if unit == WORKING_DAYS:
        covered = working_days_between(china_date(paused_at), china_date(resumed_at))
        if not covered:
            return due
        return add_working_days(due - datetime.timedelta(microseconds=1), covered)
    return due + (resumed_at - paused_at)


def spring_festival_holiday(year: int) -> datetime.date:
    """The first day of the Spring Festival holiday of that year on the official calendar; for
    a year the calendar has no data for, CalendarUnavailable."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 3, 31)
    try:
        for day in chinese_calendar.get_dates(first, last):
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            if on_holiday and name == chinese_calendar.Holiday.spring_festival.value:
                return day
    except NotImplementedError:
        pass
    raise CalendarUnavailable(
        _("The official calendar of %(year)s is not known yet: its Spring Festival date is not.")
        % {"year": year}
    )
