"""Each role's first page in a real Chromium: residents and electricians on a phone
(390×844), managers and supervisors on a desktop (1366×900). What the person sees first is
their own work; every page of the journey is saved under var/screenshots/."""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

import pytest
from django.utils import timezone

from wudian.conftest import DESKTOP, PHONE, City, log_in, screenshot
from wudian.front.tests.test_pages_homes import file
from wudian.notify.models import Channel, Message
from wudian.notify.services import Audience, notify_publish
from wudian.outages import services as outage_services
from wudian.outages.models import Outage
from wudian.workorders.models import WorkOrder
from wudian.workorders.services import workorder_accept, workorder_resolve

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("categories")]


@pytest.fixture
def categories(world: City) -> None:
    """The categories and service rules of the data migrations, again: the flush after an
    earlier transactional test removes them (seeding is idempotent)."""
    from django.apps import apps

    import_module("wudian.workorders.migrations.0002_categories").seed(apps, None)
    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)


def outage(city: City, *, publish: bool = True) -> Outage:
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=9)
    return outage_services.outage_create(
        by=city.manager,
        kind=Outage.Kind.PLANNED,
        title="北苑小区计划检修停电",
        reason="10kV涂山线设备例行检修",
        start=start,
        end=start + datetime.timedelta(hours=6),
        compounds=[city.north],
        publish=publish,
    )


