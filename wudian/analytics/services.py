"""Writes of the analytics app: loading a collection export through the line-loss engine,
and the check requests that meter data opens (诉求 of the meter_data_check category)."""

from __future__ import annotations

import csv
import datetime
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.analytics.lineloss import (
    DEFAULT_MAX_LOSS,
    HOUSEHOLD_METER_COLUMNS,
    METER_COLUMNS,
    LineLossError,
    compute_line_loss,
    household_registers,
)
from wudian.analytics.models import ImportRun, LossStatus, MeterAnomaly, StationAreaDay
from wudian.analytics.selectors import (
    CHECK_CATEGORY,
    open_area_check,
    open_meter_checks,
)
from wudian.billing.models import ReadingImport
from wudian.billing.services.readings import readings_from_registers
from wudian.core.errors import NotAllowed, OutsideScope, WrongState
from wudian.core.rules import rule_value
from wudian.grid.models import Compound, Meter, StationArea
from wudian.grid.scope import Purpose, compounds_for, station_areas_for
from wudian.workorders.models import Category, Channel, WorkOrder
from wudian.workorders.services import Location, workorder_create

T = TypeVar("T")
BATCH_SIZE = 2000
FAILURE_RULE = "lineloss.meter_failure_days"
CHECK_STATUSES = (LossStatus.HIGH_LOSS, LossStatus.NEGATIVE_LOSS)

# A request's description is what the station writes down once, in its working language, and
# everyone reads it as written (like a resident's own words), so these texts are Chinese and
# not translated with the page.
AREA_CHECK_TEXT = (
    "{area}（台区编号 {code}）{day} 同期线损率 {rate}，{status}"
    "（供电量 {supply} kWh，售电量 {users} kWh）。请核查台区线损原因。"
)
STATUS_TEXT = {LossStatus.HIGH_LOSS: "高损", LossStatus.NEGATIVE_LOSS: "负损"}
METER_CHECK_TEXT = (
    "电能表 {meter}（{area}，台区编号 {code}）连续 {days} 天未采集成功。未采集日期：{periods}。"
    "请核查电能表及采集终端、通信信道。"
)


@dataclass(frozen=True)
class ReadingsImportResult:
    run: ImportRun
    statuses: dict[str, int]
    # The households' readings taken from the same registers (billing), when any user meter
    # of the file belongs to a household.
    households: ReadingImport | None = None


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


