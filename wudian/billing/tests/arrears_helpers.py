"""Files of the arrears list for the tests, and a member of the business hall."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from wudian.accounts.models import Department, RoleCode, User
from wudian.conftest import City, make_user

HEADER = ["户号", "欠费金额", "预存余额", "缴费截止日", "预警金额"]


def xlsx_file(rows: list[list[Any]], header: list[str] = HEADER) -> io.BytesIO:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "list.xlsx"
    return buffer


def csv_file(
    rows: list[list[Any]], header: list[str] = HEADER, encoding: str = "utf-8"
) -> io.BytesIO:
    lines = [",".join(header)] + [
        ",".join("" if v is None else str(v) for v in row) for row in rows
    ]
    buffer = io.BytesIO(("\n".join(lines) + "\n").encode(encoding))
    buffer.name = "list.csv"
    return buffer


def business_hall_member(city: City, username: str = "hall") -> User:
    hall = Department.objects.create(
        code="HALL",
        name="营业厅",
        kind=Department.Kind.BUSINESS_HALL,
        district=city.district,
    )
    return make_user(username, RoleCode.DEPARTMENT, department=hall)
