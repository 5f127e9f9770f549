"""The monthly report: a real A4 PDF in Chinese from the page and from `wudian report`, the
same figures, and bad input refused with a message and nothing written."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from wudian.conftest import City
from wudian.metrics.cuts import CutKind, whole_cut
from wudian.metrics.periods import month_period
from wudian.metrics.report import report_context
from wudian.metrics.tests.export_world import PRIVATE, build_export_world, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(city: City) -> City:
    return build_export_world(city)


A4_POINTS = (595, 842)


def this_month_text() -> str:
    return timezone.localdate().strftime("%Y-%m")


def text_of(body: bytes) -> tuple[PdfReader, str]:
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    text = "".join(page.extract_text() for page in reader.pages)
    return reader, text.replace(" ", "").replace("\n", "")


def test_report_page_is_an_a4_pdf_in_chinese(world: City) -> None:
    response = logged_in(world.supervisor).get(
        f"/desk/dashboard/report.pdf?month={this_month_text()}&scope=district:{world.district.pk}"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('inline; filename="report-district-')
    reader, text = text_of(response.content)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
    assert "物电联络站服务月报" in text
    assert "蚌山区" in text
    assert "分类投诉同比" in text
    assert "北苑1号台区" in text
    assert "李经理" in text  # the 1+N table: north's customer manager
    assert "近十二个月趋势" in text
    for private in PRIVATE:
        assert private not in text
    fonts = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    assert any("NotoSansCJK" in name.replace("-", "") for name in names), names


def test_report_holds_the_months_figures(world: City) -> None:
    month = month_period(this_month_text())
    context = report_context(month, whole_cut(CutKind.DISTRICT, world.district))

    lines = {line.figure.metric.code: line for _label, ls in context["sections"] for line in ls}
    assert lines["requests.filed"].value == "3"
    assert lines["complaints.count"].value == "1"
    assert lines["complaints.yoy_change"].value == "0.0%"
    assert lines["complaints.yoy_change"].target == "≤ -50.0%"
    assert lines["complaints.yoy_change"].figure.met is False
    assert context["complaints_total"] == 1
    assert context["complaints_total_last_year"] == 1
    assert [row["station_area__code"] for row in context["areas"]] == ["TA1"]
    assert "<svg" in context["complaints_bars"]
    assert "<script" not in context["complaints_bars"]
    assert {row["name"] for row in context["managers"]} == {"李经理", "赵经理"}


def test_report_in_english(world: City) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.supervisor)

    response = client.get(f"/desk/dashboard/report.pdf?month={this_month_text()}")

    _reader, text = text_of(response.content)
    assert "Liaisonstationmonthlyservicereport" in text


def test_command_writes_the_report_without_a_secret_key(
    world: City, tmp_path: Path, settings: Any
) -> None:
    settings.SECRET_KEY = ""  # any use of it would raise
    out = tmp_path / "report.pdf"
    stdout = io.StringIO()

    call_command("report", month=this_month_text(), district="蚌山区", out=str(out), stdout=stdout)

    _reader, text = text_of(out.read_bytes())
    assert "物电联络站服务月报" in text
    assert "蚌山区" in text
    assert str(out) in stdout.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_command_takes_a_scope_and_a_language(world: City, tmp_path: Path) -> None:
    out = tmp_path / "north.pdf"

    call_command(
        "report",
        month=this_month_text(),
        scope=f"compound:{world.north.pk}",
        out=str(out),
        lang="en",
    )

    _reader, text = text_of(out.read_bytes())
    assert "北苑小区" in text
    assert "Liaisonstationmonthlyservicereport" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"month": "2026-13", "district": "蚌山区"}, "YYYY-MM"),
        ({"month": "11/2026", "district": "蚌山区"}, "YYYY-MM"),
        ({"month": "2026-11", "district": "不存在区"}, "不存在区"),
        ({"month": "2026-11", "scope": "compound:999999"}, "compound:999999"),
        ({"month": "2026-11", "scope": "manager:1"}, "district:"),
        ({"month": "2026-11", "scope": "district:abc"}, "district:"),
    ],
)
def test_command_refuses_bad_input_and_writes_nothing(
    city: City, tmp_path: Path, options: dict[str, str], message: str
) -> None:
    out = tmp_path / "report.pdf"
    out.write_bytes(b"the old report")

    with pytest.raises(CommandError) as refused:
        call_command("report", out=str(out), **options)

    assert message in str(refused.value)
    assert out.read_bytes() == b"the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_command_line_exits_non_zero_with_a_message(tmp_path: Path) -> None:
    """As run on a server with no web settings: no WUDIAN_SECRET_KEY, no debug."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WUDIAN_", "PYTEST"))}
    env["WUDIAN_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "wudian.manage",
            "report",
            "--month",
            "2026-13",
            "--district",
            "蚌山区",
            "--out",
            str(tmp_path / "report.pdf"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "YYYY-MM" in result.stderr
    assert "WUDIAN_SECRET_KEY" not in result.stderr
    assert not (tmp_path / "report.pdf").exists()
