"""A walk on a phone in a real Chromium: an outcome is recorded with htmx, the household's
card is swapped in place (no page load, no Content-Security-Policy violation)."""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from typing import Any

import pytest

from wudian.billing.models import Reminder, ReminderWalk
from wudian.billing.tests.factories import arrears_list
from wudian.conftest import PHONE, City, log_in, screenshot

pytestmark = pytest.mark.browser


def test_an_outcome_recorded_on_a_phone_swaps_the_household_in_place(
    live_server: Any, world: City, browser: Any
) -> None:
    today = datetime.date.today()
    due = today - datetime.timedelta(days=40)
    arrears_list(today, [(world.north_home, "postpaid", D("99.90"), due, None)])
    walk = ReminderWalk.objects.get()
    line = world.north_home.arrears.get()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.electrician.username)
    page.goto(f"{live_server.url}/reminders/walks/{walk.pk}/")
    page.wait_for_selector(f"#line-{line.pk} [data-mark=visit-now]")
    page.evaluate("window.notReloaded = true")
    page.fill(f"#line-{line.pk} input[name=note]", "已当面告知")
    page.click(f"#line-{line.pk} button[value=in_person]")
    page.wait_for_selector(f"#line-{line.pk} .rm-history:has-text('已当面告知')")
    screenshot(page, "reminder-walk-phone")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator(f"#line-{line.pk} [data-mark=visit-now]").count() == 0
    reminder = Reminder.objects.get(by=world.electrician)
    assert (reminder.outcome, reminder.note) == ("in_person", "已当面告知")
