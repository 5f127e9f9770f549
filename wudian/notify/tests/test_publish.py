from __future__ import annotations

import datetime
from typing import Any

import pytest

from wudian.conftest import City, snapshot
from wudian.core.rules import rule_value
from wudian.grid.models import Household
from wudian.notify.models import CallTask, Channel, Message
from wudian.notify.selectors import delivery_stats, inbox_for, unread_count
from wudian.notify.services import Audience, NotifyError, notify_publish
from wudian.notify.tests.conftest import Endpoint

CONTEXT = {"title": "停电通知", "body": "北苑小区1号楼明日8:00-12:00停电检修。"}


def publish(city: City, **kwargs: Any) -> int:
    options: dict[str, Any] = {
        "audience": Audience(households=[city.north_home, city.north_home_2]),
        "template": "message",
        "context": CONTEXT,
        "event_key": "outage:1:published",
        "urgent": True,
        "source": "outage:1",
    }
    options.update(kwargs)
    return notify_publish(**options)


def test_sms_reaches_the_gateway_with_phone_and_text(
    city: City, endpoint: Endpoint, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        written = publish(city)

    # Two SMS, and the in-app message of the resident who lives at north_home.
    assert written == 3
    assert endpoint.wait_for(2)
    payloads = sorted((r["json"] for r in endpoint.requests), key=lambda p: p["to"])
    assert [p["to"] for p in payloads] == ["13800000001", "13800000002"]
    assert payloads[0]["title"] == "停电通知"
    assert payloads[0]["message"] == CONTEXT["body"]
    assert sorted(endpoint.keys()) == [
        "outage:1:published:sms:13800000001",
        "outage:1:published:sms:13800000002",
    ]
    assert set(Message.objects.values_list("state", flat=True)) == {Message.State.SENT}


def test_publishing_an_event_twice_writes_and_sends_nothing_more(
    city: City, endpoint: Endpoint, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        publish(city)
    with django_capture_on_commit_callbacks(execute=True):
        again = publish(city)

    assert again == 0
    assert Message.objects.count() == 3
    assert endpoint.wait_for(2)
    assert len(endpoint.requests) == 2


def test_a_new_event_is_written_and_queued_without_looking_for_earlier_rows(
    city: City,
    endpoint: Endpoint,
    django_capture_on_commit_callbacks: Any,
    django_assert_num_queries: Any,
) -> None:
    rule_value("notify.quiet_start_hour")  # the process reads the rules once, here
    # Households, their members, the insert: no lookup of earlier rows, and after commit the
    # new rows are queued by id, without reading them back.
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(3):
        written = publish(city, new_event=True)

    assert written == 3
    assert endpoint.wait_for(2)
    assert sorted(endpoint.keys()) == [
        "outage:1:published:sms:13800000001",
        "outage:1:published:sms:13800000002",
    ]
    assert not Message.objects.exclude(state=Message.State.SENT).exists()


def test_users_and_household_members_get_one_inbox_message(city: City) -> None:
    city.resident.phone = "13800000001"  # the same phone as the household: one SMS
    city.resident.save(update_fields=["phone"])

    publish(city, audience=Audience(users=[city.resident], households=[city.north_home]))

    assert inbox_for(city.resident).count() == 1
    assert inbox_for(city.resident).get().household == city.north_home
    assert Message.objects.filter(channel=Channel.SMS).count() == 1


def test_delivery_stats_count_by_state_channel_and_building(
    city: City, endpoint: Endpoint, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        publish(city)

    stats = delivery_stats(source="outage:1")

    assert stats["total"] == 3
    assert stats["sent"] == 3
    assert stats["delivered"] == 2  # the in-app message is not read yet
    assert stats["failed"] == 0
    assert stats["by_channel"] == {"sms": {"sent": 2}, "inapp": {"sent": 1}}
    assert stats["by_building"] == {city.north_building.pk: {"sent": 3}}


def test_the_callers_calls_become_call_tasks_as_given_once_per_event(city: City) -> None:
    calls = [(city.north_home.pk, city.manager.pk), (city.south_home.pk, city.electrician_b.pk)]

    first = publish(city, audience=Audience(households=[city.north_home], calls=calls))
    again = publish(city, audience=Audience(households=[city.north_home], calls=calls))

    # Neither household is special-group and north's electrician is certified: notify does
    # not second-guess whom the caller chose.
    tasks = CallTask.objects.order_by("household__account_no")
    assert [(t.household, t.assignee) for t in tasks] == [
        (city.north_home, city.manager),
        (city.south_home, city.electrician_b),
    ]
    assert {t.reason for t in tasks} == {"停电通知"}
    assert {t.event_key for t in tasks} == {"outage:1:published"}
    for caller in (city.manager, city.electrician_b):
        reminder = inbox_for(caller).get()
        assert (reminder.template, reminder.context) == (
            "call_tasks",
            {"reason": "停电通知", "count": 2},
        )
    # The household's SMS and its resident's inbox, the callers' reminders; then nothing.
    assert (first, again) == (2 + 2, 0)


def test_a_special_group_household_without_calls_gets_no_call_task(city: City) -> None:
    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])

    written = publish(city)

    assert written == 3
    assert not CallTask.objects.exists()
    assert not Message.objects.filter(template="call_tasks").exists()


def test_unknown_template_or_non_json_context_is_refused_and_nothing_written(
    city: City,
) -> None:
    before = snapshot(CallTask)

    with pytest.raises(NotifyError):
        publish(city, template="no_such_template")
    with pytest.raises(NotifyError):
        publish(city, context={"when": datetime.datetime.now()})

    assert snapshot(CallTask) == before


def test_a_large_audience_is_written_in_bulk_and_only_once(city: City) -> None:
    households = Household.objects.bulk_create(
        Household(
            building=city.south_building,
            account_no=f"36{n:08d}",
            unit="3",
            room=f"{n:04d}",
            address=f"南苑小区1号楼3单元{n:04d}室",
            holder_name="陈静",
            phone=f"136{n:08d}",
        )
        for n in range(700)
    )
    audience = Audience(households=Household.objects.filter(pk__in=[h.pk for h in households]))

    first = publish(city, audience=audience, urgent=False)
    second = publish(city, audience=audience, urgent=False)

    assert (first, second) == (700, 0)
    message = Message.objects.get(idempotency_key="outage:1:published:sms:13600000699")
    assert message.context == CONTEXT
    assert message.household == households[-1]
    assert message.state == Message.State.PENDING


def test_a_backfill_records_the_past_as_delivered_and_read_and_queues_nothing(
    city: City, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from wudian.notify.services import notify_backfill

    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])
    past = timezone.now().replace(microsecond=0) - datetime.timedelta(days=400)
    audience = Audience(
        users=[city.manager],
        households=[city.north_home],
        calls=[(city.north_home.pk, city.manager.pk)],
    )

    with django_capture_on_commit_callbacks() as callbacks, notify_backfill(at=past):
        written = publish(city, audience=audience, urgent=False, event_key="outage:1:old")

    assert written >= 3
    assert callbacks == []
    rows = Message.objects.filter(event_key__startswith="outage:1:old")
    assert {Channel.SMS, Channel.INAPP} <= set(rows.values_list("channel", flat=True))
    for row in rows:
        assert row.state == Message.State.SENT, row.channel
        assert row.created_at == row.sent_at == row.read_at == past
    task = CallTask.objects.get(event_key="outage:1:old")
    assert task.state == CallTask.State.DONE
    assert task.done_at == past
    # (The inbox is a UNION of own rows and broadcast entries: its unread are counted.)
    assert inbox_for(city.manager).exists()
    assert unread_count(city.manager) == 0

    # Outside the block, publishing is as ever: pending, and queued after commit.
    with django_capture_on_commit_callbacks() as callbacks:
        publish(city, audience=Audience(users=[city.manager]), event_key="outage:1:new")
    assert callbacks
    assert Message.objects.filter(
        event_key="outage:1:new", channel=Channel.SMS, state=Message.State.PENDING
    ).exists()
