"""Repeated login failures lock the API token endpoint and the login page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from wudian.accounts.models import ApiToken
from wudian.accounts.services import login_failure_record, login_lock_seconds
from wudian.conftest import PASSWORD, City, snapshot

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
LOGIN_URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 5
    settings.LOGIN_LOCKOUT_SECONDS = 600


def obtain(username: str, password: str, address: str = "10.0.0.1") -> Any:
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en").post(
        TOKEN_URL,
        {"username": username, "password": password},
        content_type="application/json",
    )


def test_failures_for_one_username_lock_the_api_with_retry_after(city: City) -> None:
    before = snapshot(city.manager, ApiToken)
    for attempt in range(3):
        # Different addresses: the username counter alone must lock.
        assert obtain("manager", "wrong", address=f"10.0.1.{attempt}").status_code == 401

    response = obtain("manager", PASSWORD, address="10.0.2.1")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    assert "Too many failed logins" in response.json()["detail"]
    assert snapshot(city.manager, ApiToken) == before


def test_failures_from_one_address_lock_every_username(city: City) -> None:
    for attempt in range(5):
        assert obtain(f"nobody{attempt}", "wrong").status_code == 401

    response = obtain("manager", PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"]
    assert obtain("manager", PASSWORD, address="10.9.9.9").status_code == 200


def test_success_resets_the_username_counter(city: City) -> None:
    for _ in range(2):
        obtain("manager", "wrong", address="10.0.0.7")
    assert obtain("manager", PASSWORD, address="10.0.0.7").status_code == 200
    for _ in range(2):
        obtain("manager", "wrong", address="10.0.0.8")

    assert obtain("manager", PASSWORD, address="10.0.0.8").status_code == 200


def test_login_works_again_when_the_lock_ends(city: City, settings: Any) -> None:
    for _ in range(3):
        obtain("manager", "wrong")
    assert obtain("manager", PASSWORD).status_code == 429

    cache.clear()  # the lock's time has passed

    assert obtain("manager", PASSWORD).status_code == 200


def test_attempts_while_locked_do_not_extend_the_lock(city: City) -> None:
    for _ in range(3):
        obtain("manager", "wrong")
    before = login_lock_seconds(client_ip="10.0.0.1", username="manager")
    for _ in range(3):
        assert obtain("manager", "wrong").status_code == 429

    assert login_lock_seconds(client_ip="10.0.0.1", username="manager") <= before


def test_lock_uses_the_configured_duration(city: City, settings: Any) -> None:
    settings.LOGIN_LOCKOUT_SECONDS = 90
    for _ in range(3):
        login_failure_record(client_ip="10.0.0.5", username="staff")

    assert 80 <= login_lock_seconds(client_ip="10.0.0.5", username="staff") <= 90
    assert login_lock_seconds(client_ip="10.0.0.6", username="other") == 0


def test_demo_password_failures_count_too(city: City, settings: Any) -> None:
    settings.DEBUG = False
    for _ in range(3):
        assert obtain("manager", settings.DEMO_PASSWORD).status_code == 401

    assert obtain("manager", PASSWORD).status_code == 429


def test_login_page_is_locked_with_429_and_a_form_error(city: City) -> None:
    client = Client(REMOTE_ADDR="10.0.0.3", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        response = client.post(LOGIN_URL, {"username": "staff", "password": "wrong"})
        assert response.status_code == 200
        assert "Wrong username or password" in response.content.decode()

    response = client.post(LOGIN_URL, {"username": "staff", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"]
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_api_and_login_page_share_the_counter(city: City) -> None:
    client = Client(REMOTE_ADDR="10.0.0.4", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        client.post(LOGIN_URL, {"username": "staff", "password": "wrong"})

    assert obtain("staff", PASSWORD, address="10.0.3.3").status_code == 429


def test_login_page_works_again_when_the_lock_ends(city: City) -> None:
    client = Client(REMOTE_ADDR="10.0.0.3", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        client.post(LOGIN_URL, {"username": "staff", "password": "wrong"})
    assert client.post(LOGIN_URL, {"username": "staff", "password": PASSWORD}).status_code == 429

    cache.clear()

    response = client.post(LOGIN_URL, {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(city.staff.pk)
