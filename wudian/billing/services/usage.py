"""Usage analysis for a metering dispute (计量异议用电分析): a household's monthly and daily use
read beside the same months a year before and beside similar households of its compound, with
its abnormal jumps and runs of zero use, and advice in plain words built from those findings.

Pure computation from `MeterReading` rows: nothing here reads requests. The caller passes in
what billing cannot know, such as the number of working days within which a metering complaint
is answered. The result (`UsageAnalysis`) turns into JSON and back, so a request can keep a
snapshot of what staff and the resident were shown.

The rules, with their numbers as the constants below:
- **Similar households** of a month: the other households of the same compound with a reading
  that month, leaving out vacant ones (under VACANT_KWH_PER_YEAR kWh in the twelve months up to
  the analysis' last month). Their median is read in one query for the whole compound.
- **Abnormal jump**: a month more than JUMP_UP above, or more than JUMP_DOWN below, the median
  of its BASELINE_MONTHS previous months, and also beyond those bounds, the same way, against
  the same month a year before. A month beyond the first bound but not the second is the
  season (heating, cooling); so is one where the compound's median moved the same way.
- **Runs of zero use**: ZERO_RUN_MONTHS months or more in a row under ZERO_MONTH_KWH, or
  ZERO_RUN_DAYS days or more in a row at or under ZERO_DAY_KWH in daily data (a day not
  collected ends a run: it is unknown, not zero).
- **A meter test (电能表校验) is warranted** by a jump the season and the compound do not
  explain, or by a run of zero use while the home was lived in (normal use, at least half the
  neighbours' median, in the months around a monthly run, or in the month of a daily run)."""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.billing.models import MeterReading
from wudian.core.errors import BadInput
from wudian.grid.models import Household

JUMP_UP = Decimal("0.60")
JUMP_DOWN = Decimal("0.60")
BASELINE_MONTHS = 6
# A baseline needs at least this many of its months read.
BASELINE_MIN_MONTHS = 3
ZERO_MONTH_KWH = Decimal("1")
ZERO_DAY_KWH = Decimal("0.05")
ZERO_RUN_MONTHS = 2
ZERO_RUN_DAYS = 3
VACANT_KWH_PER_YEAR = Decimal("120")
# The daily chart shows the latest months that have daily values, at most this many.
DAILY_MONTHS = 2
# Use over the period this many times the neighbours' median earns the saving tips first.
ABOVE_NEIGHBOURS = Decimal("1.5")
MAX_MONTHS = 36
HEATING_MONTHS = frozenset({12, 1, 2})
COOLING_MONTHS = frozenset({6, 7, 8, 9})


