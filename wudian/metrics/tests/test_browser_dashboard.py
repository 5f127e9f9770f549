"""The service dashboard in a real Chromium: a supervisor on a desktop opens it from the desk,
reads the headline, sees the charts drawn, changes the period and drills into a figure; a
customer manager opens it from the menu on a phone (390×844). Every page is saved under
var/screenshots/."""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

import pytest
from django.utils import timezone

from wudian.conftest import DESKTOP, PHONE, City, log_in, screenshot
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.models import Channel as RequestChannel
from wudian.workorders.services import workorder_accept, workorder_create

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]


@pytest.fixture
def seeded(world: City) -> None:
    """The categories, service rules and standing targets of the data migrations, again: the
    flush after an earlier transactional test removes them (seeding is idempotent)."""
    from django.apps import apps

    import_module("wudian.workorders.migrations.0002_categories").seed(apps, None)
    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)
    import_module("wudian.metrics.migrations.0002_default_targets").add(apps, None)


def file(city: City, code: str, when: datetime.datetime, **kwargs: Any) -> WorkOrder:
    values: dict[str, Any] = {
        "category": Category.objects.get(code=code),
        "description": "楼道灯不亮，已经一周了",
        "channel": RequestChannel.WEB,
        "by": city.resident,
        "household": city.north_home,
        "now": when,
    }
    values.update(kwargs)
    return workorder_create(**values)


def history(city: City) -> None:
    """A few months of requests in both compounds: complaints this year and a year before,
    online and phoned-in applications, faults accepted in time."""
    now = timezone.now()
    for months_ago in range(5):
        when = now - datetime.timedelta(days=30 * months_ago)
        year_before = when - datetime.timedelta(days=365)
        for _n in range(1 + months_ago % 3):
            file(city, "complaint", year_before + datetime.timedelta(hours=1))
            file(city, "complaint", year_before, by=city.resident_b, household=city.south_home)
        file(city, "complaint", when)
        file(city, "business_new", when)
        file(city, "business_capacity", when, channel=RequestChannel.PHONE, by=city.manager)
        fault = file(city, "fault_behind_meter", when)
        workorder_accept(workorder=fault, by=fault.assignee or city.manager, now=when)
        file(city, "fault_before_meter", when, by=city.resident_b, household=city.south_home)


def test_supervisor_on_a_desktop_reads_the_dashboard_and_drills_into_a_figure(
    live_server: Any, world: City, browser: Any
) -> None:
    history(world)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.supervisor.username)
    page.wait_for_url("**/desk/")
    assert page.locator("#dashboard-card [data-metric]").count() == 4
    screenshot(page, "dashboard-desk-card-supervisor")
    page.locator('#dashboard-card a[href="/desk/dashboard/"]').click()
    page.wait_for_url("**/desk/dashboard/")
    page.wait_for_selector('[data-chart="complaints-yoy"][data-drawn] canvas')
    screenshot(page, "dashboard-supervisor-desktop")

    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    for section in ("requests", "complaints", "outages", "lineloss", "structure"):
        assert page.locator(f"#section-{section} .figure").first.is_visible()
    assert page.locator("#section-complaints [data-met]").first.is_visible()
    assert page.locator("#complaints-table tbody tr").count() == 1
    # Every chart is drawn, or says it has no data (nothing resolved, no line loss here).
    drawn = page.locator(".chart[data-drawn] canvas")
    empty = page.locator(".chart.chart-empty")
    assert drawn.count() >= 4
    assert drawn.count() + empty.count() == page.locator(".chart").count()
    assert empty.first.inner_text() == "本期暂无数据。"
    box = page.locator('[data-chart="complaints-yoy"] canvas').bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 150

    # Year to date: the chooser submits itself.
    page.select_option("#dash-period", "year_to_date")
    page.wait_for_url("**period=year_to_date**")
    first_of_year = timezone.localdate().replace(month=1, day=1).isoformat()
    assert first_of_year in page.locator("#dash-what").inner_text()
    page.wait_for_selector('[data-chart="complaints-yoy"][data-drawn] canvas')
    screenshot(page, "dashboard-supervisor-desktop-year")

    # The complaints figure leads to the complaints it counts.
    figure = page.locator('[data-metric="complaints.count"] [data-drill]')
    counted = int(figure.inner_text().replace(",", ""))
    figure.click()
    page.wait_for_url("**/desk/dashboard/requests/**")
    assert int(page.locator("#drill-count [data-count=rows]").inner_text()) == counted
    assert page.locator("#drill-table tbody tr").count() == min(counted, 50)
    screenshot(page, "dashboard-supervisor-desktop-drill")
    page.locator("#drill-table tbody tr a").first.click()
    page.wait_for_url("**/desk/requests/*/")
    context.close()


def test_manager_on_a_phone_opens_the_dashboard_from_the_menu(
    live_server: Any, world: City, browser: Any
) -> None:
    history(world)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.manager.username)
    page.wait_for_url("**/desk/")
    page.locator("#nav-menu > summary").click()
    page.locator("#nav-dashboard").click()
    page.wait_for_url("**/desk/dashboard/")
    page.wait_for_selector('[data-chart="complaints-yoy"][data-drawn] canvas')
    screenshot(page, "dashboard-manager-phone")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Only his compound: south's complaints are not his.
    assert world.south.name not in page.locator("#dash-scope").inner_text()
    chart = page.locator('[data-chart="complaints-yoy"] canvas').bounding_box()
    assert chart is not None
    assert chart["width"] <= PHONE["width"]
    assert chart["width"] > 300
    # Two figures a row on a phone.
    first = page.locator("#section-requests .figure").nth(0).bounding_box()
    second = page.locator("#section-requests .figure").nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert abs(first["y"] - second["y"]) < 2

    page.locator('[data-metric="requests.accept_on_time"] [data-drill]').click()
    page.wait_for_url("**/desk/dashboard/requests/**")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "dashboard-manager-phone-drill")
    context.close()
