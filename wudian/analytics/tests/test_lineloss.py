"""`wudian lineloss`: the line-loss engine over small hand-made exports.

Figures in the expectations are computed by hand in the comments next to them.
"""

from __future__ import annotations

import csv
import io
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wudian.analytics.lineloss import METER_REPORT_COLUMNS, RESULT_COLUMNS, compute_line_loss

METERS_HEADER = ("meter_id", "station_area_id", "role", "multiplier", "account_no")
READINGS_HEADER = ("meter_id", "read_date", "register_kwh")

# Area 台区A: two supply meters (x10 and x1) and two users (x1 and x2).
METERS = [
    ("S1", "台区A", "supply", "10", "0001"),
    ("S2", "台区A", "supply", "1", "0002"),
    ("U1", "台区A", "user", "1", "1001"),
    ("U2", "台区A", "user", "2", "1002"),
]
READINGS = [
    ("S1", "2024-06-01", "100"),
    ("S1", "2024-06-02", "110.5"),
    ("S1", "2024-06-03", "121"),
    ("S2", "2024-06-01", "50"),
    ("S2", "2024-06-02", "54"),
    ("S2", "2024-06-03", "60"),
    ("U1", "2024-06-01", "1000"),
    ("U1", "2024-06-02", "1050.25"),
    ("U1", "2024-06-03", "1100"),
    ("U2", "2024-06-01", "7"),
    ("U2", "2024-06-02", "32"),
    ("U2", "2024-06-03", "60"),
]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: Sequence[Sequence[str]], *, typed: bool = True) -> Path:
    """Write readings to Parquet through DuckDB, typed (DATE, DOUBLE) or as text."""
    source = write_csv(path.with_suffix(".src.csv"), READINGS_HEADER, rows)
    if typed:
        select = (
            "SELECT meter_id, CAST(read_date AS DATE) AS read_date, "
            "CAST(register_kwh AS DOUBLE) AS register_kwh"
        )
    else:
        select = "SELECT meter_id, read_date, register_kwh"
    con = duckdb.connect()
    con.execute(
        f"COPY ({select} FROM read_csv('{source}', all_varchar = true)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    con.close()
    source.unlink()
    return path


def read_result(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == RESULT_COLUMNS
        return list(reader)


def run(
    tmp_path: Path,
    *,
    meters: Sequence[Sequence[str]] = METERS,
    readings: Sequence[Sequence[str]] = READINGS,
    parquet: bool = False,
    args: Sequence[str] = (),
) -> tuple[list[dict[str, str]], str, str]:
    meters_path = write_csv(tmp_path / "meters.csv", METERS_HEADER, meters)
    if parquet:
        readings_path = write_parquet(tmp_path / "readings.parquet", readings)
    else:
        readings_path = write_csv(tmp_path / "readings.csv", READINGS_HEADER, readings)
    out = tmp_path / "result.csv"
    stdout, stderr = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(
            "lineloss",
            "--meters",
            str(meters_path),
            "--readings",
            str(readings_path),
            "--out",
            str(out),
            *args,
            stdout=stdout,
            stderr=stderr,
        )
    return read_result(out), stdout.getvalue(), stderr.getvalue()


def by_day(rows: list[dict[str, str]], area: str = "台区A") -> dict[str, dict[str, str]]:
    return {row["date"]: row for row in rows if row["station_area_id"] == area}


@pytest.mark.parametrize("parquet", [False, True], ids=["csv", "parquet"])
def test_supply_meters_and_multipliers_give_hand_computed_figures(tmp_path, parquet):
    rows, stdout, _ = run(tmp_path, parquet=parquet)

    assert [row["date"] for row in rows] == ["2024-06-01", "2024-06-02"]
    first, second = rows
    # supply: S1 (110.5 - 100) x 10 = 105, S2 (54 - 50) x 1 = 4 -> 109
    # users: U1 50.25 x 1, U2 25 x 2 = 50 -> 100.25; loss 8.75; 8.75 / 109 = 0.0802752...
    assert first == {
        "station_area_id": "台区A",
        "date": "2024-06-01",
        "supply_kwh": "109.000",
        "user_kwh": "100.250",
        "loss_kwh": "8.750",
        "loss_rate": "0.080275",
        "meters_total": "4",
        "meters_collected": "4",
        "collection_rate": "1.000000",
        "status": "qualified",
    }
    # supply: 10.5 x 10 + 6 = 111; users: 49.75 + 28 x 2 = 105.75; loss 5.25 / 111 = 0.0472972
    assert (first["status"], second["supply_kwh"], second["user_kwh"]) == (
        "qualified",
        "111.000",
        "105.750",
    )
    assert (second["loss_kwh"], second["loss_rate"]) == ("5.250", "0.047297")
    assert "2 rows" in stdout


def test_missing_day_leaves_the_area_incomplete(tmp_path):
    readings = [row for row in READINGS if row[:2] != ("U1", "2024-06-02")]

    rows, _, _ = run(tmp_path, readings=readings)

    # U1 lacks 06-02, so neither 06-01 (no D+1) nor 06-02 (no D) is collected for it.
    for row in rows:
        assert row["meters_collected"] == "3"
        assert row["collection_rate"] == "0.750000"
        assert (row["loss_kwh"], row["loss_rate"], row["status"]) == ("", "", "incomplete")
    # the user total only counts the collected user: U2 25 x 2 = 50 on 06-01
    assert rows[0]["user_kwh"] == "50.000"
    assert rows[0]["supply_kwh"] == "109.000"


@pytest.mark.parametrize("parquet", [False, True], ids=["csv", "parquet"])
def test_empty_register_means_not_read(tmp_path, parquet):
    readings = [(m, d, "" if (m, d) == ("S2", "2024-06-03") else r) for m, d, r in READINGS]

    rows, _, _ = run(tmp_path, readings=readings, parquet=parquet)

    day = by_day(rows)
    assert day["2024-06-01"]["status"] == "qualified"
    # S2 is not collected on 06-02: the supply counts S1 only (10.5 x 10 = 105)
    assert day["2024-06-02"]["meters_collected"] == "3"
    assert day["2024-06-02"]["supply_kwh"] == "105.000"
    assert day["2024-06-02"]["status"] == "incomplete"


def test_backwards_register_is_not_collected_and_is_listed(tmp_path):
    readings = [(m, d, "1040" if (m, d) == ("U1", "2024-06-03") else r) for m, d, r in READINGS]
    anomalies = tmp_path / "anomalies.csv"

    rows, _, stderr = run(tmp_path, readings=readings, args=["--anomalies", str(anomalies)])

    day = by_day(rows)
    assert day["2024-06-02"]["meters_collected"] == "3"
    assert day["2024-06-02"]["status"] == "incomplete"
    assert day["2024-06-01"]["status"] == "qualified"
    with anomalies.open(encoding="utf-8") as handle:
        listed = list(csv.DictReader(handle))
    assert [(a["station_area_id"], a["meter_id"], a["date"]) for a in listed] == [
        ("台区A", "U1", "2024-06-02")
    ]
    assert Decimal(listed[0]["register_kwh"]) == Decimal("1050.25")
    assert Decimal(listed[0]["next_register_kwh"]) == Decimal("1040")
    assert "1 backwards registers" in stderr


def test_backwards_register_count_is_reported_without_a_list(tmp_path):
    readings = [(m, d, "1040" if (m, d) == ("U1", "2024-06-03") else r) for m, d, r in READINGS]

    _, _, stderr = run(tmp_path, readings=readings)

    assert "1 backwards registers" in stderr
    assert "--anomalies" in stderr


def test_user_above_supply_is_negative_loss(tmp_path):
    # U2 now uses 60 x 2 = 120 on 06-01: users 170.25 > supply 109
    readings = [(m, d, "67" if (m, d) == ("U2", "2024-06-02") else r) for m, d, r in READINGS]

    rows, _, _ = run(tmp_path, readings=readings)

    first = rows[0]
    assert (first["loss_kwh"], first["status"]) == ("-61.250", "negative_loss")
    # -61.25 / 109 = -0.5619266...
    assert first["loss_rate"] == "-0.561927"


def test_a_loss_too_small_to_print_is_still_negative_when_users_exceed_supply(tmp_path):
    meters = [("S1", "台区B", "supply", "1", "0001"), ("U1", "台区B", "user", "1", "1001")]
    readings = [
        ("S1", "2024-06-01", "0"),
        ("S1", "2024-06-02", "0.01"),
        ("U1", "2024-06-01", "0"),
        ("U1", "2024-06-02", "0.0104"),
    ]

    rows, _, _ = run(tmp_path, meters=meters, readings=readings)

    # -0.0004 kWh prints as 0.000, but the rate (-0.04) and the status keep the sign.
    assert (rows[0]["loss_kwh"], rows[0]["loss_rate"], rows[0]["status"]) == (
        "0.000",
        "-0.040000",
        "negative_loss",
    )


def test_high_loss_follows_max_loss(tmp_path):
    # 06-01 loses 0.080275, 06-02 loses 0.047297
    rows, _, _ = run(tmp_path, args=["--max-loss", "0.05"])
    assert [row["status"] for row in rows] == ["high_loss", "qualified"]

    rows, _, _ = run(tmp_path, args=["--max-loss", "0.080275"])
    assert [row["status"] for row in rows] == ["qualified", "qualified"]

    rows, _, _ = run(tmp_path, args=["--max-loss", "0.080274"])
    assert [row["status"] for row in rows] == ["high_loss", "qualified"]


def test_default_max_loss_is_ten_percent(tmp_path):
    # U1 uses 40 less on 06-01: loss 48.75 / 109 = 0.447
    readings = [(m, d, "1010.25" if (m, d) == ("U1", "2024-06-02") else r) for m, d, r in READINGS]

    rows, _, _ = run(tmp_path, readings=readings)

    assert rows[0]["status"] == "high_loss"
    assert rows[0]["loss_rate"] == "0.447248"


def test_zero_supply_is_incomplete(tmp_path):
    readings = [(m, d, "100" if m == "S1" else "50" if m == "S2" else r) for m, d, r in READINGS]

    rows, _, _ = run(tmp_path, readings=readings)

    for row in rows:
        assert row["meters_collected"] == "4"
        assert row["supply_kwh"] == "0.000"
        assert (row["loss_kwh"], row["loss_rate"], row["status"]) == ("", "", "incomplete")


def test_area_with_only_user_meters_is_incomplete(tmp_path):
    meters = [*METERS, ("U9", "台区B", "user", "1", "9")]
    readings = [*READINGS, ("U9", "2024-06-01", "1"), ("U9", "2024-06-02", "2")]

    rows, _, _ = run(tmp_path, meters=meters, readings=readings)

    b = by_day(rows, "台区B")["2024-06-01"]
    assert (b["supply_kwh"], b["user_kwh"], b["status"]) == ("0.000", "1.000", "incomplete")
    assert b["collection_rate"] == "1.000000"


def test_explicit_range_covers_days_without_readings(tmp_path):
    rows, stdout, _ = run(tmp_path, args=["--from", "2024-05-31", "--to", "2024-06-04"])

    assert [row["date"] for row in rows] == [
        "2024-05-31",
        "2024-06-01",
        "2024-06-02",
        "2024-06-03",
        "2024-06-04",
    ]
    assert [row["status"] for row in rows] == [
        "incomplete",
        "qualified",
        "qualified",
        "incomplete",
        "incomplete",
    ]
    assert rows[0]["meters_collected"] == "0"
    assert rows[0]["collection_rate"] == "0.000000"
    assert "2024-05-31 to 2024-06-04" in stdout


def test_from_alone_keeps_the_default_end(tmp_path):
    rows, _, _ = run(tmp_path, args=["--from", "2024-06-02"])

    assert [row["date"] for row in rows] == ["2024-06-02"]


def test_area_without_any_reading_gets_a_row_per_day(tmp_path):
    meters = [*METERS, ("S9", "台区0", "supply", "1", "9"), ("U9", "台区0", "user", "1", "9")]

    rows, _, _ = run(tmp_path, meters=meters)

    # sorted by area then day; 台区0 sorts before 台区A
    assert [(row["station_area_id"], row["date"]) for row in rows] == [
        ("台区0", "2024-06-01"),
        ("台区0", "2024-06-02"),
        ("台区A", "2024-06-01"),
        ("台区A", "2024-06-02"),
    ]
    empty = rows[0]
    assert (empty["meters_total"], empty["meters_collected"], empty["status"]) == (
        "2",
        "0",
        "incomplete",
    )
    assert (empty["supply_kwh"], empty["user_kwh"]) == ("0.000", "0.000")


def test_rows_in_any_order_give_the_same_result(tmp_path):
    ordered_dir, shuffled_dir = tmp_path / "ordered", tmp_path / "shuffled"
    ordered_dir.mkdir()
    shuffled_dir.mkdir()
    expected, _, _ = run(ordered_dir)
    readings = list(READINGS)
    random.Random(5).shuffle(readings)
    meters = list(reversed(METERS))

    rows, _, _ = run(shuffled_dir, meters=meters, readings=readings, parquet=True)

    assert rows == expected


def test_figures_round_half_away_from_zero(tmp_path):
    meters = [("S", "A", "supply", "1", "1"), ("U", "A", "user", "1", "2")]
    readings = [
        # supply 2.0005 -> 2.001; users 1.9995 -> 2.000 (the sums are exact)
        ("S", "2024-01-01", "10"),
        ("S", "2024-01-02", "12.0005"),
        ("U", "2024-01-01", "10"),
        ("U", "2024-01-02", "11.9995"),
        # supply 2, users 1.999999: loss 0.000001, rate 0.0000005 -> 0.000001
        ("S", "2024-01-03", "14.0005"),
        ("U", "2024-01-03", "13.999499"),
    ]

    rows, _, _ = run(tmp_path, meters=meters, readings=readings)

    first, second = rows
    assert (first["supply_kwh"], first["user_kwh"], first["loss_kwh"]) == (
        "2.001",
        "2.000",
        "0.001",
    )
    # loss 0.001 / 2.0005 = 0.00049987...
    assert first["loss_rate"] == "0.000500"
    assert (second["supply_kwh"], second["user_kwh"], second["loss_kwh"]) == (
        "2.000",
        "2.000",
        "0.000",
    )
    assert second["loss_rate"] == "0.000001"


def test_to_before_the_first_reading_is_refused(tmp_path):
    message = bad_run(tmp_path, args=["--to", "2024-05-01"])

    assert "--from 2024-06-01 is after --to 2024-05-01" in message


def test_single_reading_day_gives_an_empty_result(tmp_path):
    readings = [row for row in READINGS if row[1] == "2024-06-01"]

    rows, stdout, _ = run(tmp_path, readings=readings)

    assert rows == []
    assert "0 rows" in stdout


# -- meters not collected -------------------------------------------------------------------


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == METER_REPORT_COLUMNS
        return list(reader)


def report_of(rows: list[dict[str, str]]) -> dict[str, tuple[str, str, str, str]]:
    return {
        row["meter_id"]: (
            row["days_collected"],
            row["days_not_collected"],
            row["longest_run_days"],
            row["not_collected_dates"],
        )
        for row in rows
    }


# Area 台区C over 2024-06-01..06-06 (RESULT days 06-01..06-05):
# S9 reads every day; U7 has an empty register on 06-02 and no reading on 06-05 (so not
# collected on 06-01, 06-02, 06-04, 06-05); U8 starts on 06-03 and goes backwards on 06-04
# (06-01..06-03 and 06-05); U9 never reports (every day).
REPORT_METERS = [
    ("S9", "台区C", "supply", "10", ""),
    ("U7", "台区C", "user", "1", "7"),
    ("U8", "台区C", "user", "1", "8"),
    ("U9", "台区C", "user", "1", "9"),
]
REPORT_READINGS = [
    *[("S9", f"2024-06-0{day}", str(day)) for day in range(1, 7)],
    ("U7", "2024-06-01", "1"),
    ("U7", "2024-06-02", ""),
    ("U7", "2024-06-03", "3"),
    ("U7", "2024-06-04", "4"),
    ("U7", "2024-06-06", "6"),
    ("U8", "2024-06-03", "3"),
    ("U8", "2024-06-04", "2"),
    ("U8", "2024-06-05", "7"),
]


@pytest.mark.parametrize("parquet", [False, True], ids=["csv", "parquet"])
def test_meter_report_lists_each_meter_s_days_not_collected(tmp_path, parquet):
    report = tmp_path / "meters-not-collected.csv"

    rows, _, stderr = run(
        tmp_path,
        meters=REPORT_METERS,
        readings=REPORT_READINGS,
        parquet=parquet,
        args=["--meter-report", str(report)],
    )

    assert report_of(read_report(report)) == {
        "U7": ("1", "4", "2", "2024-06-01/2024-06-02;2024-06-04/2024-06-05"),
        "U8": ("1", "4", "3", "2024-06-01/2024-06-03;2024-06-05"),
        "U9": ("0", "5", "5", "2024-06-01/2024-06-05"),
    }
    assert [row["role"] for row in read_report(report)] == ["user"] * 3
    # the per meter days agree with RESULT's meters_collected (S9 collected all 5 days)
    assert sum(int(row["meters_collected"]) for row in rows) == 5 + 1 + 1 + 0
    assert "3 meters not collected on some day, listed in" in stderr


def test_result_format_is_unchanged_by_the_meter_report(tmp_path):
    plain, _, stderr = run(tmp_path, meters=REPORT_METERS, readings=REPORT_READINGS)
    report = tmp_path / "report.csv"
    with_report, _, _ = run(
        tmp_path,
        meters=REPORT_METERS,
        readings=REPORT_READINGS,
        args=["--meter-report", str(report)],
    )

    assert with_report == plain
    assert "3 meters not collected on some day; --meter-report FILE.csv lists them." in stderr


def test_meter_report_is_clipped_to_the_days_asked_for(tmp_path):
    report = tmp_path / "report.csv"

    # 06-03..06-08: S9 has no register for 06-07 and later, so it misses 06-06..06-08 too.
    run(
        tmp_path,
        meters=REPORT_METERS,
        readings=REPORT_READINGS,
        args=["--from", "2024-06-03", "--to", "2024-06-08", "--meter-report", str(report)],
    )

    assert report_of(read_report(report)) == {
        "S9": ("3", "3", "3", "2024-06-06/2024-06-08"),
        "U7": ("1", "5", "5", "2024-06-04/2024-06-08"),
        "U8": ("1", "5", "4", "2024-06-03;2024-06-05/2024-06-08"),
        "U9": ("0", "6", "6", "2024-06-03/2024-06-08"),
    }


def test_wrong_parquet_statistics_do_not_change_the_report(tmp_path, monkeypatch):
    # X starts reading on 06-03 and Y stops after 06-04, both collected on every day they
    # can be. Hints claiming the data spans 06-04..06-02 would keep neither X's first nor
    # Y's last reading out of the pass's sums: the engine notices and runs the pass again.
    from wudian.analytics import lineloss

    meters = [("S9", "台区C", "supply", "1", ""), ("X", "台区C", "user", "1", "")]
    meters.append(("Y", "台区C", "user", "1", ""))
    readings = [("S9", f"2024-06-0{day}", str(day)) for day in range(1, 7)]
    readings += [("X", f"2024-06-0{day}", str(day)) for day in range(3, 7)]
    readings += [("Y", f"2024-06-0{day}", str(day)) for day in range(1, 5)]

    def wrong(self, readings, *, date_from, date_to):
        return date(2024, 6, 4), date(2024, 6, 2)

    report = tmp_path / "report.csv"
    monkeypatch.setattr(lineloss._Engine, "date_hints", wrong)

    run(
        tmp_path,
        meters=meters,
        readings=readings,
        parquet=True,
        args=["--meter-report", str(report)],
    )

    assert report_of(read_report(report)) == {
        "X": ("3", "2", "2", "2024-06-01/2024-06-02"),
        "Y": ("3", "2", "2", "2024-06-04/2024-06-05"),
    }


def test_parquet_statistics_bound_the_days_before_the_pass(tmp_path):
    from wudian.analytics.lineloss import _Engine

    path = write_parquet(tmp_path / "readings.parquet", REPORT_READINGS)
    write_csv(tmp_path / "meters.csv", METERS_HEADER, REPORT_METERS)
    engine = _Engine(
        meters_path=tmp_path / "meters.csv",
        readings_path=path,
        memory_limit="256MB",
        threads=1,
        progress=False,
        temp_dir=tmp_path,
    )
    try:
        readings = engine.describe_readings()
        assert engine.date_hints(readings, date_from=None, date_to=None) == (
            date(2024, 6, 1),
            date(2024, 6, 5),
        )
        assert engine.date_hints(readings, date_from=date(2024, 6, 3), date_to=None) == (
            date(2024, 6, 3),
            date(2024, 6, 5),
        )
    finally:
        engine.close()


def test_meter_collected_every_day_is_not_in_the_report(tmp_path):
    report = tmp_path / "report.csv"

    run(tmp_path, args=["--meter-report", str(report)])

    assert read_report(report) == []


def test_single_reading_day_gives_an_empty_meter_report(tmp_path):
    report = tmp_path / "report.csv"
    readings = [row for row in READINGS if row[1] == "2024-06-01"]

    run(tmp_path, readings=readings, args=["--meter-report", str(report)])

    assert read_report(report) == []


# -- bad files ----------------------------------------------------------------------------


def bad_run(
    tmp_path: Path,
    *,
    meters: Sequence[Sequence[str]] = METERS,
    readings: Sequence[Sequence[str]] = READINGS,
    meters_header: Sequence[str] = METERS_HEADER,
    readings_header: Sequence[str] = READINGS_HEADER,
    parquet_text: bool = False,
    args: Sequence[str] = (),
) -> str:
    meters_path = write_csv(tmp_path / "meters.csv", meters_header, meters)
    if parquet_text:
        readings_path = write_parquet(tmp_path / "readings.parquet", readings, typed=False)
    else:
        readings_path = write_csv(tmp_path / "readings.csv", readings_header, readings)
    out = tmp_path / "result.csv"
    out.write_text("previous result\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command(
            "lineloss",
            "--meters",
            str(meters_path),
            "--readings",
            str(readings_path),
            "--out",
            str(out),
            "--anomalies",
            str(tmp_path / "anomalies.csv"),
            "--meter-report",
            str(tmp_path / "meter-report.csv"),
            *args,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    # the previous RESULT is untouched and no temporary file is left behind
    assert out.read_text(encoding="utf-8") == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    return str(caught.value)


def replace(rows, index, value):
    rows = list(rows)
    rows[index] = value
    return rows


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"readings": replace(READINGS, 4, ("S2", "2024-06-2x", "54"))},
            "readings.csv, row 5, column read_date: '2024-06-2x' is not a date",
            id="bad-date",
        ),
        pytest.param(
            {"readings": replace(READINGS, 2, ("S1", "2024/06/03", "121"))},
            "readings.csv, row 3, column read_date: '2024/06/03' is not a date",
            id="slashed-date",
        ),
        pytest.param(
            {"readings": replace(READINGS, 5, ("S2", "2024-06-03", "6O"))},
            "readings.csv, row 6, column register_kwh: '6O' is not a number",
            id="bad-number",
        ),
        pytest.param(
            {"readings": replace(READINGS, 11, ("X9", "2024-06-03", "60"))},
            "readings.csv, row 12, column meter_id: meter 'X9' is not in",
            id="unknown-meter",
        ),
        pytest.param(
            {"readings": [*READINGS[:7], ("S1", "2024-06-02", "110.5"), *READINGS[7:]]},
            "readings.csv, row 8, column read_date: the meter already has a reading for "
            "2024-06-02 at row 2",
            id="duplicate-meter-day",
        ),
        pytest.param(
            {"readings": [("S1", "2024-06-01", "1"), ("S1", "2024-06-01", "")]},
            "readings.csv, row 2, column read_date: the meter already has a reading for "
            "2024-06-01 at row 1",
            id="duplicate-with-empty-register",
        ),
        pytest.param(
            {"readings_header": ("meter_id", "date", "register_kwh")},
            "readings.csv, column read_date: missing from the header",
            id="readings-missing-column",
        ),
        pytest.param(
            {
                "meters_header": ("meter_id", "station_area_id", "role", "multiplier"),
                "meters": [row[:4] for row in METERS],
            },
            "meters.csv, column account_no: missing from the header",
            id="meters-missing-column",
        ),
        pytest.param(
            {"meters": replace(METERS, 2, ("U1", "台区A", "consumer", "1", "1"))},
            "meters.csv, row 3, column role: 'consumer' is not a role",
            id="bad-role",
        ),
        pytest.param(
            {"meters": replace(METERS, 1, ("S2", "台区A", "supply", "ten", "2"))},
            "meters.csv, row 2, column multiplier: 'ten' is not a positive number",
            id="bad-multiplier",
        ),
        pytest.param(
            {"meters": replace(METERS, 1, ("S2", "台区A", "supply", "0", "2"))},
            "meters.csv, row 2, column multiplier: '0' is not a positive number",
            id="zero-multiplier",
        ),
        pytest.param(
            {"meters": replace(METERS, 3, ("U2", "台区A", "user", "", "2"))},
            "meters.csv, row 4, column multiplier: '' is not a positive number",
            id="empty-multiplier",
        ),
        pytest.param(
            {"meters": replace(METERS, 3, ("U1", "台区A", "user", "2", "2"))},
            "meters.csv, row 4, column meter_id: meter 'U1' is already listed at row 3",
            id="duplicate-meter",
        ),
        pytest.param(
            {"meters": replace(METERS, 0, ("S1", "", "supply", "10", "1"))},
            "meters.csv, row 1, column station_area_id: the value is empty",
            id="empty-area",
        ),
        pytest.param(
            {"readings": [*READINGS, ("U1", "2024-06-04", "1", "surplus")]},
            "readings.csv: line 14 cannot be read as CSV",
            id="extra-field",
        ),
        pytest.param(
            {"args": ["--from", "2024-06-03", "--to", "2024-06-01"]},
            "--from is after --to",
            id="from-after-to",
        ),
    ],
)
def test_bad_input_names_file_row_and_column_and_leaves_no_result(tmp_path, change, expected):
    message = bad_run(tmp_path, **change)

    assert expected in message
    assert str(tmp_path) in message or expected.startswith("--")


