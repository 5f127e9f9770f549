"""Two weeks of the demo city's meter readings, loaded through the import staff use."""

from __future__ import annotations

import csv
import datetime
import random
import tempfile
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from wudian.analytics.models import StationAreaDay
from wudian.analytics.services import readings_import
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.places import AREAS
from wudian.grid.models import Meter

# Two weeks of collection data, so the line-loss pages have something to show: most areas lose
# 3-7 %; 燕山新村's old public transformer loses 16 % (high loss) and 经二路小区's supply meter
# has a wrong multiplier on record (negative loss); a few meters miss days (incomplete) and
# one register goes backwards. Loaded once, through the same import staff use.
HIGH_LOSS_AREA, NEGATIVE_LOSS_AREA = "TQ-YSXC-1", "TQ-JELXQ-1"
SILENT_METER_AREA, BACKWARDS_AREA = "TQ-CYXC-1", "TQ-DFMZ-1"
READING_DAYS = 15


def readings_seed(summary: DemoSummary) -> None:
    codes = [area.code for area in AREAS]
    if StationAreaDay.objects.filter(station_area__code__in=codes).exists():
        return
    meters = list(
        Meter.objects.filter(station_area__code__in=codes)
        .order_by("station_area__code", "role", "meter_no")
        .values_list("meter_no", "role", "multiplier", "station_area__code")
    )
    first = timezone.localdate() - datetime.timedelta(days=READING_DAYS)
    days = [first + datetime.timedelta(days=n) for n in range(READING_DAYS + 1)]
    rows: list[tuple[str, str, str]] = []
    users_by_area: dict[str, list[Decimal]] = {}
    silent_done = backwards_done = False
    for meter_no, role, _multiplier, area in meters:
        if role != Meter.Role.USER:
            continue
        rng = random.Random(meter_no)  # noqa: S311  demo data
        register = Decimal(rng.randint(500, 9000))
        silent = area == SILENT_METER_AREA and not silent_done
        backwards = area == BACKWARDS_AREA and not backwards_done
        silent_done |= silent
        backwards_done |= backwards
        daily = users_by_area.setdefault(area, [Decimal(0)] * READING_DAYS)
        for n, day in enumerate(days):
            if silent and n in (5, 6):
                continue  # the meter did not report
            value = register - 40 if backwards and n == 9 else register
            rows.append((meter_no, day.isoformat(), str(value)))
            if n < READING_DAYS:
                use = Decimal(rng.randint(30, 140)) / 10
                register += use
                daily[n] += use
    for meter_no, role, multiplier, area in meters:
        if role != Meter.Role.SUPPLY:
            continue
        rng = random.Random(meter_no)  # noqa: S311  demo data
        base = Decimal(rng.randint(30, 70)) / 1000
        if area == HIGH_LOSS_AREA:
            base = Decimal("0.16")
        elif area == NEGATIVE_LOSS_AREA:
            base = Decimal("-0.03")
        register = Decimal(rng.randint(1000, 5000))
        for n, day in enumerate(days):
            rows.append((meter_no, day.isoformat(), str(register.quantize(Decimal("0.000001")))))
            if n < READING_DAYS:
                loss = base + Decimal(rng.randint(-12, 12)) / 1000
                register += (
                    users_by_area.get(area, [Decimal(0)] * READING_DAYS)[n]
                    * (1 + loss)
                    / Decimal(multiplier)
                )
    folder = Path(tempfile.mkdtemp(prefix="wudian-demo-"))
    path = folder / "demo-readings.csv"
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["meter_id", "read_date", "register_kwh"])
            writer.writerows(rows)
        result = readings_import(readings_path=path)
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()
    summary.created[StationAreaDay.__name__] += result.run.rows
