"""GET /api/v1/me and the API's documentation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wudian.accounts.models import User
from wudian.conftest import City, api

pytestmark = pytest.mark.django_db


def get_me(user: User) -> dict[str, Any]:
    response = api(user, "en").get("/api/v1/me")
    assert response.status_code == 200
    return response.json()


def test_me_of_a_customer_manager(city: City) -> None:
    body = get_me(city.manager)

    assert body["id"] == city.manager.pk
    assert body["username"] == "manager"
    assert body["display_name"] == "李经理"
    assert body["is_superuser"] is False
    assert [role["code"] for role in body["roles"]] == ["customer_manager"]
    assert body["roles"][0]["name"]
    assert body["scope"] == {
        "compounds": [{"code": "NORTH", "name": "北苑小区", "role": "customer_manager"}],
        "communities": [],
        "districts": [],
        "households": [],
    }


def test_me_of_a_resident_lists_their_households(city: City) -> None:
    scope = get_me(city.resident)["scope"]

    assert scope["households"] == [city.north_home.pk]
    assert scope["compounds"] == [{"code": "NORTH", "name": "北苑小区", "role": "resident"}]


def test_me_of_a_grid_admin_lists_community_and_its_compounds(city: City) -> None:
    scope = get_me(city.gridadmin)["scope"]

    assert scope["communities"] == ["CM1"]
    assert scope["compounds"] == [{"code": "NORTH", "name": "北苑小区", "role": "grid_admin"}]


def test_me_of_supervisor_and_department_lists_the_district(city: City) -> None:
    assert get_me(city.supervisor)["scope"]["districts"] == ["D1"]
    assert get_me(city.dept)["scope"]["districts"] == ["D1"]


def test_me_of_an_outsider_has_an_empty_scope(city: City) -> None:
    body = get_me(city.outsider)
    assert body["roles"] == []
    assert body["scope"] == {"compounds": [], "communities": [], "districts": [], "households": []}


def test_me_of_a_superuser(city: City) -> None:
    assert get_me(city.admin)["is_superuser"] is True


def test_me_works_with_a_session(login: Any, city: City) -> None:
    response = login(city.staff).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["scope"]["compounds"][0]["role"] == "property_staff"


def test_openapi_schema_and_docs_are_served(client: Client, city: City) -> None:
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ["/api/v1/auth/token", "/api/v1/me", "/api/v1/me/households", "/api/v1/households"]:
        assert path in paths
    assert "/api/v1/households/{household_id}" in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    # Utility intranets have no internet: the docs load Swagger UI from our own static files.
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "https://" not in html