def _write_household_meters(path: Path) -> int:
    """The user meters that belong to a household, for their households' readings."""
    rows = (
        Meter.objects.filter(role=Meter.Role.USER, household__isnull=False)
        .order_by("meter_no")
        .values_list("meter_no", "household_id", "multiplier")
        .iterator(chunk_size=BATCH_SIZE)
    )
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HOUSEHOLD_METER_COLUMNS)
        for meter_no, household_id, multiplier in rows:
            writer.writerow([meter_no, household_id, multiplier])
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
        report_path = work / "meter-report.csv"
        try:
            summary = compute_line_loss(
                meters_path=meters_path,
                readings_path=readings_path,
                out_path=result_path,
                anomalies_path=anomalies_path,
                meter_report_path=report_path,
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
        household_meters_path = work / "household-meters.csv"
        household_registers_path = work / "household-registers.parquet"
        has_households = _write_household_meters(household_meters_path) > 0
        if has_households:
            household_registers(
                readings_path=readings_path,
                household_meters_path=household_meters_path,
                out_path=household_registers_path,
                date_from=first,
                date_to=last,
            )
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
            opened = _store_not_collected(report_path, first=first, last=last)
            run = ImportRun.objects.create(
                file_name=readings_path.name,
                date_from=first,
                date_to=last,
                readings=summary.readings,
                rows=summary.rows,
                anomalies=anomalies,
                meters_not_collected=summary.meters_not_collected,
                requests_opened=opened,
                max_loss=max_loss,
                imported_by=imported_by,
            )
            households = None
            if has_households:
                households, _stored = readings_from_registers(
                    household_registers_path, file_name=readings_path.name, by=imported_by
                )
        return ReadingsImportResult(run=run, statuses=summary.statuses, households=households)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _register(value: str) -> Decimal | None:
    # The engine lists registers through DOUBLE; the stored field keeps 6 decimals.
    return Decimal(value).quantize(Decimal("0.000001")) if value else None


# Meters not collected --------------------------------------------------------------------


@dataclass(frozen=True)
class _Stretch:
    """Consecutive days from `first` to `last` on which one meter was not collected."""

    first: date
    last: date
    workorder_id: int | None = None

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def overlaps(self, first: date, last: date) -> bool:
        return self.first <= last and first <= self.last


def _parse_stretches(text: str) -> list[_Stretch]:
    """The meter report's not_collected_dates: 2024-06-03;2024-06-05/2024-06-07."""
    stretches = []
    for part in text.split(";"):
        first, _slash, last = part.partition("/")
        stretches.append(_Stretch(date.fromisoformat(first), date.fromisoformat(last or first)))
    return stretches


def _chunks(items: Sequence[T], size: int = 500) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _read_report(path: Path) -> dict[int, list[_Stretch]]:
    """The engine's meter report as the stretches of each meter (by primary key)."""
    with path.open(newline="", encoding="utf-8") as handle:
        by_number = {
            row["meter_id"]: _parse_stretches(row["not_collected_dates"])
            for row in csv.DictReader(handle)
        }
    numbers = list(by_number)
    stretches: dict[int, list[_Stretch]] = {}
    for chunk in _chunks(numbers):
        for pk, meter_no in Meter.objects.filter(meter_no__in=chunk).values_list("pk", "meter_no"):
            stretches[pk] = by_number[meter_no]
    return stretches


def _merge(pieces: Iterable[_Stretch]) -> list[_Stretch]:
    """Adjacent pieces of one meter (one ends the day before the other starts) become one
    stretch, keeping the request of the earliest piece that has one."""
    merged: list[_Stretch] = []
    for piece in sorted(pieces, key=lambda item: item.first):
        if merged and piece.first <= merged[-1].last + datetime.timedelta(days=1):
            head = merged[-1]
            merged[-1] = _Stretch(
                head.first,
                max(head.last, piece.last),
                head.workorder_id or piece.workorder_id,
            )
        else:
            merged.append(piece)
    return merged


def _store_not_collected(report_path: Path, *, first: date, last: date) -> int:
    """Replace the stretches of days not collected within first..last by the engine's,
    joined to the stored stretches that touch the range, and open a check request for every
    stretch that reached the rule's number of days. Returns the number of requests opened.

    A stretch that overlapped a replaced one keeps its request, so importing the same days
    again opens nothing new; a meter with an open check request gets no second one."""
    day = datetime.timedelta(days=1)
    kind = MeterAnomaly.Kind.NOT_COLLECTED
    new = _read_report(report_path)
    touched = list(
        MeterAnomaly.objects.filter(kind=kind, date__lte=last + day, date_to__gte=first - day)
        .order_by()
        .values_list("pk", "meter_id", "date", "date_to", "workorder_id")
    )
    pieces: dict[int, list[_Stretch]] = defaultdict(list)
    replaced: dict[int, list[_Stretch]] = defaultdict(list)
    for _pk, meter_id, start, end, workorder_id in touched:
        end = end or start  # set on every not_collected row
        old = _Stretch(start, end, workorder_id)
        if workorder_id:
            replaced[meter_id].append(old)
        if start < first:
            pieces[meter_id].append(replace(old, last=min(end, first - day)))
        if end > last:
            pieces[meter_id].append(replace(old, first=max(start, last + day)))
    for meter_id, found in new.items():
        pieces[meter_id].extend(found)

    stretches = {meter_id: _merge(items) for meter_id, items in pieces.items()}
    for meter_id, items in stretches.items():
        for index, stretch in enumerate(items):
            if stretch.workorder_id is None:
                earlier = next(
                    (
                        old.workorder_id
                        for old in replaced.get(meter_id, [])
                        if old.overlaps(stretch.first, stretch.last)
                    ),
                    None,
                )
                items[index] = replace(stretch, workorder_id=earlier)

    opened = _open_meter_checks(stretches, first=first, last=last)

    MeterAnomaly.objects.filter(pk__in=[row[0] for row in touched]).delete()
    MeterAnomaly.objects.bulk_create(
        [
            MeterAnomaly(
                meter_id=meter_id,
                kind=kind,
                date=stretch.first,
                date_to=stretch.last,
                workorder_id=stretch.workorder_id,
            )
            for meter_id, items in stretches.items()
            for stretch in items
        ],
        batch_size=BATCH_SIZE,
    )
    return opened


def _first_compounds(area_ids: Iterable[int]) -> dict[int, int]:
    """Each station area's first compound (lowest id)."""
    first: dict[int, int] = {}
    rows = (
        StationArea.compounds.through.objects.filter(stationarea_id__in=list(area_ids))
        .order_by("stationarea_id", "compound_id")
        .values_list("stationarea_id", "compound_id")
    )
    for area_id, compound_id in rows:
        first.setdefault(area_id, compound_id)
    return first


def _open_meter_checks(stretches: dict[int, list[_Stretch]], *, first: date, last: date) -> int:
    """Open one meter_data_check request for each meter with a stretch that touches
    first..last, reached the rule's days and has no request yet, and link those stretches to
    it (mutating `stretches`). A meter that already has an open check request is linked to
    that one instead. Filed by no user: the system found it (channel meter_data)."""
    needed = int(rule_value(FAILURE_RULE))
    category = Category.objects.filter(code=CHECK_CATEGORY, active=True).first()
    if needed < 1 or category is None:
        return 0
    due: dict[int, list[int]] = {}
    for meter_id, items in stretches.items():
        for index, stretch in enumerate(items):
            if (
                stretch.workorder_id is None
                and stretch.days >= needed
                and stretch.overlaps(first, last)
            ):
                due.setdefault(meter_id, []).append(index)
    if not due:
        return 0
    meter_ids = sorted(due)
    already = open_meter_checks(meter_ids)
    meters: dict[int, Meter] = {}
    for chunk in _chunks(meter_ids):
        meters.update(
            Meter.objects.select_related("station_area", "household__building__compound").in_bulk(
                chunk
            )
        )
    compounds = _first_compounds({meter.station_area_id for meter in meters.values()})
    area_compounds = Compound.objects.in_bulk(set(compounds.values()))
    opened = 0
    for meter_id in meter_ids:
        failed = [stretches[meter_id][index] for index in due[meter_id]]
        workorder_id = already.get(meter_id)
        if workorder_id is None:
            meter = meters[meter_id]
            area_compound = area_compounds.get(compounds.get(meter.station_area_id, 0))
            workorder = _open_meter_check(meter, failed, category, area_compound)
            if workorder is None:
                continue
            workorder_id = workorder.pk
            opened += 1
        for index in due[meter_id]:
            stretches[meter_id][index] = replace(
                stretches[meter_id][index], workorder_id=workorder_id
            )
    return opened


def _open_meter_check(
    meter: Meter, failed: list[_Stretch], category: Category, area_compound: Compound | None
) -> WorkOrder | None:
    household = meter.household
    compound = household.building.compound if household else area_compound
    if compound is None:  # a supply meter of an area that serves no compound yet
        return None
    area = meter.station_area
    longest = max(failed, key=lambda stretch: stretch.days)
    return workorder_create(
        category=category,
        channel=Channel.METER_DATA,
        by=None,
        location=Location(
            compound=compound,
            station_area=area,
            meter=meter,
            address_text=household.address if household else f"{area.name}（{area.code}）",
        ),
        description=METER_CHECK_TEXT.format(
            meter=meter.meter_no,
            area=area.name,
            code=area.code,
            days=longest.days,
            periods="；".join(
                f"{stretch.first.isoformat()} 至 {stretch.last.isoformat()}（{stretch.days} 天）"
                for stretch in failed
            ),
        ),
    )


# Check requests from the line loss --------------------------------------------------------


def user_may_open_check(user: User) -> bool:
    """Customer managers and supervisors open check requests (within their scope)."""
    return user.is_active and (
        user.is_superuser or user.has_role(RoleCode.CUSTOMER_MANAGER, RoleCode.SUPERVISOR)
    )


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).quantize(Decimal('0.01'))}%"


