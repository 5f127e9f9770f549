"""The demo city's past (front/demo/history.py): made by the services staff and residents
use, spread the way the dashboard needs, recorded without sending anything, added once, and
leaving the present as it is. A short history (three months) on the small city."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from wudian.accounts.models import User
from wudian.analytics.models import LossStatus, StationAreaDay
from wudian.billing.models import MeterReading, ReadingImport
from wudian.conftest import snapshot
from wudian.front.demo import history
from wudian.front.demo.people import LOGINS
from wudian.front.demo.places import AREAS, household_of
from wudian.front.demo.readings import HIGH_LOSS_AREA
from wudian.front.demo.requests import DEMO_REQUESTS
from wudian.front.demo.usage import DISPUTE
from wudian.notify.models import CallTask, Channel, Message
from wudian.outages.models import AffectedHousehold, Outage, OutageEvent
from wudian.workorders.models import ONLINE_CHANNELS, Category, WorkOrder, WorkOrderEvent

MONTHS = 3
SMALL = 2
PRESENT = [text for _ago, _user, _home, _code, _channel, text, _steps in DEMO_REQUESTS]
RESIDENT_KINDS = set(Category.Kind.values) - {Category.Kind.CHECK}


def seed(**options: Any) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, households_per_building=SMALL, **options)
    return out.getvalue()


def test_the_demo_citys_past(db: None, settings: Any) -> None:
    """One seed (it takes a while) checked from every side, then seeded again."""
    settings.DEBUG = True
    seed(history_months=MONTHS)

    check_every_kind_and_channel_late_clocks_and_ratings()
    check_nothing_sent_and_no_message_unread()
    check_outages_published_restored_and_acknowledged()
    check_line_loss_covers_every_day_up_to_the_present()
    check_households_readings_come_from_the_line_loss_readings()
    check_the_present_stays_as_it_is()
    check_a_rerun_adds_nothing()


def check_households_readings_come_from_the_line_loss_readings() -> None:
    """The line-loss import writes the households' months through billing's code; the months
    the demo's readings file gave the residents' homes keep their energy and get their days
    (a meter that missed a day leaves two days without energy)."""
    run = ReadingImport.objects.filter(source=ReadingImport.Source.LINE_LOSS).latest("pk")
    from_line_loss = MeterReading.objects.filter(source=MeterReading.Source.LINE_LOSS).count()
    assert 0 < from_line_loss <= run.months
    home = household_of(next(login.home for login in LOGINS if login.home is not None))
    last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    month_before = (last_month - datetime.timedelta(days=1)).replace(day=1)
    reading = MeterReading.objects.get(household=home, month=month_before)
    assert reading.source == MeterReading.Source.IMPORT
    assert reading.daily is not None
    assert sum(value is not None for value in reading.daily) >= len(reading.daily) - 6


def past_requests() -> Any:
    # The present's requests: the demo's own, and the one its circle's message became.
    return (
        WorkOrder.objects.exclude(description__in=PRESENT)
        .exclude(category__kind=Category.Kind.CHECK)
        .exclude(circle_message__isnull=False)
        # resident1's hazard report of today, opened as a defect (front/demo/defects.py).
        .exclude(defects__isnull=False)
        # resident1's metering dispute of today, with its usage analysis (front/demo/usage.py).
        .exclude(description=DISPUTE)
    )


def check_every_kind_and_channel_late_clocks_and_ratings() -> None:
    requests = past_requests()
    # The last day of the history is three weeks ago (the whole day).
    gap = timezone.now() - history.GAP + datetime.timedelta(days=1)

    assert requests.count() > 40
    assert set(requests.values_list("category__kind", flat=True)) == RESIDENT_KINDS
    channels = set(requests.values_list("channel", flat=True))
    assert {"web", "phone"} <= channels
    assert len(channels & ONLINE_CHANNELS) >= 2
    assert len(channels - ONLINE_CHANNELS) >= 2
    assert set(requests.values_list("status", flat=True)) <= {"closed", "cancelled"}
    assert not requests.filter(created_at__gte=gap).exists()
    worked = requests.filter(status="closed")
    late = worked.filter(accept_late=True) | worked.filter(resolve_late=True)
    assert late.exists()
    assert worked.filter(accept_late=False, resolve_late=False).exists()
    ratings = set(worked.exclude(rating=None).values_list("rating", flat=True))
    assert len(ratings) >= 2
    assert ratings <= {1, 2, 3, 4, 5}
    assert not worked.exclude(rating=None).filter(visited_hall=None).exists()
    # Residents without the app did not confirm: the clocks' sweep closed theirs.
    assert worked.filter(auto_closed=True).exists()
    assert worked.filter(auto_closed=False).exists()
    assert requests.filter(category__kind="complaint", opinion_risk=True).exists()
    # Every step was taken through the services, at its own time.
    for workorder in worked.prefetch_related("events")[:20]:
        kinds = [event.kind for event in workorder.events.all()]
        assert kinds[0] == "submitted"
        assert "accepted" in kinds
        assert "resolved" in kinds
        assert workorder.events.all()[0].at == workorder.created_at
        assert workorder.closed_at is not None
        assert workorder.closed_at < timezone.now() - history.PRESENT


def check_nothing_sent_and_no_message_unread() -> None:
    sources = [f"workorder:{pk}" for pk in past_requests().values_list("pk", flat=True)]
    sources += [
        f"outage:{pk}"
        for pk in Outage.objects.filter(restored_at__lt=timezone.now() - history.GAP).values_list(
            "pk", flat=True
        )
    ]
    messages = Message.objects.filter(source__in=sources)

    assert messages.filter(channel=Channel.SMS).exists()
    assert messages.filter(channel=Channel.INAPP).exists()
    assert set(messages.values_list("state", flat=True)) == {Message.State.SENT}
    assert not messages.filter(read_at=None).exists()
    week = timezone.now() - datetime.timedelta(days=7)
    assert not Message.objects.filter(
        channel=Channel.INAPP, read_at=None, created_at__lt=week
    ).exists()
    assert not CallTask.objects.filter(state=CallTask.State.OPEN, created_at__lt=week).exists()


def check_outages_published_restored_and_acknowledged() -> None:
    old = Outage.objects.filter(start__lt=timezone.now() - history.GAP)

    assert old.exists()
    for outage in old:
        assert outage.state == Outage.State.RESTORED
        assert outage.published_at is not None
        assert outage.restored_at is not None
        assert outage.restored_at > outage.start
        assert outage.created_at == outage.published_at
        if outage.kind != Outage.Kind.FAULT:
            assert outage.published_at < outage.start
        if outage.lead_time_override_reason:
            assert outage.lead_time_overridden_by is not None
            assert outage.lead_time_overridden_by.username == "supervisor1"
        events = OutageEvent.objects.filter(outage=outage)
        assert set(events.values_list("at", flat=True)) == {
            outage.published_at,
            outage.restored_at,
        }
    acknowledged = AffectedHousehold.objects.filter(outage__in=old, acknowledged_at__isnull=False)
    for row in acknowledged.select_related("outage"):
        published, acknowledged_at = row.outage.published_at, row.acknowledged_at
        assert published is not None
        assert acknowledged_at is not None
        assert published <= acknowledged_at < row.outage.start


def check_line_loss_covers_every_day_up_to_the_present() -> None:
    today = timezone.localdate()
    first = history.months_of(today, MONTHS)[0].first
    days = StationAreaDay.objects.filter(date__gte=first)

    assert set(days.values_list("date", flat=True)) == {
        first + datetime.timedelta(days=n) for n in range((today - first).days)
    }
    assert days.values("station_area").distinct().count() == len(AREAS)
    assert days.filter(status=LossStatus.QUALIFIED).exists()
    assert days.filter(status=LossStatus.INCOMPLETE).exists()
    last_month = days.filter(
        date__lt=today - datetime.timedelta(days=16),
        date__gte=today - datetime.timedelta(days=46),
        station_area__code=HIGH_LOSS_AREA,
    )
    assert set(last_month.values_list("status", flat=True)) <= {
        LossStatus.HIGH_LOSS,
        LossStatus.INCOMPLETE,
    }


def check_a_rerun_adds_nothing() -> None:
    models = [
        WorkOrder,
        WorkOrderEvent,
        Message,
        CallTask,
        Outage,
        AffectedHousehold,
        StationAreaDay,
        User,
    ]
    first = snapshot(*models)

    with translation.override("en"):
        output = seed(history_months=MONTHS)

    assert snapshot(*models) == first
    assert "nothing, all there" in output


def check_the_present_stays_as_it_is() -> None:
    present = WorkOrder.objects.filter(description__in=PRESENT)

    assert present.count() == len(DEMO_REQUESTS)
    assert sorted(present.values_list("status", flat=True)) == sorted(
        ["submitted", "resolved", "closed", "accepted", "waiting", "submitted", "accepted"]
    )
    assert not WorkOrderEvent.objects.filter(
        workorder__in=present, kind__in=["warned", "overdue", "closed"]
    ).exists()
    for username in ("resident1", "resident2"):
        resident = User.objects.get(username=username)
        homes = resident.household_memberships.values("household")
        assert not past_requests().filter(household__in=homes).exists()


def test_complaints_fall_by_more_than_half_year_on_year() -> None:
    today = datetime.date(2026, 12, 4)
    months = history.months_of(today, 24)
    recent = sum(history.complaints_in(m, today) for m in months[12:])
    year_before = sum(history.complaints_in(m, today) for m in months[:12])

    assert 0.4 <= recent / year_before <= 0.5


def test_the_history_length_cannot_be_negative(db: None, settings: Any) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("seed_demo", "--history-months", "-1", stdout=StringIO())
