"""Households' readings taken from the line-loss readings: analytics' import writes them
through billing's code (source line_loss)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal as D
from pathlib import Path

import pytest

from wudian.analytics.services import readings_import as lineloss_import
from wudian.billing.models import MeterReading, ReadingImport
from wudian.billing.services.readings import readings_import
from wudian.conftest import City
from wudian.grid.models import Meter

pytestmark = pytest.mark.django_db

U1, U2, U3, SUPPLY = "M3400000001", "M3400000002", "M3400000003", "SUPPLY-TA1"


def write(path: Path, first: datetime.date, days: int, registers: dict[str, list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("meter_id", "read_date", "register_kwh"))
        for meter, values in registers.items():
            for n in range(days):
                if values[n]:
                    writer.writerow(
                        (meter, (first + datetime.timedelta(days=n)).isoformat(), values[n])
                    )
    return path


def test_a_month_of_line_loss_readings_gives_households_their_readings(
    city: City, tmp_path: Path
) -> None:
    Meter.objects.filter(meter_no=U2).update(multiplier=2)
    first = datetime.date(2026, 9, 28)
    days = 36  # September 28 to November 2
    registers = {
        SUPPLY: [str(100 + n) for n in range(days)],
        U1: [str(1000 + 10 * n) for n in range(days)],
        U2: [str(50 + 2 * n) for n in range(days)],
        # U3 misses October 10: the 9th and the 10th have no energy.
        U3: ["" if n == 12 else str(7 * n) for n in range(days)],
    }
    result = lineloss_import(readings_path=write(tmp_path / "r.csv", first, days, registers))
    assert result.households is not None
    assert result.households.source == ReadingImport.Source.LINE_LOSS
    assert result.households.households == 3
    october = {
        r.household.account_no: r
        for r in MeterReading.objects.filter(month="2026-10-01").select_related("household")
    }
    one, two, three = october["3400000001"], october["3400000002"], october["3400000003"]
    assert one.kwh == D(310)
    assert one.source == MeterReading.Source.LINE_LOSS
    assert one.daily == ["10.000"] * 31
    assert two.kwh == D(124)  # 62 on the register, times 2
    assert two.register_start == D(2 * (50 + 2 * 3))
    assert three.kwh == D(217)
    assert three.daily is not None
    assert three.daily[8] is None
    assert three.daily[9] is None
    assert three.daily[10] == "7.000"
    # September and November have one boundary only: no rows.
    assert MeterReading.objects.count() == 3


def test_line_loss_fills_in_and_never_replaces_a_file(city: City, tmp_path: Path) -> None:
    readings_import(
        io.BytesIO(
            b"\xe6\x88\xb7\xe5\x8f\xb7,\xe6\x8a\x84\xe8\xa1\xa8\xe6\x97\xa5\xe6\x9c\x9f,"
            b"\xe6\x80\xbb\xe7\xa4\xba\xe6\x95\xb0\n"
            b"3400000001,2026-10-01,1000\n3400000001,2026-10-02,1011\n"
            b"3400000001,2026-11-01,1300\n"
        ),
        "file.csv",
        today=datetime.date(2026, 12, 1),
    )
    from_file = MeterReading.objects.get(household=city.north_home)
    assert from_file.kwh == D(300)
    assert from_file.daily is not None
    assert from_file.daily[0] == "11.000"
    first = datetime.date(2026, 10, 1)
    registers = {
        SUPPLY: [str(100 + n) for n in range(32)],
        U1: [str(1000 + 9 * n) for n in range(31)] + ["1300"],
        U2: [str(n) for n in range(32)],
        # U3 goes backwards on October 5: left out, the anomaly is analytics'.
        U3: [str(10 * n) if n != 4 else "1" for n in range(32)],
    }
    result = lineloss_import(readings_path=write(tmp_path / "r.csv", first, 32, registers))
    from_file.refresh_from_db()
    assert from_file.kwh == D(300)
    assert from_file.source == MeterReading.Source.IMPORT
    assert from_file.daily is not None
    assert from_file.daily[0] == "11.000"  # the file's day stays
    assert from_file.daily[1] == "9.000"  # a day the file did not have is filled in
    assert MeterReading.objects.filter(household=city.north_home_2).get().kwh == D(31)
    assert not MeterReading.objects.filter(household=city.south_home).exists()
    assert result.households is not None
    assert result.households.households == 2