def top_of(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return float(box["y"])


def assert_header_fits(page: Any, width: int) -> None:
    """One line of header, no sideways scrolling, every tap target at least 44 px high."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    header = page.locator(".site-header").bounding_box()
    assert header is not None
    assert header["height"] <= 70, header
    for target in page.locator(
        ".site-nav > li > a, .site-nav > li > form button, #nav-menu > summary"
    ).all():
        box = target.bounding_box()
        assert box is not None
        assert box["height"] >= 44, box
        assert box["width"] >= 44, box


def test_resident_on_a_phone_sees_what_waits_for_them_first(
    live_server: Any, world: City, browser: Any
) -> None:
    workorder = file(world)
    workorder_accept(workorder=workorder, by=world.electrician)
    workorder_resolve(
        workorder=WorkOrder.objects.get(pk=workorder.pk), by=world.electrician, note="已修好"
    )
    notice = outage(world)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.resident.username)
    page.wait_for_url("**/me/")
    screenshot(page, "home-resident-phone")

    assert_header_fits(page, PHONE["width"])
    # The first thing under the title: what waits for them, on the first screen.
    assert top_of(page, "#waiting") < top_of(page, "#requests") < PHONE["height"]
    waiting = page.locator("#waiting")
    assert waiting.locator(f'a[href="/me/requests/{workorder.pk}/"]').is_visible()
    assert waiting.locator(f"#outage-{notice.pk} button").is_visible()
    assert waiting.locator('a[href="/me/inbox/"]').is_visible()  # the outage's message
    assert int(page.locator("#nav-inbox [data-unread]").get_attribute("data-unread") or 0) >= 1

    waiting.locator(f"#outage-{notice.pk} button").click()
    page.wait_for_url(f"**/me/#outage-{notice.pk}")
    assert page.locator(f"#waiting #outage-{notice.pk}").count() == 0
    assert page.locator(f"#outages #outage-{notice.pk}").is_visible()

    # Notification settings and log out are in the menu, log out set apart from password.
    page.locator("#nav-menu > summary").click()
    settings_link = page.locator('#nav-menu a[href="/me/notifications/"]')
    assert settings_link.is_visible()
    screenshot(page, "home-resident-phone-menu")
    password = page.locator('#nav-menu a[href^="/accounts/password"]').bounding_box()
    logout = page.locator("#nav-menu .nav-menu-logout button").bounding_box()
    assert password is not None
    assert logout is not None
    assert logout["y"] - (password["y"] + password["height"]) >= 8
    settings_link.click()
    page.wait_for_url("**/me/notifications/")
    page.locator("#nav-inbox").click()
    page.wait_for_url("**/me/inbox/")
    context.close()


def test_electrician_on_a_phone_sees_calls_then_requests(
    live_server: Any, world: City, browser: Any
) -> None:
    notify_publish(
        audience=Audience(
            households=[world.north_home], calls=[(world.north_home.pk, world.electrician.pk)]
        ),
        template="message",
        context={"title": "计划停电", "body": "3月17日8:00-12:00停电。"},
        event_key="outage:9:published",
        urgent=True,
        source="outage:9",
    )
    fault = file(world)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.electrician.username)
    page.wait_for_url("**/desk/")
    screenshot(page, "home-electrician-phone")

    assert_header_fits(page, PHONE["width"])
    assert top_of(page, "#calls") < top_of(page, "#requests") < top_of(page, "#certificate")
    assert top_of(page, "#calls") < PHONE["height"] / 3
    assert page.locator("#calls").get_by_text(world.north_home.address).is_visible()
    assert page.locator("#request-counts [data-count=awaiting]").inner_text() == "1"
    row = page.locator(f'#requests [data-list=mine] a[href="/desk/requests/{fault.pk}/"]')
    assert row.is_visible()
    assert page.locator("#requests [data-list=mine] [data-clock]").first.is_visible()
    assert page.locator("#lineloss").count() == 0

    page.locator('#calls a[href="/desk/calls/"]').click()
    page.wait_for_url("**/desk/calls/")
    screenshot(page, "home-electrician-phone-calls")
    context.close()


def test_manager_on_a_desktop_sees_overdue_work_drafts_and_failures(
    live_server: Any, world: City, browser: Any
) -> None:
    late = file(world, "complaint", now=timezone.now() - datetime.timedelta(days=30))
    draft = outage(world, publish=False)
    notify_publish(
        audience=Audience(households=[world.north_home]),
        template="message",
        context={"title": "计划停电", "body": "停电。"},
        event_key="outage:7:published",
        urgent=True,
        source="outage:7",
    )
    Message.objects.filter(channel=Channel.SMS).update(state=Message.State.FAILED, attempts=5)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.manager.username)
    page.wait_for_url("**/desk/")
    screenshot(page, "home-manager-desktop")

    assert_header_fits(page, DESKTOP["width"])
    overdue = page.locator(f'#requests [data-list=overdue] a[href="/desk/requests/{late.pk}/"]')
    assert overdue.is_visible()
    assert top_of(page, "#requests [data-list=overdue]") < DESKTOP["height"]
    assert page.locator(f'#outages a[href="/desk/outages/{draft.pk}/"]').is_visible()
    assert page.locator("#outages [data-reach]").first.is_visible()
    assert page.locator("#failed [data-count=failed]").inner_text() != "0"
    assert page.locator('#lineloss a[href="/desk/lineloss/"]').is_visible()
    # The outage, failure and line-loss cards sit side by side on a desktop.
    assert abs(top_of(page, "#outages") - top_of(page, "#failed")) < 2

    page.locator('#failed a[href="/desk/notifications/failed/"]').click()
    page.wait_for_url("**/desk/notifications/failed/")
    screenshot(page, "home-manager-desktop-failed")
    context.close()


def test_supervisor_on_a_desktop_sees_the_districts_overdue_work_in_both_languages(
    live_server: Any, world: City, browser: Any
) -> None:
    late = file(
        world,
        "complaint",
        by=world.resident_b,
        household=world.south_home,
        now=timezone.now() - datetime.timedelta(days=30),
    )
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.supervisor.username)
    page.wait_for_url("**/desk/")
    screenshot(page, "home-supervisor-desktop")

    assert_header_fits(page, DESKTOP["width"])
    assert page.locator(f'#requests [data-list=overdue] a[href="/desk/requests/{late.pk}/"]')
    assert top_of(page, "#requests") < top_of(page, "#compounds")
    assert top_of(page, "#requests [data-list=overdue]") < DESKTOP["height"]
    assert page.locator("#lineloss").is_visible()
    assert page.locator("#managers").is_visible()

    # English: the header still fits one line, on a desktop and on a phone.
    page.locator('button[name=language][value="en"]').click()
    page.wait_for_url("**/desk/")
    assert page.get_attribute("html", "lang") == "en"
    assert_header_fits(page, DESKTOP["width"])
    screenshot(page, "home-supervisor-desktop-en")
    page.set_viewport_size(PHONE)
    assert_header_fits(page, PHONE["width"])
    screenshot(page, "home-supervisor-phone-en")
    # Table headers keep their words whole on a phone: each is one line of text.
    lines = page.evaluate(
        """() => [...document.querySelectorAll('#compounds th')]
            .filter(th => th.offsetWidth > 0 && !th.querySelector('.visually-hidden'))
            .map(th => {
                const range = document.createRange();
                range.selectNodeContents(th);
                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
            })"""
    )
    assert lines
    assert set(lines) == {1}, lines
    context.close()
