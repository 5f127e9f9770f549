"""The streaming .xlsx writer: what openpyxl reads back is what was written."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from openpyxl import load_workbook

from wudian.metrics.xlsx import Cell, Column, Format, Workbook


def test_values_formats_and_names_survive() -> None:
    out = io.BytesIO()
    book = Workbook(out)
    written = book.add_sheet(
        "工单/明细[1]",
        [
            Column("文本", 20),
            Column("整数", 8, Format.INTEGER),
            Column("比例", 8, Format.PERCENT),
            Column("时间", 17, Format.DATETIME),
            Column("日期", 12, Format.DATE),
        ],
        [
            ['a & b <c> "d"\x07', 12, 0.953, datetime.datetime(2026, 11, 3, 9, 30), None],
            [
                "  两端空格  ",
                Decimal("7"),
                Cell(Decimal("1.5"), Format.DECIMAL),
                None,
                datetime.date(2026, 2, 28),
            ],
            [True, None, None, None, None],
        ],
    )
    book.add_sheet("工单/明细[1]", [Column("x")], [])
    book.close()

    assert written == 3
    loaded = load_workbook(io.BytesIO(out.getvalue()))
    assert loaded.sheetnames == ["工单 明细 1", "工单 明细 1 (2)"]
    sheet = loaded.worksheets[0]
    assert [c.value for c in sheet[1]] == ["文本", "整数", "比例", "时间", "日期"]
    assert sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 20
    assert sheet.auto_filter.ref == "A1:E4"
    assert sheet["A2"].value == 'a & b <c> "d"'
    assert sheet["B2"].value == 12
    assert sheet["C2"].value == 0.953
    assert sheet["C2"].number_format == "0.0%"
    assert sheet["D2"].value == datetime.datetime(2026, 11, 3, 9, 30)
    assert sheet["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["A3"].value == "  两端空格  "
    assert sheet["B3"].value == 7
    assert sheet["C3"].value == 1.5
    assert sheet["C3"].number_format == "0.00"
    assert sheet["E3"].value == datetime.datetime(2026, 2, 28)
    assert sheet["A4"].value is True
    assert loaded.worksheets[1].max_row == 1
