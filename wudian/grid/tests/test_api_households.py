"""The households API: scope, masking, edits, bad input and query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wudian.conftest import City, api, snapshot
from wudian.grid.models import (
    Building,
    Community,
    Compound,
    District,
    Household,
    Street,
)
from wudian.grid.services import household_update_contact

pytestmark = pytest.mark.django_db

ROLES = [
    "manager",
    "manager_b",
    "electrician",
    "electrician_b",
    "staff",
    "gridadmin",
    "dept",
    "supervisor",
    "resident",
    "resident_b",
    "outsider",
]

# A household of the fixture city that each role may not see at all.
NOT_VISIBLE = {
    "manager": "south_home",
    "manager_b": "north_home",
    "electrician": "south_home",
    "electrician_b": "north_home",
    "staff": "south_home",
    "gridadmin": "south_home",
    "dept": "far_home",
    "supervisor": "far_home",
    "resident": "north_home_2",
    "resident_b": "north_home",
    "outsider": "north_home",
}
# Visible, but not theirs to change.
READ_ONLY = {
    "electrician": "north_home",
    "electrician_b": "south_home",
    "gridadmin": "north_home",
    "dept": "north_home",
    "supervisor": "south_home",
}
EDITABLE = {
    "manager": "north_home",
    "manager_b": "south_home",
    "staff": "north_home",
    "resident": "north_home",
    "resident_b": "south_home",
    "admin": "far_home",
}


@pytest.fixture
def far_home(city: City) -> Household:
    """A household in another district, which nobody of the fixture city serves."""
    district = District.objects.create(code="D9", name="龙子湖区", city="蚌埠市")
    street = Street.objects.create(district=district, code="S9", name="李楼街道")
    community = Community.objects.create(street=street, code="CM9", name="曹山社区")
    compound = Compound.objects.create(
        community=community, code="FAR", name="湖畔花园", address="东海大道9号"
    )
    building = Building.objects.create(compound=compound, code="FAR-1", name="3号楼")
    return Household.objects.create(
        building=building,
        account_no="3400000099",
        unit="2",
        room="302",
        address="东海大道9号湖畔花园3号楼2单元302室",
        holder_name="陈秀英",
        phone="13700000099",
    )


def household(city: City, far_home: Household, name: str) -> Household:
    return far_home if name == "far_home" else getattr(city, name)


def contact(home: Household) -> tuple[str, str]:
    """The household's stored phone and holder."""
    return Household.objects.values_list("phone", "holder_name").get(pk=home.pk)


def patch(client: Client, home: Household, data: Any) -> Any:
    return client.patch(f"/api/v1/households/{home.pk}", data, content_type="application/json")


# Scope: refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_household_outside_scope_cannot_be_read_or_changed(
    city: City, far_home: Household, role: str
) -> None:
    client = api(getattr(city, role), "en")
    for name in {NOT_VISIBLE[role], "far_home"}:
        home = household(city, far_home, name)
        before = snapshot(home)

        read = client.get(f"/api/v1/households/{home.pk}")
        write = patch(client, home, {"phone": "13999999999", "holder_name": "冒名"})

        assert read.status_code == 404, name
        assert write.status_code == 404, name
        assert "outside your scope" in write.json()["detail"]
        assert snapshot(home) == before


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_only_households_in_scope(city: City, far_home: Household, role: str) -> None:
    response = api(getattr(city, role)).get("/api/v1/households")

    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert far_home.pk not in ids
    assert household(city, far_home, NOT_VISIBLE[role]).pk not in ids
    assert response.json()["count"] == len(ids)


@pytest.mark.parametrize("role", sorted(READ_ONLY))
def test_visible_household_that_is_not_theirs_to_change_gets_403(
    city: City, far_home: Household, role: str
) -> None:
    client = api(getattr(city, role))
    home = household(city, far_home, READ_ONLY[role])
    before = snapshot(home)

    assert client.get(f"/api/v1/households/{home.pk}").status_code == 200
    response = patch(client, home, {"phone": "13999999999"})

    assert response.status_code == 403
    assert response.json()["detail"]
    assert snapshot(home) == before


def test_read_only_caller_gets_403_even_for_invalid_data(city: City) -> None:
    before = snapshot(city.north_home)
    response = patch(api(city.electrician), city.north_home, {"phone": "bad"})
    assert response.status_code == 403
    assert snapshot(city.north_home) == before


