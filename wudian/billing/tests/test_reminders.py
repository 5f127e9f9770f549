"""Friendly reminders (友情化催费): the walks a list makes, tell-then-visit for households close
to disconnection, special-group households, recording outcomes, and the daily telling."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wudian.accounts.models import User
from wudian.billing.models import Arrears, Reminder, ReminderWalk
from wudian.billing.selectors.reminders import floor_of, walk_stops, walks_for
from wudian.billing.services.reminders import reminder_record, reminders_tell_close
from wudian.billing.tests.factories import arrears_list
from wudian.conftest import City, snapshot
from wudian.core.errors import BadInput, NotAllowed, WrongState
from wudian.grid.models import Household
from wudian.notify.models import Message

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 11, 20)
LONG_AGO = AS_OF - datetime.timedelta(days=45)  # 45 days overdue on the list's day
LATELY = AS_OF - datetime.timedelta(days=5)


def reminded(user: User) -> int:
    return int(walks_for(user).get().reminded)  # type: ignore[attr-defined]


def room(city: City, unit: str, number: str, **fields: object) -> Household:
    return Household.objects.create(
        building=city.north_building,
        account_no=f"34{unit}{number:0>8}"[:10],
        unit=unit,
        room=number,
        address=f"北苑{unit}单元{number}室",
        holder_name="陈秀英",
        **fields,
    )


def test_a_list_makes_one_walk_per_building_in_walking_order(city: City) -> None:
    high = room(city, "1", "1202")
    low = room(city, "1", "302")
    other_unit = room(city, "2", "101")
    paid_up = room(city, "1", "201")
    run = arrears_list(
        AS_OF,
        [
            (high, "postpaid", D("88.50"), LATELY, None),
            (other_unit, "postpaid", D("12.00"), LATELY, None),
            (low, "postpaid", D("30.00"), LATELY, None),
            (city.north_home, "prepaid", D("5.00"), None, D("20.00")),
            (paid_up, "prepaid", D("50.00"), None, D("20.00")),  # above its warning level
            (city.south_home, "postpaid", D("0.00"), LATELY, None),  # owes nothing
        ],
    )

    walk = ReminderWalk.objects.get(run=run)
    assert walk.building == city.north_building
    assert walk.households == 4
    stops = walk_stops(walk, today=AS_OF)
    assert [s.household.room for s in stops] == ["101", "302", "1202", "101"]
    assert [s.household.unit for s in stops] == ["1", "1", "1", "2"]


def test_floor_is_read_from_the_room_number() -> None:
    assert floor_of("1202") == 12
    assert floor_of("302") == 3
    assert floor_of("5") == 0
    assert floor_of("B-1502") == 15


def test_households_close_to_disconnection_are_told_first_then_marked_to_visit(
    city: City,
) -> None:
    run = arrears_list(
        AS_OF,
        [
            (city.north_home, "postpaid", D("120.00"), LONG_AGO, None),
            (city.north_home_2, "postpaid", D("60.00"), LATELY, None),
        ],
    )

    told = Reminder.objects.get(outcome="message")
    assert told.household == city.north_home
    assert told.by is None
    assert told.walk == ReminderWalk.objects.get(run=run)
    sms = Message.objects.filter(template="arrears_close")
    # The household's own phone and its resident's app; nobody else, and no amount.
    assert set(sms.values_list("channel", "address")) == {
        ("sms", "13800000001"),
        ("inapp", str(city.resident.pk)),
    }
    assert all("120" not in str(m.context) for m in sms)
    assert told.walk is not None
    stops = {s.household: s for s in walk_stops(told.walk, today=AS_OF)}
    assert stops[city.north_home].close
    assert stops[city.north_home].visit_now
    assert stops[city.north_home].messaged
    assert not stops[city.north_home_2].close
    assert stops[city.north_home_2].days_overdue == 5


def test_a_message_never_counts_for_a_special_group_household(city: City) -> None:
    Household.objects.filter(pk=city.north_home.pk).update(special_group=True)
    run = arrears_list(AS_OF, [(city.north_home, "prepaid", D("1.00"), None, D("20.00"))])
    walk = ReminderWalk.objects.get(run=run)
    (stop,) = walk_stops(walk, today=AS_OF)
    assert stop.messaged
    assert not stop.reminded
    assert stop.visit_now
    assert reminded(city.electrician) == 0

    reminder_record(line=stop.line, outcome="note_left", by=city.electrician)
    assert reminded(city.electrician) == 0
    reminder_record(line=stop.line, outcome="phone_call", by=city.electrician)
    assert reminded(city.electrician) == 1
    (stop,) = walk_stops(walk, today=AS_OF)
    assert stop.reminded
    assert not stop.visit_now


def test_staff_record_outcomes_on_the_current_line(city: City) -> None:
    arrears_list(AS_OF, [(city.north_home, "postpaid", D("60.00"), LATELY, None)])
    line = Arrears.objects.get(current=True)
    for user, outcome in [
        (city.electrician, "in_person"),
        (city.staff, "note_left"),
        (city.manager, "not_reachable"),
    ]:
        reminder = reminder_record(line=line, outcome=outcome, note="  门上贴了条 ", by=user)
        assert reminder.by == user
        assert reminder.walk is not None
    assert reminder.note == "门上贴了条"
    by_household = reminder_record(household=city.north_home, outcome="phone_call", by=city.staff)
    assert by_household.arrears == line
    walk = walks_for(city.staff).get()
    assert walk.reminded == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("who", "outcome", "note", "refusal"),
    [
        ("manager_b", "in_person", "", NotAllowed),
        ("supervisor", "in_person", "", NotAllowed),
        ("gridadmin", "in_person", "", NotAllowed),
        ("dept", "in_person", "", NotAllowed),
        ("resident", "in_person", "", NotAllowed),  # their own household
        ("outsider", "in_person", "", NotAllowed),
        ("electrician", "message", "", BadInput),
        ("electrician", "waved", "", BadInput),
        ("electrician", "in_person", "长" * 201, BadInput),
    ],
)
def test_refused_reminders_change_nothing(
    city: City, who: str, outcome: str, note: str, refusal: type[Exception]
) -> None:
    arrears_list(AS_OF, [(city.north_home, "postpaid", D("60.00"), LATELY, None)])
    line = Arrears.objects.get(current=True)
    before = snapshot(line, Reminder)
    with pytest.raises(refusal):
        reminder_record(line=line, outcome=outcome, note=note, by=getattr(city, who))
    assert snapshot(line, Reminder) == before


def test_a_superseded_line_is_refused_as_a_conflict(city: City) -> None:
    arrears_list(AS_OF, [(city.north_home, "postpaid", D("60.00"), LATELY, None)])
    old = Arrears.objects.get(current=True)
    arrears_list(
        AS_OF + datetime.timedelta(days=3),
        [(city.north_home, "postpaid", D("60.00"), LATELY, None)],
    )
    before = snapshot(old, Reminder)
    with pytest.raises(WrongState):
        reminder_record(line=old, outcome="in_person", by=city.electrician)
    assert snapshot(old, Reminder) == before


def test_a_later_list_shows_who_paid_and_when(city: City) -> None:
    arrears_list(
        AS_OF,
        [
            (city.north_home, "postpaid", D("60.00"), LATELY, None),
            (city.north_home_2, "postpaid", D("80.00"), LATELY, None),
        ],
    )
    walk = ReminderWalk.objects.get()
    later = AS_OF + datetime.timedelta(days=4)
    arrears_list(later, [(city.north_home_2, "postpaid", D("30.00"), LATELY, None)])

    stops = {s.household: s for s in walk_stops(walk, today=later)}
    gone, less = stops[city.north_home].paid, stops[city.north_home_2].paid
    assert gone is not None
    assert gone.absent
    assert gone.as_of == later
    assert less is not None
    assert less.amount == D("30.00")


def test_the_daily_telling_reaches_lines_that_became_close_once(city: City) -> None:
    due = AS_OF - datetime.timedelta(days=28)
    arrears_list(AS_OF, [(city.north_home, "postpaid", D("60.00"), due, None)])
    assert not Reminder.objects.exists()
    day = datetime.datetime(2026, 11, 21, 2, 0, tzinfo=datetime.UTC)
    assert reminders_tell_close(now=day) == 0
    assert reminders_tell_close(now=day + datetime.timedelta(days=1)) == 1
    assert reminders_tell_close(now=day + datetime.timedelta(days=2)) == 0
    assert Reminder.objects.filter(outcome="message").count() == 1
    assert Message.objects.filter(template="arrears_close", channel="sms").count() == 1


def test_preparing_a_big_list_takes_a_fixed_number_of_queries(city: City) -> None:
    def households(n: int, start: int) -> list[Household]:
        return Household.objects.bulk_create(
            Household(
                building=city.north_building,
                account_no=f"35{start + i:08d}",
                unit="3",
                room=str(101 + start + i),
                address="北苑",
                holder_name="甲",
                phone="13900000000",
            )
            for i in range(n)
        )

    def queries(n: int, start: int) -> int:
        rows = [(h, "postpaid", D("9.00"), LONG_AGO, None) for h in households(n, start)]
        with CaptureQueriesContext(connection) as captured:
            arrears_list(AS_OF, rows)
        return len(captured)

    queries(2, 500)  # the rules are read once per process
    assert queries(3, 0) == queries(60, 100)