def test_bad_number_in_text_parquet_names_the_row(tmp_path):
    readings = replace(READINGS, 8, ("U1", "2024-06-03", "1,100"))

    message = bad_run(tmp_path, readings=readings, parquet_text=True)

    assert f"{tmp_path / 'readings.parquet'}, row 9, column register_kwh: '1,100'" in message


def test_first_bad_row_in_file_order_is_reported(tmp_path):
    readings = [
        *READINGS[:3],
        ("S2", "2024-06-01", "n/a"),
        ("S2", "bad", "1"),
        *READINGS[5:],
    ]
    readings[0] = ("S1", "2024-06-01", "1x")

    message = bad_run(tmp_path, readings=readings)

    assert "row 1, column register_kwh" in message


def test_missing_readings_file_is_named(tmp_path):
    write_csv(tmp_path / "meters.csv", METERS_HEADER, METERS)
    with translation.override("en"), pytest.raises(CommandError, match="does not exist"):
        call_command(
            "lineloss",
            "--meters",
            str(tmp_path / "meters.csv"),
            "--readings",
            str(tmp_path / "nowhere.parquet"),
            "--out",
            str(tmp_path / "result.csv"),
        )
    assert not (tmp_path / "result.csv").exists()


def test_bad_max_loss_is_refused(tmp_path):
    with pytest.raises(CommandError):
        call_command(
            "lineloss",
            "--meters",
            "m.csv",
            "--readings",
            "r.csv",
            "--out",
            str(tmp_path / "result.csv"),
            "--max-loss",
            "-0.1",
        )


