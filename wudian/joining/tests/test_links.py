"""The join link of a compound: signed and dated, it opens registration with the compound
chosen; an expired or altered link is refused with a way on."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wudian.conftest import City
from wudian.joining.links import join_link
from wudian.joining.tests.conftest import code_sent_to

pytestmark = pytest.mark.django_db


def test_the_link_shows_the_compound_and_registration_chooses_it(
    city: City, client: Client
) -> None:
    link = join_link(city.north)
    assert link.path.startswith("/join/NORTH.")

    page = client.get(link.path)

    assert page.status_code == 200
    text = page.content.decode()
    assert "北苑小区" in text
    assert 'action="/join/"' in text
    client.post("/join/", {"phone": "13912345678"})
    client.post("/join/code/", {"code": code_sent_to("13912345678")})
    households = client.get("/me/households/")
    form = households.context["apply_form"]
    assert form.fields["compound"].initial == "NORTH"
    assert [code for code, _name in form.fields["compound"].choices] == ["NORTH"]


def test_a_logged_in_resident_goes_straight_to_binding(city: City, login: Any) -> None:
    response = login(city.resident_b).get(join_link(city.north).path)

    assert response.status_code == 302
    assert response["Location"] == "/me/households/"
    choices = (
        login(city.resident_b)
        .get("/me/households/")
        .context["apply_form"]
        .fields["compound"]
        .choices
    )
    assert [code for code, _name in choices] == ["NORTH", "SOUTH"]


def test_a_link_past_its_date_is_410_with_the_windows_address(
    city: City, client: Client, settings: Any
) -> None:
    settings.JOIN_LINK_DAYS = 365
    old = join_link(city.north, now=timezone.now() - datetime.timedelta(days=366))
    assert old.expires < timezone.now()

    response = client.get(old.path)

    assert response.status_code == 410
    text = response.content.decode()
    assert "/c/NORTH/" in text
    assert "joining:compound" not in client.session


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.replace("NORTH", "SOUTH"),
        lambda token: token.split(".")[0],
        lambda token: "x" * 300,
    ],
)
def test_an_altered_link_is_400_and_names_no_compound(
    city: City, client: Client, change: Any
) -> None:
    response = client.get(f"/join/{change(join_link(city.north).token)}/")

    assert response.status_code == 400
    text = response.content.decode()
    assert "北苑小区" not in text
    assert "南苑小区" not in text
    assert 'href="/"' in text
