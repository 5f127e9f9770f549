"""The demo's friendly reminders (友情化催费): two arrears lists of 锦绣华庭 and 朝阳新村 (the
compounds of manager1, electrician1 and staff1).

The first, four days ago, lists households of resident1's building and of a building of
朝阳新村: postpaid accounts owing (one 35 days past its due date, so close to disconnection
and told by message at once), a prepaid balance below its warning level, a special-group
household, and resident1's home owing a small amount. Staff record visits the next days
(in person, a note, a phone call to the special-group household, one not reachable). The
second list, yesterday, no longer holds two reminded households — they paid — so the
walks show who paid and the dashboard's coverage and recovery have figures. Made once
(the lists by file name), through the services, each step at its own time."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from wudian.accounts.models import User
from wudian.billing.models import ArrearsImport, Reminder, ReminderWalk
from wudian.billing.services.arrears import ArrearsLine, arrears_store
from wudian.billing.services.reminders import reminder_record
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.people import RESIDENT1_HOME
from wudian.front.demo.places import household_of
from wudian.grid.models import Household
from wudian.notify.services import notify_backfill

FIRST_FILE = "演示-欠费及预付费余额清单-1.xlsx"
SECOND_FILE = "演示-欠费及预付费余额清单-2.xlsx"


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _dated(file_name: str, at: datetime.datetime) -> None:
    """A list of the past: imported, its walks made and its messages sent at its time."""
    run = ArrearsImport.objects.get(file_name=file_name)
    ArrearsImport.objects.filter(pk=run.pk).update(imported_at=at)
    ReminderWalk.objects.filter(run=run).update(created_at=at)
    Reminder.objects.filter(arrears__run=run, outcome=Reminder.Outcome.MESSAGE).update(at=at)


def reminders_seed(summary: DemoSummary) -> None:
    if ArrearsImport.objects.filter(file_name=FIRST_FILE).exists():
        return
    resident1_home = household_of(RESIDENT1_HOME)
    home_building = resident1_home.building
    neighbours = list(
        Household.objects.filter(building=home_building)
        .exclude(pk=resident1_home.pk)
        .order_by("account_no")[:6]
    )
    other = list(
        Household.objects.filter(building__compound__code="chaoyang-xincun").order_by(
            "building__code", "account_no"
        )[:3]
    )
    if len(neighbours) < 6 or len(other) < 3:
        return
    special = neighbours[5]
    if not special.special_group:
        special.special_group = True
        special.save(update_fields=["special_group"])
    users = {u.username: u for u in User.objects.filter(username__in=["electrician1", "staff1"])}
    electrician, staff = users["electrician1"], users["staff1"]

    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=4)
    second_day = today - datetime.timedelta(days=1)
    d = Decimal
    post, pre = "postpaid", "prepaid"
    first = [
        (resident1_home, post, d("36.80"), first_day - datetime.timedelta(days=10), None),
        (neighbours[0], post, d("128.50"), first_day - datetime.timedelta(days=35), None),
        (neighbours[1], post, d("86.20"), first_day - datetime.timedelta(days=12), None),
        (neighbours[2], post, d("54.00"), first_day - datetime.timedelta(days=8), None),
        (neighbours[3], pre, d("6.30"), None, d("20.00")),
        (neighbours[4], post, d("212.40"), first_day - datetime.timedelta(days=20), None),
        (special, post, d("47.60"), first_day - datetime.timedelta(days=15), None),
        (other[0], post, d("93.10"), first_day - datetime.timedelta(days=9), None),
        (other[1], post, d("61.70"), first_day - datetime.timedelta(days=18), None),
        (other[2], pre, d("4.50"), None, d("30.00")),
    ]
    with notify_backfill(at=_at(first_day, 9)):
        arrears_store(
            file_name=FIRST_FILE,
            as_of=first_day,
            lines=[
                ArrearsLine(n, h.pk, k, a, due, w) for n, (h, k, a, due, w) in enumerate(first, 2)
            ],
        )
    _dated(FIRST_FILE, _at(first_day, 9))
    summary.created["ArrearsImport"] += 1
    day1, day2 = first_day, first_day + datetime.timedelta(days=1)
    for household, outcome, by, at, note in [
        (neighbours[1], "in_person", electrician, _at(day1, 16), "户主说本周内网上缴清"),
        (neighbours[2], "note_left", staff, _at(day1, 17), "家中无人，门缝留条"),
        (neighbours[0], "in_person", electrician, _at(day2, 10), "已告知逾期35天，将停电"),
        (special, "phone_call", electrician, _at(day2, 10), "电话告知老人子女代缴"),
        (neighbours[4], "not_reachable", staff, _at(day2, 11), ""),
        (other[0], "in_person", electrician, _at(day2, 15), ""),
        (other[1], "note_left", staff, _at(day2, 16), ""),
    ]:
        reminder_record(household=household, outcome=outcome, note=note, by=by, now=at)
        summary.created["Reminder"] += 1
    # neighbours[1] and other[0] paid: they are not on the second list.
    paid = {neighbours[1].pk, other[0].pk}
    second = [row for row in first if row[0].pk not in paid]
    with notify_backfill(at=_at(second_day, 9)):
        arrears_store(
            file_name=SECOND_FILE,
            as_of=second_day,
            lines=[
                ArrearsLine(n, h.pk, k, a, due, w) for n, (h, k, a, due, w) in enumerate(second, 2)
            ],
        )
    _dated(SECOND_FILE, _at(second_day, 9))
    summary.created["ArrearsImport"] += 1
    lately = timezone.now() - datetime.timedelta(hours=1)
    for household, outcome, by, at in [
        (neighbours[4], "in_person", staff, lately),
        (neighbours[2], "phone_call", staff, lately),
    ]:
        reminder_record(household=household, outcome=outcome, by=by, now=at)
        summary.created["Reminder"] += 1
