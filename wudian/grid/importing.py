"""Import of compounds, buildings, households and meters from a spreadsheet.

Utility staff keep the grid in Excel; `grid_import` loads such a file all or nothing. Every
row is checked first (and every error collected, naming sheet, row and column as Excel shows
them); only a clean file is written, in one transaction. Existing records are matched by
their natural keys (compound code, building name within its compound, account number, meter
number) and updated; existing keys are fetched in a few queries and rows are written in
batches, so a file of 50,000 households takes a bounded number of queries per batch, never
one per row. The format is described in docs/import-format.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext

from wudian.grid.models import (
    Building,
    Community,
    Compound,
    Household,
    Meter,
    PropertyCompany,
    StationArea,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SheetKind = Literal["compounds", "households"]
T = TypeVar("T")

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv",)
WRITE_BATCH = 1000
# Excel keeps 15 significant digits: a longer number typed into a General cell is rounded.
EXCEL_EXACT_LIMIT = 10**15


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header of the template
    required: bool
    help: StrOrPromise
    aliases: tuple[str, ...] = ()
    text: bool = True  # formatted as text in the template, so Excel keeps leading zeros


COMPOUND_COLUMNS: tuple[Column, ...] = (
    Column(
        "compound_code",
        "小区编码",
        True,
        gettext_lazy("Unique code: letters, digits, '-' or '_'."),
        ("compound", "code", "编码"),
    ),
    Column("compound_name", "小区名称", True, gettext_lazy("Name of the compound."), ("名称",)),
    Column(
        "community_code",
        "社区编码",
        True,
        gettext_lazy("Code of an existing community."),
        ("community", "社区"),
    ),
    Column("address", "地址", True, gettext_lazy("Street address of the compound.")),
    Column(
        "property_company",
        "物业公司",
        False,
        gettext_lazy("Name of the property company; created if new."),
        ("物业",),
    ),
    Column(
        "property_office_phone",
        "物业电话",
        False,
        gettext_lazy("Phone of the property office."),
        ("物业办公电话", "物业联系电话"),
    ),
)

HOUSEHOLD_COLUMNS: tuple[Column, ...] = (
    Column(
        "compound_code",
        "小区编码",
        True,
        gettext_lazy("Code of an existing compound or of one in the compounds sheet."),
        ("compound",),
    ),
    Column(
        "building",
        "楼栋",
        True,
        gettext_lazy("Building name, e.g. 3号楼; created if new."),
        ("楼号", "building_name"),
    ),
    Column(
        "unit",
        "单元",
        False,
        gettext_lazy("Unit (stairway); leave empty if the building has none."),
    ),
    Column("room", "房号", True, gettext_lazy("Room number, e.g. 502."), ("室", "房间号")),
    Column(
        "account_no",
        "户号",
        True,
        gettext_lazy("Electricity account number, 10 to 16 digits."),
        ("用户编号", "account", "account_number"),
    ),
    Column(
        "holder_name",
        "户名",
        True,
        gettext_lazy("Name of the account holder."),
        ("户主", "holder", "name"),
    ),
    Column(
        "phone",
        "电话",
        False,
        gettext_lazy("Mobile or landline, e.g. 13800000000 or 0552-1234567."),
        ("联系电话", "手机", "手机号"),
    ),
    Column(
        "address",
        "地址",
        False,
        gettext_lazy("Full address; built from compound, building, unit and room if empty."),
    ),
    Column(
        "station_area_code",
        "台区编码",
        True,
        gettext_lazy("Code of an existing station area."),
        ("台区", "station_area"),
    ),
    Column(
        "meter_no",
        "电表号",
        False,
        gettext_lazy("Number of the household's meter; created if new."),
        ("表号", "电能表号", "meter", "meter_number"),
    ),
    Column(
        "multiplier",
        "倍率",
        False,
        gettext_lazy("Meter multiplier, a positive number; 1 if empty for a new meter."),
        text=False,
    ),
)

COLUMNS: dict[SheetKind, tuple[Column, ...]] = {
    "compounds": COMPOUND_COLUMNS,
    "households": HOUSEHOLD_COLUMNS,
}
SHEET_NAMES: dict[SheetKind, tuple[str, str]] = {
    "compounds": ("小区", "compounds"),
    "households": ("住户", "households"),
}
_SHEET_ALIASES: dict[str, SheetKind] = {
    "小区": "compounds",
    "小区信息": "compounds",
    "compounds": "compounds",
    "compound": "compounds",
    "住户": "households",
    "住户信息": "households",
    "用户": "households",
    "households": "households",
    "household": "households",
}


def _norm_header(text: str) -> str:
    """'户号*', ' Account No. ', '户号（account_no）' all become one comparable key."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\(.*?\)", "", text).strip().rstrip("*").strip().lower()
    return re.sub(r"[\s\-./]+", "_", text).strip("_")


