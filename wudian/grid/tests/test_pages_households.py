"""/desk/compounds/<code>/: a compound's households for staff in scope, masked where the
user does not serve it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wudian.conftest import City, queries_of
from wudian.grid.models import Household


def test_manager_sees_their_households_unmasked(login: Any, city: City) -> None:
    response = login(city.manager).get("/desk/compounds/NORTH/")
    assert response.status_code == 200
    body = response.content.decode()
    assert city.north_home.account_no in body
    assert 'href="tel:13800000001"' in body
    assert city.north_home.address in body
    assert "王建国" in body
    assert city.south_home.account_no not in body


@pytest.mark.parametrize("who", ["manager", "electrician", "staff", "resident", "outsider"])
def test_compound_outside_scope_is_404_and_leaks_nothing(login: Any, city: City, who: str) -> None:
    response = login(getattr(city, who)).get("/desk/compounds/SOUTH/")
    assert response.status_code == 404
    body = response.content.decode()
    assert city.south_home.account_no not in body
    assert city.south_home.phone not in body


def test_resident_cannot_list_their_own_compound(login: Any, city: City) -> None:
    response = login(city.resident).get("/desk/compounds/NORTH/")
    assert response.status_code == 404
    assert city.north_home_2.account_no not in response.content.decode()


def test_anonymous_is_sent_to_login(client: Client, city: City) -> None:
    response = client.get("/desk/compounds/NORTH/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["supervisor", "dept"])
def test_overseers_see_masked_contact_data(login: Any, city: City, who: str) -> None:
    response = login(getattr(city, who)).get("/desk/compounds/SOUTH/")
    assert response.status_code == 200
    body = response.content.decode()
    # Only staff who serve the household see its account number in full (issue 12).
    assert city.south_home.account_no not in body
    assert "34******03" in body
    assert "138****0003" in body
    assert city.south_home.phone not in body
    assert "王**" in body
    assert "王建国" not in body
    assert city.south_home.address not in body


def test_grid_admin_serves_their_community_unmasked(login: Any, city: City) -> None:
    body = login(city.gridadmin).get("/desk/compounds/NORTH/").content.decode()
    assert city.north_home.phone in body


def test_search_by_account_number_and_room(login: Any, city: City) -> None:
    client = login(city.manager)
    body = client.get("/desk/compounds/NORTH/", {"q": "3400000002"}).content.decode()
    assert "3400000002" in body
    assert "3400000001" not in body
    body = client.get("/desk/compounds/NORTH/", {"q": "101"}).content.decode()
    assert "3400000001" in body
    assert "3400000002" not in body


def test_bad_search_is_400_with_message(login: Any, city: City) -> None:
    response = login(city.manager).get("/desk/compounds/NORTH/", {"q": "x" * 80})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_bad_page_number_falls_back(login: Any, city: City) -> None:
    response = login(city.manager).get("/desk/compounds/NORTH/", {"page": "abc"})
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["manager", "supervisor"])
def test_household_list_query_count_is_constant(login: Any, city: City, who: str) -> None:
    client = login(getattr(city, who))
    baseline = queries_of(client, "/desk/compounds/NORTH/")
    Household.objects.bulk_create(
        Household(
            building=city.north_building,
            account_no=f"35{i:08d}",
            unit="2",
            room=f"{i}",
            address=f"涂山路100号北苑小区1号楼2单元{i}室",
            holder_name="李四",
            phone=f"139{i:08d}",
        )
        for i in range(60)
    )
    assert queries_of(client, "/desk/compounds/NORTH/") == baseline
    assert queries_of(client, "/desk/compounds/NORTH/?page=2") == baseline


def test_household_pages_keep_the_search_in_the_pager_links(login: Any, city: City) -> None:
    Household.objects.bulk_create(
        Household(
            building=city.north_building,
            account_no=f"36{i:08d}",
            unit="3",
            room=f"{i}",
            address=f"涂山路100号北苑小区1号楼3单元{i}室",
            holder_name="李四",
        )
        for i in range(80)
    )
    client = login(city.manager)
    first = client.get("/desk/compounds/NORTH/", {"q": "3"}, HTTP_ACCEPT_LANGUAGE="en")
    assert 'href="?q=3&amp;page=2"' in first.content.decode()
    second = client.get("/desk/compounds/NORTH/", {"q": "3", "page": 2})
    assert 'href="?q=3&amp;page=1"' in second.content.decode()
