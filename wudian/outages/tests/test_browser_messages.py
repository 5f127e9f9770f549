"""Browser check of the pages that tell how notices went: the resident's inbox, the
electrician's calls, the outage's reach and the failed deliveries, at phone and desktop
size. Screenshots go to var/screenshots/."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from wudian.conftest import DESKTOP, PHONE, City, log_in, screenshot
from wudian.notify.delivery import outbox_deliver
from wudian.notify.models import Message
from wudian.outages.tests.conftest import build_world, create

pytestmark = pytest.mark.browser


def fits(page: Any, viewport: dict[str, int]) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= viewport["width"])


def test_messages_calls_reach_and_failures_read_right_on_a_phone_and_a_desktop(
    live_server: Any, world: City, browser: Any
) -> None:
    build_world(world)
    world.north_home.special_group = True
    world.north_home.save(update_fields=["special_group"])
    gateway = settings.NOTIFY_SMS_GATEWAY_URL
    # An address Apprise cannot use: the SMS fail (a missing gateway would only hold them),
    # whether they go out at commit or, held by quiet hours, later.
    settings.NOTIFY_SMS_GATEWAY_URL = "no-such-scheme://gateway.example"
    try:
        outage = create(world.manager)
        # A day on: whatever quiet hours held is due.
        outbox_deliver(now=timezone.now() + datetime.timedelta(days=1))
    finally:
        settings.NOTIFY_SMS_GATEWAY_URL = gateway
    assert Message.objects.filter(state=Message.State.FAILED).exists()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    log_in(page, live_server.url, world.resident.username)
    page.goto(f"{live_server.url}/me/inbox/")
    link = page.locator("article.message a").first
    assert link.get_attribute("href", timeout=5000)
    screenshot(page, "inbox-phone")
    assert fits(page, PHONE)
    phone.clear_cookies()

    log_in(page, live_server.url, world.electrician.username)
    page.goto(f"{live_server.url}/desk/calls/")
    assert outage.title in page.locator("main").inner_text()
    screenshot(page, "calls-phone")
    assert fits(page, PHONE)
    phone.clear_cookies()

    log_in(page, live_server.url, world.manager.username)
    page.goto(f"{live_server.url}/desk/notifications/failed/")
    assert "该渠道的地址无效" in page.locator("main").inner_text()
    screenshot(page, "failed-phone")
    assert fits(page, PHONE)
    page.goto(f"{live_server.url}/desk/outages/{outage.pk}/")
    screenshot(page, "reach-phone")
    assert fits(page, PHONE)
    phone.close()

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = desk.new_page()
    log_in(page, live_server.url, world.manager.username)
    page.goto(f"{live_server.url}/desk/outages/{outage.pk}/")
    page.locator("#reach a[href*='source=outage']").click()
    page.wait_for_url("**/desk/notifications/failed/?source=*")
    screenshot(page, "failed-desktop")
    page.locator("button", has_text="重新发送").first.click()
    page.wait_for_url("**/desk/notifications/failed/*")
    assert "将重新发送" in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/desk/outages/{outage.pk}/")
    screenshot(page, "reach-desktop")
    desk.close()
