"""`wudian import_readings`: the engine's results stored per station area and day.

The `city` fixture's station area TA1 has the supply meter SUPPLY-TA1 (x80) and three user
meters M3400000001..3 (x1); figures are worked out in the comments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from wudian.analytics.models import ImportRun, MeterAnomaly, StationAreaDay
from wudian.analytics.tests.conftest import checks
from wudian.conftest import City, snapshot
from wudian.core.models import ServiceRule
from wudian.grid.models import Meter
from wudian.workorders.models import Channel, WorkOrder

HEADER = ("meter_id", "read_date", "register_kwh")
SUPPLY = "SUPPLY-TA1"
U1, U2, U3 = "M3400000001", "M3400000002", "M3400000003"


def readings(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def month(u3_day3: str = "40") -> list[tuple[str, str, str]]:
    # Supply: 1 kWh x 80 = 80 a day. Day 1 users 30 + 20 + 20 = 70 (loss 10, rate 0.125,
    # high_loss); day 2 users 30 + 30 + 20 = 80 (loss 0, qualified).
    registers = {
        SUPPLY: ("100", "101", "102"),
        U1: ("0", "30", "60"),
        U2: ("0", "20", "50"),
        U3: ("0", "20", u3_day3),
    }
    days = ("2024-06-01", "2024-06-02", "2024-06-03")
    return [(meter, days[i], values[i]) for meter, values in registers.items() for i in range(3)]


def run(path: Path, *args: str) -> None:
    with translation.override("en"):
        call_command("import_readings", "--readings", str(path), *args)


@pytest.mark.django_db
def test_import_stores_the_engine_result_per_area_and_day(city: City, tmp_path: Path) -> None:
    run(readings(tmp_path / "june.csv", month()))
    day1, day2 = StationAreaDay.objects.filter(station_area=city.station_area).order_by("date")
    assert (day1.date, day2.date) == (date(2024, 6, 1), date(2024, 6, 2))
    assert day1.supply_kwh == Decimal("80.000")
    assert day1.user_kwh == Decimal("70.000")
    assert day1.loss_kwh == Decimal("10.000")
    assert day1.loss_rate == Decimal("0.125000")
    assert day1.status == "high_loss"
    assert (day1.meters_total, day1.meters_collected) == (4, 4)
    assert day1.collection_rate == Decimal("1.000000")
    assert (day2.loss_kwh, day2.status) == (Decimal("0.000"), "qualified")
    run_row = ImportRun.objects.get()
    assert (run_row.file_name, run_row.readings, run_row.rows) == ("june.csv", 12, 2)
    assert MeterAnomaly.objects.count() == 0


@pytest.mark.django_db
def test_backwards_register_is_an_anomaly_and_the_day_incomplete(
    city: City, tmp_path: Path
) -> None:
    run(readings(tmp_path / "june.csv", month(u3_day3="15")))
    day2 = StationAreaDay.objects.get(date=date(2024, 6, 2))
    assert day2.status == "incomplete"
    assert day2.loss_rate is None
    assert day2.loss_kwh is None
    assert (day2.meters_collected, day2.collection_rate) == (3, Decimal("0.750000"))
    anomaly = MeterAnomaly.objects.get(kind="backwards")
    assert anomaly.meter.meter_no == U3
    assert anomaly.date == date(2024, 6, 2)
    assert (anomaly.register_kwh, anomaly.next_register_kwh) == (Decimal(20), Decimal(15))
    # A backwards register is also a day the meter was not collected.
    failure = MeterAnomaly.objects.get(kind="not_collected")
    assert (failure.meter, failure.date, failure.date_to) == (
        anomaly.meter,
        anomaly.date,
        anomaly.date,
    )


@pytest.mark.django_db
def test_reimporting_the_month_replaces_its_days(city: City, tmp_path: Path) -> None:
    run(readings(tmp_path / "first.csv", month(u3_day3="15")))
    run(readings(tmp_path / "second.csv", month()))
    assert StationAreaDay.objects.count() == 2
    assert StationAreaDay.objects.get(date=date(2024, 6, 2)).status == "qualified"
    assert MeterAnomaly.objects.count() == 0
    assert ImportRun.objects.count() == 2


@pytest.mark.django_db
def test_parquet_export_is_read(city: City, tmp_path: Path) -> None:
    source = readings(tmp_path / "june.csv", month())
    target = tmp_path / "june.parquet"
    duckdb.read_csv(str(source), all_varchar=True).project(
        "meter_id, CAST(read_date AS DATE) AS read_date, "
        "CAST(register_kwh AS DOUBLE) AS register_kwh"
    ).write_parquet(str(target))
    run(target, "--from", "2024-06-02", "--to", "2024-06-02")
    assert list(StationAreaDay.objects.values_list("date", "status")) == [
        (date(2024, 6, 2), "qualified")
    ]


@pytest.mark.django_db
def test_bad_file_names_file_row_and_column_and_writes_nothing(city: City, tmp_path: Path) -> None:
    run(readings(tmp_path / "good.csv", month()))
    before = stored()
    rows = month()
    rows[4] = (U1, "2024-06-02", "thirty")
    bad = readings(tmp_path / "bad.csv", rows)
    with pytest.raises(CommandError) as caught:
        run(bad)
    message = str(caught.value)
    assert f"{bad}, row 5, column register_kwh" in message
    assert stored() == before


@pytest.mark.django_db
def test_unknown_meter_and_missing_column_are_refused(city: City, tmp_path: Path) -> None:
    before = stored()
    rows = [*month(), ("NOT-A-METER", "2024-06-01", "1")]
    with pytest.raises(CommandError, match=r"row 13, column meter_id") as caught:
        run(readings(tmp_path / "unknown.csv", rows))
    assert "not in the meters registered in Wudian" in str(caught.value)
    missing = tmp_path / "missing.csv"
    missing.write_text("meter_id,read_date\nSUPPLY-TA1,2024-06-01\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"missing\.csv, column register_kwh"):
        run(missing)
    assert stored() == before


@pytest.mark.django_db
def test_single_day_export_is_refused(city: City, tmp_path: Path) -> None:
    rows = [row for row in month() if row[1] == "2024-06-01"]
    before = stored()
    with pytest.raises(CommandError, match="single day"):
        run(readings(tmp_path / "day.csv", rows))
    assert stored() == before


# -- meters not collected and the requests they open ---------------------------------------

JUNE = date(2024, 6, 1)
JULY = date(2024, 7, 1)


def export(days: int, *, missing: dict[str, set[int]] | None = None, start: date = JUNE) -> list:
    """Every meter of TA1 read on `days` days from `start` (1 kWh x 80 supplied, 20 + 30 + 30
    used a day: qualified), except the (meter, day number) pairs in `missing`."""
    missing = missing or {}
    daily = {SUPPLY: 1, U1: 20, U2: 30, U3: 30}
    rows = []
    for meter, use in daily.items():
        for n in range(days):
            if n not in missing.get(meter, set()):
                day = start + timedelta(days=n)
                rows.append((meter, day.isoformat(), str(1000 + use * n)))
    return rows


def stretches(meter_no: str) -> list[tuple[date, date | None]]:
    return list(
        MeterAnomaly.objects.filter(meter__meter_no=meter_no, kind="not_collected")
        .order_by("date")
        .values_list("date", "date_to")
    )


def stored() -> dict[str, Any]:
    """What an import writes, as stored: a refused file leaves it as it was."""
    rows = [*StationAreaDay.objects.all(), *MeterAnomaly.objects.all()]
    return snapshot(*rows, ImportRun, WorkOrder)


@pytest.mark.django_db
def test_days_not_collected_are_stored_as_one_stretch_per_meter(city: City, tmp_path: Path) -> None:
    # 6 reading days give 5 days (06-01..06-05). U1 misses its reading of 06-03: not collected
    # on 06-02 and 06-03. U2 misses 06-05 and 06-06: not collected on 06-04 and 06-05.
    run(readings(tmp_path / "june.csv", export(6, missing={U1: {2}, U2: {4, 5}})))

    assert stretches(U1) == [(date(2024, 6, 2), date(2024, 6, 3))]
    assert stretches(U2) == [(date(2024, 6, 4), date(2024, 6, 5))]
    assert stretches(U3) == stretches(SUPPLY) == []
    assert MeterAnomaly.objects.count() == 2
    run_row = ImportRun.objects.get()
    assert (run_row.meters_not_collected, run_row.requests_opened) == (2, 0)
    assert not checks().exists()  # two days in a row: below the rule's three


@pytest.mark.django_db
def test_three_days_in_a_row_open_one_check_request_for_the_meter(
    city: City, tmp_path: Path
) -> None:
    # U1 misses 06-03 and 06-04: not collected on 06-02, 06-03 and 06-04.
    stdout = io.StringIO()
    with translation.override("en"):
        call_command(
            "import_readings",
            "--readings",
            str(readings(tmp_path / "june.csv", export(6, missing={U1: {2, 3}}))),
            stdout=stdout,
        )

    request = checks().get()
    meter = Meter.objects.get(meter_no=U1)
    assert request.channel == Channel.METER_DATA
    assert request.created_by is None
    assert (request.meter, request.station_area, request.household) == (
        meter,
        city.station_area,
        None,
    )
    assert request.compound == city.north  # the meter's home is in 北苑小区
    assert request.assignee == city.manager  # routed to that compound's customer manager
    assert request.address_text == city.north_home.address
    assert U1 in request.description
    assert "连续 3 天未采集成功" in request.description
    assert "2024-06-02 至 2024-06-04（3 天）" in request.description
    assert request.events.get().kind == "submitted"
    stretch = MeterAnomaly.objects.get(kind="not_collected")
    assert (stretch.date, stretch.date_to, stretch.workorder) == (
        date(2024, 6, 2),
        date(2024, 6, 4),
        request,
    )
    assert ImportRun.objects.get().requests_opened == 1
    assert "1 meters not collected on some day; 1 check requests opened" in stdout.getvalue()


@pytest.mark.django_db
def test_importing_the_same_days_twice_opens_no_second_request(city: City, tmp_path: Path) -> None:
    path = readings(tmp_path / "june.csv", export(6, missing={U1: {2, 3}}))
    run(path)
    request = checks().get()
    # Even once the request is closed, the same stretch keeps its request.
    WorkOrder.objects.filter(pk=request.pk).update(status=WorkOrder.Status.CLOSED)

    run(path)

    assert list(checks()) == [request]
    assert MeterAnomaly.objects.get(kind="not_collected").workorder == request
    assert ImportRun.objects.latest("pk").requests_opened == 0


@pytest.mark.django_db
def test_an_open_request_for_the_meter_is_reused(city: City, tmp_path: Path) -> None:
    run(readings(tmp_path / "june.csv", export(6, missing={U1: {2, 3}})))
    request = checks().get()

    # A new, separate failure in July while June's request is still open: linked, not opened.
    run(readings(tmp_path / "july.csv", export(6, missing={U1: {2, 3}}, start=date(2024, 7, 1))))

    assert list(checks()) == [request]
    assert [s.workorder for s in MeterAnomaly.objects.filter(kind="not_collected")] == [
        request,
        request,
    ]

    # Once it is closed, August's failure opens a new one.
    WorkOrder.objects.filter(pk=request.pk).update(status=WorkOrder.Status.CLOSED)
    run(readings(tmp_path / "aug.csv", export(6, missing={U1: {2, 3}}, start=date(2024, 8, 1))))

    assert checks().count() == 2


@pytest.mark.django_db
def test_a_stretch_spans_consecutive_imports(city: City, tmp_path: Path) -> None:
    # First export 06-01..06-04 (days 06-01..06-03): U2 misses 06-03 and 06-04, so it is not
    # collected on 06-02 and 06-03. Second export 06-04..06-07 (days 06-04..06-06): U2 misses
    # 06-04 again: not collected on 06-04. Together: 06-02..06-04, three days.
    run(readings(tmp_path / "a.csv", export(4, missing={U2: {2, 3}})))
    assert not checks().exists()

    run(readings(tmp_path / "b.csv", export(4, missing={U2: {0}}, start=date(2024, 6, 4))))

    assert stretches(U2) == [(date(2024, 6, 2), date(2024, 6, 4))]
    request = checks().get()
    assert request.meter.meter_no == U2
    assert "2024-06-02 至 2024-06-04" in request.description


@pytest.mark.django_db
def test_reimporting_part_of_a_stretch_splits_it(city: City, tmp_path: Path) -> None:
    # U3 never reports 06-02..06-06: not collected 06-01..06-06 (first export of 8 days).
    run(readings(tmp_path / "a.csv", export(8, missing={U3: {1, 2, 3, 4, 5}})))
    assert stretches(U3) == [(date(2024, 6, 1), date(2024, 6, 6))]
    request = checks().get()
    assert request.compound == city.south  # U3's home is in 南苑小区

    # A corrected export of 06-03..06-05 in which U3 reports: days 06-03 and 06-04 are fine.
    run(readings(tmp_path / "fix.csv", export(3, start=date(2024, 6, 3))))

    assert stretches(U3) == [
        (date(2024, 6, 1), date(2024, 6, 2)),
        (date(2024, 6, 5), date(2024, 6, 6)),
    ]
    assert [s.workorder for s in MeterAnomaly.objects.filter(kind="not_collected")] == [
        request,
        request,
    ]
    assert checks().count() == 1


@pytest.mark.django_db
def test_the_rule_sets_the_number_of_days(city: City, tmp_path: Path) -> None:
    ServiceRule.objects.update_or_create(
        key="lineloss.meter_failure_days", defaults={"value": Decimal(2)}
    )
    run(readings(tmp_path / "june.csv", export(6, missing={U1: {2}})))
    assert checks().get().meter.meter_no == U1

    ServiceRule.objects.update_or_create(
        key="lineloss.meter_failure_days", defaults={"value": Decimal(0)}
    )
    run(readings(tmp_path / "july.csv", export(6, missing={U2: {2, 3, 4}}, start=JULY)))
    assert checks().count() == 1  # 0: the rule is off


@pytest.mark.django_db
def test_a_silent_supply_meter_is_filed_under_the_area_s_first_compound(
    city: City, tmp_path: Path
) -> None:
    city.station_area.compounds.add(city.south)
    run(readings(tmp_path / "june.csv", export(6, missing={SUPPLY: {2, 3}})))

    request = checks().get()
    assert request.meter.meter_no == SUPPLY
    assert request.compound == city.north  # the first of the area's compounds
    assert request.address_text == "北苑1号台区（TA1）"
    # the area is incomplete on those days: no line loss without its supply
    assert set(
        StationAreaDay.objects.filter(date__range=(date(2024, 6, 2), date(2024, 6, 4))).values_list(
            "status", flat=True
        )
    ) == {"incomplete"}


@pytest.mark.django_db
def test_a_meter_silent_all_month_is_one_row(city: City, tmp_path: Path) -> None:
    run(readings(tmp_path / "june.csv", export(31, missing={U2: set(range(31))})))

    assert stretches(U2) == [(date(2024, 6, 1), date(2024, 6, 30))]
    assert MeterAnomaly.objects.count() == 1
    assert checks().count() == 1


@pytest.mark.django_db
def test_a_refused_file_opens_no_request_and_keeps_the_stretches(
    city: City, tmp_path: Path
) -> None:
    run(readings(tmp_path / "june.csv", export(6, missing={U1: {2}})))
    before = stored()
    rows = export(6, missing={U1: {2, 3}, U2: {1, 2, 3}})
    rows.append(("NOT-A-METER", "2024-06-01", "1"))

    with pytest.raises(CommandError):
        run(readings(tmp_path / "bad.csv", rows))

    assert stored() == before
    assert not checks().exists()


@pytest.mark.django_db
def test_two_failures_of_one_meter_in_one_import_open_one_request(
    city: City, tmp_path: Path
) -> None:
    # U1 is not collected on 06-02..06-04 and again on 06-07..06-10.
    run(readings(tmp_path / "june.csv", export(12, missing={U1: {2, 3, 7, 8, 9}})))

    assert stretches(U1) == [
        (date(2024, 6, 2), date(2024, 6, 4)),
        (date(2024, 6, 7), date(2024, 6, 10)),
    ]
    request = checks().get()
    assert "连续 4 天未采集成功" in request.description
    assert "2024-06-02 至 2024-06-04（3 天）；2024-06-07 至 2024-06-10（4 天）" in (
        request.description
    )
    assert {s.workorder for s in MeterAnomaly.objects.filter(kind="not_collected")} == {request}
