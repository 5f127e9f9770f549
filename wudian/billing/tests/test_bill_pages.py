"""The bill explainer (/me/bill/, the desk's household bill, the API) and the readings
imports' page and API."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal as D

import pytest
from django.test import Client

from wudian.accounts.models import Department, RoleCode, User
from wudian.billing.models import MeterReading, ReadingImport
from wudian.billing.tests.factories import example_tariff
from wudian.conftest import City, api, snapshot, zh
from wudian.knowledge.models import Category
from wudian.knowledge.services import Content, article_create, article_publish

pytestmark = pytest.mark.django_db


def read(city: City, year: int, m: int, kwh: str, peak: str = "", valley: str = "") -> None:
    MeterReading.objects.create(
        household=city.north_home,
        month=datetime.date(year, m, 1),
        kwh=D(kwh),
        peak_kwh=D(peak) if peak else None,
        valley_kwh=D(valley) if valley else None,
        source=MeterReading.Source.IMPORT,
        daily=["8.000"] * 30 + [None] if (year, m) == (2025, 10) else None,
    )


@pytest.fixture
def year(city: City) -> City:
    example_tariff()
    for m in range(1, 13):
        read(city, 2024, m, "200")
        if m <= 10:
            read(city, 2025, m, "250", "150", "50")
    return city


def hall_member(city: City) -> User:
    hall = Department.objects.create(
        code="HALL", name="营业厅", kind=Department.Kind.BUSINESS_HALL, district=city.district
    )
    user = User.objects.create_user("hall", password="x", department=hall)
    user.roles.add(*user.roles.model.objects.filter(code=RoleCode.DEPARTMENT))
    return user


def text_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def test_the_resident_reads_the_latest_month_explained(year: City, client: Client) -> None:
    client.force_login(year.resident)
    page = text_of(client.get("/me/bill/"))
    # The latest month with a reading, 2025-10. The year passed 2160 kWh in September
    # (8 × 250 = 2000 before it, 2250 after), so all of October is in tier 2:
    # 150 × 0.5883 + 50 × 0.3083 + 50 × 0.5653 + 250 × 0.05 = 144.425.
    assert "2025-10 电费一览" in page
    assert "本月用电 <strong>250 千瓦时</strong>，电费 <strong>144.43 元</strong>" in page
    assert "到 10 月底，今年累计用电 2500 千瓦时" in page
    assert "2025-09 年累计用电超过 2160 千瓦时，进入第 2 档：此后每度电 0.6153 元" in page
    assert "峰时段（8:00-22:00）：150 千瓦时 × 0.5883 元 = 88.25 元" in page
    assert "谷时段（22:00-次日8:00）：50 千瓦时 × 0.3083 元 = 15.42 元" in page
    assert "阶梯加价：12.50 元" in page
    # Without the split: 250 × 0.6153 = 153.825.
    assert "如果不执行峰谷电价，本月电费为 153.83 元：峰谷电价为您节省了 9.40 元" in page
    assert "去年 10 月用电 200 千瓦时" in page
    assert "今年多用了 50 千瓦时" in page
    assert "去年同月电费 113.06 元" in page
    assert "居民阶梯电价（示例）" in page
    assert "采集系统给出了本月 30 天的日电量" in page
    assert 'id="bill-daily"' in page
    assert "echarts.min.js" in page


def test_an_earlier_month_and_no_crossing_yet(year: City, client: Client) -> None:
    client.force_login(year.resident)
    page = text_of(client.get("/me/bill/?month=2025-03"))
    assert "今年累计用电还在第一档内" in page
    assert "echarts.min.js" not in page
    assert "2025-03 电费一览" in page
    missing = text_of(client.get("/me/bill/?month=2023-03"))
    assert "2023-03 没有抄表电量" in missing
    bad = client.get("/me/bill/?month=2025-13")
    assert bad.status_code == 422


def test_another_households_bill_is_not_found(year: City, client: Client) -> None:
    client.force_login(year.resident)
    assert client.get(f"/me/bill/?household={year.south_home.account_no}").status_code == 404
    client.force_login(year.manager_b)
    assert client.get(f"/desk/households/{year.north_home.account_no}/bill/").status_code == 404
    client.force_login(year.staff)
    page = text_of(client.get(f"/desk/households/{year.north_home.account_no}/bill/"))
    assert "该户电费明细说明" in page
    assert "144.43" in page


def test_a_resident_without_readings_is_told(city: City, client: Client) -> None:
    client.force_login(city.resident_b)
    assert "该户还没有抄表电量" in text_of(client.get("/me/bill/"))
    client.force_login(city.outsider)
    page = client.get("/me/bill/")
    assert page.status_code == 200
    assert zh("No electricity account is linked to your login yet.") in text_of(page)


def test_me_and_the_knowledge_article_link_to_the_bill(year: City, client: Client) -> None:
    article = article_create(
        by=year.admin,
        content=Content(
            title="电费是怎么算的", summary="", body="阶梯与峰谷", category=Category.SMART_METER
        ),
    )
    article_publish(article=article, by=year.admin)
    client.force_login(year.resident)
    assert 'href="/me/bill/"' in text_of(client.get("/me/"))
    assert 'id="kn-bill-link"' in text_of(client.get(f"/knowledge/{article.pk}/"))
    client.force_login(year.outsider)
    assert 'id="kn-bill-link"' not in text_of(client.get(f"/knowledge/{article.pk}/"))


def test_the_bill_over_the_api(year: City) -> None:
    answer = api(year.resident).get(
        f"/api/v1/billing/households/{year.north_home.account_no}/bill?month=2025-10"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["amount"] == "144.43"
    assert body["crossings"] == [{"tier": 2, "month": "2025-09"}]
    assert body["flat_amount"] == "153.83"
    assert body["last_year_kwh"] == "200.000"
    assert len(body["daily_kwh"]) == 31
    assert body["tariff"]["name"] == "居民阶梯电价（示例）"
    assert body["months_with_readings"][0] == "2025-10"
    outside = api(year.resident_b).get(
        f"/api/v1/billing/households/{year.north_home.account_no}/bill"
    )
    assert outside.status_code == 404
    none = api(year.resident).get(
        f"/api/v1/billing/households/{year.north_home.account_no}/bill?month=2020-01"
    )
    assert none.status_code == 422


CSV = "户号,抄表日期,总示数\n3400000001,2026-10-01,100\n3400000001,2026-11-01,190\n"


def test_a_business_hall_member_imports_on_the_page(city: City, client: Client) -> None:
    member = hall_member(city)
    client.force_login(member)
    assert client.get("/desk/readings/").status_code == 200
    upload = io.BytesIO(CSV.encode())
    upload.name = "october.csv"
    response = client.post("/desk/readings/", {"file": upload})
    assert response.status_code == 302
    assert MeterReading.objects.get(household=city.north_home).kwh == D(90)
    page = text_of(client.get("/desk/readings/"))
    assert "october.csv" in page
    assert "示数文件" in page


def test_a_refused_file_shows_its_problems_and_saves_nothing(city: City, client: Client) -> None:
    client.force_login(hall_member(city))
    before = snapshot(MeterReading, ReadingImport)
    upload = io.BytesIO("户号,抄表日期,总示数\n3400000001,2026-10-01,-3\n".encode())
    upload.name = "bad.csv"
    response = client.post("/desk/readings/", {"file": upload})
    assert response.status_code == 422
    page = text_of(response)
    assert 'id="readings-problems"' in page
    assert "示数不能为负（-3）" in page
    assert "总示数" in page
    assert snapshot(MeterReading, ReadingImport) == before


def test_others_may_not_import(city: City, client: Client) -> None:
    for user in (city.manager, city.dept, city.supervisor):
        client.force_login(user)
        upload = io.BytesIO(CSV.encode())
        upload.name = "october.csv"
        assert client.post("/desk/readings/", {"file": upload}).status_code == 403
    assert not MeterReading.objects.exists()


def upload(text: str) -> io.BytesIO:
    handle = io.BytesIO(text.encode())
    handle.name = "readings.csv"
    return handle


def test_importing_over_the_api(city: City) -> None:
    member = hall_member(city)
    done = api(member).post(
        "/api/v1/billing/readings/imports", {"file": upload(CSV + "9999999999,2026-10-01,1\n")}
    )
    assert done.status_code == 201, done.json()
    assert done.json()["months"] == 1
    assert done.json()["unknown_accounts"] == [{"row": 4, "account_no": "9999999999"}]
    refused = api(member).post(
        "/api/v1/billing/readings/imports",
        {"file": upload("户号,抄表日期,总示数\n3400000001,2026-11-01,150\n")},
    )
    assert refused.status_code == 422
    problem = refused.json()["problems"][0]
    assert (problem["row"], problem["column"]) == (2, "总示数")
    assert ReadingImport.objects.count() == 1
    assert api(city.manager).post("/api/v1/billing/readings/imports", {}).status_code == 403


def test_the_desk_offers_the_import_to_importers_only(city: City, client: Client) -> None:
    client.force_login(hall_member(city))
    assert 'href="/desk/readings/"' in text_of(client.get("/desk/"))
    client.force_login(city.manager)
    assert 'href="/desk/readings/"' not in text_of(client.get("/desk/"))


def test_the_compounds_household_list_links_to_the_bill_for_those_who_remind(
    city: City, client: Client
) -> None:
    link = f'href="/desk/households/{city.north_home.account_no}/bill/"'
    client.force_login(city.staff)
    assert link in text_of(client.get(f"/desk/compounds/{city.north.code}/"))
    client.force_login(city.gridadmin)
    page = client.get(f"/desk/compounds/{city.north.code}/")
    assert page.status_code == 200
    assert link not in text_of(page)
