"""The accounts admin: users, the role catalogue, tokens (read-only, revocable)."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.accounts.models import ApiToken, Role
from wudian.accounts.services import api_token_issue
from wudian.conftest import City

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/accounts/user/?q=李经理",
        "/admin/accounts/user/?roles__id__exact=1&is_active__exact=1",
        "/admin/accounts/user/add/",
        "/admin/accounts/role/",
        "/admin/accounts/department/",
        "/admin/accounts/apitoken/",
        "/admin/accounts/apitoken/?state=active",
        "/admin/accounts/apitoken/?state=expired",
        "/admin/accounts/apitoken/?state=revoked",
    ],
)
def test_admin_pages_open(login: Any, city: City, url: str) -> None:
    assert login(city.admin).get(url).status_code == 200


def test_user_change_page_shows_wudian_fields(login: Any, city: City) -> None:
    response = login(city.admin).get(f"/admin/accounts/user/{city.manager.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    for field in ["display_name", "roles", "department", "phone"]:
        assert f'name="{field}"' in html


def test_role_page_edits_duties_inline(login: Any, city: City) -> None:
    role = Role.objects.get(code="electrician")
    response = login(city.admin).get(f"/admin/accounts/role/{role.pk}/change/")
    assert response.status_code == 200
    assert "duties-TOTAL_FORMS" in response.content.decode()


def test_token_page_never_shows_the_secret(login: Any, city: City) -> None:
    issued = api_token_issue(user=city.manager)
    client = login(city.admin)

    listing = client.get("/admin/accounts/apitoken/").content.decode()
    detail = client.get(f"/admin/accounts/apitoken/{issued.record.pk}/change/").content.decode()

    assert issued.record.prefix in listing
    assert issued.token not in listing
    assert issued.token not in detail
    assert issued.record.digest in detail
    assert 'name="digest"' not in detail  # read-only
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403


def test_admin_action_revokes_selected_tokens(login: Any, city: City) -> None:
    chosen = api_token_issue(user=city.manager)
    kept = api_token_issue(user=city.staff)

    response = login(city.admin).post(
        "/admin/accounts/apitoken/",
        {"action": "revoke_selected", "_selected_action": [chosen.record.pk]},
    )

    assert response.status_code == 302
    assert ApiToken.objects.get(pk=chosen.record.pk).revoked_at is not None
    assert ApiToken.objects.get(pk=kept.record.pk).revoked_at is None


def test_admin_is_closed_to_non_staff(login: Any, city: City) -> None:
    response = login(city.manager).get("/admin/accounts/apitoken/")
    assert response.status_code == 302
