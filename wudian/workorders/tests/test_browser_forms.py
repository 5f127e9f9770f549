"""Browser checks in a real Chromium of the forms that must read right: the report form's
meter-box guide and the rating's second ask on a phone, the compound window of a logged-in
resident, and the staff intake's household finder at both sizes.

Each page is saved under var/screenshots/ to be looked at."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.conftest import DESKTOP, PHONE, City, image_loaded, log_in, screenshot
from wudian.workorders.models import WorkOrder
from wudian.workorders.services import workorder_accept, workorder_resolve
from wudian.workorders.tests.test_browser_workorders import categories, fits

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media", "categories")]


__all__ = ["categories"]


def test_resident_on_a_phone_reads_the_meter_guide_and_is_asked_again_for_the_hall(
    live_server: Any, world: City, browser: Any, file_request: Any
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.resident.username)
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/me/requests/new/")
    guide = page.locator("#meter-guide")
    assert "表前" in guide.inner_text()
    image = guide.locator("img")
    assert image_loaded(image)
    assert fits(page, PHONE["width"])
    screenshot(page, "forms-report-phone")

    workorder = file_request()
    workorder_accept(workorder=workorder, by=world.electrician)
    workorder_resolve(workorder=workorder, by=world.electrician, note="更换了空开")
    page.goto(f"{live_server.url}/me/requests/{workorder.pk}/")
    page.locator('input[name="rate-rating"][value="5"]').check()
    page.locator("#rate-form button[type=submit]").click()
    page.locator("#refusal").wait_for()
    assert "营业厅" in page.locator("#id_rate-visited_hall").inner_text()
    assert page.locator('input[name="rate-rating"][value="5"]').is_checked()
    assert fits(page, PHONE["width"])
    screenshot(page, "forms-rate-again-phone")
    assert WorkOrder.objects.get(pk=workorder.pk).rating is None

    page.goto(f"{live_server.url}/c/NORTH/")
    assert page.locator('#residents a[href="/me/requests/new/"]').is_visible()
    screenshot(page, "forms-window-resident-phone")
    context.close()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_staff_intake_finds_the_household_by_the_callers_phone(
    live_server: Any, world: City, browser: Any, size: str, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.manager.username)
    page.wait_for_url("**/desk/")
    page.goto(f"{live_server.url}/desk/requests/new/")
    page.fill("#id_contact_phone", "138 0000 0001")
    page.locator('input[name=category][value="fault_before_meter"]').check()
    page.fill("#id_description", "楼道灯不亮")
    assert fits(page, viewport["width"])
    screenshot(page, f"forms-intake-{size}")
    page.locator("#staff-report-form button[type=submit]").click()
    page.wait_for_url("**/desk/requests/*/")
    assert WorkOrder.objects.get().household == world.north_home
    context.close()
