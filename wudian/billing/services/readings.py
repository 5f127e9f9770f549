"""Household meter readings from registers: a readings file of the collection system
(`readings_import`) or the line-loss readings (`readings_from_registers`, which analytics calls
after its import). Both turn registers at the start of a day into `MeterReading` rows through
one DuckDB core (`billing.registers`) and one merge with the stored rows (`_store`).

What is written, and why:
- A month's energy (kwh, and peak/valley where both boundaries have them) is written only when
  the registers at both of its boundaries are known: from this import, or one of them from a
  stored month next to it (a month's register_end is the next month's start). A month whose
  energy is not known gets no row of its own: the model needs its kWh and a partial month must
  not be billed. Its days' energy is kept only where a row for the month already exists.
- Days merge: a day this import knows replaces the stored value, the other days stay.
- A readings file is the marketing system's record the bill is based on; the line-loss
  readings only fill in: they never replace a month written from a file, they only add the days
  it has no value for.
- A register that goes backwards (in the import, or against a stored register of the months
  around it) refuses the whole file; from the line-loss readings, whose backwards registers
  analytics already lists as meter anomalies, that household is left out of this import."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import duckdb
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.billing import registers
from wudian.billing.models import MeterReading, ReadingImport
from wudian.billing.policy import check_may_import_readings
from wudian.billing.tables import Column, Problem, TableRefused, parse_date, read_table
from wudian.grid.models import Household

BATCH_SIZE = 2000
CHUNK = 5000
PLACES = Decimal("0.001")

ACCOUNT = Column("account_no", ("户号", "account_no"))
READ_DATE = Column("read_date", ("抄表日期", "read_date"))
REGISTER = Column("register", ("总示数", "register_kwh"))
PEAK = Column("peak", ("峰示数", "peak_register"), required=False)
VALLEY = Column("valley", ("谷示数", "valley_register"), required=False)
COLUMNS = (ACCOUNT, READ_DATE, REGISTER, PEAK, VALLEY)
LABELS = {"reg": REGISTER.label, "peak": PEAK.label, "valley": VALLEY.label}


@dataclass
class StoreResult:
    households: int = 0
    months: int = 0
    left_out: list[int] = field(default_factory=list)


def _register(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("“{text}” is not a number.").format(text=text)) from None
    if not value.is_finite():
        raise ValueError(_("“{text}” is not a number.").format(text=text))
    if value < 0:
        raise ValueError(_("a register cannot be negative ({text}).").format(text=text))
    if value != value.quantize(PLACES):
        raise ValueError(
            _("at most {places} decimals are allowed ({text}).").format(places=3, text=text)
        )
    return value


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _month_after(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _month_before(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class _Row:
    row: int
    household_id: int
    day: datetime.date
    register: Decimal
    peak: Decimal | None
    valley: Decimal | None


def _collector(found: list[tuple[Column, str]]) -> Callable[[Column, str], None]:
    def refuse(column: Column, message: str) -> None:
        found.append((column, message))

    return refuse


def _parse(
    handle: IO[bytes], name: str, today: datetime.date
) -> tuple[
    list[tuple[int, str, datetime.date, Decimal, Decimal | None, Decimal | None]], list[Problem]
]:
    problems: list[Problem] = []
    parsed = []
    seen: dict[tuple[str, datetime.date], int] = {}
    for number, cells in read_table(handle, name, COLUMNS):
        found: list[tuple[Column, str]] = []
        refuse = _collector(found)
        account = cells["account_no"]
        if not account:
            refuse(ACCOUNT, _("the account number is empty."))
        day: datetime.date | None = None
        try:
            day = parse_date(cells["read_date"])
        except ValueError as exc:
            refuse(READ_DATE, str(exc))
        if day is not None and day > today:
            refuse(READ_DATE, _("{day} is in the future.").format(day=day.isoformat()))
        values: dict[str, Decimal | None] = {}
        for column in (REGISTER, PEAK, VALLEY):
            text = cells.get(column.key, "")
            values[column.key] = None
            if not text:
                if column.required:
                    refuse(column, _("the register is empty."))
                continue
            try:
                values[column.key] = _register(text)
            except ValueError as exc:
                refuse(column, str(exc))
        peak, valley, total = values["peak"], values["valley"], values["register"]
        if cells.get("peak") and not cells.get("valley"):
            refuse(VALLEY, _("a peak register needs its valley register."))
        elif cells.get("valley") and not cells.get("peak"):
            refuse(PEAK, _("a valley register needs its peak register."))
        elif (
            peak is not None and valley is not None and total is not None and peak + valley > total
        ):
            refuse(
                PEAK,
                _("peak {peak} plus valley {valley} is above the total register {total}.").format(
                    peak=peak, valley=valley, total=total
                ),
            )
        if account and day is not None:
            first = seen.setdefault((account, day), number)
            if first != number:
                refuse(
                    READ_DATE,
                    _("account {account} already has a register for {day} at row {row}.").format(
                        account=account, day=day.isoformat(), row=first
                    ),
                )
        problems.extend(Problem(number, column.label, message) for column, message in found)
        if not found and day is not None and total is not None:
            parsed.append((number, account, day, total, peak, valley))
    return parsed, problems


def readings_import(
    handle: IO[bytes],
    name: str,
    *,
    by: User | None = None,
    today: datetime.date | None = None,
) -> ReadingImport:
    """Import a readings file (.xlsx or .csv: 户号, 抄表日期, 总示数, optionally 峰示数 and
    谷示数 together; each row a meter's registers at the start of that day). All or nothing:
    refused with TableRefused naming every problem's row and column. Rows of account numbers
    Wudian does not know are listed in the import, not imported."""
    if by is not None:
        check_may_import_readings(by)
    today = today or timezone.localdate()
    parsed, problems = _parse(handle, name, today)
    accounts = sorted({account for _n, account, *_rest in parsed})
    known: dict[str, int] = {}
    for chunk in _chunks(accounts):
        known.update(Household.objects.filter(account_no__in=chunk).values_list("account_no", "pk"))
    unknown = [
        {"row": number, "account_no": account}
        for number, account, *_rest in parsed
        if account not in known
    ]
    rows = [
        _Row(number, known[account], day, total, peak, valley)
        for number, account, day, total, peak, valley in parsed
        if account in known
    ]
    if problems:
        raise TableRefused(problems)
    con = registers.connect(memory_limit="512MB")
    try:
        con.execute(
            f"""
            CREATE TEMP TABLE registers AS
            SELECT CAST(h AS BIGINT) AS household_id, CAST(d AS DATE) AS d,
                   CAST(r AS {registers.NUMBER}) AS reg, CAST(p AS {registers.NUMBER}) AS peak,
                   CAST(v AS {registers.NUMBER}) AS valley, CAST(n AS INTEGER) AS row_no
            FROM (SELECT unnest($1) AS h, unnest($2) AS d, unnest($3) AS r, unnest($4) AS p,
                         unnest($5) AS v, unnest($6) AS n)
            """,  # noqa: S608  the engine's own type name
            [
                [r.household_id for r in rows],
                [r.day for r in rows],
                [str(r.register) for r in rows],
                [None if r.peak is None else str(r.peak) for r in rows],
                [None if r.valley is None else str(r.valley) for r in rows],
                [r.row for r in rows],
            ],
        )
        with transaction.atomic():
            result = _store(con, source=MeterReading.Source.IMPORT, refuse=True)
            return ReadingImport.objects.create(
                source=ReadingImport.Source.FILE,
                file_name=name[:200],
                imported_by=by,
                rows=len(parsed) + len(problems),
                households=result.households,
                months=result.months,
                unknown_accounts=unknown,
            )
    finally:
        con.close()


def readings_from_registers(
    path: Path, *, file_name: str, by: User | None = None, memory_limit: str = "1GB"
) -> tuple[ReadingImport, StoreResult]:
    """The households' readings from registers the line-loss import extracted (a Parquet or
    CSV file: household_id, read_date, register_kwh, already times the meter's multiplier).
    Households whose registers go backwards are left out (`StoreResult.left_out`)."""
    con = registers.connect(memory_limit=memory_limit)
    try:
        source = (
            f"read_parquet('{path}')"
            if path.suffix == ".parquet"
            else f"read_csv('{path}', header = true)"
        )
        con.execute(
            f"""
            CREATE TEMP TABLE registers AS
            SELECT CAST(household_id AS BIGINT) AS household_id, CAST(read_date AS DATE) AS d,
                   CAST(register_kwh AS {registers.NUMBER}) AS reg,
                   CAST(NULL AS {registers.NUMBER}) AS peak,
                   CAST(NULL AS {registers.NUMBER}) AS valley, 0 AS row_no
            FROM {source}
            """  # noqa: S608  a path of the caller's own temporary folder
        )
        count = con.execute("SELECT count(*) FROM registers").fetchone()
        with transaction.atomic():
            result = _store(con, source=MeterReading.Source.LINE_LOSS, refuse=False)
            run = ReadingImport.objects.create(
                source=ReadingImport.Source.LINE_LOSS,
                file_name=file_name[:200],
                imported_by=by,
                rows=int(count[0]) if count else 0,
                households=result.households,
                months=result.months,
            )
        return run, result
    finally:
        con.close()


def _stored_rows(
    household_ids: list[int], first: datetime.date, last: datetime.date
) -> dict[tuple[int, datetime.date], MeterReading]:
    stored: dict[tuple[int, datetime.date], MeterReading] = {}
    for chunk in _chunks(household_ids):
        for reading in MeterReading.objects.filter(
            household_id__in=chunk, month__range=(first, last)
        ).only(
            "pk",
            "household_id",
            "month",
            "kwh",
            "peak_kwh",
            "valley_kwh",
            "source",
            "register_start",
            "register_end",
            "daily",
        ):
            stored[(reading.household_id, reading.month)] = reading
    return stored


def _backwards_problem(row: tuple[Any, ...]) -> Problem:
    number, _household, _day, column, value, other_day, other, kind = row
    if kind == "import":
        message = _("the register {value} is below the register {other} of {day}.")
    elif kind == "stored_before":
        message = _("the register {value} is below the register {other} already stored for {day}.")
    else:
        message = _(
            "the register {value} is above the register {other} already stored for {day}, "
            "a later day."
        )
    return Problem(
        int(number),
        LABELS[column],
        message.format(value=value, other=other, day=other_day.isoformat()),
    )


def _merged_daily(
    stored: list[Any] | None, new: str | None, *, fill_only: bool
) -> list[Any] | None:
    if new is None:
        return stored
    days: list[Any] = json.loads(new)
    if not stored or len(stored) != len(days):
        return days
    if fill_only:
        return [old if old is not None else value for old, value in zip(stored, days, strict=True)]
    return [value if value is not None else old for old, value in zip(stored, days, strict=True)]


def _first_known(*values: Any) -> Decimal | None:
    return next((v for v in values if v is not None), None)


def _fresh(reading: MeterReading) -> MeterReading:
    """A stored row as a new object: the upsert matches on household and month, not the id."""
    return MeterReading(
        household_id=reading.household_id,
        month=reading.month,
        kwh=reading.kwh,
        peak_kwh=reading.peak_kwh,
        valley_kwh=reading.valley_kwh,
        source=reading.source,
        register_start=reading.register_start,
        register_end=reading.register_end,
        daily=reading.daily,
    )


def _store(con: duckdb.DuckDBPyConnection, *, source: str, refuse: bool) -> StoreResult:
    """Merge the `registers` table of `con` with the stored rows and write the months (inside
    the caller's transaction)."""
    result = StoreResult()
    bounds = con.execute("SELECT min(d), max(d) FROM registers").fetchone()
    if not bounds or bounds[0] is None:
        return result
    first = _month_before(bounds[0].replace(day=1))
    last = _month_after(bounds[1].replace(day=1))
    household_ids = [
        int(h) for (h,) in con.execute("SELECT DISTINCT household_id FROM registers").fetchall()
    ]
    stored = _stored_rows(household_ids, first, last)
    boundary_h: list[int] = []
    boundary_d: list[datetime.date] = []
    boundary_r: list[str] = []
    for (household_id, first_day), kept in stored.items():
        for day, value in (
            (first_day, kept.register_start),
            (_month_after(first_day), kept.register_end),
        ):
            if value is not None:
                boundary_h.append(household_id)
                boundary_d.append(day)
                boundary_r.append(str(value))
    registers.create_stored(con, boundary_h, boundary_d, boundary_r)
    wrong = registers.backwards(con)
    if wrong and refuse:
        raise TableRefused([_backwards_problem(row) for row in wrong])
    if wrong:
        result.left_out = sorted({int(row[1]) for row in wrong})
        con.execute(
            "DELETE FROM registers WHERE household_id IN (SELECT unnest($1))", [result.left_out]
        )
    problems: list[Problem] = []
    writes: list[MeterReading] = []
    touched: set[int] = set()
    for span in registers.months(con):
        key = (span.household_id, span.month)
        reading = stored.get(key)
        before = stored.get((span.household_id, _month_before(span.month)))
        after = stored.get((span.household_id, _month_after(span.month)))
        from_file = reading is not None and reading.source == MeterReading.Source.IMPORT
        if reading is not None and from_file and source == MeterReading.Source.LINE_LOSS:
            daily = _merged_daily(reading.daily, span.daily, fill_only=True)
            if daily != reading.daily:
                reading.daily = daily
                writes.append(_fresh(reading))
                touched.add(span.household_id)
            continue
        start = _first_known(
            span.start, reading and reading.register_start, before and before.register_end
        )
        end = _first_known(
            span.end, reading and reading.register_end, after and after.register_start
        )
        daily = _merged_daily(reading.daily if reading else None, span.daily, fill_only=False)
        new_bound = span.start is not None or span.end is not None
        if start is not None and end is not None and new_bound:
            kwh = end - start
            peak = valley = None
            if None not in (span.start_peak, span.end_peak, span.start_valley, span.end_valley):
                peak = span.end_peak - span.start_peak  # type: ignore[operator]
                valley = span.end_valley - span.start_valley  # type: ignore[operator]
                if peak + valley > kwh:
                    problems.append(
                        Problem(
                            span.end_row,
                            PEAK.label,
                            _(
                                "in {month}, peak {peak} plus valley {valley} kWh is above the "
                                "month's {kwh} kWh."
                            ).format(
                                month=f"{span.month:%Y-%m}", peak=peak, valley=valley, kwh=kwh
                            ),
                        )
                    )
                    continue
            writes.append(
                MeterReading(
                    household_id=span.household_id,
                    month=span.month,
                    kwh=kwh,
                    peak_kwh=peak,
                    valley_kwh=valley,
                    source=source,
                    register_start=start,
                    register_end=end,
                    daily=daily,
                )
            )
        elif reading is not None:
            reading.register_start = _first_known(reading.register_start, span.start)
            reading.register_end = _first_known(reading.register_end, span.end)
            reading.daily = daily
            writes.append(_fresh(reading))
        else:
            continue
        touched.add(span.household_id)
    if problems and refuse:
        raise TableRefused(problems)
    for batch in _chunks(writes, BATCH_SIZE):
        MeterReading.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["household", "month"],
            update_fields=[
                "kwh",
                "peak_kwh",
                "valley_kwh",
                "source",
                "register_start",
                "register_end",
                "daily",
            ],
        )
    result.households = len(touched)
    result.months = len(writes)
    return result
