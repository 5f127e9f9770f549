"""The dashboard's .xlsx exports: the same numbers as the figures, as numbers, Chinese
headers, no resident's contact details, and refusals before anything is written."""

from __future__ import annotations

import datetime
import io
import urllib.parse
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

from wudian.conftest import City
from wudian.metrics.cuts import resolve_cut
from wudian.metrics.exports import Table
from wudian.metrics.figures import figures, parse_codes
from wudian.metrics.periods import Period
from wudian.metrics.registry import Unit
from wudian.metrics.tests.export_world import PRIVATE, build_export_world, logged_in, this_month
from wudian.metrics.xlsx import Column

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(city: City) -> City:
    return build_export_world(city)


def query(period: Period, **more: str) -> str:
    return urllib.parse.urlencode(
        {"from": period.first.isoformat(), "to": period.last.isoformat(), **more}
    )


def workbook(client: Client, url: str) -> tuple[Any, OpenpyxlWorkbook]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == XLSX
    body = response.getvalue()
    assert int(response["Content-Length"]) == len(body)
    return response, load_workbook(io.BytesIO(body))


def all_text(book: OpenpyxlWorkbook) -> str:
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def test_dashboard_export_holds_the_figures_as_numbers(world: City) -> None:
    period = this_month()
    scope = f"district:{world.district.pk}"
    response, book = workbook(
        logged_in(world.supervisor), f"/desk/dashboard/export.xlsx?{query(period, scope=scope)}"
    )

    assert book.sheetnames == ["指标", "投诉分类", "台区"]
    sheet = book["指标"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["板块", "指标", "代码", "数值"]
    assert "目标" in header
    assert "上期" in header
    assert "计算方法" in header
    assert sheet.freeze_panes == "A2"
    rows = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    expected = figures(parse_codes(None), period, resolve_cut(world.supervisor, scope))
    assert set(rows) == {figure.metric.code for figure in expected}
    checked = 0
    for figure in expected:
        value = rows[figure.metric.code][3]
        if figure.value is None:
            assert value is None
            continue
        assert isinstance(value, int | float), (figure.metric.code, value)
        shown = Decimal(str(value)) * (100 if figure.metric.unit == Unit.PERCENT else 1)
        assert abs(shown - figure.value) < Decimal("0.001"), figure.metric.code
        checked += 1
    assert checked >= 10
    assert rows["requests.filed"][3] == 3
    assert rows["complaints.count"][3] == 1
    # A share is a fraction shown in percent; its target likewise, and whether it is met.
    online = next(cell for cell in sheet["C"] if cell.value == "lineloss.collection_rate")
    value_cell = sheet.cell(row=online.row, column=4)
    assert value_cell.value == 1
    assert value_cell.number_format == "0.0%"
    assert sheet.cell(row=online.row, column=6).value == pytest.approx(0.99)
    assert sheet.cell(row=online.row, column=7).value == "达标"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="dashboard-district-')
    assert "filename*=UTF-8''" + urllib.parse.quote("服务看板-蚌山区-") in disposition


def test_dashboard_export_complaints_and_areas(world: City) -> None:
    period = this_month()
    _response, book = workbook(
        logged_in(world.supervisor), f"/desk/dashboard/export.xlsx?{query(period)}"
    )

    complaints = list(book["投诉分类"].iter_rows(values_only=True))
    assert complaints[0] == ("投诉类别", "本期", "去年同期", "同比变化")
    assert complaints[1] == ("投诉", 1, 1, 0)
    assert book["投诉分类"]["D2"].number_format == "0.0%"
    areas = list(book["台区"].iter_rows(values_only=True))
    assert areas[0][:3] == ("台区编号", "台区名称", "天数")
    assert areas[1][:5] == ("TA1", "北苑1号台区", 1, 0, 1)
    assert areas[1][-1] == pytest.approx(0.12)
    assert book["台区"].cell(row=2, column=13).number_format == "0.0%"


def test_requests_export_lists_the_requests_without_contacts(world: City) -> None:
    period = this_month()
    _response, book = workbook(
        logged_in(world.supervisor), f"/desk/dashboard/requests.xlsx?{query(period)}"
    )

    assert book.sheetnames == ["工单明细"]
    rows = list(book["工单明细"].iter_rows(values_only=True))
    assert rows[0][:7] == ("编号", "提交时间", "类别", "小区", "楼栋", "渠道", "状态")
    assert len(rows) == 4
    by_category = {row[2]: row for row in rows[1:]}
    fault = by_category["户内故障报修"] if "户内故障报修" in by_category else rows[1]
    assert isinstance(fault[0], int)
    assert isinstance(fault[1], datetime.datetime)
    assert fault[3] == "北苑小区"
    assert fault[4] == "1号楼"
    assert fault[14] == 5
    assert fault[15] == "否"
    assert {row[3] for row in rows[1:]} == {"北苑小区", "南苑小区"}
    text = all_text(book)
    for private in PRIVATE:
        assert private not in text


def test_requests_export_behind_a_metric(world: City) -> None:
    period = this_month()
    client = logged_in(world.supervisor)

    _r, book = workbook(
        client, f"/desk/dashboard/requests.xlsx?{query(period, metric='complaints.count')}"
    )
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [row[2] for row in rows] == ["投诉"]

    _r, book = workbook(
        client, f"/desk/dashboard/requests.xlsx?{query(period, metric='requests.rating_mean')}"
    )
    assert [row[14] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == [5]


def test_outages_and_areas_exports(world: City) -> None:
    period = this_month()
    client = logged_in(world.manager)
    scope = f"compound:{world.north.pk}"

    _r, book = workbook(client, f"/desk/dashboard/outages.xlsx?{query(period, scope=scope)}")
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "标题", "类型")
    assert len(rows) == 2
    outage = rows[1]
    assert outage[1] == "北苑小区线路检修"
    assert isinstance(outage[4], datetime.datetime)
    assert isinstance(outage[8], float)
    assert outage[8] > 190  # notice given, in hours: eight days ahead
    assert outage[9] == "按时"
    assert outage[10:] == (1, 0, 0)

    _r, book = workbook(
        client,
        f"/desk/dashboard/areas.xlsx?{query(period, scope=scope, metric='lineloss.high')}",
    )
    assert [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == ["TA1"]


def test_english_headers_through_the_translations(world: City) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.supervisor)

    _r, book = workbook(client, f"/desk/dashboard/requests.xlsx?{query(this_month())}")

    assert [cell.value for cell in book.worksheets[0][1]][:2] == ["Number", "Filed at"]


@pytest.mark.parametrize(
    ("role", "scope", "status"),
    [
        ("resident", "", 403),
        ("electrician", "", 403),
        ("dept", "", 403),
        # A customer manager measures north only: the district and south are not theirs.
        ("manager", "district", 404),
        ("manager", "south", 404),
        ("manager_b", "north", 404),
        ("supervisor", "manager:999999", 404),
    ],
)
@pytest.mark.parametrize("path", ["export", "requests", "outages", "areas", "report"])
def test_outside_the_scope_is_refused_not_emptied(
    city: City, role: str, scope: str, status: int, path: str
) -> None:
    scopes = {
        "": "",
        "district": f"district:{city.district.pk}",
        "south": f"compound:{city.south.pk}",
        "north": f"compound:{city.north.pk}",
    }
    suffix = "pdf" if path == "report" else "xlsx"
    response = logged_in(getattr(city, role)).get(
        f"/desk/dashboard/{path}.{suffix}?{query(this_month(), scope=scopes.get(scope, scope))}"
    )

    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response


def test_anonymous_is_sent_to_log_in(city: City) -> None:
    response = Client().get("/desk/dashboard/export.xlsx")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("export", {"from": "2026-11-30", "to": "2026-11-01"}, "The period ends before it starts."),
        ("requests", {"from": "2026-13-01"}, "Enter a date as YYYY-MM-DD."),
        (
            "export",
            {"from": "2023-01-01", "to": "2026-11-01"},
            "A period is at most two years long.",
        ),
        ("requests", {"metric": "no.such"}, "Unknown metric: %(codes)s."),
        (
            "requests",
            {"metric": "outages.reach"},
            "This figure has no list of that kind behind it.",
        ),
        (
            "outages",
            {"metric": "requests.filed"},
            "This figure has no list of that kind behind it.",
        ),
        (
            "areas",
            {"metric": "structure.compounds_per_manager"},
            "This figure has no list of that kind behind it.",
        ),
        ("requests", {"metric": "requests.filed,complaints.count"}, "Name one metric."),
        ("export", {"scope": "district:abc"}, "The scope needs a number after the colon."),
        ("report", {"month": "2026-13"}, "Enter a month as YYYY-MM."),
    ],
)
def test_bad_input_is_422_with_a_message(
    city: City, path: str, params: dict[str, str], message: str
) -> None:
    suffix = "pdf" if path == "report" else "xlsx"
    response = logged_in(city.supervisor).get(
        f"/desk/dashboard/{path}.{suffix}?{urllib.parse.urlencode(params)}"
    )

    assert response.status_code == 422
    assert "Content-Disposition" not in response
    with translation.override("zh-hans"):
        expected = translation.gettext(message).split("%(")[0]
    assert expected.strip() in response.content.decode()


def test_a_list_too_long_is_refused_before_writing(world: City, monkeypatch: Any) -> None:
    monkeypatch.setattr("wudian.metrics.exports.MAX_LIST_ROWS", 2)
    response = logged_in(world.supervisor).get(
        f"/desk/dashboard/requests.xlsx?{query(this_month())}"
    )
    assert response.status_code == 422
    assert "Content-Disposition" not in response


def test_a_failure_while_writing_sends_nothing(world: City, monkeypatch: Any) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        def rows() -> Any:
            yield [1]
            raise RuntimeError("the database went away")

        return Table("x", [Column("x")], rows())

    monkeypatch.setattr("wudian.metrics.exports.requests_table", broken)
    client = logged_in(world.supervisor)
    client.raise_request_exception = False
    response = client.get(f"/desk/dashboard/requests.xlsx?{query(this_month())}")
    assert response.status_code == 500
    assert "Content-Disposition" not in response
