"""The admin's login goes through the same throttle and refusals as the login page and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wudian.accounts.models import ApiToken
from wudian.conftest import PASSWORD, City, snapshot, zh

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
TOKEN_URL = "/api/v1/auth/token"
LOCKED = "Too many failed logins. Try again in %(minutes)d minute(s)."


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 5
    settings.LOGIN_LOCKOUT_SECONDS = 600


def admin_login(client: Client, username: str, password: str) -> Any:
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_wrong_admin_passwords_lock_the_admin_login(city: City) -> None:
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(3):
        response = admin_login(client, "admin", "wrong")
        assert response.status_code == 200
        assert zh("Wrong username or password, or the account is disabled.") in response.text

    response = admin_login(client, "admin", PASSWORD)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    assert zh(LOCKED) % {"minutes": 10} in response.text
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_lock_the_admin_for_every_username(city: City) -> None:
    client = Client(REMOTE_ADDR="10.0.0.2")
    for attempt in range(5):
        admin_login(client, f"nobody{attempt}", "wrong")

    assert admin_login(client, "admin", PASSWORD).status_code == 429
    assert admin_login(Client(REMOTE_ADDR="10.0.0.3"), "admin", PASSWORD).status_code == 302


def test_a_lockout_on_the_api_locks_the_admin_login(city: City) -> None:
    for attempt in range(3):
        Client(REMOTE_ADDR=f"10.0.1.{attempt}").post(
            TOKEN_URL, {"username": "admin", "password": "wrong"}, content_type="application/json"
        )
    client = Client(REMOTE_ADDR="10.0.2.1")

    assert admin_login(client, "admin", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_failures_lock_the_login_page_and_the_api(city: City) -> None:
    before = snapshot(city.admin, ApiToken)
    for attempt in range(3):
        admin_login(Client(REMOTE_ADDR=f"10.0.3.{attempt}"), "admin", "wrong")

    page = Client(REMOTE_ADDR="10.0.4.1").post(
        "/accounts/login/", {"username": "admin", "password": PASSWORD}
    )
    token = Client(REMOTE_ADDR="10.0.4.2").post(
        TOKEN_URL, {"username": "admin", "password": PASSWORD}, content_type="application/json"
    )

    assert (page.status_code, token.status_code) == (429, 429)
    assert snapshot(city.admin, ApiToken) == before


def test_demo_password_on_the_admin_with_debug_off_is_refused_with_403(
    city: City, settings: Any
) -> None:
    settings.DEBUG = False
    city.admin.set_password(settings.DEMO_PASSWORD)
    city.admin.save(update_fields=["password"])
    client = Client(REMOTE_ADDR="10.0.5.1", raise_request_exception=False)

    response = admin_login(client, "admin", settings.DEMO_PASSWORD)

    assert response.status_code == 403
    assert (
        zh(
            "The demo password is refused on this server: it only works in debug mode. "
            "Ask an administrator for your own password."
        )
        in response.text
    )
    assert "_auth_user_id" not in client.session


def test_demo_password_failures_count_on_the_admin(city: City, settings: Any) -> None:
    settings.DEBUG = False
    client = Client(REMOTE_ADDR="10.0.5.2")
    for _ in range(3):
        assert admin_login(client, "admin", settings.DEMO_PASSWORD).status_code == 403

    assert admin_login(client, "admin", PASSWORD).status_code == 429


def test_admin_still_refuses_a_right_password_of_a_non_staff_account(city: City) -> None:
    client = Client(REMOTE_ADDR="10.0.6.1")

    response = admin_login(client, "manager", PASSWORD)

    assert response.status_code == 200
    assert zh("Wrong username or password, or the account is disabled.") in response.text
    assert "_auth_user_id" not in client.session


def test_admin_logs_in_with_the_right_password(city: City) -> None:
    client = Client(REMOTE_ADDR="10.0.6.2")

    response = admin_login(client, "admin", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(city.admin.pk)


def test_admin_password_change_is_the_sites_own_page(login: Any, city: City) -> None:
    response = login(city.admin).get("/admin/password_change/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"