# -- against a reference ------------------------------------------------------------------

SIX = Decimal("0.000001")
THREE = Decimal("0.001")


def reference(
    meters: Sequence[tuple[str, str, str, str, str]],
    readings: Sequence[tuple[str, str, str]],
    max_loss: Decimal,
) -> list[dict[str, str]]:
    """The issue's rules, written out plainly in Python decimals."""
    registers: dict[tuple[str, date], Decimal | None] = {}
    for meter_id, read_date, value in readings:
        registers[(meter_id, date.fromisoformat(read_date))] = Decimal(value) if value else None
    if not registers:
        return []
    first = min(day for _, day in registers)
    last = max(day for _, day in registers) - timedelta(days=1)
    areas = sorted({area for _, area, *_ in meters})
    rows = []
    for area in areas:
        members = [m for m in meters if m[1] == area]
        day = first
        while day <= last:
            supply = user = Decimal(0)
            collected = 0
            for meter_id, _, role, multiplier, _ in members:
                now = registers.get((meter_id, day))
                then = registers.get((meter_id, day + timedelta(days=1)))
                if now is None or then is None or then < now:
                    continue
                collected += 1
                energy = (then - now) * Decimal(multiplier)
                if role == "supply":
                    supply += energy
                else:
                    user += energy
            supply_kwh = supply.quantize(THREE, ROUND_HALF_UP)
            complete = collected == len(members) and supply_kwh > 0
            # "+ 0" turns a rounded negative zero into the 0.000 the engine prints.
            loss_kwh = (supply - user).quantize(THREE, ROUND_HALF_UP) + 0
            rate = ((supply - user) / supply).quantize(SIX, ROUND_HALF_UP) + 0 if complete else None
            if not complete:
                status = "incomplete"
            elif supply - user < 0:
                status = "negative_loss"
            elif rate is not None and rate > max_loss:
                status = "high_loss"
            else:
                status = "qualified"
            rows.append(
                {
                    "station_area_id": area,
                    "date": day.isoformat(),
                    "supply_kwh": str(supply_kwh),
                    "user_kwh": str(user.quantize(THREE, ROUND_HALF_UP)),
                    "loss_kwh": str(loss_kwh) if complete else "",
                    "loss_rate": str(rate) if rate is not None else "",
                    "meters_total": str(len(members)),
                    "meters_collected": str(collected),
                    "collection_rate": str(
                        (Decimal(collected) / len(members)).quantize(SIX, ROUND_HALF_UP)
                    ),
                    "status": status,
                }
            )
            day += timedelta(days=1)
    return rows


