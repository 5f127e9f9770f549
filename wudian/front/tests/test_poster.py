"""The compound's A4 poster: a real one-page PDF in Chinese with the window's contacts, a QR
code that a decoder reads as the compound's join link, and the link's expiry printed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from wudian.conftest import City
from wudian.grid.models import DutyShift
from wudian.joining.links import join_link_compound

A4_POINTS = (595, 842)
pytestmark = pytest.mark.django_db


def poster(client: Client, code: str = "NORTH") -> bytes:
    response = client.get(f"/c/{code}/poster.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_the_poster_is_one_a4_page_in_chinese_with_the_windows_contacts(
    city: City, client: Client, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://wudian.example.cn"
    city.north.property_office_phone = "0552-3012345"
    city.north.save(update_fields=["property_office_phone"])
    city.electrician.phone = "13700000011"
    city.electrician.save(update_fields=["phone"])
    for weekday in (1, 2, 3, 4, 5, 7):
        DutyShift.objects.create(compound=city.north, electrician=city.electrician, weekday=weekday)
    # Contacts as long as the demo's: the poster still fits one page.
    city.community.service_point_address = "蚌山区朝阳路218号社区服务中心一楼东侧物电联络站办公室"
    city.community.service_hours = (
        "周一至周五 8:30–12:00、14:30–18:00；每月第一个周五物电联动日全天"
    )
    city.community.service_point_phone = "0552-2081260"
    city.community.save()

    reader = PdfReader(io.BytesIO(poster(client)))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
    text = reader.pages[0].extract_text().replace(" ", "").replace("\n", "")
    for expected in [
        "电力服务社区之窗",
        "北苑小区",
        "李经理",
        "13900000001",
        "张电工",
        "13700000011",
        "星期一–星期五、星期日",
        "0552-3012345",
        "涂山社区物电联络站",
        "95598",
        "https://wudian.example.cn/join/NORTH.",
    ]:
        assert expected in text, expected
    year = timezone.localdate().year + 1
    assert f"有效期至{year}-" in text
    fonts = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    assert any("NotoSansCJK" in name.replace("-", "") for name in names), names
    # No household, no resident: the poster is public.
    assert city.north_home.phone not in text
    assert city.north_home.account_no not in text


def test_the_qr_code_decodes_to_a_working_join_link(city: City, client: Client) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    document = pdfium.PdfDocument(poster(client))
    image = document[0].render(scale=3).to_pil().convert("L")

    found = zxingcpp.read_barcodes(image)

    assert len(found) == 1
    url = found[0].text
    assert url.startswith("http://127.0.0.1:8000/join/NORTH.")
    assert join_link_compound(url.rsplit("/join/", 1)[1].rstrip("/")) == city.north
    assert client.get(url.split("8000", 1)[1]).status_code == 200


def test_an_unknown_compound_has_no_poster(city: City, client: Client) -> None:
    assert client.get("/c/NOPE/poster.pdf").status_code == 404


def test_staff_serving_the_compound_get_the_print_link_on_the_window(
    city: City, login: Any
) -> None:
    staff_page = login(city.staff).get("/c/NORTH/").content.decode()
    other_page = login(city.manager_b).get("/c/NORTH/").content.decode()

    assert "/c/NORTH/poster.pdf" in staff_page
    assert "/c/NORTH/poster.pdf" not in other_page


def test_the_window_offers_its_join_link_to_visitors(city: City, client: Client) -> None:
    page = client.get("/c/NORTH/").content.decode()

    assert 'id="join-link" href="/join/NORTH.' in page
