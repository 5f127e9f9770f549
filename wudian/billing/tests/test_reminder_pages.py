"""The reminder pages and API: the walks of one's compounds, a walk on a phone with the four
outcomes (a plain form and htmx), the desk card, the resident's bill on /me/, and amounts
shown to nobody outside Purpose.REMIND."""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client

from wudian.billing.models import Reminder, ReminderWalk
from wudian.billing.tests.factories import arrears_list
from wudian.conftest import City, api, post, queries_of, snapshot
from wudian.grid.models import Household

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
AMOUNT = "123.45"


def listed(city: City) -> ReminderWalk:
    arrears_list(
        TODAY - datetime.timedelta(days=2),
        [
            (city.north_home, "postpaid", D(AMOUNT), TODAY - datetime.timedelta(days=40), None),
            (city.north_home_2, "prepaid", D("3.10"), None, D("20.00")),
            (city.south_home, "postpaid", D("77.70"), TODAY - datetime.timedelta(days=3), None),
        ],
    )
    return ReminderWalk.objects.get(building=city.north_building)


def test_the_walks_of_ones_compounds(city: City, client: Client) -> None:
    walk = listed(city)
    client.force_login(city.electrician)
    page = client.get("/reminders/").content.decode()
    assert f'data-walk="{walk.pk}"' in page
    assert "南苑" not in page
    assert AMOUNT not in page  # the list shows no amounts
    assert 'data-close="2"' in page


def test_a_walk_on_a_phone_records_an_outcome_with_a_plain_form(city: City, client: Client) -> None:
    walk = listed(city)
    Household.objects.filter(pk=city.north_home_2.pk).update(special_group=True)
    client.force_login(city.staff)
    page = client.get(f"/reminders/walks/{walk.pk}/").content.decode()
    assert AMOUNT in page
    assert 'data-mark="visit-now"' in page
    assert 'data-mark="special"' in page
    # Reading the special-group status is logged.
    assert LogEntry.objects.filter(actor=city.staff, object_pk=str(city.north_home_2.pk)).exists()

    line = city.north_home.arrears.get()
    response = client.post(
        f"/reminders/walks/{walk.pk}/lines/{line.pk}/",
        {"outcome": "in_person", "note": "已告知老人"},
    )
    assert response.status_code == 302
    reminder = Reminder.objects.get(by=city.staff)
    assert reminder.outcome == "in_person"
    assert reminder.walk == walk


def test_htmx_swaps_one_household(city: City, client: Client) -> None:
    walk = listed(city)
    line = city.north_home.arrears.get()
    client.force_login(city.electrician)
    response = client.post(
        f"/reminders/walks/{walk.pk}/lines/{line.pk}/",
        {"outcome": "phone_call"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<li class="rm-stop')
    assert "<html" not in body


def test_a_bad_outcome_is_refused_on_the_page_and_changes_nothing(
    city: City, client: Client
) -> None:
    walk = listed(city)
    line = city.north_home.arrears.get()
    client.force_login(city.electrician)
    before = snapshot(Reminder)
    response = client.post(
        f"/reminders/walks/{walk.pk}/lines/{line.pk}/", {"outcome": "message", "note": "x"}
    )
    assert response.status_code == 422
    response = client.post(
        f"/reminders/walks/{walk.pk}/lines/{line.pk}/", {"outcome": "in_person", "note": "长" * 201}
    )
    assert response.status_code == 422
    assert snapshot(Reminder) == before


def test_a_superseded_walk_shows_who_paid_and_refuses_outcomes(city: City, client: Client) -> None:
    walk = listed(city)
    old = city.north_home.arrears.get()
    arrears_list(TODAY, [(city.north_home_2, "prepaid", D("3.10"), None, D("20.00"))])
    client.force_login(city.electrician)
    page = client.get(f"/reminders/walks/{walk.pk}/").content.decode()
    assert 'data-mark="paid"' in page
    assert 'id="superseded"' in page
    before = snapshot(Reminder)
    response = client.post(f"/reminders/walks/{walk.pk}/lines/{old.pk}/", {"outcome": "in_person"})
    assert response.status_code == 409
    assert snapshot(Reminder) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager_b", 404),
        ("electrician_b", 404),
        ("supervisor", 403),
        ("gridadmin", 403),
        ("dept", 403),
        ("resident", 403),
        ("outsider", 403),
    ],
)
def test_a_walk_outside_ones_compounds_is_refused(
    city: City, client: Client, who: str, status: int
) -> None:
    walk = listed(city)
    line = city.north_home.arrears.get()
    client.force_login(getattr(city, who))
    before = snapshot(Reminder)
    page = client.get(f"/reminders/walks/{walk.pk}/")
    assert page.status_code == status
    assert AMOUNT not in page.content.decode()
    response = client.post(f"/reminders/walks/{walk.pk}/lines/{line.pk}/", {"outcome": "in_person"})
    assert response.status_code == status
    assert snapshot(Reminder) == before