def lineloss_open_check(*, station_area: StationArea, by: User) -> WorkOrder:
    """Open a meter_data_check request for a station area whose latest day is high_loss or
    negative_loss, on behalf of `by`. Refused (NotAllowed) for other roles, (OutsideScope)
    outside the user's scope, and (WrongState) when the area already has an open check
    request or its latest day is not a high or negative loss."""
    if not user_may_open_check(by):
        raise NotAllowed(_("Only customer managers and supervisors open check requests."))
    if not station_areas_for(by, Purpose.OVERSEE).filter(pk=station_area.pk).exists():
        raise OutsideScope(_("This station area is not in your scope."))
    category = Category.objects.filter(code=CHECK_CATEGORY, active=True).first()
    if category is None:
        raise WrongState(
            _("The line-loss check category is switched off: ask an administrator."),
            code="category",
        )
    with transaction.atomic():
        # Two managers pressing the button at once must not open two requests.
        area = StationArea.objects.select_for_update().get(pk=station_area.pk)
        if open_area_check(area) is not None:
            raise WrongState(
                _("A check request for this station area is already open."), code="already_open"
            )
        latest = StationAreaDay.objects.filter(station_area=area).order_by("-date").first()
        if latest is None or latest.status not in CHECK_STATUSES or latest.loss_rate is None:
            raise WrongState(
                _("Only a station area whose latest day is a high or negative loss is checked."),
                code="not_needed",
            )
        # The area's first compound that the user works with: the request is filed where
        # they (and the area's customer manager) can open it.
        compound = (
            compounds_for(by, Purpose.OVERSEE).filter(station_areas=area).order_by("pk").first()
        )
        if compound is None:
            raise WrongState(
                _("This station area serves no compound, so no request can be filed for it."),
                code="no_compound",
            )
        return workorder_create(
            category=category,
            channel=Channel.METER_DATA,
            by=by,
            location=Location(
                compound=compound,
                station_area=area,
                address_text=f"{area.name}（{area.code}）",
            ),
            description=AREA_CHECK_TEXT.format(
                area=area.name,
                code=area.code,
                day=latest.date.isoformat(),
                rate=_percent(latest.loss_rate),
                status=STATUS_TEXT[LossStatus(latest.status)],
                supply=latest.supply_kwh,
                users=latest.user_kwh,
            ),
        )
