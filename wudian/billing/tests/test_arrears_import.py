"""Importing the arrears and prepaid-balance list: all or nothing, every problem named by row
and column, unknown account numbers listed, a later list superseding the earlier one; and
the command."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from wudian.billing.models import Arrears, ArrearsImport
from wudian.billing.selectors.arrears import household_arrears
from wudian.billing.services.arrears import arrears_import
from wudian.billing.tables import TableRefused
from wudian.billing.tests.arrears_helpers import business_hall_member, csv_file, xlsx_file
from wudian.conftest import City, snapshot
from wudian.core.errors import BadInput, NotAllowed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = timezone.localdate()
DUE = (TODAY - datetime.timedelta(days=5)).isoformat()
A1, A2, A3 = "3400000001", "3400000002", "3400000003"
UNKNOWN = "3499999999"


def nothing_saved() -> dict[str, object]:
    return snapshot(ArrearsImport, Arrears)


def good_rows() -> list[list[object]]:
    return [
        [A1, "120.50", None, DUE, None],
        [A2, None, "35.20", None, "50"],
        [UNKNOWN, "8", None, DUE, None],
    ]


@pytest.mark.parametrize("make", [xlsx_file, csv_file])
def test_a_list_is_stored_with_its_unknown_accounts(city: City, make: object) -> None:
    handle = make(good_rows())  # type: ignore[operator]
    run = arrears_import(handle, handle.name, as_of=TODAY)
    assert (run.rows, run.households, run.as_of) == (3, 2, TODAY)
    assert run.unknown_accounts == [{"row": 4, "account_no": UNKNOWN}]
    owed = Arrears.objects.get(household=city.north_home)
    assert (owed.kind, owed.amount, str(owed.due_date), owed.row, owed.current) == (
        "postpaid",
        D("120.50"),
        DUE,
        2,
        True,
    )
    prepaid = Arrears.objects.get(household=city.north_home_2)
    assert (prepaid.kind, prepaid.amount, prepaid.due_date, prepaid.warning_level) == (
        "prepaid",
        D("35.20"),
        None,
        D(50),
    )


def test_gbk_csv_with_english_headers(city: City) -> None:
    header = ["account_no", "amount_owed", "balance", "due_date", "warning_level"]
    handle = csv_file([[A1, "1", None, DUE, None]], header=header, encoding="gbk")
    assert arrears_import(handle, "欠费清单.csv").households == 1


def test_a_later_list_supersedes_and_keeps_the_history(city: City) -> None:
    first = arrears_import(
        csv_file([[A1, "10", None, DUE, None], [A2, "20", None, DUE, None]]),
        "a.csv",
        as_of=TODAY - datetime.timedelta(days=3),
    )
    second = arrears_import(csv_file([[A1, "15", None, DUE, None]]), "b.csv", as_of=TODAY)
    assert set(Arrears.objects.filter(current=True).values_list("run", "household")) == {
        (second.pk, city.north_home.pk)
    }
    assert Arrears.objects.filter(run=first, current=False).count() == 2
    # north_home_2 is not on the latest list: it owes nothing now.
    entries = household_arrears(city.north_home_2)
    assert [(e.run.pk, e.line is not None) for e in entries] == [
        (second.pk, False),
        (first.pk, True),
    ]
    assert household_arrears(city.south_home) == []


BAD_ROWS = [
    ([[A3, "-5", None, DUE, None]], 2, "欠费金额", "cannot be negative"),
    ([[A3, "abc", None, DUE, None]], 2, "欠费金额", "is not a number"),
    ([[A3, "1.234", None, DUE, None]], 2, "欠费金额", "at most 2 decimals"),
    ([[A3, None, "1.001", None, None]], 2, "预存余额", "at most 2 decimals"),
    ([[A3, None, "5", None, "-1"]], 2, "预警金额", "cannot be negative"),
    ([[A3, "5", "5", DUE, None]], 2, "欠费金额 / 预存余额", "not both"),
    ([[A3, None, None, DUE, None]], 2, "欠费金额 / 预存余额", "the amount owed or the prepaid"),
    ([[A3, "5", None, None, None]], 2, "缴费截止日", "needs its due date"),
    ([[A3, "5", None, "tomorrow", None]], 2, "缴费截止日", "is not a date"),
    (
        [[A3, "5", None, (TODAY + datetime.timedelta(days=1)).isoformat(), None]],
        2,
        "缴费截止日",
        "is after the list's date",
    ),
    ([["34000", "5", None, DUE, None]], 2, "户号", "is not an account number"),
    ([["34000000AB", "5", None, DUE, None]], 2, "户号", "is not an account number"),
    ([[None, "5", None, DUE, None]], 2, "户号", "missing"),
    (
        [
            [A3, "5", None, DUE, None],
            ["3400000004", "1", None, DUE, None],
            [A3, "6", None, DUE, None],
        ],
        4,
        "户号",
        "is already on row 5",
    ),
]


@pytest.mark.parametrize(("rows", "row", "column", "says"), BAD_ROWS)
@pytest.mark.parametrize("make", [xlsx_file, csv_file])
def test_a_bad_row_refuses_the_whole_file(
    city: City, make: object, rows: list[list[object]], row: int, column: str, says: str
) -> None:
    arrears_import(csv_file([[A3, "1", None, DUE, None]]), "earlier.csv", as_of=TODAY)
    before = nothing_saved()
    handle = make(good_rows() + rows)  # type: ignore[operator]
    with pytest.raises(TableRefused) as caught:
        arrears_import(handle, handle.name, as_of=TODAY)
    wrong = [p for p in caught.value.problems if p.row == row + 3]
    assert len(wrong) == 1, caught.value.problems
    assert (wrong[0].column, says in wrong[0].message) == (column, True), wrong[0]
    assert caught.value.messages[0].startswith(f"Row {row + 3}, column {column}: ")
    assert nothing_saved() == before
    assert Arrears.objects.get(current=True).household == city.south_home


def test_every_problem_is_named_not_only_the_first(city: City) -> None:
    rows = [
        ["1", "-1", None, DUE, None],
        [A1, "x", "2", None, None],
        [A2, None, "1.111", None, None],
    ]
    with pytest.raises(TableRefused) as caught:
        arrears_import(csv_file(rows), "a.csv", as_of=TODAY)
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (2, "户号"),
        (2, "欠费金额"),
        (3, "欠费金额 / 预存余额"),
        (4, "预存余额"),
    ]


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        (b"", "a.csv", "holds no rows"),
        ("户号,欠费金额,缴费截止日\n".encode(), "a.csv", "has no rows of accounts"),
        ("户号,缴费截止日\n3400000001,2026-01-01\n".encode(), "a.csv", "needs a column"),
        ("欠费金额,缴费截止日\n1,2026-01-01\n".encode(), "a.csv", "column is missing"),
        (b"PK\x03\x04 not really", "a.xlsx", "not an Excel workbook"),
        (b"account_no\n", "a.txt", "only .xlsx and .csv"),
    ],
)
def test_files_refused_as_a_whole(city: City, content: bytes, name: str, says: str) -> None:
    before = nothing_saved()
    with pytest.raises(TableRefused) as caught:
        arrears_import(io.BytesIO(content), name, as_of=TODAY)
    assert says in " ".join(caught.value.messages)
    assert nothing_saved() == before


def test_the_list_s_date_is_not_in_the_future_nor_before_the_current_list(city: City) -> None:
    with pytest.raises(BadInput, match="future"):
        arrears_import(csv_file(good_rows()), "a.csv", as_of=TODAY + datetime.timedelta(days=1))
    arrears_import(csv_file(good_rows()), "a.csv")
    before = nothing_saved()
    with pytest.raises(BadInput, match="already imported"):
        arrears_import(csv_file(good_rows()), "a.csv", as_of=TODAY - datetime.timedelta(days=1))
    assert nothing_saved() == before
    # The same day again (a corrected list) replaces it.
    assert arrears_import(csv_file(good_rows()), "b.csv").as_of == TODAY


def test_only_the_business_hall_and_administrators_import(city: City) -> None:
    before = nothing_saved()
    for user in (city.manager, city.supervisor, city.dept, city.staff, city.resident):
        with pytest.raises(NotAllowed):
            arrears_import(csv_file(good_rows()), "a.csv", by=user)
    assert nothing_saved() == before
    hall = business_hall_member(city)
    assert arrears_import(csv_file(good_rows()), "a.csv", by=hall).imported_by == hall
    assert arrears_import(csv_file(good_rows()), "a.csv", by=city.admin).households == 2


def test_the_command_prints_the_summary_and_unknown_accounts(city: City, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(csv_file(good_rows()).getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_arrears", str(path), "--as-of", TODAY.isoformat(), stdout=out, stderr=err)
    text = out.getvalue()
    assert "3 rows, 2 households (1 owing, 1 prepaid), 1 account numbers not in Wudian" in text
    assert f"Row 4: account number {UNKNOWN} is not in Wudian." in text
    assert ArrearsImport.objects.get().file_name == "list.csv"


def test_the_command_refuses_with_every_problem_and_saves_nothing(
    city: City, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    rows = [[A1, "-1", None, DUE, None]] + [
        [f"34000001{n:02d}", "x", None, DUE, None] for n in range(250)
    ]
    path.write_bytes(csv_file(rows).getvalue())
    err = io.StringIO()
    before = nothing_saved()
    with pytest.raises(CommandError, match=r"251 problems\. Nothing was saved\."):
        call_command("import_arrears", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 251
    assert lines[0] == "Row 2, column 欠费金额: the amount cannot be negative (-1)."
    assert nothing_saved() == before


def test_the_command_refuses_a_future_date_and_a_missing_file(city: City, tmp_path: Path) -> None:
    """A CommandError: the command exits with status 1."""
    path = tmp_path / "list.csv"
    path.write_bytes(csv_file(good_rows()).getvalue())
    with pytest.raises(CommandError, match="future"):
        call_command("import_arrears", str(path), "--as-of", "2999-01-01")
    with pytest.raises(CommandError, match="no file"):
        call_command("import_arrears", str(tmp_path / "none.csv"))
