"""A resident joins by themselves on a phone (390×844) in a real Chromium: the poster's QR
link, a code by SMS (read from the outbox, where the gateway takes it), registration, binding
the household as its holder, and the household on their home page. Pages are saved under
var/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.accounts.models import User
from wudian.conftest import PHONE, City, screenshot
from wudian.grid.models import HouseholdMembership
from wudian.joining.links import join_link
from wudian.joining.tests.conftest import code_sent_to

pytestmark = pytest.mark.browser

MOBILE = "13912345678"


def test_a_resident_joins_from_the_posters_link_and_binds_their_home(
    live_server: Any, world: City, browser: Any
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()

    page.goto(live_server.url + join_link(world.north).path)
    assert page.locator("h1").inner_text() == "北苑小区"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "join-link-phone")
    page.fill("input[name=phone]", MOBILE)
    page.locator("#phone-form button[type=submit]").click()
    page.wait_for_url("**/join/code/")
    assert "139****5678" in page.locator("#join-code header").inner_text()
    screenshot(page, "join-code-phone")

    page.fill("input[name=code]", code_sent_to(MOBILE))
    page.locator("#code-form button[type=submit]").click()
    page.wait_for_url("**/me/households/")
    assert page.locator("#no-households").is_visible()
    # The holder's check is open at once: no household yet.
    assert page.locator("#bind-form").is_visible()
    screenshot(page, "join-households-empty-phone")

    page.fill("#bind-form input[name=account_no]", world.north_home_2.account_no)
    page.fill("#bind-form input[name=surname]", "王")
    page.fill("#bind-form input[name=phone_last4]", "1234")
    page.locator("#bind-form button[type=submit]").click()
    assert "不一致" in page.locator("#bind-errors").inner_text()
    screenshot(page, "join-bind-refused-phone")

    page.fill("#bind-form input[name=phone_last4]", "0002")
    page.locator("#bind-form button[type=submit]").click()
    page.wait_for_url("**/me/households/")
    assert page.locator(f'[data-account="{world.north_home_2.account_no}"]').is_visible()
    screenshot(page, "join-households-bound-phone")

    page.goto(live_server.url + "/me/")
    assert world.north_home_2.account_no in page.locator("article.home").first.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "join-me-phone")
    user = User.objects.get(phone=MOBILE)
    assert HouseholdMembership.objects.get(user=user).household == world.north_home_2
