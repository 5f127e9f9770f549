"""`wudian import_readings`: the engine's results stored per station area and day.

The `city` fixture's station area TA1 has the supply meter SUPPLY-TA1 (x80) and three user
meters M3400000001..3 (x1); figures are worked out in the comments.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from wudian.analytics.models import ImportRun, MeterAnomaly, StationAreaDay
from wudian.conftest import City

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
    anomaly = MeterAnomaly.objects.get()
    assert anomaly.meter.meter_no == U3
    assert (anomaly.date, anomaly.kind) == (date(2024, 6, 2), "backwards")
    assert (anomaly.register_kwh, anomaly.next_register_kwh) == (Decimal(20), Decimal(15))


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
    before = list(StationAreaDay.objects.values_list("pk", "status"))
    rows = month()
    rows[4] = (U1, "2024-06-02", "thirty")
    bad = readings(tmp_path / "bad.csv", rows)
    with pytest.raises(CommandError) as caught:
        run(bad)
    message = str(caught.value)
    assert f"{bad}, row 5, column register_kwh" in message
    assert list(StationAreaDay.objects.values_list("pk", "status")) == before
    assert ImportRun.objects.count() == 1


@pytest.mark.django_db
def test_unknown_meter_and_missing_column_are_refused(city: City, tmp_path: Path) -> None:
    rows = [*month(), ("NOT-A-METER", "2024-06-01", "1")]
    with pytest.raises(CommandError, match=r"row 13, column meter_id") as caught:
        run(readings(tmp_path / "unknown.csv", rows))
    assert "not in the meters registered in Wudian" in str(caught.value)
    missing = tmp_path / "missing.csv"
    missing.write_text("meter_id,read_date\nSUPPLY-TA1,2024-06-01\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"missing\.csv, column register_kwh"):
        run(missing)
    assert not StationAreaDay.objects.exists()
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_single_day_export_is_refused(city: City, tmp_path: Path) -> None:
    rows = [row for row in month() if row[1] == "2024-06-01"]
    with pytest.raises(CommandError, match="single day"):
        run(readings(tmp_path / "day.csv", rows))
    assert not ImportRun.objects.exists()