def reference_report(
    meters: Sequence[tuple[str, str, str, str, str]],
    readings: Sequence[tuple[str, str, str]],
) -> dict[str, tuple[str, str, str, str]]:
    """Per meter, the days of the default range it was not collected, day by day."""
    registers: dict[tuple[str, date], Decimal | None] = {}
    for meter_id, read_date, value in readings:
        registers[(meter_id, date.fromisoformat(read_date))] = Decimal(value) if value else None
    first = min(day for _, day in registers)
    last = max(day for _, day in registers) - timedelta(days=1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    report = {}
    for meter_id, *_ in meters:
        missed = []
        for day in days:
            now = registers.get((meter_id, day))
            then = registers.get((meter_id, day + timedelta(days=1)))
            if now is None or then is None or then < now:
                missed.append(day)
        if not missed:
            continue
        stretches: list[list[date]] = []
        for day in missed:
            if stretches and stretches[-1][-1] + timedelta(days=1) == day:
                stretches[-1].append(day)
            else:
                stretches.append([day])
        text = ";".join(
            s[0].isoformat() if len(s) == 1 else f"{s[0].isoformat()}/{s[-1].isoformat()}"
            for s in stretches
        )
        report[meter_id] = (
            str(len(days) - len(missed)),
            str(len(missed)),
            str(max(len(s) for s in stretches)),
            text,
        )
    return report


@st.composite
def exports(draw):
    areas = draw(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=3, unique=True))
    meters = []
    for area in areas:
        for k in range(draw(st.integers(1, 4))):
            role = "supply" if k == 0 or (k == 1 and draw(st.booleans())) else "user"
            multiplier = draw(st.sampled_from(["1", "2", "0.5", "40", "1.25"]))
            meters.append((f"{area}{k}", area, role, multiplier, f"{area}-{k}"))
    days = draw(st.integers(2, 5))
    start = date(2024, 2, 27)  # crosses the end of a leap February
    readings = []
    for meter_id, *_ in meters:
        value = Decimal(draw(st.integers(0, 10_000))) / 1000
        for offset in range(days):
            kind = draw(st.sampled_from(["read"] * 6 + ["missing", "empty", "backwards"]))
            if kind == "missing":
                continue
            if kind == "backwards":
                value -= Decimal(draw(st.integers(1, 5_000))) / 1000
            else:
                value += Decimal(draw(st.integers(0, 2_000_000))) / 1_000_000
            read_date = (start + timedelta(days=offset)).isoformat()
            readings.append((meter_id, read_date, "" if kind == "empty" else str(value)))
    # only-missing meters aside, every export has at least one reading day
    if not readings:
        readings.append((meters[0][0], start.isoformat(), "1"))
    order = draw(st.permutations(range(len(readings))))
    return meters, [readings[i] for i in order]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    export=exports(),
    max_loss=st.sampled_from(["0.10", "0.05", "0"]),
    parquet=st.booleans(),
)
def test_engine_matches_the_reference_on_random_exports(export, max_loss, parquet):
    meters, readings = export
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        meters_path = write_csv(base / "meters.csv", METERS_HEADER, meters)
        if parquet:  # typed: the read_date statistics bound the days before the pass
            readings_path = write_parquet(base / "readings.parquet", readings)
        else:
            readings_path = write_csv(base / "readings.csv", READINGS_HEADER, readings)
        out = base / "result.csv"
        report = base / "report.csv"
        summary = compute_line_loss(
            meters_path=meters_path,
            readings_path=readings_path,
            out_path=out,
            meter_report_path=report,
            max_loss=Decimal(max_loss),
            threads=1,
        )
        assert read_result(out) == reference(meters, readings, Decimal(max_loss))
        expected = reference_report(meters, readings) if summary.days else {}
        assert report_of(read_report(report)) == expected
        assert summary.meters_not_collected == len(expected)


def test_the_command_runs_without_web_settings(tmp_path: Path) -> None:
    """A production machine with only the exports: no WUDIAN_SECRET_KEY, no WUDIAN_DEBUG."""
    meters_path = write_csv(tmp_path / "meters.csv", METERS_HEADER, METERS)
    readings_path = write_csv(tmp_path / "readings.csv", READINGS_HEADER, READINGS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WUDIAN_", "PYTEST"))}
    env["WUDIAN_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "wudian.manage",
            "lineloss",
            "--meters",
            str(meters_path),
            "--readings",
            str(readings_path),
            "--out",
            str(tmp_path / "result.csv"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "WUDIAN_SECRET_KEY" not in result.stderr
    assert len(read_result(tmp_path / "result.csv")) == 2
