"""The public search does not tell anonymous visitors which account numbers exist, and is
throttled per client."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wudian.accounts.models import User
from wudian.conftest import City, zh

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many searches in a short time. Please try again in %(seconds)d s."
LOG_IN_FIRST = (
    "To find a compound by account number, please log in first; "
    "or type part of your compound's name."
)


def results(client: Client, query: str) -> str:
    """The results fragment, as htmx asks for it, with the query itself taken out."""
    response = client.get("/", {"q": query}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.text.replace(query, "N")


def test_anonymous_visitor_cannot_find_a_compound_by_account_number(city: City) -> None:
    known = Client().get("/", {"q": city.north_home.account_no})

    assert known.status_code == 200
    assert "/c/NORTH/" not in known.text
    assert zh(LOG_IN_FIRST) in known.text
    # The answer for a number that exists and one that does not is the same.
    assert results(Client(), city.north_home.account_no) == results(Client(), "3499999999")


def test_anonymous_visitor_finds_the_compound_by_name(city: City) -> None:
    response = Client().get("/", {"q": "北苑"})

    assert "/c/NORTH/" in response.text


def test_anonymous_page_offers_the_name_only(city: City) -> None:
    body = Client().get("/").text

    assert zh("e.g. 北苑") in body
    assert "3400000001" not in body


@pytest.mark.parametrize(
    ("who", "home", "found"),
    [
        ("resident", "north_home", True),  # their own
        ("resident", "north_home_2", False),  # a neighbour's
        ("resident_b", "north_home", False),
        ("manager", "north_home_2", True),  # serves north
        ("staff", "north_home_2", True),
        ("electrician", "north_home", True),
        ("gridadmin", "north_home", True),
        ("manager_b", "north_home", False),  # serves south only
        ("supervisor", "north_home", False),  # oversees, does not serve: numbers are masked
        ("dept", "north_home", False),
        ("outsider", "north_home", False),
        ("admin", "south_home", True),
    ],
)
def test_logged_in_user_finds_the_compound_of_a_household_they_hold_or_serve(
    login: Any, city: City, who: str, home: str, found: bool
) -> None:
    user: User = getattr(city, who)
    household = getattr(city, home)
    code = household.building.compound.code

    response = login(user).get("/", {"q": household.account_no})

    assert response.status_code == 200
    assert (f"/c/{code}/" in response.text) is found
    assert zh(LOG_IN_FIRST) not in response.text


def test_logged_in_search_answers_an_unreachable_number_as_an_unknown_one(
    login: Any, city: City
) -> None:
    client = login(city.manager_b)

    assert results(client, city.north_home.account_no) == results(client, "3499999999")


def test_searches_are_throttled_per_address_with_429(city: City, settings: Any) -> None:
    settings.SEARCH_LIMIT_PER_MINUTE = 5
    client = Client(REMOTE_ADDR="10.1.0.1")
    for number in range(5):
        assert client.get("/", {"q": f"34000000{number:02d}"}).status_code == 200

    response = client.get("/", {"q": "北苑"})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert zh(TOO_MANY) % {"seconds": int(response["Retry-After"])} in response.text
    assert "/c/NORTH/" not in response.text
    # Another address searches on.
    assert Client(REMOTE_ADDR="10.1.0.2").get("/", {"q": "北苑"}).status_code == 200


def test_the_throttled_htmx_answer_is_the_results_fragment(city: City, settings: Any) -> None:
    settings.SEARCH_LIMIT_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="10.1.0.3", headers={"HX-Request": "true"})
    client.get("/", {"q": "北苑"})

    response = client.get("/", {"q": "北苑"})

    assert response.status_code == 429
    assert response.text.lstrip().startswith('<section id="results"')
    assert 'role="alert"' in response.text


def test_the_page_without_a_query_is_not_counted(city: City, settings: Any) -> None:
    settings.SEARCH_LIMIT_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="10.1.0.4")
    for _ in range(3):
        assert client.get("/").status_code == 200

    assert client.get("/", {"q": "北苑"}).status_code == 200


def test_logged_in_users_are_counted_per_user(login: Any, city: City, settings: Any) -> None:
    settings.SEARCH_LIMIT_PER_MINUTE = 2
    anonymous = Client(REMOTE_ADDR="10.1.0.5")
    for _ in range(3):
        anonymous.get("/", {"q": "北苑"})
    client = login(city.manager)

    assert client.get("/", {"q": "北苑"}, REMOTE_ADDR="10.1.0.5").status_code == 200


def test_the_client_address_behind_a_trusted_proxy(city: City, settings: Any) -> None:
    settings.SEARCH_LIMIT_PER_MINUTE = 1
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.2.0.1"

    def search(forwarded: str) -> int:
        return (
            Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded)
            .get("/", {"q": "北苑"})
            .status_code
        )

    assert search("203.0.113.7") == 200
    assert search("203.0.113.8") == 200  # another client behind the same proxy
    assert search("203.0.113.7") == 429
    # A client cannot choose its address by sending its own X-Forwarded-For first.
    assert search("198.51.100.1, 203.0.113.7") == 429
