"""The start page: a visitor finds their compound by name or account number."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from wudian.conftest import City
from wudian.grid.models import Compound


def test_search_by_part_of_the_name_lists_the_compound(client: Client, city: City) -> None:
    response = client.get("/", {"q": "北苑"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "北苑小区" in body
    assert "/c/NORTH/" in body
    assert "南苑小区" not in body


def test_search_by_account_number_reveals_only_the_compound(login: Any, city: City) -> None:
    home = city.north_home
    response = login(city.resident).get("/", {"q": home.account_no})
    assert response.status_code == 200
    body = response.content.decode()
    assert "/c/NORTH/" in body
    for secret in (home.holder_name, home.phone, home.address, home.meter.meter_no):
        assert secret not in body


def test_unknown_account_number_finds_nothing(client: Client, city: City) -> None:
    response = client.get("/", {"q": "3499999999"})
    assert response.status_code == 200
    assert "/c/" not in response.content.decode()


def test_empty_query_shows_the_form_without_results(client: Client, city: City) -> None:
    response = client.get("/", {"q": "   "})
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()
    assert "/c/NORTH/" not in response.content.decode()


@pytest.mark.parametrize("query", ["北" * 51, "123", "北苑\x00", "12345678901234567"])
def test_bad_query_gets_400_with_a_message(client: Client, city: City, query: str) -> None:
    response = client.get("/", {"q": query})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert "/c/NORTH/" not in response.content.decode()


def test_htmx_request_renders_only_the_results(client: Client, city: City) -> None:
    response = client.get("/", {"q": "北苑"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
    assert "/c/NORTH/" in body


def test_results_are_limited(client: Client, city: City) -> None:
    Compound.objects.bulk_create(
        Compound(community=city.community, code=f"X{i}", name=f"测试小区{i}", address="测试路")
        for i in range(30)
    )
    response = client.get("/", {"q": "测试小区"})
    assert response.content.decode().count('class="result-link"') == 20


def test_page_offers_login_and_english_switch(client: Client, city: City) -> None:
    body = client.get("/").content.decode()
    assert "/accounts/login/" in body
    assert 'action="/i18n/setlang/"' in body
    assert 'href="tel:95598"' in body


def test_switching_to_english_translates_the_page(client: Client, city: City) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()
    assert "Find your compound" in response.content.decode()


def _placeholder(body: str) -> str:
    found = re.search(r'<input type="search" id="q"[^>]*placeholder="([^"]*)"', body, re.S)
    assert found is not None
    return found.group(1)


def _examples(body: str) -> list[str]:
    """The examples of a placeholder such as “例如：北苑 或 3400000001”."""
    text = _placeholder(body).removeprefix("例如：")
    return [part for part in text.split(" 或 ") if part]


def test_the_placeholder_examples_find_something(login: Any, city: City) -> None:
    for user in (None, city.resident, city.manager):
        client = Client()
        if user is not None:
            client.force_login(user)
        examples = _examples(client.get("/").content.decode())
        assert len(examples) == (1 if user is None else 2)
        for example in examples:
            body = client.get("/", {"q": example}).content.decode()
            assert 'class="result-link"' in body, (user, example)


@pytest.mark.parametrize("typed", ["3400 0000 01", " 340 000 0001 ", "3400\u30000000\u300001"])
def test_spaces_in_an_account_number_are_ignored(login: Any, city: City, typed: str) -> None:
    response = login(city.resident).get("/", {"q": typed})
    assert response.status_code == 200
    assert "/c/NORTH/" in response.content.decode()


def test_spaces_do_not_make_a_short_number_an_account_number(client: Client, city: City) -> None:
    response = client.get("/", {"q": "340 000"})
    assert response.status_code == 400