def test_the_desk_card_counts_the_walks(city: City, client: Client) -> None:
    listed(city)
    client.force_login(city.manager)
    page = client.get("/desk/").content.decode()
    assert 'id="reminders-card"' in page
    assert 'data-count="close">2<' in page
    client.force_login(city.supervisor)
    assert 'id="reminders-card"' not in client.get("/desk/").content.decode()


def test_the_resident_sees_their_bill_and_how_to_pay(city: City, client: Client) -> None:
    listed(city)
    client.force_login(city.resident)
    page = client.get("/me/").content.decode()
    assert AMOUNT in page
    assert "网上国网" in page
    assert 'id="close-3400000001"' in page
    assert "77.70" not in page  # a neighbour's
    client.force_login(city.resident_b)
    page = client.get("/me/").content.decode()
    assert "77.70" in page
    assert AMOUNT not in page


def test_a_resident_paid_up_sees_no_arrears(city: City, client: Client) -> None:
    listed(city)
    arrears_list(TODAY, [(city.south_home, "postpaid", D("77.70"), TODAY, None)])
    client.force_login(city.resident)
    page = client.get("/me/").content.decode()
    assert 'id="no-arrears-3400000001"' in page
    assert AMOUNT not in page


@pytest.mark.parametrize("who", ["gridadmin", "supervisor", "dept", "manager_b", "resident_b"])
def test_amounts_are_shown_to_nobody_outside_reminding(
    city: City, client: Client, who: str
) -> None:
    listed(city)
    client.force_login(getattr(city, who))
    for url in ["/desk/", "/me/", "/c/NORTH/", "/reminders/", "/circles/", "/desk/dashboard/"]:
        assert AMOUNT not in client.get(url).content.decode(), url


def test_the_window_and_anonymous_visitors_see_no_amount(city: City, client: Client) -> None:
    listed(city)
    assert AMOUNT not in client.get("/c/NORTH/").content.decode()
    assert client.get("/reminders/").status_code == 302


def test_api_walks_and_recording(city: City) -> None:
    walk = listed(city)
    client = api(city.electrician)
    rows = client.get("/api/v1/billing/reminders/walks").json()
    assert rows["count"] == 1
    assert rows["items"][0]["close"] == 2
    detail = client.get(f"/api/v1/billing/reminders/walks/{walk.pk}").json()
    assert [s["room"] for s in detail["stops"]] == ["101", "102"]
    assert detail["stops"][0]["amount"] == AMOUNT
    assert detail["stops"][0]["visit_now"] is True

    response = post(
        client, "/api/v1/billing/reminders", {"household": "3400000001", "outcome": "note_left"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["line"] == city.north_home.arrears.get().pk

    before = snapshot(Reminder)
    asked: list[tuple[dict[str, Any], int]] = [
        ({"household": "3400000003", "outcome": "in_person"}, 404),
        ({"line": city.south_home.arrears.get().pk, "outcome": "in_person"}, 404),
        ({"household": "3400000001", "outcome": "message"}, 422),
        ({"household": "3400000001", "outcome": "in_person", "note": "长" * 201}, 422),
        ({"outcome": "in_person"}, 422),
    ]
    for body, status in asked:
        assert post(client, "/api/v1/billing/reminders", body).status_code == status, body
    assert (
        post(
            api(city.supervisor),
            "/api/v1/billing/reminders",
            {"household": "3400000001", "outcome": "in_person"},
        ).status_code
        == 403
    )
    assert snapshot(Reminder) == before


def test_a_walk_takes_a_fixed_number_of_queries(city: City, client: Client) -> None:
    client.force_login(city.electrician)
    more = [
        Household.objects.create(
            building=city.north_building,
            account_no=f"34880{n:05d}",
            unit="2",
            room=f"{n + 1}01",
            address="北苑",
            holder_name="乙",
            special_group=n == 0,
        )
        for n in range(5)
    ]

    def walk_of(households: list[Household]) -> int:
        due = TODAY - datetime.timedelta(days=40)
        arrears_list(TODAY, [(h, "postpaid", D("9.00"), due, None) for h in households])
        walk = ReminderWalk.objects.filter(building=city.north_building).latest("pk")
        for household in households:
            for outcome in ("in_person", "note_left"):
                post(
                    api(city.staff),
                    "/api/v1/billing/reminders",
                    {"household": household.account_no, "outcome": outcome},
                )
        return queries_of(client, f"/reminders/walks/{walk.pk}/")

    few = walk_of([city.north_home, more[0]])
    assert walk_of([city.north_home, city.north_home_2, *more]) == few
