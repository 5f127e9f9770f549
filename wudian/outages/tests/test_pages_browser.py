"""Browser journey in a real Chromium: a manager publishes an outage on a desktop, a resident
reads it first on their page on a phone and acknowledges it (我已知悉). Each page is saved
under var/screenshots/."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from wudian.conftest import DESKTOP, PHONE, City, log_in, screenshot
from wudian.outages.models import AffectedHousehold, Outage

pytestmark = pytest.mark.browser


def test_manager_publishes_and_resident_acknowledges_on_a_phone(
    live_server: Any, world: City, browser: Any
) -> None:
    start = (timezone.localtime() + datetime.timedelta(days=10)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desk.new_page()
    log_in(page, live_server.url, world.manager.username)
    page.wait_for_url("**/desk/")
    page.locator('a[href="/desk/outages/"]').first.click()
    page.wait_for_url("**/desk/outages/")
    page.locator('a[href="/desk/outages/new/"]').click()
    page.wait_for_url("**/desk/outages/new/")
    page.select_option("#id_kind", "planned")
    page.fill("#id_title", "北苑小区计划检修")
    page.fill("#id_reason", "更换10kV涂山线开关")
    page.fill("#id_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_end", (start + datetime.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"))
    assert page.locator("#preview [data-households]").count() == 0
    page.locator(f'input[name=compounds][value="{world.north.pk}"]').check()
    # htmx shows the reach before anything is published.
    page.locator('#preview [data-households="2"]').wait_for()
    screenshot(page, "outage-new-desktop")
    assert not Outage.objects.exists()
    page.locator('button[name=action][value="publish"]').click()
    page.wait_for_url("**/desk/outages/*/")
    outage = Outage.objects.get()
    assert outage.state == Outage.State.PUBLISHED
    assert page.locator("h1").inner_text() == "北苑小区计划检修"
    assert page.locator("#timeline li").count() >= 2
    screenshot(page, "outage-published-desktop")
    desk.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    log_in(page, live_server.url, world.resident.username)
    page.wait_for_url("**/me/")
    # What waits for the resident comes first: the outage to acknowledge.
    first = page.locator("main section").first
    assert "北苑小区计划检修" in first.inner_text()
    card = page.locator(f"#outage-{outage.pk}")
    assert card.locator("button.ack-button").inner_text() == "我已知悉"
    screenshot(page, "outage-me-phone")
    card.locator("button.ack-button").click()
    page.wait_for_url("**/me/*")
    page.locator(f"#outage-{outage.pk} .ack-done").wait_for()
    assert page.locator(f"#outage-{outage.pk} button.ack-button").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "outage-acknowledged-phone")
    row = AffectedHousehold.objects.get(outage=outage, household=world.north_home)
    assert row.acknowledged_by == world.resident
    phone.close()