def month_add(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def _ratio(value: Decimal, base: Decimal | None) -> Decimal | None:
    if base is None or base < ZERO_MONTH_KWH:
        return None
    return (value / base - 1).quantize(Decimal("0.001"))


def _beyond(change: Decimal | None) -> str:
    if change is None:
        return ""
    if change > JUMP_UP:
        return "up"
    if change < -JUMP_DOWN:
        return "down"
    return ""


@dataclass(frozen=True)
class MonthUsage:
    month: datetime.date
    kwh: Decimal | None
    last_year_kwh: Decimal | None
    # The median of similar households in the compound that month, and how many there were.
    median_kwh: Decimal | None
    neighbours: int


@dataclass(frozen=True)
class DayUsage:
    day: datetime.date
    kwh: Decimal | None  # None: not collected


@dataclass(frozen=True)
class Jump:
    month: datetime.date
    direction: str  # "up" or "down"
    kwh: Decimal
    baseline_kwh: Decimal
    baseline_change: Decimal
    last_year_kwh: Decimal | None
    last_year_change: Decimal | None
    # Why it is not abnormal: "season" (the same month a year before was alike), "compound"
    # (the compound's median moved the same way); "" for an abnormal jump.
    explained_by: str = ""

    @property
    def abnormal(self) -> bool:
        return not self.explained_by


@dataclass(frozen=True)
class ZeroRun:
    unit: str  # "month" or "day"
    start: datetime.date
    end: datetime.date
    length: int
    # Normal use around it (monthly) or in its month (daily): someone lived there.
    occupied: bool


class AdviceKind:
    CAUSE = "cause"
    TIP = "tip"
    TEST = "test"
    RULE = "rule"


# Each piece of advice is kept as a code and its values (a snapshot stays readable in either
# language); these are its words.
ADVICE_TEXTS: dict[str, Any] = {
    "no_readings": gettext_lazy(
        "There are no readings of this household for the period: ask the metering centre for "
        "the meter's data before answering."
    ),
    "normal": gettext_lazy(
        "No abnormal jump and no run of zero use: the readings follow the household's usual "
        "pattern and the season."
    ),
    "seasonal": gettext_lazy(
        "Use rose in %(months)s much as it did a year before (or as it did across the "
        "compound): most likely seasonal heating or air conditioning."
    ),
    "jump_up": gettext_lazy(
        "Use in %(months)s is well above both the months before and the same month a year "
        "before. Ask whether new appliances came into use: an electric heater, a water heater, "
        "an electric vehicle charged at home, a new air conditioner."
    ),
    "leak": gettext_lazy(
        "If no new appliance explains the rise, switch every appliance off and watch the "
        "meter: if it still counts, a leak in the home's wiring behind the meter is likely, "
        "and the property electrician can find it."
    ),
    "jump_down": gettext_lazy(
        "Use in %(months)s fell far below both the months before and the same month a year "
        "before: the home may have stood empty, or the meter may be slow or stuck."
    ),
    "zero_months": gettext_lazy(
        "No use for %(n)s months in a row (%(start)s to %(end)s): the home was probably empty."
    ),
    "zero_months_occupied": gettext_lazy(
        "No use for %(n)s months in a row (%(start)s to %(end)s), with normal use before and "
        "after: if someone lived there, the meter may have stopped or be wired wrongly."
    ),
    "zero_days": gettext_lazy(
        "No use for %(n)s days in a row (%(start)s to %(end)s) in a month with use on other "
        "days: if someone was at home then, the meter may have stopped or be wired wrongly."
    ),
    "above_neighbours": gettext_lazy(
        "Over the period the household used %(ratio)s times the median of similar households "
        "in the compound."
    ),
    "tip_cooling": gettext_lazy(
        "Air conditioning: set it to 26 °C in summer and clean its filter every month; each "
        "degree lower costs about 7 per cent more."
    ),
    "tip_heating": gettext_lazy(
        "Heating: an electric heater of 2 kW running 8 hours a day uses about 480 kWh a month; "
        "heat only the rooms in use and close doors and windows."
    ),
    "tip_standby": gettext_lazy(
        "Switch appliances off at the socket rather than leaving them on standby, and let the "
        "water heater run on a timer instead of all day."
    ),
    "tip_valley": gettext_lazy(
        "With a peak/valley meter, run the washing machine, the water heater and the car "
        "charger after 22:00, at the valley price."
    ),
    "test_warranted": gettext_lazy(
        "A meter test (电能表校验) is warranted: %(reasons)s. The customer manager can request "
        "it from this analysis; the metering centre tests the meter and the resident is told "
        "the result."
    ),
    "test_not_needed": gettext_lazy(
        "The readings do not point to a faulty meter, so a meter test is not needed on this "
        "evidence; the resident may still ask for one."
    ),
    "answer_rule": gettext_lazy(
        "A metering complaint is answered within %(days)s working days, and so is the result "
        "of a meter test."
    ),
}

TEST_REASONS: dict[str, Any] = {
    "jump": gettext_lazy("a jump that neither the season nor the compound explains"),
    "zero": gettext_lazy("a run of zero use while the home was lived in"),
}


@dataclass(frozen=True)
class Advice:
    kind: str
    code: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        params = dict(self.params)
        if "reasons" in params:
            params["reasons"] = _("; ").join(
                str(TEST_REASONS[code]) for code in params["reasons"].split(",") if code
            )
        return str(ADVICE_TEXTS[self.code]) % params if params else str(ADVICE_TEXTS[self.code])


@dataclass(frozen=True)
class UsageAnalysis:
    household_id: int
    compound_id: int
    until: datetime.date  # the first day of the last month analysed
    months: int
    series: list[MonthUsage]
    daily: list[DayUsage]
    jumps: list[Jump]
    zero_runs: list[ZeroRun]
    advice: list[Advice]
    meter_test_warranted: bool
    answer_working_days: int | None

    @property
    def first_month(self) -> datetime.date:
        return month_add(self.until, 1 - self.months)

    @property
    def abnormal_jumps(self) -> list[Jump]:
        return [jump for jump in self.jumps if jump.abnormal]

    @property
    def total_kwh(self) -> Decimal:
        return sum((m.kwh for m in self.series if m.kwh is not None), Decimal(0))

    def advice_of(self, kind: str) -> list[Advice]:
        return [item for item in self.advice if item.kind == kind]

    # The snapshot ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: dates as ISO text, kWh as decimal strings."""
        return _plain(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UsageAnalysis:
        return cls(
            household_id=data["household_id"],
            compound_id=data["compound_id"],
            until=_date(data["until"]),
            months=data["months"],
            series=[
                MonthUsage(
                    month=_date(m["month"]),
                    kwh=_dec(m["kwh"]),
                    last_year_kwh=_dec(m["last_year_kwh"]),
                    median_kwh=_dec(m["median_kwh"]),
                    neighbours=m["neighbours"],
                )
                for m in data["series"]
            ],
            daily=[DayUsage(day=_date(d["day"]), kwh=_dec(d["kwh"])) for d in data["daily"]],
            jumps=[
                Jump(
                    month=_date(j["month"]),
                    direction=j["direction"],
                    kwh=Decimal(j["kwh"]),
                    baseline_kwh=Decimal(j["baseline_kwh"]),
                    baseline_change=Decimal(j["baseline_change"]),
                    last_year_kwh=_dec(j["last_year_kwh"]),
                    last_year_change=_dec(j["last_year_change"]),
                    explained_by=j["explained_by"],
                )
                for j in data["jumps"]
            ],
            zero_runs=[
                ZeroRun(
                    unit=z["unit"],
                    start=_date(z["start"]),
                    end=_date(z["end"]),
                    length=z["length"],
                    occupied=z["occupied"],
                )
                for z in data["zero_runs"]
            ],
            advice=[Advice(a["kind"], a["code"], dict(a["params"])) for a in data["advice"]],
            meter_test_warranted=data["meter_test_warranted"],
            answer_working_days=data["answer_working_days"],
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# Reading ------------------------------------------------------------------------------------


def _period(household: Household, until: datetime.date | None, months: int) -> datetime.date:
    if not 1 <= months <= MAX_MONTHS:
        raise BadInput(
            {"months": _("Choose between 1 and %(n)s months.") % {"n": MAX_MONTHS}},
            code="months",
        )
    this_month = timezone.localdate().replace(day=1)
    if until is None:
        latest = (
            MeterReading.objects.filter(household=household, month__lte=this_month)
            .order_by("-month")
            .values_list("month", flat=True)
            .first()
        )
        return latest or month_add(this_month, -1)
    until = until.replace(day=1)
    if until > this_month:
        raise BadInput({"until": _("The last month cannot be in the future.")}, code="until")
    return until


def compound_medians(
    household: Household, first: datetime.date, until: datetime.date
) -> dict[datetime.date, tuple[Decimal, int]]:
    """The median kWh of similar households of the household's compound for each month from
    `first` to `until`, with how many there were: one query for the compound. Similar: the
    other households of the compound with a reading that month, not vacant (at least
    VACANT_KWH_PER_YEAR kWh in the twelve months up to `until`)."""
    rows = MeterReading.objects.filter(
        household__building__compound_id=household.building.compound_id,
        month__gte=min(first, month_add(until, -11)),
        month__lte=until,
    ).exclude(household=household)
    by_household: dict[int, dict[datetime.date, Decimal]] = defaultdict(dict)
    for household_id, month, kwh in rows.values_list("household_id", "month", "kwh").order_by():
        by_household[household_id][month] = kwh
    year_start = month_add(until, -11)
    lived_in = {
        pk
        for pk, readings in by_household.items()
        if sum((kwh for month, kwh in readings.items() if month >= year_start), Decimal(0))
        >= VACANT_KWH_PER_YEAR
    }
    per_month: dict[datetime.date, list[Decimal]] = defaultdict(list)
    for pk in lived_in:
        for month, kwh in by_household[pk].items():
            if month >= first:
                per_month[month].append(kwh)
    return {
        month: (Decimal(statistics.median(values)).quantize(Decimal("0.1")), len(values))
        for month, values in per_month.items()
    }


def _daily(readings: dict[datetime.date, MeterReading], until: datetime.date) -> list[DayUsage]:
    with_daily = sorted(
        (month for month, r in readings.items() if r.daily and month <= until), reverse=True
    )[:DAILY_MONTHS]
    days: list[DayUsage] = []
    for month in sorted(with_daily):
        for n, value in enumerate(readings[month].daily or []):
            days.append(
                DayUsage(
                    day=month + datetime.timedelta(days=n),
                    kwh=None if value is None else Decimal(str(value)),
                )
            )
    return days


# Findings -----------------------------------------------------------------------------------


def _jumps(
    kwh_of: dict[datetime.date, Decimal],
    medians: dict[datetime.date, tuple[Decimal, int]],
    period: list[datetime.date],
    zero_months: set[datetime.date],
) -> list[Jump]:
    jumps = []
    for month in period:
        kwh = kwh_of.get(month)
        if kwh is None or month in zero_months:
            continue
        before = [
            kwh_of[m]
            for m in (month_add(month, -n) for n in range(1, BASELINE_MONTHS + 1))
            if m in kwh_of
        ]
        if len(before) < BASELINE_MIN_MONTHS:
            continue
        baseline = Decimal(statistics.median(before))
        change = _ratio(kwh, baseline)
        direction = _beyond(change)
        if not direction or change is None:
            continue
        last_year = kwh_of.get(month_add(month, -12))
        last_change = _ratio(kwh, last_year)
        explained = ""
        if (last_change is not None and _beyond(last_change) != direction) or (
            last_change is None
            and direction == "up"
            and month.month in HEATING_MONTHS | COOLING_MONTHS
        ):
            explained = "season"
        else:
            now_median = medians.get(month)
            then_median = medians.get(month_add(month, -12))
            if now_median and then_median:
                compound_change = _ratio(now_median[0], then_median[0])
                if _beyond(compound_change) == direction:
                    explained = "compound"
        jumps.append(
            Jump(
                month=month,
                direction=direction,
                kwh=kwh,
                baseline_kwh=baseline.quantize(Decimal("0.1")),
                baseline_change=change,
                last_year_kwh=last_year,
                last_year_change=last_change,
                explained_by=explained,
            )
        )
    return jumps


def _runs(flags: list[tuple[datetime.date, bool]], minimum: int) -> list[list[datetime.date]]:
    """Runs of consecutive True flags at least `minimum` long (the caller gives consecutive
    dates; a False or a gap ends a run)."""
    runs: list[list[datetime.date]] = []
    current: list[datetime.date] = []
    for day, zero in flags:
        if zero:
            current.append(day)
            continue
        if len(current) >= minimum:
            runs.append(current)
        current = []
    if len(current) >= minimum:
        runs.append(current)
    return runs


def _lived_in(kwh: Decimal | None, median: tuple[Decimal, int] | None) -> bool:
    if kwh is None or kwh < ZERO_MONTH_KWH:
        return False
    return median is None or kwh * 2 >= median[0]


def _zero_runs(
    kwh_of: dict[datetime.date, Decimal],
    medians: dict[datetime.date, tuple[Decimal, int]],
    period: list[datetime.date],
    daily: list[DayUsage],
) -> list[ZeroRun]:
    monthly = _runs(
        [(m, m in kwh_of and kwh_of[m] < ZERO_MONTH_KWH) for m in period], ZERO_RUN_MONTHS
    )
    runs = []
    for run in monthly:
        before, after = month_add(run[0], -1), month_add(run[-1], 1)
        occupied = _lived_in(kwh_of.get(before), medians.get(before)) and _lived_in(
            kwh_of.get(after), medians.get(after)
        )
        runs.append(ZeroRun("month", run[0], run[-1], len(run), occupied))
    days = [(d.day, d.kwh is not None and d.kwh <= ZERO_DAY_KWH) for d in daily]
    for run in _runs(days, ZERO_RUN_DAYS):
        month = run[0].replace(day=1)
        runs.append(
            ZeroRun(
                "day", run[0], run[-1], len(run), _lived_in(kwh_of.get(month), medians.get(month))
            )
        )
    return runs


def _months_text(months: list[datetime.date]) -> str:
    return _(", ").join(f"{m:%Y-%m}" for m in months)


def _advice(
    *,
    series: list[MonthUsage],
    jumps: list[Jump],
    zero_runs: list[ZeroRun],
    time_of_use: bool,
    answer_working_days: int | None,
) -> tuple[list[Advice], bool]:
    advice: list[Advice] = []
    read = [m for m in series if m.kwh is not None]
    abnormal_up = [j.month for j in jumps if j.abnormal and j.direction == "up"]
    abnormal_down = [j.month for j in jumps if j.abnormal and j.direction == "down"]
    seasonal = [j.month for j in jumps if not j.abnormal and j.direction == "up"]
    if not read:
        advice.append(Advice(AdviceKind.CAUSE, "no_readings"))
    if seasonal:
        advice.append(Advice(AdviceKind.CAUSE, "seasonal", {"months": _months_text(seasonal)}))
    if abnormal_up:
        advice.append(Advice(AdviceKind.CAUSE, "jump_up", {"months": _months_text(abnormal_up)}))
        advice.append(Advice(AdviceKind.CAUSE, "leak"))
    if abnormal_down:
        advice.append(
            Advice(AdviceKind.CAUSE, "jump_down", {"months": _months_text(abnormal_down)})
        )
    for run in zero_runs:
        if run.unit == "month":
            code = "zero_months_occupied" if run.occupied else "zero_months"
            start, end = f"{run.start:%Y-%m}", f"{run.end:%Y-%m}"
        else:
            code = "zero_days"
            start, end = f"{run.start:%Y-%m-%d}", f"{run.end:%Y-%m-%d}"
        advice.append(
            Advice(AdviceKind.CAUSE, code, {"n": str(run.length), "start": start, "end": end})
        )
    if read and not jumps and not zero_runs:
        advice.append(Advice(AdviceKind.CAUSE, "normal"))
    own = sum((m.kwh for m in read if m.median_kwh is not None and m.kwh is not None), Decimal(0))
    theirs = sum((m.median_kwh for m in read if m.median_kwh is not None), Decimal(0))
    if theirs > 0 and own >= theirs * ABOVE_NEIGHBOURS:
        ratio = (own / theirs).quantize(Decimal("0.1"))
        advice.append(Advice(AdviceKind.CAUSE, "above_neighbours", {"ratio": str(ratio)}))
    months = {m.month.month for m in read}
    if months & COOLING_MONTHS:
        advice.append(Advice(AdviceKind.TIP, "tip_cooling"))
    if months & HEATING_MONTHS:
        advice.append(Advice(AdviceKind.TIP, "tip_heating"))
    advice.append(Advice(AdviceKind.TIP, "tip_standby"))
    if time_of_use:
        advice.append(Advice(AdviceKind.TIP, "tip_valley"))
    reasons = []
    if abnormal_up or abnormal_down:
        reasons.append("jump")
    if any(run.occupied for run in zero_runs):
        reasons.append("zero")
    if reasons:
        advice.append(Advice(AdviceKind.TEST, "test_warranted", {"reasons": ",".join(reasons)}))
    elif read:
        advice.append(Advice(AdviceKind.TEST, "test_not_needed"))
    if answer_working_days is not None:
        advice.append(Advice(AdviceKind.RULE, "answer_rule", {"days": str(answer_working_days)}))
    return advice, bool(reasons)


def usage_analysis(
    household: Household,
    *,
    until: datetime.date | None = None,
    months: int = 12,
    answer_working_days: int | None = None,
) -> UsageAnalysis:
    """The household's use over `months` months up to `until` (any day of the last month;
    by default the latest month read), beside the same months a year before and the median of
    similar households of its compound; its abnormal jumps and runs of zero use; and advice
    (likely causes, saving tips, whether a meter test is warranted and, given
    `answer_working_days`, within how many working days a metering complaint is answered).
    A few queries, whatever the compound's size: the household, its latest month (when
    `until` is not given), its readings, and the compound's readings in one."""
    household = Household.objects.select_related("building").get(pk=household.pk)
    until = _period(household, until, months)
    first = month_add(until, 1 - months)
    # The baseline of the first month reaches back BASELINE_MONTHS, its last year 12.
    readings = {
        r.month: r
        for r in MeterReading.objects.filter(
            household=household, month__gte=month_add(first, -12), month__lte=until
        )
    }
    kwh_of = {month: r.kwh for month, r in readings.items()}
    medians = compound_medians(household, month_add(first, -12), until)
    period = [month_add(first, n) for n in range(months)]
    series = [
        MonthUsage(
            month=month,
            kwh=kwh_of.get(month),
            last_year_kwh=kwh_of.get(month_add(month, -12)),
            median_kwh=medians[month][0] if month in medians else None,
            neighbours=medians[month][1] if month in medians else 0,
        )
        for month in period
    ]
    daily = _daily(readings, until)
    zero_runs = _zero_runs(kwh_of, medians, period, daily)
    zero_months = {
        month_add(run.start, n)
        for run in zero_runs
        if run.unit == "month"
        for n in range(run.length)
    }
    jumps = _jumps(kwh_of, medians, period, zero_months)
    time_of_use = any(readings[m].peak_kwh is not None for m in period if m in readings)
    advice, warranted = _advice(
        series=series,
        jumps=jumps,
        zero_runs=zero_runs,
        time_of_use=time_of_use,
        answer_working_days=answer_working_days,
    )
    return UsageAnalysis(
        household_id=household.pk,
        compound_id=household.building.compound_id,
        until=until,
        months=months,
        series=series,
        daily=daily,
        jumps=jumps,
        zero_runs=zero_runs,
        advice=advice,
        meter_test_warranted=warranted,
        answer_working_days=answer_working_days,
    )
