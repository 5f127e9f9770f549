"""The business calendar (wudian.core.calendar): working days on China's official calendar,
adjusted working days (调休) included, and a refusal in a year it has no data for."""

from __future__ import annotations

import datetime

import pytest
from chinese_calendar import constants

from wudian.core.calendar import (
    CHINA,
    CalendarUnavailable,
    add_working_days,
    china_date,
    deadline,
    extend_deadline,
    is_working_day,
    working_days_between,
)

# The first year the installed calendar has no data for (2027 while this is written).
UNKNOWN_YEAR = max(day.year for day in constants.holidays) + 1


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CHINA)


def end_of(year: int, month: int, day: int) -> datetime.datetime:
    """Midnight in China after that day."""
    return datetime.datetime(year, month, day, tzinfo=CHINA) + datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (datetime.date(2026, 2, 14), True),  # Saturday worked before the Spring Festival
        (datetime.date(2026, 2, 16), False),  # Monday in the Spring Festival holiday
        (datetime.date(2026, 2, 28), True),  # Saturday worked after it
        (datetime.date(2026, 9, 20), True),  # Sunday worked before National Day
        (datetime.date(2026, 10, 1), False),  # National Day
        (datetime.date(2026, 10, 7), False),  # the last day of its holiday (a Wednesday)
        (datetime.date(2026, 10, 10), True),  # Saturday worked after it
        (datetime.date(2026, 10, 11), False),  # an ordinary Sunday
        (datetime.date(2026, 11, 27), True),  # an ordinary Friday
    ],
)
def test_working_days_follow_the_official_calendar(day: datetime.date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Friday 27 Nov 2026: the day it starts does not count, the weekend is skipped.
        (at(2026, 11, 27, 9), 1, end_of(2026, 11, 30)),
        (at(2026, 11, 27, 9), 5, end_of(2026, 12, 4)),
        # Friday 13 Feb 2026, before the Spring Festival: Saturday 14 Feb is worked, then
        # 15–23 Feb are holidays, and Saturday 28 Feb is worked again.
        (at(2026, 2, 13), 1, end_of(2026, 2, 14)),
        (at(2026, 2, 13), 2, end_of(2026, 2, 24)),
        (at(2026, 2, 13), 5, end_of(2026, 2, 27)),
        (at(2026, 2, 13), 6, end_of(2026, 2, 28)),
        # Friday 18 Sep 2026: Saturday is a rest day, Sunday 20 Sep is worked.
        (at(2026, 9, 18), 1, end_of(2026, 9, 20)),
        # Wednesday 30 Sep 2026: 1–7 Oct are holidays, Saturday 10 Oct is worked.
        (at(2026, 9, 30), 1, end_of(2026, 10, 8)),
        (at(2026, 9, 30), 3, end_of(2026, 10, 10)),
        (at(2026, 9, 30), 7, end_of(2026, 10, 15)),
        # Filed on a holiday: the first working day after it counts.
        (at(2026, 10, 3), 1, end_of(2026, 10, 8)),
        # Zero working days: by the end of the day it starts.
        (at(2026, 11, 27, 9), 0, end_of(2026, 11, 27)),
    ],
)
def test_working_day_deadlines_skip_holidays_and_count_adjusted_working_days(
    start: datetime.datetime, days: int, due: datetime.datetime
) -> None:
    assert add_working_days(start, days) == due
    assert deadline(start, days, "working_days") == due


def test_working_days_are_counted_on_beijing_time() -> None:
    # 23:30 UTC on Friday 27 Nov is already Saturday 28 Nov in China: the count starts there.
    late_friday_utc = datetime.datetime(2026, 11, 27, 23, 30, tzinfo=datetime.UTC)

    assert china_date(late_friday_utc) == datetime.date(2026, 11, 28)
    assert add_working_days(late_friday_utc, 1) == end_of(2026, 11, 30)


def test_minute_deadlines_are_wall_time_even_over_a_holiday() -> None:
    start = at(2026, 10, 1, 23, 50)

    assert deadline(start, 45, "minutes") == at(2026, 10, 2, 0, 35)


def test_an_unknown_unit_is_an_error() -> None:
    with pytest.raises(ValueError, match="hours"):
        deadline(at(2026, 11, 27), 3, "hours")


def test_a_year_without_data_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarUnavailable, match=str(UNKNOWN_YEAR)):
        is_working_day(datetime.date(UNKNOWN_YEAR, 3, 3))
    with pytest.raises(CalendarUnavailable):
        deadline(at(UNKNOWN_YEAR, 3, 3), 1, "working_days")
    # Before the calendar's first year too.
    with pytest.raises(CalendarUnavailable):
        is_working_day(datetime.date(2003, 6, 2))


def test_a_deadline_that_ends_before_the_unknown_year_is_still_computed() -> None:
    last_known = UNKNOWN_YEAR - 1
    # 28 Dec is a Monday in 2026 and a working day; the next one may fall in the unknown year.
    start = at(last_known, 12, 27)
    first_working = min(
        day
        for day in (datetime.date(last_known, 12, d) for d in range(28, 32))
        if is_working_day(day)
    )

    assert add_working_days(start, 1) == end_of(first_working.year, 12, first_working.day)
    with pytest.raises(CalendarUnavailable):
        add_working_days(start, 10)


def test_working_days_between_counts_the_half_open_interval() -> None:
    # (Fri 13 Feb, Tue 24 Feb]: Saturday 14 Feb and Tuesday 24 Feb.
    assert working_days_between(datetime.date(2026, 2, 13), datetime.date(2026, 2, 24)) == 2
    assert working_days_between(datetime.date(2026, 2, 24), datetime.date(2026, 2, 24)) == 0


def test_a_pause_moves_a_minute_deadline_by_its_length() -> None:
    due = at(2026, 11, 27, 12)

    moved = extend_deadline(
        due, "minutes", paused_at=at(2026, 11, 27, 10), resumed_at=at(2026, 11, 27, 11, 30)
    )

    assert moved == at(2026, 11, 27, 13, 30)


def test_a_pause_moves_a_working_day_deadline_by_the_working_days_it_covered() -> None:
    due = end_of(2026, 12, 8)
    # Paused Friday, resumed Tuesday: Monday and Tuesday were working days.
    moved = extend_deadline(
        due, "working_days", paused_at=at(2026, 12, 4), resumed_at=at(2026, 12, 8)
    )
    same_day = extend_deadline(
        due, "working_days", paused_at=at(2026, 12, 4, 9), resumed_at=at(2026, 12, 4, 17)
    )
    over_the_weekend = extend_deadline(
        due, "working_days", paused_at=at(2026, 12, 4), resumed_at=at(2026, 12, 6)
    )

    assert moved == end_of(2026, 12, 10)
    assert same_day == due
    assert over_the_weekend == due
