"""Civic work in a real Chromium: a grid administrator on a phone records a visit, adding an
appeal row with the form's script (no Content-Security-Policy violation), and turns its
electricity appeal into a request; a resident signs up for an activity."""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

import pytest
from django.utils import timezone

from wudian.civic import services
from wudian.civic.models import Appeal, SignUp, Visit
from wudian.civic.tests.conftest import activity_in
from wudian.conftest import PHONE, City, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("categories")]


@pytest.fixture
def categories(world: City) -> None:
    """The categories and service rules of the data migrations, again: the flush after an
    earlier transactional test removes them (seeding is idempotent)."""
    from django.apps import apps

    import_module("wudian.workorders.migrations.0002_categories").seed(apps, None)
    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)


def phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    return context.new_page()


def test_a_grid_admin_records_a_visit_on_a_phone(
    live_server: Any, world: City, browser: Any
) -> None:
    page = phone(browser)
    log_in(page, live_server.url, world.gridadmin.username)
    page.goto(f"{live_server.url}/desk/visits/new/")
    page.select_option("select[name=compound]", str(world.north.pk))
    page.fill("input[name=building]", "1")
    page.fill("input[name=room]", "1-101")
    page.fill("input[name=people_met]", "2")
    page.fill("textarea[name=summary]", "入户走访，了解用电情况")
    page.fill("textarea[name=appeals-0-text]", "插座发烫")
    page.click("#add-appeal")
    assert page.locator("[data-appeal-row]").count() == 4
    page.fill("textarea[name=appeals-3-text]", "希望增加充电桩")
    page.select_option("select[name=appeals-3-kind]", "civic")
    screenshot(page, "civic-visit-new-phone")
    page.click("#save-visit")
    page.wait_for_url("**/desk/visits/*/")
    visit = Visit.objects.get()
    assert list(visit.appeals.order_by("pk").values_list("kind", flat=True)) == [
        "electricity",
        "civic",
    ]
    electricity = visit.appeals.get(kind="electricity")
    page.click(f"#action-request-{electricity.pk} summary")
    page.select_option(f"select[name=request-{electricity.pk}-category]", label="安全隐患报告")
    page.click(f"#action-request-{electricity.pk} button[type=submit]")
    page.wait_for_selector(f"#appeal-{electricity.pk}-request")
    screenshot(page, "civic-visit-detail-phone")
    electricity.refresh_from_db()
    assert electricity.status == Appeal.Status.REQUESTED


def test_a_resident_signs_up_on_a_phone(live_server: Any, world: City, browser: Any) -> None:
    now = timezone.now()
    activity = services.activity_create(
        by=world.gridadmin,
        data=activity_in(
            world,
            starts_at=now + datetime.timedelta(days=3),
            ends_at=now + datetime.timedelta(days=3, hours=2),
            signup_deadline=now + datetime.timedelta(days=2),
        ),
        publish=True,
    )
    page = phone(browser)
    log_in(page, live_server.url, world.resident.username)
    page.goto(f"{live_server.url}/activities/{activity.pk}/")
    page.click("#signup-button")
    page.wait_for_selector("#signed-up")
    screenshot(page, "civic-activity-phone")
    assert SignUp.objects.filter(activity=activity, user=world.resident).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
