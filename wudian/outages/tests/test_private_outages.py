"""An arrears disconnection is one household's affair: it appears on no public surface (the
compound window, the calendar, CAP and Atom feeds, the printable notice), not in the
compound's circle nor in a neighbour's lists, and reaches its household and the staff
serving it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from wudian.billing.tests.factories import reminded_arrears
from wudian.conftest import City, api, make_user
from wudian.grid.models import HouseholdMembership
from wudian.notify.models import Channel, CircleEndpoint, Message
from wudian.outages.models import Outage
from wudian.outages.selectors import outages_for_staff, outages_visible_to, public_outages
from wudian.outages.tests.conftest import build_world, create, later

REASON = "电费逾期未缴"


@pytest.fixture
def world(city: City) -> City:
    return build_world(city)


def disconnect(world: City) -> Outage:
    reminded_arrears([world.north_home], by=world.electrician)
    CircleEndpoint.objects.create(
        compound=world.north, kind=CircleEndpoint.Kind.WECOM, url="wxwork://key/"
    )
    return create(
        world.manager,
        kind=Outage.Kind.ARREARS,
        title="1号楼101室欠费停电",
        reason=REASON,
        station_areas=[],
        household=world.north_home,
        start=later(days=8),
        end=later(days=40),
    )


def test_arrears_disconnection_is_on_no_public_surface(world: City, client: Client) -> None:
    outage = disconnect(world)
    public = create(world.manager, start=later(days=50), end=later(days=50, hours=6))

    window = client.get("/c/NORTH/").content.decode()
    calendar = client.get("/feeds/outages/NORTH.ics").content.decode()
    atom = client.get("/feeds/cap.atom").content.decode()

    for body in (window, calendar, atom):
        assert public.title in body
        assert REASON not in body
        assert outage.title not in body
        assert "1号楼101室" not in body
    assert client.get(f"/feeds/cap/{outage.pk}.xml").status_code == 404
    assert client.get(f"/feeds/outages/{outage.pk}/notice.pdf").status_code == 404
    assert client.get(f"/feeds/outages/{outage.pk}/notice/NORTH.pdf").status_code == 404
    assert client.get(f"/feeds/cap/{public.pk}.xml").status_code == 200
    assert list(public_outages()) == [public]


def test_arrears_notice_reaches_its_household_and_the_staff_serving_it_only(
    world: City,
) -> None:
    outage = disconnect(world)

    rows = Message.objects.filter(source=f"outage:{outage.pk}")
    assert not rows.filter(compound__isnull=False).exists()
    assert not rows.filter(channel=Channel.WECOM).exists()
    assert set(rows.exclude(household=None).values_list("household_id", flat=True)) == {
        world.north_home.pk
    }
    told_users = set(rows.exclude(user=None).values_list("user_id", flat=True))
    assert world.resident.pk in told_users
    assert {world.manager.pk, world.electrician.pk, world.staff.pk} <= told_users
    assert not {world.resident_b.pk, world.manager_b.pk, world.dept.pk} & told_users
    # The message points nowhere public.
    assert all("/c/NORTH/" not in str(context) for context in rows.values_list("context"))


def test_a_public_outage_still_goes_to_the_compounds_circle(world: City) -> None:
    CircleEndpoint.objects.create(
        compound=world.north, kind=CircleEndpoint.Kind.WECOM, url="wxwork://key/"
    )
    outage = create(world.manager)

    assert Message.objects.filter(source=f"outage:{outage.pk}", compound=world.north).exists()


def test_a_neighbour_does_not_see_an_arrears_disconnection_but_its_household_does(
    world: City,
) -> None:
    outage = disconnect(world)
    neighbour = make_user("neighbour", "resident")
    HouseholdMembership.objects.create(user=neighbour, household=world.north_home_2)
    planned = create(world.manager, start=later(days=50), end=later(days=50, hours=6))

    assert set(outages_visible_to(neighbour)) == {planned}
    assert set(outages_visible_to(world.resident)) == {planned, outage}
    listed = api(neighbour).get("/api/v1/outages").json()["items"]
    assert [row["id"] for row in listed] == [planned.pk]
    assert api(neighbour).get(f"/api/v1/outages/{outage.pk}").status_code == 404
    mine = api(neighbour).get("/api/v1/me/outages").json()
    assert outage.pk not in [row["id"] for row in mine]
    assert outage.pk in [row["id"] for row in api(world.resident).get("/api/v1/me/outages").json()]


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("manager", True),
        ("electrician", True),
        ("staff", True),
        ("gridadmin", True),
        ("supervisor", True),
        ("dept", False),
        ("manager_b", False),
    ],
)
def test_staff_see_an_arrears_disconnection_only_where_they_serve_it(
    world: City, name: str, sees: bool
) -> None:
    outage = disconnect(world)
    user = getattr(world, name)

    assert (outage in outages_visible_to(user)) is sees
    assert (outage in outages_for_staff(user)) is sees


def _feed_names(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    names: list[str] = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            names += _feed_names(entry, f"{entry.namespace}:" if entry.namespace else prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            names.append(prefix + entry.name)
    return names


def test_every_public_outage_surface_is_checked_here() -> None:
    """A new public outage page or feed must be added to the test above."""
    checked: set[Any] = {
        "feeds:compound_calendar",
        "feeds:cap_alert",
        "feeds:cap_index",
        "feeds:notice_pdf",
        "feeds:compound_notice_pdf",
    }
    assert {name for name in _feed_names() if name.startswith("feeds:")} == checked
