"""With debug off, the error pages are Wudian's own, in the user's language, with the way
home and where to report a security problem."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wudian.conftest import City, zh

pytestmark = pytest.mark.django_db

TITLES = {
    400: "The request could not be handled",
    403: "You may not open this page",
    404: "Page not found",
    500: "Something went wrong on our side",
}


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "wudian.core.tests.urls_errors"
    settings.SECURITY_CONTACT = "security@example.cn"


def visit(code: int, language: str | None = None) -> Any:
    headers = {"Accept-Language": language} if language else {}
    client = Client(raise_request_exception=False, headers=headers)
    url = "/no/such/page/" if code == 404 else f"/fail/{code}/"
    return client.get(url)


@pytest.mark.parametrize("code", [400, 403, 404, 500])
def test_error_page_in_chinese_with_the_way_home(city: City, code: int) -> None:
    response = visit(code)

    assert response.status_code == code
    assert '<html lang="zh-Hans"' in response.text
    assert zh(TITLES[code]) in response.text
    assert zh("Back to the home page") in response.text
    assert 'href="/"' in response.text
    assert '<header class="site-header">' in response.text
    assert 'href="mailto:security@example.cn"' in response.text
    assert "internal detail" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("code", [400, 403, 404, 500])
def test_error_page_in_english(city: City, code: int) -> None:
    response = visit(code, "en")

    assert response.status_code == code
    assert '<html lang="en"' in response.text
    assert TITLES[code] in response.text
    assert "Back to the home page" in response.text


def test_a_disallowed_host_gets_the_400_page(city: City) -> None:
    response = Client(raise_request_exception=False).get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert zh(TITLES[400]) in response.text


def test_a_page_outside_ones_scope_gets_the_404_page(login: Any, city: City) -> None:
    response = login(city.manager_b).get(f"/desk/compounds/{city.north.code}/")

    assert response.status_code == 404
    assert zh(TITLES[404]) in response.text
    assert city.north_home.account_no not in response.text


def test_a_logged_in_user_is_offered_their_desk(login: Any, city: City) -> None:
    response = login(city.manager).get("/no/such/page/")

    assert 'href="/home/"' in response.text


def test_an_expired_form_gets_the_csrf_page_in_chinese(city: City) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "manager", "password": "x"})

    assert response.status_code == 403
    assert zh("The form has expired") in response.text
    assert zh("Back to the home page") in response.text


def test_without_a_contact_the_pages_say_nothing_of_one(city: City, settings: Any) -> None:
    settings.SECURITY_CONTACT = ""

    response = visit(404)

    assert zh("Found a security or privacy problem? Please tell us:") not in response.text


def test_the_real_site_answers_an_unknown_address_and_a_refusal_with_its_own_pages(
    login: Any, city: City, settings: Any
) -> None:
    """Not the test URLs: the site as it runs, with debug off."""
    settings.ROOT_URLCONF = "wudian.urls"
    anonymous = Client(raise_request_exception=False)
    response = anonymous.get("/no/such/page/")
    assert response.status_code == 404
    assert '<header class="site-header">' in response.text
    assert zh("Page not found") in response.text
    assert "Not Found</h1>" not in response.text
    client = login(city.resident)
    response = client.get("/desk/outages/new/")
    assert response.status_code == 403
    assert '<header class="site-header">' in response.text
    assert zh("You may not open this page") in response.text
    assert 'href="/home/"' in response.text  # back to their own page
