"""Login, logout and password change pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from wudian.accounts.models import ApiToken
from wudian.accounts.services import api_token_issue
from wudian.conftest import PASSWORD, City, snapshot

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def test_login_page_renders(client: Client, city: City) -> None:
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_login_lands_on_home_for_user(client: Client, city: City) -> None:
    response = client.post(LOGIN_URL, {"username": "manager", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("front:home_for_user")
    assert client.session["_auth_user_id"] == str(city.manager.pk)


def test_login_follows_a_safe_next(client: Client, city: City) -> None:
    response = client.post(
        LOGIN_URL, {"username": "manager", "password": PASSWORD, "next": "/duties/"}
    )
    assert response["Location"] == "/duties/"


def test_login_ignores_an_offsite_next(client: Client, city: City) -> None:
    response = client.post(
        LOGIN_URL,
        {"username": "manager", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("front:home_for_user")


@pytest.mark.parametrize(
    "data",
    [
        {"username": "manager", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_wrong_login_shows_a_message(client: Client, city: City, data: dict[str, str]) -> None:
    response = client.post(LOGIN_URL, data)

    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_empty_login_form_shows_field_errors(client: Client, city: City) -> None:
    response = client.post(LOGIN_URL, {})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"username", "password"}


def test_inactive_user_cannot_log_in(client: Client, city: City) -> None:
    city.staff.is_active = False
    city.staff.save(update_fields=["is_active"])

    response = client.post(LOGIN_URL, {"username": "staff", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_demo_password_is_refused_on_the_page_when_debug_is_off(
    client: Client, city: City, settings: Any
) -> None:
    settings.DEBUG = False
    city.staff.set_password(settings.DEMO_PASSWORD)
    city.staff.save(update_fields=["password"])

    response = client.post(LOGIN_URL, {"username": "staff", "password": settings.DEMO_PASSWORD})

    assert response.status_code == 403
    assert "demo password is refused on this server" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_demo_password_logs_in_when_debug_is_on(client: Client, city: City, settings: Any) -> None:
    settings.DEBUG = True
    city.staff.set_password(settings.DEMO_PASSWORD)
    city.staff.save(update_fields=["password"])

    response = client.post(LOGIN_URL, {"username": "staff", "password": settings.DEMO_PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(city.staff.pk)


def test_logout_needs_post(login: Any, city: City) -> None:
    client = login(city.manager)

    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_needs_login(client: Client, city: City) -> None:
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_password_change_works_and_revokes_api_tokens(login: Any, city: City) -> None:
    issued = api_token_issue(user=city.manager)
    client = login(city.manager)
    new = "a-much-better-secret-42"

    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    city.manager.refresh_from_db()
    assert city.manager.check_password(new)
    assert ApiToken.objects.get(pk=issued.record.pk).revoked_at is not None
    assert client.get("/accounts/password/done/").status_code == 200
    # The session survives the change.
    assert client.session["_auth_user_id"] == str(city.manager.pk)


@pytest.mark.parametrize(
    "data",
    [
        {
            "old_password": "wrong",
            "new_password1": "x-new-pass-77",
            "new_password2": "x-new-pass-77",
        },
        {"old_password": PASSWORD, "new_password1": "x-new-pass-77", "new_password2": "other-77x"},
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
        {"old_password": PASSWORD, "new_password1": "wudian-demo", "new_password2": "wudian-demo"},
    ],
)
def test_bad_password_change_is_refused_and_changes_nothing(
    login: Any, city: City, data: dict[str, str]
) -> None:
    issued = api_token_issue(user=city.manager)
    client = login(city.manager)
    before = snapshot(city.manager, issued.record)

    response = client.post("/accounts/password/", data)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot(city.manager, issued.record) == before
