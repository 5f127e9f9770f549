"""Periods a figure is computed over: whole local days, from the first to the last inclusive."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.core.errors import BadInput, invalid

# The longest period one figure is computed over: two years and a day (a leap year).
MAX_DAYS = 732
# The days a period may name: a figure compares with the year before and the period before,
# which must be dates too.
EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2099, 12, 31)


class Preset(StrEnum):
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    YEAR_TO_DATE = "year_to_date"
    CUSTOM = "custom"


PRESET_LABELS = {
    Preset.THIS_MONTH: gettext_lazy("This month"),
    Preset.LAST_MONTH: gettext_lazy("Last month"),
    Preset.YEAR_TO_DATE: gettext_lazy("Year to date"),
    Preset.CUSTOM: gettext_lazy("Custom"),
}


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """From the first to the last day, both included, in the station's time zone."""

    first: datetime.date
    last: datetime.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def hours(self) -> int:
        return self.days * 24

    @property
    def start(self) -> datetime.datetime:
        """The first moment of the period (aware)."""
        return timezone.make_aware(datetime.datetime.combine(self.first, datetime.time.min))

    @property
    def end(self) -> datetime.datetime:
        """The first moment after the period (aware): periods are half open in time."""
        following = self.last + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(following, datetime.time.min))

    def previous(self) -> Period:
        """The period of the same length just before this one; a whole month's previous is
        the whole month before it."""
        if self.first.day == 1 and self.last == _month_end(self.last) and self.days <= 31:
            last = self.first - datetime.timedelta(days=1)
            return Period(last.replace(day=1), last)
        return Period(
            self.first - datetime.timedelta(days=self.days),
            self.first - datetime.timedelta(days=1),
        )

    def year_before(self) -> Period:
        """The same days a year earlier (同期)."""
        return Period(_add_years(self.first, -1), _add_years(self.last, -1))

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period."""
        out: list[Period] = []
        first = self.first
        while first <= self.last:
            last = min(_month_end(first), self.last)
            out.append(Period(first, last))
            first = last + datetime.timedelta(days=1)
        return out

    @property
    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def preset_period(preset: Preset, today: datetime.date | None = None) -> Period:
    today = today or timezone.localdate()
    if preset == Preset.LAST_MONTH:
        last = today.replace(day=1) - datetime.timedelta(days=1)
        return Period(last.replace(day=1), last)
    if preset == Preset.YEAR_TO_DATE:
        return Period(today.replace(month=1, day=1), today)
    return Period(today.replace(day=1), today)


def _date(name: str, value: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise invalid(name, _("Enter a date as YYYY-MM-DD."), "invalid") from None
    _within(name, day)
    return day


def _within(name: str, day: datetime.date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise invalid(name, _("Choose a date from 2000 to 2099."), "out_of_range")


def parse_period(
    first: str | None, last: str | None, preset: str | None = None
) -> tuple[Period, Preset]:
    """The period a request asks for: a preset, or from and to dates (either may be left
    out: a missing start is the first of the end's month, a missing end is today)."""
    if preset and preset != Preset.CUSTOM:
        try:
            chosen = Preset(preset)
        except ValueError:
            raise invalid("period", _("Choose a period from the list."), "invalid_choice") from None
        return preset_period(chosen), chosen
    if not first and not last:
        return preset_period(Preset.THIS_MONTH), Preset.THIS_MONTH
    today = timezone.localdate()
    end = _date("to", last) if last else today
    start = _date("from", first) if first else end.replace(day=1)
    if end < start:
        raise invalid("to", _("The period ends before it starts."), "invalid")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadInput({"to": [_("A period is at most two years long.")]})
    return Period(start, end), Preset.CUSTOM


def month_period(month: str) -> Period:
    """A calendar month written YYYY-MM."""
    try:
        first = datetime.date.fromisoformat(f"{month.strip()}-01")
    except ValueError:
        raise invalid("month", _("Enter a month as YYYY-MM."), "invalid") from None
    _within("month", first)
    return Period(first, _month_end(first))