def test_service_refuses_a_caller_who_may_not_edit(city: City) -> None:
    before = snapshot(city.north_home)
    with pytest.raises(PermissionDenied):
        household_update_contact(household=city.north_home, by=city.supervisor, phone="13911112222")
    assert snapshot(city.north_home) == before


def test_unknown_household_is_404(city: City) -> None:
    client = api(city.admin)
    assert client.get("/api/v1/households/999999").status_code == 404
    assert patch(client, city.north_home, {}).status_code == 422
    assert client.get("/api/v1/households/not-a-number").status_code == 422


def test_no_token_is_401_and_changes_nothing(client: Client, city: City) -> None:
    before = snapshot(city.north_home)
    assert client.get("/api/v1/households").status_code == 401
    assert patch(client, city.north_home, {"phone": "13999999999"}).status_code == 401
    assert snapshot(city.north_home) == before


# Scope: what works -------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(EDITABLE))
def test_household_in_scope_can_be_changed(city: City, far_home: Household, role: str) -> None:
    home = household(city, far_home, EDITABLE[role])

    response = patch(
        api(getattr(city, role)), home, {"phone": " 0552-1234567 ", "holder_name": "李梅"}
    )

    assert response.status_code == 200
    assert response.json()["phone"] == "0552-1234567"
    assert response.json()["holder_name"] == "李梅"
    assert contact(home) == ("0552-1234567", "李梅")


def test_only_the_fields_sent_change(city: City) -> None:
    response = patch(api(city.resident), city.north_home, {"holder_name": "王小明"})

    assert response.status_code == 200
    assert contact(city.north_home) == ("13800000001", "王小明")


def test_empty_phone_removes_it(city: City) -> None:
    assert patch(api(city.manager), city.north_home, {"phone": ""}).status_code == 200
    assert contact(city.north_home)[0] == ""


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "Enter a mainland mobile number"),
        ({"phone": "1380000000a"}, "phone", "Enter a mainland mobile number"),
        ({"holder_name": "   "}, "holder_name", "cannot be blank"),
        ({"phone": "138" * 8}, "phone", ""),
        ({"holder_name": "名" * 65}, "holder_name", ""),
    ],
)
def test_invalid_contact_gets_422_and_changes_nothing(
    city: City, data: dict[str, str], field: str, message: str
) -> None:
    before = snapshot(city.north_home)

    response = patch(
        api(city.manager, "en"), city.north_home, {**data, "holder_name": "李梅"} | data
    )

    assert response.status_code == 422
    body = response.json()
    assert message in body["detail"]
    assert field in str(body.get("errors"))
    assert snapshot(city.north_home) == before


