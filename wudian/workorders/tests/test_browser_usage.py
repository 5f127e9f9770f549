"""Browser journey in a real Chromium: a metering dispute's usage analysis, read by the
resident on a phone and by the customer manager on a desktop, and the first page of its PDF.
No page breaks the Content-Security-Policy (the charts are SVG drawn on the server).

The pages and the PDF's first page are saved under var/screenshots/ to be looked at."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal
from importlib import import_module
from typing import Any

import pypdfium2
import pytest

from wudian.billing.models import MeterReading
from wudian.billing.services.usage import month_add
from wudian.conftest import DESKTOP, PHONE, SCREENSHOTS, City, log_in, screenshot
from wudian.workorders.models import Category, Channel
from wudian.workorders.services import workorder_attach_usage, workorder_create

pytestmark = [pytest.mark.browser]


@pytest.fixture
def categories(world: City) -> None:
    """The categories and service rules of the data migrations, again: the flush after an
    earlier transactional test removes them (seeding is idempotent)."""
    from django.apps import apps

    import_module("wudian.workorders.migrations.0002_categories").seed(apps, None)
    import_module("wudian.workorders.migrations.0008_meter_test_category").seed(apps, None)
    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)


def days_of(month: datetime.date) -> list[str]:
    """A month of daily values: use, but none on its first four days."""
    days = calendar.monthrange(month.year, month.month)[1]
    return ["0"] * 4 + ["20"] * (days - 4)


def test_resident_and_manager_read_the_usage_analysis(
    live_server: Any, world: City, categories: None, browser: Any
) -> None:
    until = datetime.date.today().replace(day=1)
    rows = []
    for k in range(1, 25):
        month = month_add(until, -k)
        for household, kwh in (
            (world.north_home, 600 if k == 1 else 210),
            (world.north_home_2, 190),
        ):
            rows.append(
                MeterReading(
                    household=household,
                    month=month,
                    kwh=Decimal(kwh),
                    source=MeterReading.Source.IMPORT,
                    daily=days_of(month) if household == world.north_home and k == 1 else None,
                )
            )
    MeterReading.objects.bulk_create(rows)
    dispute = workorder_create(
        category=Category.objects.get(code="metering_dispute"),
        description="电费突然翻倍，怀疑电表有问题",
        channel=Channel.WEB,
        by=world.resident,
        household=world.north_home,
    )
    report = workorder_attach_usage(workorder=dispute, by=world.manager)
    base = live_server.url

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    log_in(page, base, world.resident.username)
    page.wait_for_url("**/me/")
    page.goto(f"{base}/me/requests/{dispute.pk}/")
    page.locator(f'a[href="/me/requests/{dispute.pk}/usage/{report.pk}/"]').first.click()
    page.wait_for_url(f"**/usage/{report.pk}/")
    assert page.locator("svg.usage-chart").count() == 2
    assert "异常" in page.locator("#findings").inner_text()
    # The chart scrolls inside its frame: the page itself fits the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "usage-analysis-phone")
    phone.close()

    desktop = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desktop.new_page()
    log_in(page, base, world.manager.username)
    page.wait_for_url("**/desk/")
    page.goto(f"{base}/desk/requests/{dispute.pk}/usage/{report.pk}/")
    assert page.locator("#action-request_meter_test").count() == 1
    screenshot(page, "usage-analysis-desktop")
    pdf = desktop.request.get(f"{base}/desk/requests/{dispute.pk}/usage/{report.pk}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    first = pypdfium2.PdfDocument(pdf.body())[0]
    assert "用电分析" in first.get_textpage().get_text_range()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    first.render(scale=1.5).to_pil().save(SCREENSHOTS / "usage-analysis-pdf-page1.png")
    desktop.close()
