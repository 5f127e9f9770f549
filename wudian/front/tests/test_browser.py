"""Browser journeys in a real Chromium against the live server: a visitor on a phone finds
their compound, a manager logs in, anyone switches to English."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.conftest import PHONE, City, log_in

pytestmark = pytest.mark.browser


def test_visitor_on_a_phone_finds_the_compound_window(
    live_server: Any, world: City, browser: Any
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#q", "123")  # too short for an account number: the 400 answer is shown
    page.locator("#results [role=alert]").wait_for()
    page.fill("#q", "北苑")  # htmx shows the results while typing, no submit needed
    link = page.locator('a[href="/c/NORTH/"]')
    link.wait_for()
    assert page.locator('a[href="/c/SOUTH/"]').count() == 0
    link.click()
    page.wait_for_url("**/c/NORTH/")
    assert page.locator("h1").inner_text() == "北苑小区"
    assert page.locator('#manager a[href="tel:13900000001"]').is_visible()
    assert page.locator("#report").is_visible()
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_search_works_without_javascript(live_server: Any, world: City, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#q", "北苑")
    page.locator("form.search-form button[type=submit]").click()
    page.wait_for_url("**/?q=*")
    assert page.locator('a[href="/c/NORTH/"]').count() == 1
    assert page.locator('a[href="/c/SOUTH/"]').count() == 0
    context.close()


def test_manager_logs_in_and_sees_the_desk(live_server: Any, world: City, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, world.manager.username)
    page.wait_for_url("**/desk/")
    assert page.locator('a[href="/desk/compounds/NORTH/"]').is_visible()
    assert page.locator('a[href="/desk/compounds/SOUTH/"]').count() == 0
    page.locator('a[href="/desk/compounds/NORTH/"]').click()
    page.wait_for_url("**/desk/compounds/NORTH/")
    assert world.north_home.account_no in page.content()
    context.close()


def test_switch_to_english_and_back(live_server: Any, world: City, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/duties/")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    page.locator('button[name=language][value="en"]').click()
    page.wait_for_url("**/duties/")
    assert page.get_attribute("html", "lang") == "en"
    page.locator('button[name=language][value="zh-hans"]').click()
    page.wait_for_url("**/duties/")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    context.close()
