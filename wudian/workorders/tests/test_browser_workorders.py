"""Browser journey in a real Chromium: a resident on a phone reports a fault with a photo,
the electrician on a desktop accepts and resolves it, and the resident confirms and rates it.

Each page is saved under var/screenshots/ to be looked at."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest

from wudian.conftest import DESKTOP, PHONE, City, image_bytes, image_loaded, log_in, screenshot
from wudian.workorders.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media")]


@pytest.fixture
def categories(world: City) -> None:
    """The categories and service rules of the data migrations, again: the flush after an
    earlier transactional test removes them (seeding is idempotent)."""
    from django.apps import apps

    import_module("wudian.workorders.migrations.0002_categories").seed(apps, None)
    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)


def fits(page: Any, width: int) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def test_resident_reports_electrician_resolves_resident_rates(
    live_server: Any, world: City, categories: None, browser: Any
) -> None:
    base = live_server.url
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    log_in(page, base, world.resident.username)
    page.wait_for_url("**/me/")
    screenshot(page, "pages-me-phone")
    page.locator('a[href="/me/requests/new/"]').first.click()
    page.wait_for_url("**/me/requests/new/")
    # The required documents of business categories are shown before choosing.
    assert "不动产权证书或购房合同" in page.locator("#category").inner_text()
    page.locator('input[name=category][value="fault_behind_meter"]').check()
    page.fill("#id_description", "卫生间插座没有电，空开跳了合不上")
    assert page.locator("#description-count").inner_text().startswith("16 /")
    page.set_input_files(
        "#id_photos",
        files=[
            {
                "name": "socket.jpg",
                "mimeType": "image/jpeg",
                "buffer": image_bytes("JPEG", color=(180, 40, 40), size=(640, 480)),
            }
        ],
    )
    assert page.locator("#photo-names li").inner_text() == "socket.jpg"
    assert fits(page, PHONE["width"])
    screenshot(page, "pages-my-new-phone")
    page.locator("#report-form button[type=submit]").click()
    page.wait_for_url("**/me/requests/*/")
    workorder = WorkOrder.objects.get()
    assert workorder.assignee == world.electrician
    assert workorder.photos.count() == 1
    image = page.locator(".photo-grid img").first
    image.wait_for()
    assert image_loaded(image), "the photo did not load"
    assert "张电工" in page.locator("#holder").inner_text()
    assert fits(page, PHONE["width"])
    screenshot(page, "pages-my-detail-phone")

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    office = desk.new_page()
    log_in(office, base, world.electrician.username)
    office.wait_for_url("**/desk/")
    # The desk loads the workbench counts with htmx.
    office.locator('#request-counts [data-count="mine"]').wait_for()
    assert office.locator('#request-counts [data-count="mine"]').inner_text() == "1"
    office.locator('#requests a[href="/desk/requests/"]').click()
    office.wait_for_url("**/desk/requests/")
    row = office.locator(f'tr[data-request="{workorder.pk}"]')
    assert "表后故障报修" in row.inner_text()
    screenshot(office, "pages-desk-list-desktop")
    # Filters answer through htmx without leaving the page, and the address follows them.
    office.evaluate("window.keptAcrossSwaps = true")
    office.select_option("select[name=status]", "closed")
    office.wait_for_url("**status=closed**")
    office.locator(f'tr[data-request="{workorder.pk}"]').wait_for(state="detached")
    # htmx drops a change made before the last swap has settled: wait for it.
    from playwright.sync_api import expect

    expect(office.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    office.select_option("select[name=status]", "submitted")
    row.wait_for()
    assert office.evaluate("window.keptAcrossSwaps") is True
    row.locator(f'a[href="/desk/requests/{workorder.pk}/"]').click()
    office.wait_for_url(f"**/desk/requests/{workorder.pk}/")
    office.locator("#accept-button").click()
    office.wait_for_url(f"**/desk/requests/{workorder.pk}/")
    office.locator("#action-resolve textarea").wait_for()
    office.fill("#action-resolve textarea", "更换了漏电保护开关，已恢复供电")
    screenshot(office, "pages-desk-detail-desktop")
    office.locator("#action-resolve button[type=submit]").click()
    office.wait_for_url(f"**/desk/requests/{workorder.pk}/")
    office.locator('.badge[data-status="resolved"]').first.wait_for()
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.RESOLVED
    assert workorder.owner == world.electrician
    desk.close()

    page.goto(f"{base}/me/requests/{workorder.pk}/")
    assert "更换了漏电保护开关" in page.locator("#close-loop").inner_text()
    screenshot(page, "pages-my-resolved-phone")
    page.locator("#confirm-button").click()
    page.wait_for_url(f"**/me/requests/{workorder.pk}/")
    page.locator('input[name="rate-rating"][value="5"]').check()
    page.locator('input[name="rate-visited_hall"][value="no"]').check()
    page.fill("#id_rate-comment", "师傅来得很快")
    page.locator("#rate-form button[type=submit]").click()
    page.wait_for_url(f"**/me/requests/{workorder.pk}/")
    page.locator("#my-rating").wait_for()
    assert fits(page, PHONE["width"])
    screenshot(page, "pages-my-closed-phone")
    workorder.refresh_from_db()
    assert workorder.status == WorkOrder.Status.CLOSED
    assert workorder.rating == 5
    assert workorder.visited_hall is False
    assert list(workorder.events.values_list("kind", flat=True)) == [
        "submitted",
        "accepted",
        "resolved",
        "confirmed",
        "rated",
    ]
    page.goto(f"{base}/me/requests/")
    assert page.locator(f'[data-request="{workorder.pk}"]').count() == 1
    screenshot(page, "pages-my-list-phone")
    phone.close()
