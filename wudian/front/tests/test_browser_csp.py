"""Every kind of page works under the Content-Security-Policy in a real Chromium: the public
pages, htmx searches and previews, the request forms' scripts, the admin and the Swagger UI.
(The browser fixture fails any journey whose pages the policy blocked something on.)"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest

from wudian.conftest import DESKTOP, PHONE, City, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def categories(world: City) -> None:
    from django.apps import apps

    import_module("wudian.workorders.migrations.0002_categories").seed(apps, None)
    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)


def test_public_pages_and_the_htmx_search(live_server: Any, world: City, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#q", "北苑")
    page.locator('a[href="/c/NORTH/"]').wait_for()
    page.goto(f"{live_server.url}/c/NORTH/")
    page.goto(f"{live_server.url}/duties/")
    page.goto(f"{live_server.url}/no/such/page/")
    assert page.locator(".error-code").inner_text() == "404"
    context.close()


def test_request_form_scripts_run(
    live_server: Any, world: City, categories: None, browser: Any
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server.url, world.resident.username)
    page.wait_for_url("**/me/")
    page.goto(f"{live_server.url}/me/requests/new/")
    page.fill("#id_description", "插座没有电")
    # The counter is updated by wudian/intake.js, a file the policy allows.
    assert page.locator("#description-count").inner_text().startswith("5 /")
    context.close()


def test_staff_pages_htmx_preview_admin_and_swagger(
    live_server: Any, world: City, categories: None, browser: Any
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, live_server.url, world.manager.username)
    page.wait_for_url("**/desk/")
    page.goto(f"{live_server.url}/desk/requests/")
    page.goto(f"{live_server.url}/desk/outages/new/")
    page.locator(f'input[name=compounds][value="{world.north.pk}"]').check()
    page.locator('#preview [data-households="2"]').wait_for()
    context.close()

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, live_server.url, world.admin.username)
    page.goto(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/accounts/user/")
    page.goto(f"{live_server.url}/admin/accounts/user/{world.manager.pk}/change/")
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    context.close()
