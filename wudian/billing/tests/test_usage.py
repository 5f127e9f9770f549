"""Usage analysis for metering disputes: the compound's median of similar households, abnormal
jumps against the months before and the same month a year before, runs of zero use, the advice
chosen from them, and the snapshot's round trip through JSON."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wudian.billing.charts import daily_chart, monthly_chart
from wudian.billing.models import MeterReading
from wudian.billing.services import usage
from wudian.billing.services.usage import UsageAnalysis, month_add, usage_analysis
from wudian.conftest import City
from wudian.core.errors import BadInput
from wudian.grid.models import Household

pytestmark = pytest.mark.django_db

UNTIL = datetime.date(2026, 10, 1)


def months_back(n: int) -> list[datetime.date]:
    """The n months up to UNTIL, oldest first."""
    return [month_add(UNTIL, -k) for k in range(n - 1, -1, -1)]


def read(household: Household, values: dict[datetime.date, str | int], **extra: object) -> None:
    MeterReading.objects.bulk_create(
        MeterReading(
            household=household,
            month=month,
            kwh=Decimal(str(kwh)),
            source=MeterReading.Source.IMPORT,
            **extra,
        )
        for month, kwh in values.items()
    )


def neighbour(city: City, room: str) -> Household:
    return Household.objects.create(
        building=city.north_building,
        station_area=city.station_area,
        account_no=f"35{room}",
        unit="2",
        room=room,
        address=f"北苑小区1号楼2单元{room}室",
    )


def flat(value: int, months: int = 24) -> dict[datetime.date, str | int]:
    return dict.fromkeys(months_back(months), value)


def test_the_median_is_of_similar_households_of_the_compound_in_one_query(city: City) -> None:
    # Three neighbours at 100, 200 and 400 kWh: the median is 200. A vacant flat (a few kWh a
    # month) and a household of another compound do not count, nor does the household itself.
    read(city.north_home, flat(1000))
    for room, kwh in [("201", 100), ("202", 200), ("203", 400)]:
        read(neighbour(city, room), flat(kwh))
    read(neighbour(city, "204"), flat(3))
    read(city.south_home, flat(5000))
    # One neighbour has no reading in the last month: the median that month is of two.
    late = neighbour(city, "205")
    read(late, dict.fromkeys(months_back(24)[:-1], 900))

    with CaptureQueriesContext(connection) as queries:
        medians = usage.compound_medians(city.north_home, month_add(UNTIL, -11), UNTIL)
    assert len(queries) == 1
    assert medians[month_add(UNTIL, -1)] == (Decimal("300.0"), 4)
    assert medians[UNTIL] == (Decimal("200.0"), 3)

    with CaptureQueriesContext(connection) as queries:
        analysis = usage_analysis(city.north_home, until=UNTIL, months=12)
    # The household, its readings and the compound's: none per neighbour.
    assert len(queries) == 3
    assert [m.median_kwh for m in analysis.series][-1] == Decimal("200.0")
    assert analysis.series[-1].neighbours == 3
    assert analysis.series[-1].last_year_kwh == Decimal(1000)
    assert any(a.code == "above_neighbours" for a in analysis.advice)


def test_an_abnormal_jump_is_beyond_the_months_before_and_the_same_month_a_year_before(
    city: City,
) -> None:
    values: dict[datetime.date, str | int] = dict(flat(200))
    values[UNTIL] = 400  # +100 % on both: abnormal
    values[month_add(UNTIL, -3)] = 60  # −70 % on both: abnormal, down
    read(city.north_home, values)

    analysis = usage_analysis(city.north_home, until=UNTIL, months=12, answer_working_days=5)

    jumps = {(j.month, j.direction): j for j in analysis.jumps}
    up = jumps[(UNTIL, "up")]
    assert up.abnormal
    assert up.baseline_change == Decimal("1.000")
    assert up.last_year_change == Decimal("1.000")
    assert jumps[(month_add(UNTIL, -3), "down")].abnormal
    assert analysis.meter_test_warranted
    codes = [a.code for a in analysis.advice]
    assert {"jump_up", "leak", "jump_down", "test_warranted", "answer_rule"} <= set(codes)
    rule = next(a for a in analysis.advice if a.code == "answer_rule")
    assert rule.params == {"days": "5"}


def test_a_rise_the_same_month_a_year_before_also_had_is_the_season(city: City) -> None:
    # Each August (UNTIL − 2) runs at 450 against a usual 200: +125 % on the months before,
    # but equal to a year before.
    values: dict[datetime.date, str | int] = dict(flat(200))
    for month in values:
        if month.month == 8:
            values[month] = 450
    read(city.north_home, values)

    analysis = usage_analysis(city.north_home, until=UNTIL, months=12)

    [jump] = analysis.jumps
    assert jump.month == datetime.date(2026, 8, 1)
    assert jump.explained_by == "season"
    assert not jump.abnormal
    assert not analysis.meter_test_warranted
    codes = [a.code for a in analysis.advice]
    assert "seasonal" in codes
    assert "test_not_needed" in codes
    assert "jump_up" not in codes
    assert "tip_cooling" in codes


def test_a_jump_the_whole_compound_had_is_not_abnormal(city: City) -> None:
    # A cold snap this January (UNTIL=2026-10 → January 2026 is in the period) doubled
    # everyone's use against the January before.
    values: dict[datetime.date, str | int] = dict(flat(200))
    values[datetime.date(2026, 1, 1)] = 500
    read(city.north_home, values)
    for room in ("201", "202", "203"):
        theirs: dict[datetime.date, str | int] = dict(flat(180))
        theirs[datetime.date(2026, 1, 1)] = 450
        read(neighbour(city, room), theirs)

    analysis = usage_analysis(city.north_home, until=UNTIL, months=12)

    [jump] = analysis.jumps
    assert jump.explained_by == "compound"
    assert not analysis.meter_test_warranted


def test_runs_of_zero_use_by_month_and_by_day(city: City) -> None:
    values: dict[datetime.date, str | int] = dict(flat(200))
    # Two months without use, lived in before and after: the meter may have stopped.
    values[month_add(UNTIL, -5)] = 0
    values[month_add(UNTIL, -4)] = "0.4"
    read(city.north_home, {m: v for m, v in values.items() if m != UNTIL})
    # The last month day by day: 4 days at zero, a day not collected, then use again.
    days: list[str | None] = ["7.5"] * 31
    days[10:14] = ["0", "0.00", "0", "0.02"]
    days[20] = None
    days[21:23] = ["0", "0"]  # two days: too short a run
    read(city.north_home, {UNTIL: "200"}, daily=days)

    analysis = usage_analysis(city.north_home, until=UNTIL, months=12)

    runs = [(r.unit, r.start, r.end, r.length, r.occupied) for r in analysis.zero_runs]
    assert runs == [
        ("month", month_add(UNTIL, -5), month_add(UNTIL, -4), 2, True),
        ("day", datetime.date(2026, 10, 11), datetime.date(2026, 10, 14), 4, True),
    ]
    # The months of a run are not also counted as jumps down.
    assert not [j for j in analysis.jumps if j.direction == "down"]
    assert len(analysis.daily) == 31
    assert analysis.daily[20].kwh is None
    assert analysis.meter_test_warranted
    codes = [a.code for a in analysis.advice]
    assert "zero_months_occupied" in codes
    assert "zero_days" in codes
    warranted = next(a for a in analysis.advice if a.code == "test_warranted")
    assert warranted.params == {"reasons": "zero"}


def test_a_vacant_home_is_told_as_such_not_as_a_faulty_meter(city: City) -> None:
    values: dict[datetime.date, str | int] = dict(flat(0, months=12))
    values.update({month_add(UNTIL, -k): 200 for k in range(12, 24)})
    read(city.north_home, values)

    analysis = usage_analysis(city.north_home, until=UNTIL, months=12)

    [run] = analysis.zero_runs
    assert run.length == 12
    assert not run.occupied
    assert not analysis.meter_test_warranted
    assert "zero_months" in [a.code for a in analysis.advice]


def test_no_finding_gives_the_normal_advice_and_the_default_period(city: City) -> None:
    read(city.north_home, flat(200))

    analysis = usage_analysis(city.north_home)

    assert analysis.until == UNTIL
    assert analysis.months == 12
    assert not analysis.jumps
    assert not analysis.zero_runs
    assert [a.code for a in analysis.advice_of("cause")] == ["normal"]
    assert not [a for a in analysis.advice if a.code == "answer_rule"]


def test_without_readings_the_advice_says_so(city: City) -> None:
    analysis = usage_analysis(city.north_home, until=UNTIL)
    assert [a.code for a in analysis.advice] == ["no_readings", "tip_standby"]
    assert all(m.kwh is None for m in analysis.series)


@pytest.mark.parametrize(
    ("until", "months", "field"),
    [(UNTIL, 0, "months"), (UNTIL, 37, "months"), (datetime.date(2999, 1, 1), 12, "until")],
)
def test_a_period_that_cannot_be_analysed_is_refused(
    city: City, until: datetime.date, months: int, field: str
) -> None:
    with pytest.raises(BadInput) as refused:
        usage_analysis(city.north_home, until=until, months=months)
    assert field in refused.value.message_dict


def test_the_snapshot_goes_to_json_and_back_unchanged(city: City) -> None:
    values: dict[datetime.date, str | int] = dict(flat(200))
    values[UNTIL] = 450
    values[month_add(UNTIL, -6)] = 0
    values[month_add(UNTIL, -7)] = 0
    read(city.north_home, {m: v for m, v in values.items() if m != UNTIL})
    read(city.north_home, {UNTIL: 450}, daily=["15"] * 10 + [None] + ["0"] * 5 + ["20"] * 15)
    read(neighbour(city, "201"), flat(150))
    analysis = usage_analysis(city.north_home, until=UNTIL, months=12, answer_working_days=5)

    data = json.loads(json.dumps(analysis.to_json()))
    again = UsageAnalysis.from_json(data)

    assert again == analysis
    assert data["series"][-1] == {
        "month": "2026-10-01",
        "kwh": "450.000",
        "last_year_kwh": "200.000",
        "median_kwh": "150.0",
        "neighbours": 1,
    }
    assert [a.text for a in again.advice] == [a.text for a in analysis.advice]


def test_the_charts_mark_jumps_zero_use_and_days_not_collected(city: City) -> None:
    values: dict[datetime.date, str | int] = dict(flat(200))
    values[month_add(UNTIL, -1)] = 500
    values[month_add(UNTIL, -4)] = 0
    values[month_add(UNTIL, -5)] = 0
    read(city.north_home, {m: v for m, v in values.items() if m != UNTIL})
    read(city.north_home, {UNTIL: 200}, daily=["8"] * 29 + [None, "0"])
    read(neighbour(city, "201"), flat(150))
    analysis = usage_analysis(city.north_home, until=UNTIL, months=12)

    monthly = monthly_chart(analysis)
    kinds = [bar.css for bar in monthly.bars]
    assert kinds.count("bar-jump") == 1
    assert kinds.count("bar-zero") == 2
    assert kinds.count("bar-last") == 12
    assert len(monthly.dots) == 12
    daily = daily_chart(analysis)
    assert daily is not None
    assert [bar.css for bar in daily.bars].count("bar-missing") == 1