@pytest.mark.parametrize(
    "body",
    ["{}", '{"address": "x"}', '{"phone": 13800000001}', "[]", '{"phone": null}'],
)
def test_malformed_patch_gets_422_and_changes_nothing(city: City, body: str) -> None:
    before = snapshot(city.north_home)
    response = api(city.manager).patch(
        f"/api/v1/households/{city.north_home.pk}", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"]
    assert snapshot(city.north_home) == before


def test_session_write_needs_csrf(city: City) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(city.manager)
    before = snapshot(city.north_home)

    response = patch(client, city.north_home, {"phone": "13999999999"})

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert snapshot(city.north_home) == before

    client.get("/accounts/password/")  # a form page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.patch(
        f"/api/v1/households/{city.north_home.pk}",
        {"phone": "13999999999"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert contact(city.north_home)[0] == "13999999999"


# Masking -----------------------------------------------------------------------------


def item_for(response: Any, home: Household) -> dict[str, Any]:
    return next(item for item in response.json()["items"] if item["id"] == home.pk)


def test_supervisor_sees_contact_data_masked(city: City) -> None:
    client = api(city.supervisor)

    listed = item_for(client.get("/api/v1/households"), city.north_home)
    detail = client.get(f"/api/v1/households/{city.north_home.pk}").json()

    for body in (listed, detail):
        assert body["phone"] == "138****0001"
        assert body["holder_name"] == "王**"
        assert "101" not in body["address"]
        assert body["masked"] is True
        # Only staff who serve the household see its account number in full (issue 12).
        assert body["account_no"] == "34******01"


def test_manager_sees_contact_data_in_full(city: City) -> None:
    body = item_for(api(city.manager).get("/api/v1/households"), city.north_home)

    assert body["phone"] == "13800000001"
    assert body["holder_name"] == "王建国"
    assert body["address"] == city.north_home.address
    assert body["masked"] is False
    assert body["compound"] == "NORTH"
    assert body["compound_name"] == "北苑小区"
    assert body["building"] == "1号楼"
    assert body["station_area"] == "TA1"


def test_department_sees_the_district_masked(city: City) -> None:
    response = api(city.dept).get("/api/v1/households")
    items = response.json()["items"]
    assert {item["compound"] for item in items} == {"NORTH", "SOUTH"}
    assert all(item["masked"] for item in items)


# Filters and pages ---------------------------------------------------------------------


def test_list_filters_by_compound_and_query(city: City) -> None:
    client = api(city.supervisor)

    south = client.get("/api/v1/households", {"compound": "SOUTH"}).json()
    by_account = client.get("/api/v1/households", {"q": "0000002"}).json()
    by_room = client.get("/api/v1/households", {"q": "102"}).json()
    unknown = client.get("/api/v1/households", {"compound": "NOPE"}).json()

    assert [item["id"] for item in south["items"]] == [city.south_home.pk]
    assert [item["id"] for item in by_account["items"]] == [city.north_home_2.pk]
    assert [item["id"] for item in by_room["items"]] == [city.north_home_2.pk]
    assert unknown == {"items": [], "count": 0}


def test_list_filter_cannot_widen_scope(city: City, far_home: Household) -> None:
    response = api(city.manager).get("/api/v1/households", {"compound": "FAR"})
    assert response.json() == {"items": [], "count": 0}


@pytest.mark.parametrize(
    "params",
    [{"page": 0}, {"page": "x"}, {"page_size": 0}, {"q": "9" * 33}, {"compound": "x" * 33}],
)
def test_bad_list_parameters_get_422(city: City, params: dict[str, Any]) -> None:
    response = api(city.manager).get("/api/v1/households", params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_list_is_paginated(city: City) -> None:
    client = api(city.supervisor)

    first = client.get("/api/v1/households", {"page_size": 2}).json()
    second = client.get("/api/v1/households", {"page_size": 2, "page": 2}).json()

    assert first["count"] == second["count"] == 3
    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})


def add_households(city: City, count: int) -> None:
    Household.objects.bulk_create(
        Household(
            building=city.north_building,
            station_area=city.station_area,
            account_no=f"35000{n:05d}",
            unit="2",
            room=f"{n:04d}",
            address=f"涂山路100号北苑小区1号楼2单元{n:04d}室",
            holder_name="刘芳",
            phone=f"1390000{n:04d}",
        )
        for n in range(count)
    )


@pytest.mark.parametrize("role", ["manager", "supervisor", "dept", "resident", "admin"])
def test_list_query_count_does_not_grow_with_households(city: City, role: str) -> None:
    client = api(getattr(city, role))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/households").status_code == 200
    add_households(city, 30)
    client.get("/api/v1/households")  # the token's last_used_at is written once a minute

    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/households")

    assert response.status_code == 200
    assert len(many) <= len(few)


def test_list_uses_a_fixed_number_of_queries(
    city: City, django_assert_max_num_queries: Any
) -> None:
    add_households(city, 30)
    client = api(city.supervisor)
    client.get("/api/v1/households")
    # token lookup, count, page, which of the page the caller serves
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/households")
    assert len(response.json()["items"]) == 33


# The caller's own households -------------------------------------------------------------


def test_my_households_lists_the_residents_own_homes_unmasked(city: City) -> None:
    response = api(city.resident).get("/api/v1/me/households")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": city.north_home.pk,
            "account_no": "3400000001",
            "compound": "NORTH",
            "compound_name": "北苑小区",
            "building": "1号楼",
            "station_area": "TA1",
            "address": city.north_home.address,
            "holder_name": "王建国",
            "phone": "13800000001",
            "masked": False,
        }
    ]


def test_my_households_is_empty_for_staff_and_outsiders(city: City) -> None:
    assert api(city.manager).get("/api/v1/me/households").json() == []
    assert api(city.outsider).get("/api/v1/me/households").json() == []


def test_my_households_without_station_area(city: City) -> None:
    Household.objects.filter(pk=city.south_home.pk).update(station_area=None)
    body = api(city.resident_b).get("/api/v1/me/households").json()
    assert body[0]["station_area"] is None
