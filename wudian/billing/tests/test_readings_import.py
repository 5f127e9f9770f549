from __future__ import annotations

import datetime
import io
from decimal import Decimal as D

import pytest

from wudian.billing.models import MeterReading, ReadingImport
from wudian.billing.services.readings import readings_import
from wudian.billing.tables import TableRefused
from wudian.conftest import City, snapshot

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 5)
HEADER = "户号,抄表日期,总示数,峰示数,谷示数\n"


def run(text: str, *, header: str = HEADER, name: str = "readings.csv") -> ReadingImport:
    return readings_import(io.BytesIO((header + text).encode()), name, today=TODAY)


def refused(text: str, *, header: str = HEADER) -> list[tuple[int, str, str]]:
    before = snapshot(MeterReading, ReadingImport)
    with pytest.raises(TableRefused) as caught:
        run(text, header=header)
    assert snapshot(MeterReading, ReadingImport) == before
    return [(p.row, p.column, p.message) for p in caught.value.problems]


def registers(account: str, start: datetime.date, values: list[int]) -> str:
    return "".join(
        f"{account},{(start + datetime.timedelta(days=n)).isoformat()},{v},,\n"
        for n, v in enumerate(values)
    )


def test_month_and_day_energy(city: City) -> None:
    # October 1 to November 1 every day: 10 kWh a day, and November 1 to 3.
    days = [1000 + 10 * n for n in range(34)]
    text = registers("3400000001", datetime.date(2026, 10, 1), days)
    done = run(text + "9999999999,2026-10-01,5,,\n")
    assert done.rows == 35
    assert done.households == 1
    assert done.unknown_accounts == [{"row": 36, "account_no": "9999999999"}]
    october = MeterReading.objects.get(household=city.north_home, month="2026-10-01")
    assert october.kwh == D("310.000")
    assert (october.register_start, october.register_end) == (D(1000), D(1310))
    assert october.source == MeterReading.Source.IMPORT
    assert october.daily == ["10.000"] * 31
    assert october.peak_kwh is None
    # November has its start only: no row of its own (a partial month is not billed).
    assert not MeterReading.objects.filter(month="2026-11-01").exists()
    assert done.months == 1


def test_peak_and_valley(city: City) -> None:
    text = (
        "3400000001,2026-10-01,1000,500,300\n"
        "3400000001,2026/11/01,1300,650,400\n"
        "3400000002,20261001,10,,\n"
    )
    done = run(text)
    october = MeterReading.objects.get(household=city.north_home, month="2026-10-01")
    assert (october.kwh, october.peak_kwh, october.valley_kwh) == (D(300), D(150), D(100))
    assert october.daily is None
    assert done.households == 1


def test_a_later_import_completes_a_month_and_merges_days(city: City) -> None:
    run(
        registers(
            "3400000001", datetime.date(2026, 9, 1), [0] * 0 + [500 + 5 * n for n in range(31)]
        )
    )
    september = MeterReading.objects.get(household=city.north_home, month="2026-09-01")
    assert september.kwh == D(150)
    # October 1 to 10 now: October has no end yet.
    run(registers("3400000001", datetime.date(2026, 10, 1), [650 + 7 * n for n in range(10)]))
    assert not MeterReading.objects.filter(month="2026-10-01").exists()
    # October 20 to November 1: October's start is September's stored end.
    run(registers("3400000001", datetime.date(2026, 10, 20), [800 + 10 * n for n in range(13)]))
    october = MeterReading.objects.get(household=city.north_home, month="2026-10-01")
    assert october.kwh == D(920 - 650)
    assert october.register_start == D(650)
    assert october.daily is not None
    assert october.daily[:19] == [None] * 19
    assert october.daily[19:] == ["10.000"] * 12
    # Days of a later import replace those it knows; the others stay.
    run(registers("3400000001", datetime.date(2026, 10, 25), [850, 862]))
    october.refresh_from_db()
    assert october.daily[24] == "12.000"
    assert october.daily[23] == "10.000"


def test_backwards_against_stored_is_refused(city: City) -> None:
    run(registers("3400000001", datetime.date(2026, 9, 1), [500 + 5 * n for n in range(31)]))
    problems = refused("3400000001,2026-10-03,640,,\n")
    assert problems == [
        (
            2,
            "总示数",
            "示数 640.000 低于系统中已存的 2026-10-01 示数 650.000（示数倒走）。",
        )
    ]
    problems = refused("3400000001,2026-08-20,520,,\n")
    assert problems[0][:2] == (2, "总示数")
    assert "更晚日期 2026-09-01 的示数 500.000" in problems[0][2]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("3400000001,2026-10-01,-5,,\n", (2, "总示数")),
        ("3400000001,2026-10-01,abc,,\n", (2, "总示数")),
        ("3400000001,2026-10-01,1.2345,,\n", (2, "总示数")),
        ("3400000001,2026-10-01,,,\n", (2, "总示数")),
        ("3400000001,2026-13-01,5,,\n", (2, "抄表日期")),
        ("3400000001,2026-12-06,5,,\n", (2, "抄表日期")),
        (",2026-10-01,5,,\n", (2, "户号")),
        ("3400000001,2026-10-01,5,,\n3400000001,2026-10-01,6,,\n", (3, "抄表日期")),
        ("3400000001,2026-10-01,50,10,\n", (2, "谷示数")),
        ("3400000001,2026-10-01,50,,10\n", (2, "峰示数")),
        ("3400000001,2026-10-01,50,30,30\n", (2, "峰示数")),
        ("3400000001,2026-10-01,50,x,10\n", (2, "峰示数")),
        ("3400000001,2026-10-01,50,,\n3400000001,2026-10-02,40,,\n", (3, "总示数")),
        ("3400000001,2026-10-02,40,,\n3400000001,2026-10-01,50,,\n", (2, "总示数")),
        (
            "3400000001,2026-10-01,50,20,20\n3400000001,2026-10-02,60,10,20\n",
            (3, "峰示数"),
        ),
        # Registers that keep peak + valley under the total, but not the month's energy.
        (
            "3400000001,2026-10-01,100,10,10\n3400000001,2026-11-01,110,18,15\n",
            (3, "峰示数"),
        ),
    ],
)
def test_bad_rows_are_refused_by_row_and_column(
    city: City, rows: str, expected: tuple[int, str]
) -> None:
    problems = refused(rows)
    assert problems[0][:2] == expected


def test_a_missing_column_and_a_wrong_file(city: City) -> None:
    problems = refused("3400000001,2026-10-01\n", header="户号,抄表日期\n")
    assert problems[0][:2] == (1, "总示数")
    before = snapshot(MeterReading, ReadingImport)
    with pytest.raises(TableRefused):
        readings_import(io.BytesIO(b"not a workbook"), "readings.xlsx", today=TODAY)
    assert snapshot(MeterReading, ReadingImport) == before


def test_english_headers_and_xlsx(city: City) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["account_no", "read_date", "register_kwh"])
    sheet.append([3400000001, datetime.datetime(2026, 10, 1), 100])
    sheet.append([3400000001, datetime.datetime(2026, 11, 1), 180.5])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    readings_import(data, "r.xlsx", today=TODAY)
    assert MeterReading.objects.get(household=city.north_home).kwh == D("80.5")