def _header_index(kind: SheetKind) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for name in (column.key, column.label, *column.aliases):
            index[_norm_header(name)] = column.key
    return index


_HEADER_INDEX: dict[SheetKind, dict[str, str]] = {
    kind: _header_index(kind) for kind in ("compounds", "households")
}


# ---------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class ImportIssue:
    """One problem, located as Excel shows it: row 1 is the header; row 0 means the file."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row == 0:
            return gettext("%(sheet)s: %(message)s") % {
                "sheet": self.sheet,
                "message": self.message,
            }
        if not self.column:
            return gettext("%(sheet)s, row %(row)d: %(message)s") % {
                "sheet": self.sheet,
                "row": self.row,
                "message": self.message,
            }
        return gettext("%(sheet)s, row %(row)d, column “%(column)s”: %(message)s") % {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    errors: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    property_companies: Counts = field(default_factory=Counts)
    compounds: Counts = field(default_factory=Counts)
    buildings: Counts = field(default_factory=Counts)
    households: Counts = field(default_factory=Counts)
    meters: Counts = field(default_factory=Counts)
    meters_detached: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary_lines(self) -> list[str]:
        rows: list[tuple[StrOrPromise, Counts]] = [
            (gettext_lazy("compounds"), self.compounds),
            (gettext_lazy("buildings"), self.buildings),
            (gettext_lazy("households"), self.households),
            (gettext_lazy("meters"), self.meters),
        ]
        lines = [
            gettext("%(entity)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % {
                "entity": entity,
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
            }
            for entity, counts in rows
        ]
        if self.property_companies.created:
            lines.append(
                gettext("property companies: %(created)d created")
                % {"created": self.property_companies.created}
            )
        if self.meters_detached:
            lines.append(
                gettext("meters detached from their previous household: %(count)d")
                % {"count": self.meters_detached}
            )
        return lines


class _Issues:
    """Collects errors; the first problem found in a cell is the one reported."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self._cells: set[tuple[str, int, str]] = set()

    def add(self, sheet: str, row: int, column: str, message: StrOrPromise) -> None:
        if (sheet, row, column) in self._cells:
            return
        self._cells.add((sheet, row, column))
        self.report.errors.append(ImportIssue(sheet, row, column, str(message)))


# ---------------------------------------------------------------------------------------
# Reading the file


class GridFileError(Exception):
    """The file as a whole cannot be read."""

    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class Row:
    sheet: Sheet
    number: int
    values: dict[str, str]
    rounded: set[str]  # columns whose number Excel has rounded

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    def column(self, key: str) -> str:
        return self.sheet.column(key)


