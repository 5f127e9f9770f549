"""Browser journey in a real Chromium: a manager chooses too early a start for a planned
outage and is told, before sending anything, the earliest allowed start and whom to ask.

Each page is saved under var/screenshots/ to be looked at."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from wudian.conftest import DESKTOP, PHONE, City, log_in, screenshot
from wudian.outages.models import Outage

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_manager_sees_a_too_early_start_before_sending(
    live_server: Any, world: City, browser: Any, size: str, viewport: dict[str, int]
) -> None:
    from importlib import import_module

    from django.apps import apps

    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)
    world.supervisor.display_name = "周主管"
    world.supervisor.phone = "13900000009"
    world.supervisor.save(update_fields=["display_name", "phone"])
    start = (timezone.localtime() + datetime.timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.manager.username)
    page.wait_for_url("**/desk/")
    page.goto(f"{live_server.url}/desk/outages/new/")
    page.select_option("#id_kind", "planned")
    page.fill("#id_title", "北苑小区计划检修")
    page.fill("#id_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_start").dispatch_event("change")
    hint = page.locator("#notice-check .notice-check")
    hint.wait_for()
    text = hint.inner_text()
    assert "开始时间太早" in text
    assert "最早允许的开始时间" in text
    assert "周主管" in text
    assert page.locator("#notice-check .earliest-start").inner_text()
    # Choosing the scope names that scope's supervisors; still nothing is sent.
    page.locator(f'input[name=compounds][value="{world.north.pk}"]').check()
    page.locator('#preview [data-households="2"]').wait_for()
    page.locator("#notice-check .notice-check").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"outage-too-early-{size}")  # the whole page: htmx may swap the hint
    assert Outage.objects.count() == 0
    context.close()
