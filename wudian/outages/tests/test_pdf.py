"""The printable A4 outage notice: a real one-page PDF with Chinese text and a QR code."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from wudian.conftest import City
from wudian.grid.models import Building, Compound
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.tests.conftest import make_outage

A4_POINTS = (595, 842)


def pdf_text(client: Client, url: str) -> tuple[PdfReader, str]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    return reader, "".join(page.extract_text() for page in reader.pages)


def test_notice_is_one_a4_page_in_chinese_with_contacts(
    city: City, client: Client, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://wudian.example.cn"
    Building.objects.create(compound=city.north, code="NORTH-2", name="2号楼")
    outage = make_outage(city)
    outage.buildings.add(city.north_building)

    reader, text = pdf_text(client, f"/feeds/outages/{outage.pk}/notice.pdf")

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
    compact = text.replace(" ", "").replace("\n", "")
    assert "停电通知" in compact
    assert "北苑小区" in compact
    assert "1号楼" in compact
    assert "2号楼" not in compact
    assert "更换10kV涂山线老旧开关" in compact
    assert "李经理" in compact
    assert "13900000001" in compact
    assert "95598" in compact
    # The QR code's link is on the public origin, whatever Host the printer's request named.
    assert "https://wudian.example.cn/c/NORTH/" in compact
    assert "testserver" not in compact


def test_notice_embeds_the_cjk_font_and_a_qr_code(city: City, client: Client) -> None:
    outage = make_outage(city)
    outage.compounds.add(city.north)

    reader, _text = pdf_text(client, f"/feeds/outages/{outage.pk}/notice.pdf")

    page = reader.pages[0]
    fonts = page["/Resources"]["/Font"]  # type: ignore[index]
    names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    assert any("NotoSansCJK" in name.replace("-", "") for name in names), names
    # The QR code is drawn as vector paths inside the SVG image: one form XObject or more.
    assert "/XObject" in page["/Resources"]  # type: ignore[operator]


def test_fault_notice_shows_the_estimated_restoration(city: City, client: Client) -> None:
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    outage = make_outage(
        city,
        kind=Outage.Kind.FAULT,
        start=start,
        end=start + datetime.timedelta(hours=3),
        estimated_restoration=start + datetime.timedelta(hours=4, minutes=30),
    )
    outage.compounds.add(city.north)

    _reader, text = pdf_text(client, f"/feeds/outages/{outage.pk}/notice.pdf")

    assert "13:30" in text


def test_notice_for_a_named_compound_links_to_its_window(city: City, client: Client) -> None:
    outage = make_outage(city)
    outage.station_areas.add(city.station_area)
    # Publishing resolves the station area to its households, the south one among them.
    AffectedHousehold.objects.create(outage=outage, household=city.south_home)

    _reader, text = pdf_text(client, f"/feeds/outages/{outage.pk}/notice/SOUTH.pdf")

    compact = text.replace(" ", "").replace("\n", "")
    assert f"{django_settings.PUBLIC_URL}/c/SOUTH/" in compact
    assert "南苑小区" in compact
    assert "赵经理" in compact


def test_notice_for_a_compound_the_outage_does_not_reach_is_404(city: City, client: Client) -> None:
    outage = make_outage(city)
    outage.buildings.add(city.north_building)

    response = client.get(f"/feeds/outages/{outage.pk}/notice/SOUTH.pdf")

    assert response.status_code == 404


def test_draft_has_no_notice(city: City, client: Client) -> None:
    outage = make_outage(city, state=Outage.State.DRAFT, published_at=None)
    outage.compounds.add(city.north)

    assert client.get(f"/feeds/outages/{outage.pk}/notice.pdf").status_code == 404


def test_cancelled_notice_says_so(city: City, client: Client) -> None:
    outage = make_outage(city, state=Outage.State.CANCELLED, sequence=1)
    outage.compounds.add(city.north)

    _reader, text = pdf_text(client, f"/feeds/outages/{outage.pk}/notice.pdf")

    assert "取消" in text.replace(" ", "")


@pytest.mark.parametrize(
    "state", [Outage.State.CHANGED, Outage.State.RESTORED, Outage.State.CANCELLED]
)
def test_notice_fits_one_page_whatever_the_text(city: City, client: Client, state: str) -> None:
    compounds = [city.north, city.south]
    for number in range(10):
        compound = Compound.objects.create(
            community=city.community,
            code=f"X{number}",
            name=f"长淮新村第{number}小区",
            address="淮河路",
        )
        for floor in range(30):
            Building.objects.create(
                compound=compound, code=f"X{number}-{floor}", name=f"{floor}号楼"
            )
        compounds.append(compound)
    outage = make_outage(
        city,
        kind=Outage.Kind.FAULT,
        state=state,
        restored_at=timezone.now(),
        title="长" * 120,
        reason="因暴雨导致电缆沟进水，" * 200,
        estimated_restoration=timezone.now() + datetime.timedelta(days=9),
    )
    outage.compounds.add(*compounds[:2])
    # Most buildings of many compounds: the longest area texts there are.
    outage.buildings.add(*Building.objects.exclude(name="0号楼").filter(compound__in=compounds))

    reader, text = pdf_text(client, f"/feeds/outages/{outage.pk}/notice.pdf")

    assert len(reader.pages) == 1
    assert "95598" in text
    assert "李经理" in text