@dataclass
class Sheet:
    kind: SheetKind
    title: str
    headers: dict[str, str]  # column key → header text as written in the file
    rows: list[Row] = field(default_factory=list)

    def column(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        for column in COLUMNS[self.kind]:
            if column.key == key:
                return column.label if (get_language() or "").startswith("zh") else column.key
        return key


def _cell_text(value: object) -> tuple[str, bool]:
    """A cell as text, and whether Excel may have rounded it (a number of 16+ digits)."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int):
        return str(value), abs(value) >= EXCEL_EXACT_LIMIT
    if isinstance(value, float):
        rounded = abs(value) >= EXCEL_EXACT_LIMIT
        if value.is_integer():
            return str(int(value)), rounded
        return repr(value), rounded
    if hasattr(value, "isoformat"):
        return value.isoformat(), False
    return str(value).strip(), False


def _table(
    title: str,
    rows: Iterable[tuple[int, Sequence[object]]],
    kind: SheetKind | None,
    issues: _Issues,
) -> Sheet | None:
    """Turn rows of cells into a Sheet. The first non-empty row is the header. Without a
    known kind, the sheet is recognised by its headers (an instructions sheet is skipped)."""
    iterator = iter(rows)
    header_row = 0
    texts: list[str] = []
    while not any(texts):
        try:
            header_row, cells = next(iterator)
        except StopIteration:
            return Sheet(kind=kind, title=title, headers={}) if kind else None
        texts = [_cell_text(cell)[0] for cell in cells]
    if kind is None:
        keys = {_HEADER_INDEX["households"].get(_norm_header(t)) for t in texts}
        if "account_no" in keys:
            kind = "households"
        elif {_HEADER_INDEX["compounds"].get(_norm_header(t)) for t in texts} >= {
            "compound_code",
            "compound_name",
        }:
            kind = "compounds"
        else:
            return None
    index = _HEADER_INDEX[kind]
    sheet = Sheet(kind=kind, title=title, headers={})
    positions: dict[int, str] = {}
    for position, text in enumerate(texts):
        if not text:
            continue
        key = index.get(_norm_header(text))
        if key is None:
            issues.report.warnings.append(
                ImportIssue(title, header_row, text, gettext("Unknown column, ignored."))
            )
        elif key in sheet.headers:
            issues.add(
                title,
                header_row,
                text,
                gettext("Columns “%(first)s” and “%(second)s” mean the same thing.")
                % {"first": sheet.headers[key], "second": text},
            )
        else:
            sheet.headers[key] = text
            positions[position] = key
    for column in COLUMNS[kind]:
        if column.required and column.key not in sheet.headers:
            issues.add(
                title,
                header_row,
                f"{column.label} / {column.key}",
                gettext("The required column “%(column)s” is missing.")
                % {"column": f"{column.label} / {column.key}"},
            )
    for number, cells in iterator:
        values: dict[str, str] = {}
        rounded: set[str] = set()
        for position, key in positions.items():
            if position < len(cells):
                text, was_rounded = _cell_text(cells[position])
                if text:
                    values[key] = text
                if was_rounded:
                    rounded.add(key)
        if values:
            sheet.rows.append(Row(sheet=sheet, number=number, values=values, rounded=rounded))
    return sheet


def _read_csv(path: Path, issues: _Issues) -> list[Sheet]:
    data = path.read_bytes()
    # Excel writes UTF-8 with a BOM ("CSV UTF-8") or, on Chinese Windows, GB18030 ("CSV").
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise GridFileError(gettext("The file is neither UTF-8 nor GB18030 text."))
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    for candidate in ("\t", ";"):
        if candidate in first_line and "," not in first_line:
            delimiter = candidate
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise GridFileError(gettext("The file is not readable CSV text.")) from exc
    sheet = _table(path.name, enumerate(records, start=1), "households", issues)
    return [sheet] if sheet else []


def _read_xlsx(path: Path, issues: _Issues) -> list[Sheet]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise GridFileError(gettext("The file is not a readable .xlsx workbook.")) from exc
    sheets: list[Sheet] = []
    try:
        for worksheet in workbook.worksheets:
            title = str(worksheet.title)
            kind = _SHEET_ALIASES.get(_norm_header(title))
            rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
            sheet = _table(title, rows, kind, issues)
            if sheet is not None:
                sheets.append(sheet)
    finally:
        workbook.close()
    if not sheets:
        raise GridFileError(
            gettext("The workbook has no sheet of compounds (小区) or households (住户).")
        )
    return sheets


def read_grid_file(path: Path, issues: _Issues) -> list[Sheet]:
    if not path.is_file():
        raise GridFileError(gettext("File not found: %(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        sheets = _read_xlsx(path, issues)
    elif suffix in CSV_SUFFIXES:
        sheets = _read_csv(path, issues)
    else:
        raise GridFileError(
            gettext("Unsupported file type “%(suffix)s”: save the spreadsheet as .xlsx or .csv.")
            % {"suffix": path.suffix or path.name}
        )
    if not any(sheet.rows for sheet in sheets) and not issues.report.errors:
        raise GridFileError(gettext("The file has no data rows."))
    return sheets


# ---------------------------------------------------------------------------------------
# Validation and planning


def _chunks(values: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """Split the keys of an `__in` lookup: SQLite refuses more than a few thousand
    parameters in one statement."""
    size = size or (5000 if connection.vendor == "postgresql" else 900)
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _key(text: str) -> str:
    """Codes and numbers: full-width digits and letters as typed on Chinese keyboards
    become ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def _phone(text: str) -> str:
    return re.sub(r"\s+", "", _key(text))


def _room_label(unit: str, room: str) -> str:
    return f"{unit} {room}".strip()


def _building_code_candidates(compound_code: str, name: str) -> Iterator[str]:
    slug = re.sub(r"[^A-Za-z0-9]", "", unicodedata.normalize("NFKC", name))
    if slug and len(compound_code) + 1 + len(slug) <= 32:
        yield f"{compound_code}-{slug}"
    digest = hashlib.sha1(f"{compound_code}/{name}".encode(), usedforsecurity=False).hexdigest()
    stem = f"{compound_code[:20]}-{digest[:8]}"
    yield stem
    for n in range(1, 1000):
        yield f"{stem}{n}"


@dataclass
class _HouseholdPlan:
    row: Row
    household: Household
    location: tuple[tuple[str, str], str, str]  # (building key, unit, room)
    meter_no: str
    multiplier: Decimal | None
    station_area: StationArea | None


class _Importer:
    def __init__(self, sheets: list[Sheet], issues: _Issues) -> None:
        self.issues = issues
        self.report = issues.report
        self.compound_rows = [row for s in sheets if s.kind == "compounds" for row in s.rows]
        self.household_rows = [row for s in sheets if s.kind == "households" for row in s.rows]
        # What the write step does; filled by plan().
        self.new_companies: list[PropertyCompany] = []
        self.new_compounds: list[Compound] = []
        self.changed_compounds: list[Compound] = []
        self.new_buildings: list[Building] = []
        self.new_households: list[Household] = []
        self.changed_households: list[Household] = []
        self.moved_household_ids: list[int] = []
        self.new_meters: list[Meter] = []
        self.changed_meters: list[Meter] = []
        self.detached_meter_ids: list[int] = []
        self.area_links: dict[tuple[int, str], tuple[StationArea, Compound]] = {}
        self.used_buildings: set[int] = set()

    def error(self, row: Row, key: str, message: StrOrPromise) -> None:
        self.issues.add(row.sheet.title, row.number, row.column(key), message)

    def _model_errors(
        self, row: Row, instance: models.Model, exclude: list[str], columns: dict[str, str]
    ) -> None:
        # Foreign keys are resolved here in bulk, and uniqueness is checked against the
        # prefetched keys below: the model's own checks would query once per row.
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                key = "" if name == NON_FIELD_ERRORS else columns.get(name, name)
                for message in messages:
                    self.error(row, key, message)

    def _field_errors(self, row: Row, model: type[models.Model], name: str, value: Any) -> None:
        try:
            model._meta.get_field(name).run_validators(value)  # type: ignore[union-attr]
        except ValidationError as exc:
            for message in exc.messages:
                self.error(row, name, message)

    def _required(self, row: Row) -> bool:
        complete = True
        for column in COLUMNS[row.sheet.kind]:
            if column.required and column.key in row.sheet.headers and not row.get(column.key):
                self.error(row, column.key, gettext("This value is required."))
                complete = False
            if column.key in row.rounded:
                self.error(
                    row,
                    column.key,
                    gettext(
                        "Excel has rounded this number (more than 15 digits): format the "
                        "column as text and enter the number again."
                    ),
                )
                complete = False
        return complete

    # -- compounds --------------------------------------------------------------------

    def plan(self) -> None:
        compound_codes = {_key(r.get("compound_code")) for r in self.compound_rows} | {
            _key(r.get("compound_code")) for r in self.household_rows
        }
        compound_codes.discard("")
        self.db_compounds: dict[str, Compound] = {}
        for chunk in _chunks(compound_codes):
            self.db_compounds.update((c.code, c) for c in Compound.objects.filter(code__in=chunk))
        self.file_compounds: dict[str, Compound] = {}
        # Codes of the compounds sheet, valid or not: households of a compound whose own row
        # is wrong are not reported again as "unknown compound".
        self.file_compound_codes: set[str] = set()
        self._plan_compounds()
        self._plan_households()

    def _plan_compounds(self) -> None:
        rows = self.compound_rows
        community_codes = {_key(r.get("community_code")) for r in rows}
        communities = {c.code: c for c in Community.objects.filter(code__in=community_codes)}
        company_names = {r.get("property_company") for r in rows} - {""}
        companies = {p.name: p for p in PropertyCompany.objects.filter(name__in=company_names)}
        seen: dict[str, Row] = {}
        columns = {
            "code": "compound_code",
            "name": "compound_name",
            "address": "address",
            "property_office_phone": "property_office_phone",
        }
        for row in rows:
            complete = self._required(row)
            code = _key(row.get("compound_code"))
            if code in seen:
                first = seen[code]
                self.error(
                    row,
                    "compound_code",
                    gettext("Compound %(code)s also appears in row %(row)d of %(sheet)s.")
                    % {"code": code, "row": first.number, "sheet": first.sheet.title},
                )
                continue
            if code:
                seen[code] = row
                self.file_compound_codes.add(code)
            community = communities.get(_key(row.get("community_code")))
            if row.get("community_code") and community is None:
                self.error(
                    row,
                    "community_code",
                    gettext("Unknown community %(code)s.")
                    % {"code": _key(row.get("community_code"))},
                )
            if not complete:
                continue
            company: PropertyCompany | None = None
            if name := row.get("property_company"):
                company = companies.get(name)
                if company is None:
                    company = PropertyCompany(name=name)
                    self._model_errors(row, company, [], {"name": "property_company"})
                    companies[name] = company
                    self.new_companies.append(company)
            existing = self.db_compounds.get(code)
            compound = existing or Compound(code=code)
            values: dict[str, Any] = {
                "name": row.get("compound_name"),
                "address": row.get("address"),
            }
            if community is not None:
                values["community"] = community
            if company is not None:
                values["property_company"] = company
            if phone := row.get("property_office_phone"):
                values["property_office_phone"] = _phone(phone)
            changed = _assign(compound, values)
            self._model_errors(row, compound, ["community", "property_company"], columns)
            self.file_compounds[code] = compound
            if existing is None:
                self.new_compounds.append(compound)
            elif changed:
                self.changed_compounds.append(compound)
            else:
                self.report.compounds.unchanged += 1
        self.report.compounds.created = len(self.new_compounds)
        self.report.compounds.updated = len(self.changed_compounds)
        self.report.property_companies.created = len(self.new_companies)

    # -- households -------------------------------------------------------------------

    def _prefetch_households(self) -> None:
        rows = self.household_rows
        area_codes = {_key(r.get("station_area_code")) for r in rows} - {""}
        self.areas = {a.code: a for a in StationArea.objects.filter(code__in=area_codes)}
        self.buildings: dict[tuple[str, str], Building] = {}
        codes = [code for code in self.db_compounds if code]
        for chunk in _chunks(codes):
            for building in Building.objects.filter(compound__code__in=chunk).select_related(
                "compound"
            ):
                self.buildings[(building.compound.code, building.name)] = building
        accounts = {_key(r.get("account_no")) for r in rows} - {""}
        self.db_households: dict[str, Household] = {}
        for chunk in _chunks(accounts):
            self.db_households.update(
                (h.account_no, h) for h in Household.objects.filter(account_no__in=chunk)
            )
        # Who lives where, for "room already taken" in the buildings this file touches.
        self.occupants: dict[tuple[int, str, str], str] = {}
        building_ids = [b.pk for b in self.buildings.values()]
        for id_chunk in _chunks(building_ids):
            for building_id, unit, room, account in Household.objects.filter(
                building_id__in=id_chunk
            ).values_list("building_id", "unit", "room", "account_no"):
                self.occupants[(building_id, unit, room)] = account
        meter_nos = {_key(r.get("meter_no")) for r in rows} - {""}
        self.db_meters: dict[str, Meter] = {}
        self.meter_holders: dict[str, str] = {}
        for chunk in _chunks(meter_nos):
            for meter in Meter.objects.filter(meter_no__in=chunk).select_related("household"):
                self.db_meters[meter.meter_no] = meter
                if meter.household is not None:
                    self.meter_holders[meter.meter_no] = meter.household.account_no
        # The meters the file's existing households have now: replaced ones are detached.
        self.current_meters: dict[int, list[tuple[int, str]]] = {}
        household_ids = [h.pk for h in self.db_households.values()]
        for id_chunk in _chunks(household_ids):
            for pk, meter_no, household_id in Meter.objects.filter(
                household_id__in=id_chunk
            ).values_list("pk", "meter_no", "household_id"):
                self.current_meters.setdefault(household_id, []).append((pk, meter_no))
        self.existing_links: set[tuple[int, int]] = set()
        through = StationArea.compounds.through
        for area_id, compound_id in through.objects.filter(
            stationarea_id__in=[a.pk for a in self.areas.values()]
        ).values_list("stationarea_id", "compound_id"):
            self.existing_links.add((area_id, compound_id))

    def _building(self, compound: Compound, name: str) -> Building:
        key = (compound.code, name)
        building = self.buildings.get(key)
        if building is None:
            building = Building(compound=compound, name=name)
            self.buildings[key] = building
            self.new_buildings.append(building)
        return building

    def _plan_households(self) -> None:
        rows = self.household_rows
        if not rows:
            return
        self._prefetch_households()
        compounds = {**self.db_compounds, **self.file_compounds}
        columns = {
            "account_no": "account_no",
            "unit": "unit",
            "room": "room",
            "address": "address",
            "holder_name": "holder_name",
            "phone": "phone",
        }
        by_account: dict[str, Row] = {}
        by_location: dict[tuple[tuple[str, str], str, str], Row] = {}
        by_meter: dict[str, Row] = {}
        plans: list[_HouseholdPlan] = []
        for row in rows:
            complete = self._required(row)
            account = _key(row.get("account_no"))
            if account in by_account:
                first = by_account[account]
                self.error(
                    row,
                    "account_no",
                    gettext("Account number %(account)s also appears in row %(row)d of %(sheet)s.")
                    % {"account": account, "row": first.number, "sheet": first.sheet.title},
                )
                complete = False
            elif account:
                by_account[account] = row
            code = _key(row.get("compound_code"))
            compound = compounds.get(code)
            if code and compound is None and code not in self.file_compound_codes:
                self.error(
                    row,
                    "compound_code",
                    gettext(
                        "Unknown compound %(code)s: create it first or add it to the "
                        "compounds sheet."
                    )
                    % {"code": code},
                )
            area_code = _key(row.get("station_area_code"))
            area = self.areas.get(area_code)
            if area_code and area is None:
                self.error(
                    row,
                    "station_area_code",
                    gettext("Unknown station area %(code)s.") % {"code": area_code},
                )
            meter_no = _key(row.get("meter_no"))
            multiplier: Decimal | None = None
            if text := row.get("multiplier"):
                try:
                    multiplier = Decimal(_key(text))
                except InvalidOperation:
                    multiplier = None
                if multiplier is None or not multiplier.is_finite() or multiplier <= 0:
                    self.error(
                        row, "multiplier", gettext("The multiplier must be a positive number.")
                    )
                    complete = False
                elif not meter_no:
                    self.error(row, "meter_no", gettext("A multiplier needs a meter number."))
                else:
                    self._field_errors(row, Meter, "multiplier", multiplier)
            if meter_no:
                self._field_errors(row, Meter, "meter_no", meter_no)
                if meter_no in by_meter:
                    first = by_meter[meter_no]
                    self.error(
                        row,
                        "meter_no",
                        gettext(
                            "Meter %(meter)s is also given to account %(account)s in row "
                            "%(row)d of %(sheet)s."
                        )
                        % {
                            "meter": meter_no,
                            "account": first.get("account_no"),
                            "row": first.number,
                            "sheet": first.sheet.title,
                        },
                    )
                else:
                    by_meter[meter_no] = row
            unit, room = _key(row.get("unit")), _key(row.get("room"))
            values: dict[str, Any] = {"holder_name": row.get("holder_name")}
            if phone := row.get("phone"):
                values["phone"] = _phone(phone)
            if address := row.get("address"):
                values["address"] = address
            if not complete or compound is None or area is None:
                # The row will not be written, but its other cells are still checked.
                probe = Household(account_no=account, unit=unit, room=room, **values)
                exclude = ["building", "station_area"] + ([] if address else ["address"])
                self._model_errors(row, probe, exclude, columns)
                continue

            building_name = row.get("building")
            building = self._building(compound, building_name)
            location = ((compound.code, building_name), unit, room)
            if location in by_location:
                first = by_location[location]
                self.error(
                    row,
                    "room",
                    gettext(
                        "Room %(room)s of %(building)s is also given to account %(account)s "
                        "in row %(row)d of %(sheet)s."
                    )
                    % {
                        "room": _room_label(unit, room),
                        "building": building_name,
                        "account": first.get("account_no"),
                        "row": first.number,
                        "sheet": first.sheet.title,
                    },
                )
            else:
                by_location[location] = row

            existing = self.db_households.get(account)
            household = existing or Household(account_no=account)
            moved = _assign(household, {"building": building, "unit": unit, "room": room})
            values["station_area"] = area
            if not address and existing is None:
                values["address"] = (
                    f"{compound.address}{compound.name}{building_name}"
                    + (f"{unit}{'' if unit.endswith('单元') else '单元'}" if unit else "")
                    + f"{room}{'' if room.endswith('室') else '室'}"
                )
            changed = _assign(household, values) or moved
            self._model_errors(row, household, ["building", "station_area"], columns)
            self.used_buildings.add(id(building))
            self.area_links[(area.pk, compound.code)] = (area, compound)
            plans.append(
                _HouseholdPlan(
                    row=row,
                    household=household,
                    location=location,
                    meter_no=meter_no,
                    multiplier=multiplier,
                    station_area=area,
                )
            )
            if existing is None:
                self.new_households.append(household)
            elif changed:
                self.changed_households.append(household)
                if moved:
                    self.moved_household_ids.append(household.pk)
            else:
                self.report.households.unchanged += 1

        self._check_against_database(plans, by_account)
        self._name_new_buildings()
        self.report.buildings.created = len(self.new_buildings)
        self.report.buildings.unchanged = len(self.used_buildings) - len(self.new_buildings)
        self.report.households.created = len(self.new_households)
        self.report.households.updated = len(self.changed_households)

    def _check_against_database(
        self, plans: list[_HouseholdPlan], by_account: dict[str, Row]
    ) -> None:
        """Rooms and meters held in the database by households outside the file, or by
        households that the file moves elsewhere or gives another meter."""
        locations = {p.household.account_no: p.location for p in plans}
        meters = {p.household.account_no: p.meter_no for p in plans}
        for plan in plans:
            row, household = plan.row, plan.household
            building = household.building
            if building.pk is not None:
                occupant = self.occupants.get((building.pk, household.unit, household.room))
                moving_out = occupant in locations and locations[occupant] != plan.location
                if occupant and occupant != household.account_no and not moving_out:
                    self.error(
                        row,
                        "room",
                        gettext(
                            "Room %(room)s of %(building)s is already held by account %(account)s."
                        )
                        % {
                            "room": _room_label(household.unit, household.room),
                            "building": building.name,
                            "account": occupant,
                        },
                    )
            if not plan.meter_no:
                continue
            meter = self.db_meters.get(plan.meter_no)
            if meter is not None and meter.role != Meter.Role.USER:
                self.error(
                    row,
                    "meter_no",
                    gettext("Meter %(meter)s is a station-area supply meter.")
                    % {"meter": plan.meter_no},
                )
                continue
            holder = self.meter_holders.get(plan.meter_no)
            switching = holder in meters and meters[holder] not in ("", plan.meter_no)
            if holder and holder != household.account_no and not switching:
                self.error(
                    row,
                    "meter_no",
                    gettext("Meter %(meter)s belongs to household %(account)s.")
                    % {"meter": plan.meter_no, "account": holder},
                )
                continue
            if household.pk is not None:
                for pk, meter_no in self.current_meters.get(household.pk, []):
                    if meter_no != plan.meter_no:
                        self.detached_meter_ids.append(pk)
            if meter is None:
                meter = Meter(
                    meter_no=plan.meter_no,
                    role=Meter.Role.USER,
                    multiplier=plan.multiplier or Decimal(1),
                    station_area=plan.station_area,
                    household=household,
                )
                self._model_errors(
                    row,
                    meter,
                    ["station_area", "household"],
                    {"meter_no": "meter_no", "multiplier": "multiplier"},
                )
                self.new_meters.append(meter)
                continue
            values: dict[str, Any] = {"station_area": plan.station_area, "household": household}
            if plan.multiplier is not None:
                values["multiplier"] = plan.multiplier
            if _assign(meter, values):
                self.changed_meters.append(meter)
            else:
                self.report.meters.unchanged += 1
            self._model_errors(
                row, meter, ["station_area", "household"], {"multiplier": "multiplier"}
            )
        self.report.meters.created = len(self.new_meters)
        self.report.meters.updated = len(self.changed_meters)
        self.report.meters_detached = len(self.detached_meter_ids)

    def _name_new_buildings(self) -> None:
        """Give each new building a unique code derived from its compound and name."""
        if not self.new_buildings:
            return
        pending = {
            id(b): _building_code_candidates(b.compound.code, b.name) for b in self.new_buildings
        }
        taken = {b.code for b in self.buildings.values() if b.pk is not None}
        todo = list(self.new_buildings)
        while todo:
            for building in todo:
                code = next(pending[id(building)])
                while code in taken:
                    code = next(pending[id(building)])
                building.code = code
                taken.add(code)
            in_db: set[str] = set()
            for chunk in _chunks([b.code for b in todo]):
                in_db.update(Building.objects.filter(code__in=chunk).values_list("code", flat=True))
            taken |= in_db
            todo = [b for b in todo if b.code in in_db]
        compound_rows: dict[tuple[str, str], Row] = {}
        for row in self.household_rows:
            compound_rows.setdefault((_key(row.get("compound_code")), row.get("building")), row)
        for building in self.new_buildings:
            row = compound_rows[(building.compound.code, building.name)]
            self._model_errors(
                row, building, ["compound"], {"name": "building", "code": "building"}
            )

    # -- writing ----------------------------------------------------------------------

    def write(self) -> None:
        PropertyCompany.objects.bulk_create(self.new_companies, batch_size=WRITE_BATCH)
        Compound.objects.bulk_create(self.new_compounds, batch_size=WRITE_BATCH)
        Compound.objects.bulk_update(
            self.changed_compounds,
            ["community", "property_company", "name", "address", "property_office_phone"],
            batch_size=WRITE_BATCH,
        )
        Building.objects.bulk_create(self.new_buildings, batch_size=WRITE_BATCH)
        through = StationArea.compounds.through
        through.objects.bulk_create(
            [
                through(stationarea_id=area.pk, compound_id=compound.pk)
                for area, compound in self.area_links.values()
                if (area.pk, compound.pk) not in self.existing_links
            ],
            batch_size=WRITE_BATCH,
        )
        for chunk in _chunks(self.detached_meter_ids):
            Meter.objects.filter(pk__in=chunk).update(household=None)
        # Households that change rooms first step aside, so that two of them may swap rooms
        # without tripping the one-household-per-room constraint halfway through.
        for chunk in _chunks(self.moved_household_ids):
            Household.objects.filter(pk__in=chunk).update(
                room=Concat(Value("#"), Cast("pk", output_field=CharField()))
            )
        Household.objects.bulk_update(
            self.changed_households,
            ["building", "station_area", "unit", "room", "address", "holder_name", "phone"],
            batch_size=WRITE_BATCH,
        )
        Household.objects.bulk_create(self.new_households, batch_size=WRITE_BATCH)
        Meter.objects.bulk_update(
            self.changed_meters,
            ["station_area", "multiplier", "household"],
            batch_size=WRITE_BATCH,
        )
        Meter.objects.bulk_create(self.new_meters, batch_size=WRITE_BATCH)


def _assign(instance: models.Model, values: dict[str, Any]) -> bool:
    """Set fields on a model instance; True if any value differs from what it held. A related
    object not yet saved (created by this import) always counts as a change."""
    changed = False
    for name, value in values.items():
        if isinstance(value, models.Model):
            current = getattr(instance, f"{name}_id")
            changed = changed or value.pk is None or current != value.pk
        else:
            changed = changed or getattr(instance, name) != value
        setattr(instance, name, value)
    return changed


# ---------------------------------------------------------------------------------------
# Entry points


def grid_import(*, path: Path, dry_run: bool = False) -> ImportReport:
    """Validate the file, and unless it has errors or `dry_run` is set, write it in one
    transaction. Messages are in the active language."""
    report = ImportReport(source=path.name, dry_run=dry_run)
    issues = _Issues(report)
    try:
        sheets = read_grid_file(path, issues)
    except GridFileError as exc:
        issues.add(path.name, 0, "", exc.message)
        return report
    except OSError as exc:
        issues.add(path.name, 0, "", gettext("The file cannot be read: %(error)s") % {"error": exc})
        return report
    if report.errors:
        return report
    importer = _Importer(sheets, issues)
    importer.plan()
    if report.errors or dry_run:
        return report
    try:
        with transaction.atomic():
            importer.write()
    except IntegrityError:
        issues.add(
            path.name,
            0,
            "",
            gettext(
                "Someone changed the same records while the file was imported; nothing was "
                "written. Run the import again."
            ),
        )
        return report
    report.written = True
    return report


def grid_import_template(*, path: Path) -> None:
    """Write an empty workbook in the import format: headers in the active language (Chinese
    headers unless it is English), key columns formatted as text, and an instructions sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    chinese = (get_language() or "zh-hans").startswith("zh")
    workbook = Workbook()
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    bold = Font(bold=True)
    guide = workbook.active
    assert guide is not None
    guide.title = "说明" if chinese else "instructions"
    guide.append([gettext("Sheet"), gettext("Column"), gettext("Required"), gettext("Meaning")])
    for kind in ("compounds", "households"):
        sheet_name = SHEET_NAMES[kind][0 if chinese else 1]
        worksheet = workbook.create_sheet(sheet_name)
        for position, column in enumerate(COLUMNS[kind], start=1):
            header = column.label if chinese else column.key
            cell = worksheet.cell(row=1, column=position, value=header)
            cell.font = bold
            if column.required:
                cell.fill = required_fill
            letter = get_column_letter(position)
            worksheet.column_dimensions[letter].width = 16
            if column.text:
                # Excel would drop leading zeros and round account numbers of 16 digits.
                worksheet.column_dimensions[letter].number_format = "@"
            guide.append(
                [
                    sheet_name,
                    header,
                    gettext("yes") if column.required else "",
                    str(column.help),
                ]
            )
        worksheet.freeze_panes = "A2"
    for cell in guide[1]:
        cell.font = bold
    for letter, width in zip("ABCD", (12, 16, 8, 70), strict=True):
        guide.column_dimensions[letter].width = width
    workbook.save(path)


def grid_import_error_count_message(report: ImportReport) -> str:
    count = len(report.errors)
    return ngettext(
        "%(count)d error; nothing was written.", "%(count)d errors; nothing was written.", count
    ) % {"count": count}
