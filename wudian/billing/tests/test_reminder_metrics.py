"""The dashboard's reminder figures on hand-built lists: coverage (a message does not count
for a special-group household, not reachable counts for nobody), recovery within 3 and 7
days of the first reminder, by compound, by month and by member of staff."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.test import Client

from wudian.billing.models import Reminder
from wudian.billing.services.reminders import reminder_record
from wudian.billing.tests.factories import arrears_list
from wudian.conftest import City
from wudian.grid.models import Household
from wudian.metrics.periods import Period
from wudian.metrics.registry import METRICS
from wudian.metrics.sources import By, reminders_by_staff, reminders_parts

pytestmark = pytest.mark.django_db

NOVEMBER = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
FIRST = datetime.date(2026, 11, 2)
DUE = datetime.date(2026, 10, 25)


def at(day: int, hour: int = 2) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, 0, tzinfo=datetime.UTC)


def extra(city: City, room: str, **fields: object) -> Household:
    return Household.objects.create(
        building=city.north_building,
        account_no=f"34990{room:0>5}",
        unit="2",
        room=room,
        address="北苑",
        holder_name="甲",
        **fields,
    )


@pytest.fixture
def lists(city: City) -> dict[str, Household]:
    """November: five households of north and one of south on the list of the 2nd.
    a: reminded in person on the 3rd, absent from the list of the 5th (2 days): paid.
    b: phone call on the 3rd, owes less on the list of the 9th (6 days).
    c: not reachable only: not reminded. d: special group, a note only: not reminded.
    e: on no later list... stays owing, reminded by the staff on the 4th.
    south: reminded by manager_b, paid by the 12th (9 days after the 3rd)."""
    a, b, c, e = (extra(city, r) for r in ("101", "102", "201", "202"))
    d = extra(city, "301", special_group=True)
    owing = [(h, "postpaid", D("100.00"), DUE, None) for h in (a, b, c, d, e, city.south_home)]
    arrears_list(FIRST, owing)
    reminder_record(household=a, outcome="in_person", by=city.electrician, now=at(3))
    reminder_record(household=b, outcome="phone_call", by=city.electrician, now=at(3))
    reminder_record(household=c, outcome="not_reachable", by=city.staff, now=at(3))
    reminder_record(household=d, outcome="note_left", by=city.staff, now=at(3))
    reminder_record(household=e, outcome="note_left", by=city.staff, now=at(4))
    reminder_record(household=city.south_home, outcome="in_person", by=city.manager_b, now=at(3))
    still = [(h, "postpaid", D("100.00"), DUE, None) for h in (b, c, d, e, city.south_home)]
    arrears_list(datetime.date(2026, 11, 5), still)
    less = [(b, "postpaid", D("40.00"), DUE, None)]
    less += [(h, "postpaid", D("100.00"), DUE, None) for h in (c, d, e, city.south_home)]
    arrears_list(datetime.date(2026, 11, 9), less)
    arrears_list(
        datetime.date(2026, 11, 12), [(h, "postpaid", D("100.00"), DUE, None) for h in (c, d, e)]
    )
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_coverage_and_recovery_over_the_period(city: City, lists: dict[str, Household]) -> None:
    compounds = [city.north.pk, city.south.pk]
    parts = reminders_parts(NOVEMBER, compounds)[None]
    # a, b, c, d, e and south, on four lists: six households.
    assert parts["arrears_households"] == 6
    assert parts["reminded_households"] == 4  # a, b, e, south
    assert parts["paid_3d"] == 1  # a
    assert parts["paid_7d"] == 2  # a, b
    assert METRICS["reminders.coverage"].value(parts) == D(4) * 100 / 6
    assert METRICS["reminders.recovery_3d"].value(parts) == D(25)
    assert METRICS["reminders.recovery_7d"].value(parts) == D(50)

    by_compound = reminders_parts(NOVEMBER, compounds, By.COMPOUND)
    assert by_compound[city.north.pk]["arrears_households"] == 5
    assert by_compound[city.north.pk]["reminded_households"] == 3
    assert by_compound[city.south.pk]["reminded_households"] == 1
    assert by_compound[city.south.pk]["paid_7d"] == 0  # paid after 9 days
    by_month = reminders_parts(NOVEMBER, compounds, By.MONTH)
    assert by_month[datetime.date(2026, 11, 1)]["reminded_households"] == 4


def test_a_message_counts_except_for_special_group_households(
    city: City, lists: dict[str, Household]
) -> None:
    line = lists["c"].arrears.get(run__as_of=FIRST)
    Reminder.objects.create(household=lists["c"], arrears=line, outcome="message", at=at(2))
    line = lists["d"].arrears.get(run__as_of=FIRST)
    Reminder.objects.create(household=lists["d"], arrears=line, outcome="message", at=at(2))
    parts = reminders_parts(NOVEMBER, [city.north.pk, city.south.pk])[None]
    assert parts["reminded_households"] == 5  # c now, never d


def test_reminders_by_member_of_staff(city: City, lists: dict[str, Household]) -> None:
    rows = {r["user_id"]: r for r in reminders_by_staff(NOVEMBER, [city.north.pk, city.south.pk])}
    assert rows[city.electrician.pk] == {
        "user_id": city.electrician.pk,
        "reminded": 2,
        "paid_3d": 1,
        "paid_7d": 2,
    }
    assert rows[city.staff.pk]["reminded"] == 1  # e; not reachable and d's note do not count
    assert rows[city.manager_b.pk]["paid_7d"] == 0
    assert reminders_by_staff(NOVEMBER, [city.south.pk])[0]["user_id"] == city.manager_b.pk


def test_the_dashboard_shows_the_figures_and_the_staff_table(
    city: City, lists: dict[str, Household], client: Client
) -> None:
    client.force_login(city.supervisor)
    page = client.get("/desk/dashboard/?from=2026-11-01&to=2026-11-30")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="section-reminders"' in body
    assert 'id="reminders-table"' in body
    assert "张电工" in body
    assert "100.00" not in body  # no amount
