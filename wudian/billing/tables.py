"""Tables the marketing and collection systems export (.xlsx or .csv), read row by row.

`read_table` finds the header (the first non-empty row), maps each expected `Column` to the
file's column by any of its names (Chinese or English, case and spaces ignored), and yields
each data row as `(row number in the file, {column key: text})`. Cells come out as text the
same way from both formats: an Excel number that is whole loses its ".0" (account numbers
typed as numbers), a date is YYYY-MM-DD. A file that is not what its name says (an ".xlsx"
that is not a workbook, a CSV in an unknown encoding) is refused with `TableRefused`; so is
a missing column. Importers collect their own `Problem`s while reading and refuse with all of
them at once (`TableRefused(problems)`), so nothing is saved from a file with any problem.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from wudian.core.errors import BadInput

# The problems a refusal carries in full; beyond them it tells only how many more there are.
PROBLEMS_KEPT = 200


@dataclass(frozen=True)
class Column:
    key: str
    # The header names accepted for it; the first is the one the template and messages use.
    names: tuple[str, ...]
    required: bool = True

    @property
    def label(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class Problem:
    """One problem of a file, named by its row (1 is the file's first line) and column."""

    row: int
    column: str
    message: str

    def text(self) -> str:
        if not self.row:
            return self.message
        return _("Row {row}, column {column}: {message}").format(
            row=self.row, column=self.column, message=self.message
        )


class TableRefused(BadInput):
    """A file refused as a whole (422), with every problem found (the first PROBLEMS_KEPT)."""

    def __init__(self, problems: Sequence[Problem]):
        kept = list(problems[:PROBLEMS_KEPT])
        more = len(problems) - len(kept)
        lines = [problem.text() for problem in kept]
        if more > 0:
            lines.append(_("… and {n} more problems.").format(n=more))
        super().__init__(
            {"file": lines},
            extra={
                "problems": [
                    {"row": p.row, "column": p.column, "message": p.message} for p in kept
                ],
                "more": max(more, 0),
            },
        )
        self.problems = kept
        self.more = max(more, 0)
        # Every problem, for a caller that shows them all (the import commands).
        self.every = list(problems)


def _refuse(message: str) -> TableRefused:
    return TableRefused([Problem(0, "", message)])


def _normal(name: str) -> str:
    return "".join(name.split()).casefold()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


# What openpyxl raises for a file that is a zip but not a workbook it can read, on opening
# it or on reading a damaged sheet.
NOT_A_WORKBOOK = (
    zipfile.BadZipFile,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    IndexError,
    InvalidFileException,
    ParseError,
)


def _xlsx_rows(handle: IO[bytes], name: str) -> Iterator[list[str]]:
    not_readable = _("{name} is not an Excel workbook (.xlsx) that can be read.").format(name=name)
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except NOT_A_WORKBOOK as exc:
        raise _refuse(not_readable) from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in values]
    except NOT_A_WORKBOOK as exc:
        raise _refuse(not_readable) from exc
    finally:
        workbook.close()


def _csv_rows(handle: IO[bytes], name: str) -> Iterator[list[str]]:
    data = handle.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _refuse(_("{name} is not a text file in UTF-8 or GBK.").format(name=name))
    try:
        for values in csv.reader(io.StringIO(text, newline="")):
            yield [value.strip() for value in values]
    except csv.Error as exc:
        raise _refuse(
            _("{name} is not a CSV file that can be read ({error}).").format(name=name, error=exc)
        ) from exc


def _rows(handle: IO[bytes], name: str) -> Iterator[list[str]]:
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        head = handle.read(4)
        handle.seek(0)
        if head != b"PK\x03\x04":
            raise _refuse(
                _("{name} is not an Excel workbook (.xlsx) that can be read.").format(name=name)
            )
        return _xlsx_rows(handle, name)
    if suffix == ".csv":
        return _csv_rows(handle, name)
    raise _refuse(_("{name}: only .xlsx and .csv files can be imported.").format(name=name))


def read_table(
    handle: IO[bytes], name: str, columns: Sequence[Column]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield each data row of the file as (row number, {key: text}); blank rows are skipped.
    Raises TableRefused for a file of the wrong kind or without a required column."""
    rows = enumerate(_rows(handle, name), start=1)
    header: list[str] | None = None
    for number, values in rows:
        if any(values):
            header = [_normal(value) for value in values]
            header_row = number
            break
    if header is None:
        raise _refuse(_("{name} holds no rows.").format(name=name))
    where: dict[str, int] = {}
    missing: list[Problem] = []
    for column in columns:
        found = next((header.index(_normal(n)) for n in column.names if _normal(n) in header), None)
        if found is not None:
            where[column.key] = found
        elif column.required:
            missing.append(
                Problem(
                    header_row,
                    column.label,
                    _("the column is missing (also accepted: {names}).").format(
                        names=" / ".join(column.names[1:]) or column.label
                    ),
                )
            )
    if missing:
        raise TableRefused(missing)
    for number, values in rows:
        if not any(values):
            continue
        yield (
            number,
            {key: (values[index] if index < len(values) else "") for key, index in where.items()},
        )


def read_path(path: Path, columns: Sequence[Column]) -> Iterator[tuple[int, dict[str, str]]]:
    """read_table over a file on disk (the management commands)."""
    with path.open("rb") as handle:
        yield from read_table(handle, path.name, columns)


# -- cells to values: each raises ValueError with the message a Problem carries ---------------


def parse_amount(text: str, *, places: int = 2, digits: int = 12) -> Decimal:
    """A non-negative amount with at most `places` decimals and `digits` digits in all (the
    column it is stored in)."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("“{text}” is not a number.").format(text=text)) from None
    if not value.is_finite():
        raise ValueError(_("“{text}” is not a number.").format(text=text))
    if value < 0:
        raise ValueError(_("the amount cannot be negative ({text}).").format(text=text))
    if value >= Decimal(10) ** (digits - places):
        raise ValueError(_("the amount is too large ({text}).").format(text=text))
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(
            _("at most {places} decimals are allowed ({text}).").format(places=places, text=text)
        )
    return value


def parse_date(text: str) -> datetime.date:
    """A date written 2026-12-05, 2026/12/05, 2026.12.05 or 20261205."""
    cleaned = text.strip().split(" ")[0]
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("“{text}” is not a date (write it as 2026-12-05).").format(text=text))


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_xlsx(columns: Sequence[Column]) -> bytes:
    """An empty workbook with the columns' headers (the names the template uses), to fill in."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([column.label for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
