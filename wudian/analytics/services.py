"""Writes of the analytics app: loading a collection export through the line-loss engine."""

from __future__ import annotations

import csv
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.analytics.lineloss import (
    DEFAULT_MAX_LOSS,
    METER_COLUMNS,
    LineLossError,
    compute_line_loss,
)
from wudian.analytics.models import ImportRun, MeterAnomaly, StationAreaDay
from wudian.grid.models import Meter, StationArea

BATCH_SIZE = 2000


@dataclass(frozen=True)
class ReadingsImportResult:
    run: ImportRun
    statuses: dict[str, int]


def _write_meters(path: Path) -> int:
    """The engine's METERS input, built from the app's own meters: one implementation of
    the arithmetic, and the readings are checked against the meters the app knows."""
    rows = (
        Meter.objects.order_by("meter_no")
        .values_list(
            "meter_no", "station_area__code", "role", "multiplier", "household__account_no"
        )
        .iterator(chunk_size=BATCH_SIZE)
    )
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(METER_COLUMNS)
        for meter_no, area_code, role, multiplier, account_no in rows:
            writer.writerow([meter_no, area_code, role, multiplier, account_no or ""])
            count += 1
    return count


def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value else None


def readings_import(
    *,
    readings_path: Path,
    date_from: date | None = None,
    date_to: date | None = None,
    max_loss: Decimal = DEFAULT_MAX_LOSS,
    imported_by: User | None = None,
) -> ReadingsImportResult:
    """Run the line-loss engine over a collection export and store its results per station
    area and day, with the backwards registers as meter anomalies. The days computed are
    replaced as a whole, so importing a month again gives the same rows. Nothing is written
    when the engine refuses a file (LineLossError, whose message names file, row and column).
    """
    work = Path(tempfile.mkdtemp(prefix="wudian-import-"))
    try:
        meters_path = work / "wudian-meters.csv"
        if _write_meters(meters_path) == 0:
            raise LineLossError(_("No meter is registered yet: import the grid first."))
        result_path = work / "result.csv"
        anomalies_path = work / "anomalies.csv"
        try:
            summary = compute_line_loss(
                meters_path=meters_path,
                readings_path=readings_path,
                out_path=result_path,
                anomalies_path=anomalies_path,
                date_from=date_from,
                date_to=date_to,
                max_loss=max_loss,
            )
        except LineLossError as exc:
            # The meters file is this function's temporary file: name what it stands for.
            message = str(exc).replace(str(meters_path), _("the meters registered in Wudian"))
            raise LineLossError(message) from None
        if summary.days == 0 or summary.date_from is None or summary.date_to is None:
            raise LineLossError(
                _(
                    "%(file)s holds the registers of a single day: a day's energy needs that "
                    "day's and the next day's registers."
                )
                % {"file": str(readings_path)}
            )
        first, last = summary.date_from, summary.date_to
        areas = dict(StationArea.objects.values_list("code", "pk"))
        with transaction.atomic():
            StationAreaDay.objects.filter(date__range=(first, last)).delete()
            MeterAnomaly.objects.filter(
                date__range=(first, last), kind=MeterAnomaly.Kind.BACKWARDS
            ).delete()
            with result_path.open(newline="", encoding="utf-8") as handle:
                batch: list[StationAreaDay] = []
                for row in csv.DictReader(handle):
                    batch.append(
                        StationAreaDay(
                            station_area_id=areas[row["station_area_id"]],
                            date=date.fromisoformat(row["date"]),
                            supply_kwh=Decimal(row["supply_kwh"]),
                            user_kwh=Decimal(row["user_kwh"]),
                            loss_kwh=_decimal(row["loss_kwh"]),
                            loss_rate=_decimal(row["loss_rate"]),
                            meters_total=int(row["meters_total"]),
                            meters_collected=int(row["meters_collected"]),
                            collection_rate=Decimal(row["collection_rate"]),
                            status=row["status"],
                        )
                    )
                    if len(batch) >= BATCH_SIZE:
                        StationAreaDay.objects.bulk_create(batch)
                        batch = []
                StationAreaDay.objects.bulk_create(batch)
            anomalies = 0
            with anomalies_path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            meters = dict(
                Meter.objects.filter(meter_no__in={row["meter_id"] for row in rows}).values_list(
                    "meter_no", "pk"
                )
            )
            MeterAnomaly.objects.bulk_create(
                [
                    MeterAnomaly(
                        meter_id=meters[row["meter_id"]],
                        date=date.fromisoformat(row["date"]),
                        kind=MeterAnomaly.Kind.BACKWARDS,
                        register_kwh=_register(row["register_kwh"]),
                        next_register_kwh=_register(row["next_register_kwh"]),
                    )
                    for row in rows
                ],
                batch_size=BATCH_SIZE,
            )
            anomalies = len(rows)
            run = ImportRun.objects.create(
                file_name=readings_path.name,
                date_from=first,
                date_to=last,
                readings=summary.readings,
                rows=summary.rows,
                anomalies=anomalies,
                max_loss=max_loss,
                imported_by=imported_by,
            )
        return ReadingsImportResult(run=run, statuses=summary.statuses)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _register(value: str) -> Decimal | None:
    # The engine lists registers through DOUBLE; the stored field keeps 6 decimals.
    return Decimal(value).quantize(Decimal("0.000001")) if value else None
