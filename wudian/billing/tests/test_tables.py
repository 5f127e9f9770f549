"""The table reader: .xlsx and .csv (UTF-8 and GBK) read the same way, Excel numbers as
account numbers, and files that are not what they say refused with the problem named."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from wudian.billing.tables import (
    PROBLEMS_KEPT,
    Column,
    Problem,
    TableRefused,
    parse_amount,
    parse_date,
    read_table,
    template_xlsx,
)

pytestmark = pytest.mark.usefixtures("english")

COLUMNS = [
    Column("account_no", ("户号", "account_no")),
    Column("amount", ("欠费金额", "amount_owed")),
    Column("note", ("备注", "note"), required=False),
]


def xlsx(rows: list[list[Any]]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def read(handle: io.BytesIO, name: str) -> list[tuple[int, dict[str, str]]]:
    return list(read_table(handle, name, COLUMNS))


def test_xlsx_rows_come_out_as_text_with_their_row_numbers() -> None:
    handle = xlsx(
        [
            ["户号", "欠费金额"],
            [3400000001, 12.5],
            [None, None],
            ["3400000002", datetime.datetime(2026, 11, 20)],
        ]
    )
    assert read(handle, "list.xlsx") == [
        (2, {"account_no": "3400000001", "amount": "12.5"}),
        (4, {"account_no": "3400000002", "amount": "2026-11-20"}),
    ]


def test_excel_numbers_as_account_numbers_lose_no_digits() -> None:
    handle = xlsx([["account_no", "amount_owed"], [3400000000000001, 10.0], [3.4e9, 7]])
    assert [cells["account_no"] for _row, cells in read(handle, "list.xlsx")] == [
        "3400000000000001",
        "3400000000",
    ]
    assert [
        cells["amount"] for _row, cells in read(xlsx([["户号", "欠费金额"], [1, 10.0]]), "a.xlsx")
    ] == ["10"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_and_gbk(encoding: str) -> None:
    text = "\n户号 , 欠费金额,备注\n3400000001,12.50,王家\n,,\n3400000002,3,\n"
    handle = io.BytesIO(text.encode(encoding))
    assert read(handle, "LIST.CSV") == [
        (3, {"account_no": "3400000001", "amount": "12.50", "note": "王家"}),
        (5, {"account_no": "3400000002", "amount": "3", "note": ""}),
    ]


def test_english_headers_in_any_case_and_spacing() -> None:
    handle = io.BytesIO(b"Account_No,AMOUNT_OWED\n3400000001,1\n")
    assert read(handle, "a.csv") == [(2, {"account_no": "3400000001", "amount": "1"})]


def refusal(handle: io.BytesIO, name: str) -> TableRefused:
    with pytest.raises(TableRefused) as caught:
        read(handle, name)
    return caught.value


def test_an_xlsx_that_is_not_one_is_refused() -> None:
    assert (
        "not an Excel workbook"
        in refusal(io.BytesIO(b"a,b\n1,2\n"), "list.xlsx").problems[0].message
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hello.txt", "x")
    archive.seek(0)
    refused = refusal(archive, "list.xlsx")
    assert "not an Excel workbook" in refused.problems[0].message
    assert refused.problems[0].row == 0


def test_a_missing_column_is_named_with_its_header_row() -> None:
    refused = refusal(io.BytesIO("\n户号,备注\n3400000001,x\n".encode()), "a.csv")
    assert refused.problems == [
        Problem(2, "欠费金额", "the column is missing (also accepted: amount_owed).")
    ]
    assert refused.messages == [
        "Row 2, column 欠费金额: the column is missing (also accepted: amount_owed)."
    ]


def test_other_kinds_of_file_are_refused() -> None:
    assert "only .xlsx and .csv" in refusal(io.BytesIO(b"a"), "list.txt").problems[0].message
    assert "holds no rows" in refusal(io.BytesIO(b"\n,\n"), "a.csv").problems[0].message
    assert "UTF-8 or GBK" in refusal(io.BytesIO(b"\xff\xff,\x81\n"), "a.csv").problems[0].message


def test_a_csv_cell_beyond_the_reader_s_limit_is_refused_not_a_crash() -> None:
    handle = io.BytesIO(b'account_no,amount_owed\n1,"' + b"x" * 200_000 + b'"\n')
    assert "not a CSV file" in refusal(handle, "a.csv").problems[0].message


def test_a_refusal_keeps_its_first_problems_and_counts_the_rest() -> None:
    problems = [Problem(n, "户号", "x") for n in range(PROBLEMS_KEPT + 5)]
    refused = TableRefused(problems)
    assert len(refused.problems) == PROBLEMS_KEPT
    assert refused.more == 5
    assert len(refused.every) == PROBLEMS_KEPT + 5
    assert refused.messages[-1] == "… and 5 more problems."


@pytest.mark.parametrize(
    ("text", "value"), [("12.5", Decimal("12.5")), ("1,200.00", Decimal(1200)), ("0", Decimal(0))]
)
def test_amounts(text: str, value: Decimal) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("-1", "cannot be negative"),
        ("abc", "is not a number"),
        ("NaN", "is not a number"),
        ("1.234", "at most 2 decimals"),
        ("1e30", "too large"),
        ("10000000000", "too large"),
    ],
)
def test_bad_amounts(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_amount(text)


@pytest.mark.parametrize(
    "text", ["2026-12-05", "2026/12/05", "2026.12.05", "20261205", "2026-12-05 00:00:00"]
)
def test_dates(text: str) -> None:
    assert parse_date(text) == datetime.date(2026, 12, 5)


def test_bad_date() -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_date("2026-13-01")


def test_the_template_has_the_headers_and_reads_back_without_rows() -> None:
    handle = io.BytesIO(template_xlsx(COLUMNS))
    with pytest.raises(TableRefused):
        read(xlsx([]), "empty.xlsx")
    assert read(handle, "template.xlsx") == []
