"""POST/DELETE /api/v1/auth/token: issue, use, expire, revoke; stored hashed."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wudian.accounts.models import ApiToken, RoleCode
from wudian.accounts.services import api_token_find, api_token_issue, api_token_revoke
from wudian.conftest import PASSWORD, City, make_user, snapshot

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"


def obtain(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(
        TOKEN_URL,
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def bearer(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_is_issued_for_right_password_and_works(client: Client, city: City) -> None:
    response = obtain(client, "manager", PASSWORD)

    assert response.status_code == 200
    body = response.json()
    expires = parse_datetime(body["expires"])
    assert expires is not None
    assert expires.tzinfo is not None
    assert abs(expires - (timezone.now() + datetime.timedelta(days=30))) < datetime.timedelta(
        minutes=1
    )
    me = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me", **bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "manager"


def test_token_is_stored_only_as_its_sha256_digest(client: Client, city: City) -> None:
    token = obtain(client, "manager", PASSWORD).json()["token"]

    record = ApiToken.objects.get(user=city.manager)
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.values_list().get(pk=record.pk)]
    assert token not in stored
    assert record.prefix == token[:12]


def test_token_lifetime_follows_setting(client: Client, city: City, settings: Any) -> None:
    settings.API_TOKEN_DAYS = 2
    body = obtain(client, "manager", PASSWORD).json()
    expires = parse_datetime(body["expires"])
    assert expires is not None
    assert expires - timezone.now() < datetime.timedelta(days=2, minutes=1)


def test_expired_token_is_refused(client: Client, city: City) -> None:
    issued = api_token_issue(user=city.manager)
    ApiToken.objects.filter(pk=issued.record.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get("/api/v1/me", **bearer(issued.token))

    assert response.status_code == 401
    assert "bearer token" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer wd_not-a-real-token", "Bearer ", "Basic bWFuYWdlcjpwdw==", "Bearer x" * 50],
)
def test_unknown_or_malformed_token_is_refused(client: Client, city: City, header: str) -> None:
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_no_credentials_is_refused(client: Client, city: City) -> None:
    assert client.get("/api/v1/me").status_code == 401


def test_token_of_deactivated_user_is_refused(client: Client, city: City) -> None:
    issued = api_token_issue(user=city.manager)
    city.manager.is_active = False
    city.manager.save(update_fields=["is_active"])

    assert client.get("/api/v1/me", **bearer(issued.token)).status_code == 401


@pytest.mark.parametrize(
    "roles", [(), (RoleCode.RESIDENT,), (RoleCode.CUSTOMER_MANAGER, RoleCode.SUPERVISOR)]
)
def test_a_token_brings_its_users_roles_in_the_same_query(
    city: City, roles: tuple[str, ...], django_assert_num_queries: Any
) -> None:
    user = make_user("two_hats", *roles)
    issued = api_token_issue(user=user)
    api_token_find(issued.token)  # the first use is written down

    with django_assert_num_queries(1):
        record = api_token_find(issued.token)
        assert record is not None
        assert record.user == user
        assert record.user.role_codes == frozenset(roles)
        assert record.user.is_resident_only is (set(roles) <= {RoleCode.RESIDENT})


def test_a_tokens_last_use_is_written_at_most_once_a_minute(
    city: City, django_assert_num_queries: Any
) -> None:
    issued = api_token_issue(user=city.manager)

    with django_assert_num_queries(2):
        api_token_find(issued.token)
    first = ApiToken.objects.get(pk=issued.record.pk).last_used_at
    assert first is not None
    assert abs(first - timezone.now()) < datetime.timedelta(seconds=5)

    with django_assert_num_queries(1):
        api_token_find(issued.token)
    assert ApiToken.objects.get(pk=issued.record.pk).last_used_at == first

    long_ago = first - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=issued.record.pk).update(last_used_at=long_ago)
    with django_assert_num_queries(2):
        api_token_find(issued.token)
    touched = ApiToken.objects.get(pk=issued.record.pk).last_used_at
    assert touched is not None
    assert touched > first


def test_a_revoked_token_is_not_found(city: City) -> None:
    issued = api_token_issue(user=city.manager)
    record = api_token_find(issued.token)
    assert record is not None
    assert record.pk == issued.record.pk

    api_token_revoke(token=record)

    assert api_token_find(issued.token) is None


def test_delete_revokes_only_the_token_used(client: Client, city: City) -> None:
    first = api_token_issue(user=city.manager)
    second = api_token_issue(user=city.manager)

    response = client.delete(TOKEN_URL, **bearer(first.token))

    assert response.status_code == 204
    assert response.content == b""
    first.record.refresh_from_db()
    second.record.refresh_from_db()
    assert first.record.revoked_at is not None
    assert second.record.revoked_at is None
    assert client.get("/api/v1/me", **bearer(first.token)).status_code == 401
    assert client.get("/api/v1/me", **bearer(second.token)).status_code == 200


def test_delete_with_a_session_is_refused_and_revokes_nothing(login: Any, city: City) -> None:
    issued = api_token_issue(user=city.manager)
    client = login(city.manager)
    before = snapshot(issued.record)

    response = client.delete(TOKEN_URL)

    assert response.status_code == 400
    assert "bearer token" in response.json()["detail"]
    assert snapshot(issued.record) == before


def test_delete_without_credentials_is_401(client: Client, city: City) -> None:
    assert client.delete(TOKEN_URL).status_code == 401


@pytest.mark.parametrize(
    ("username", "password"),
    [("manager", "wrong-password"), ("nobody", PASSWORD), ("MANAGER", PASSWORD)],
)
def test_wrong_credentials_get_401_and_no_token(
    client: Client, city: City, username: str, password: str
) -> None:
    before = snapshot(city.manager, ApiToken)

    response = obtain(client, username, password)

    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong username or password, or the account is disabled."
    assert snapshot(city.manager, ApiToken) == before


def test_inactive_user_gets_401(client: Client, city: City) -> None:
    city.manager.is_active = False
    city.manager.save(update_fields=["is_active"])

    before = snapshot(city.manager, ApiToken)

    response = obtain(client, "manager", PASSWORD)

    assert response.status_code == 401
    assert "disabled" in response.json()["detail"]
    assert snapshot(city.manager, ApiToken) == before


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '{"username": "manager"}',
        '{"password": "x"}',
        '{"username": "", "password": ""}',
        '{"username": 5, "password": ["a"]}',
        '{"username": "' + "u" * 151 + '", "password": "x"}',
    ],
)
def test_malformed_body_gets_422(client: Client, city: City, body: str) -> None:
    before = snapshot(city.manager, ApiToken)

    response = client.post(TOKEN_URL, body, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"]
    assert snapshot(city.manager, ApiToken) == before


def test_body_that_is_not_json_gets_400(client: Client, city: City) -> None:
    before = snapshot(city.manager, ApiToken)

    response = client.post(TOKEN_URL, "not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."
    assert snapshot(city.manager, ApiToken) == before


def test_demo_password_is_refused_when_debug_is_off(
    client: Client, city: City, settings: Any
) -> None:
    settings.DEBUG = False
    city.manager.set_password(settings.DEMO_PASSWORD)
    city.manager.save(update_fields=["password"])

    before = snapshot(city.manager, ApiToken)

    response = obtain(client, "manager", settings.DEMO_PASSWORD)

    assert response.status_code == 401
    assert "demo password is refused on this server" in response.json()["detail"]
    assert snapshot(city.manager, ApiToken) == before


def test_demo_password_works_in_debug_mode(client: Client, city: City, settings: Any) -> None:
    settings.DEBUG = True
    city.manager.set_password(settings.DEMO_PASSWORD)
    city.manager.save(update_fields=["password"])

    response = obtain(client, "manager", settings.DEMO_PASSWORD)

    assert response.status_code == 200
    assert ApiToken.objects.filter(user=city.manager).count() == 1
