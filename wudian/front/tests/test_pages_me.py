"""/me/: a resident's own households and whom to call."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wudian.conftest import City
from wudian.grid.models import HouseholdMembership


def test_resident_sees_own_household_with_contacts(login: Any, city: City) -> None:
    response = login(city.resident).get("/me/")
    assert response.status_code == 200
    body = response.content.decode()
    assert city.north_home.account_no in body
    assert city.north_home.address in body
    assert "李经理" in body
    assert 'href="tel:13900000001"' in body
    assert "张电工" in body
    assert "/c/NORTH/" in body
    for other in (city.north_home_2, city.south_home):
        assert other.account_no not in body
        assert other.address not in body


def test_resident_b_sees_only_their_compound(login: Any, city: City) -> None:
    body = login(city.resident_b).get("/me/").content.decode()
    assert city.south_home.account_no in body
    assert city.north_home.account_no not in body
    assert "李经理" not in body


def test_staff_without_households_get_a_note_and_desk_link(login: Any, city: City) -> None:
    response = login(city.manager).get("/me/")
    assert response.status_code == 200
    assert 'href="/desk/"' in response.content.decode()


def test_anonymous_is_sent_to_login(client: Client, city: City) -> None:
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_me_query_count_does_not_grow_with_households(login: Any, city: City) -> None:
    client = login(city.resident)
    with CaptureQueriesContext(connection) as before:
        client.get("/me/")
    HouseholdMembership.objects.create(user=city.resident, household=city.north_home_2)
    HouseholdMembership.objects.create(user=city.resident, household=city.south_home)
    with CaptureQueriesContext(connection) as after:
        body = client.get("/me/").content.decode()
    assert city.south_home.account_no in body
    assert len(after) == len(before)
