"""Browser journey in a real Chromium: a resident on a phone writes to the compound's circle,
the customer manager on a desktop turns the message into a request, and the resident sees the
request and its progress from the message.

Each page is saved under var/screenshots/ to be looked at."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest

from wudian.circles.models import Message
from wudian.circles.services import circle_for_compound, post_publish
from wudian.conftest import DESKTOP, PHONE, City, log_in, screenshot
from wudian.workorders.models import WorkOrder

pytestmark = [pytest.mark.browser]


@pytest.fixture
def categories(world: City) -> None:
    """The categories and service rules of the data migrations, again (see the requests'
    journey)."""
    from django.apps import apps

    import_module("wudian.workorders.migrations.0002_categories").seed(apps, None)
    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)


def fits(page: Any, width: int) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def test_resident_writes_manager_makes_a_request_resident_follows_it(
    live_server: Any, world: City, categories: None, browser: Any
) -> None:
    base = live_server.url
    circle = circle_for_compound(world.north)
    post_publish(
        author=world.manager,
        circles=[circle],
        kind="safety",
        title="夏季用电安全提示",
        body="请勿私拉乱接电线。",
        pinned=True,
    )
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    log_in(page, base, world.resident.username)
    page.wait_for_url("**/me/")
    page.locator("#me-circles").click()
    page.wait_for_url("**/circles/")
    screenshot(page, "circles-list-phone")
    page.locator(".circle-card").first.click()
    page.wait_for_url(f"**/circles/{circle.pk}/")
    assert "夏季用电安全提示" in page.locator("#pinned").inner_text()
    page.locator("#write summary").click()
    page.fill("#id_body", "家里插座冒火花，<b>一用就跳闸</b>")
    page.locator("#write button[type=submit]").click()
    page.wait_for_url(f"**/circles/{circle.pk}/")
    message = Message.objects.get()
    # Typed HTML stays text.
    assert "<b>一用就跳闸</b>" in page.locator(f"#m{message.pk}").inner_text()
    assert fits(page, PHONE["width"])
    screenshot(page, "circles-detail-phone")

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    staff = desk.new_page()
    log_in(staff, base, world.manager.username)
    staff.goto(f"{base}/circles/{circle.pk}/")
    staff.locator(f"#m{message.pk} .circle-open a").click()
    staff.wait_for_url(f"**/circles/messages/{message.pk}/")
    screenshot(staff, "circles-message-desktop")
    staff.locator("#make-request").click()
    staff.wait_for_url(f"**/desk/circle-messages/{message.pk}/request/")
    staff.select_option("#id_category", "fault_behind_meter")
    screenshot(staff, "circles-make-request-desktop")
    staff.locator("#from-circle-form button[type=submit]").click()
    staff.wait_for_url("**/desk/requests/*/")
    workorder = WorkOrder.objects.get(circle_message=message)
    assert "沟通圈" in staff.locator("#from-circle").inner_text()

    page.goto(f"{base}/circles/messages/{message.pk}/")
    progress = page.locator("#request-progress")
    assert f"{workorder.pk}" in progress.inner_text()
    assert "待受理" in progress.inner_text()
    assert fits(page, PHONE["width"])
    screenshot(page, "circles-message-phone")
    progress.locator("a").click()
    page.wait_for_url(f"**/me/requests/{workorder.pk}/")
    assert "沟通圈" in page.locator("#from-circle").inner_text()
    phone.close()
    desk.close()
