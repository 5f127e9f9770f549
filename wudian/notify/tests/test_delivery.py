from __future__ import annotations

import datetime
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from wudian.conftest import City
from wudian.core.models import ServiceRule
from wudian.notify.delivery import outbox_deliver
from wudian.notify.models import Channel, CircleEndpoint, Message
from wudian.notify.selectors import delivery_stats
from wudian.notify.services import Audience, message_retry, notify_publish, preference_update
from wudian.notify.tasks import outbox_sweep
from wudian.notify.tests.conftest import Endpoint

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A fixed evening in the future, so the real clock never makes held messages due.
DAY = timezone.localdate() + datetime.timedelta(days=2)
LATE_EVENING = datetime.datetime(DAY.year, DAY.month, DAY.day, 23, 0, tzinfo=SHANGHAI)
NEXT_MORNING = LATE_EVENING + datetime.timedelta(hours=8)
CONTEXT = {"title": "计划停电", "body": "3月17日8:00-12:00停电。"}


def publish(city: City, *, urgent: bool, now: datetime.datetime, **kwargs: Any) -> int:
    return notify_publish(
        audience=kwargs.pop("audience", Audience(households=[city.north_home])),
        template="message",
        context=CONTEXT,
        event_key=kwargs.pop("event_key", "outage:7:published"),
        urgent=urgent,
        source="outage:7",
        now=now,
    )


def test_quiet_hours_hold_sms_until_seven_but_the_inbox_gets_it_at_once(
    city: City, endpoint: Endpoint, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        publish(city, urgent=False, now=LATE_EVENING)

    sms = Message.objects.get(channel=Channel.SMS)
    assert sms.state == Message.State.PENDING
    assert sms.next_attempt_at == NEXT_MORNING
    assert Message.objects.get(channel=Channel.INAPP).state == Message.State.SENT
    # Before seven nothing goes out, from seven on it does.
    outbox_deliver(now=NEXT_MORNING - datetime.timedelta(minutes=1))
    assert endpoint.requests == []
    outbox_deliver(now=NEXT_MORNING)
    assert len(endpoint.requests) == 1


def test_quiet_hours_follow_the_configured_rule(city: City) -> None:
    ServiceRule.objects.update_or_create(key="notify.quiet_start_hour", defaults={"value": 21})
    ServiceRule.objects.update_or_create(key="notify.quiet_end_hour", defaults={"value": 6})

    publish(city, urgent=False, now=LATE_EVENING.replace(hour=21, minute=30))

    sms = Message.objects.get(channel=Channel.SMS)
    assert sms.next_attempt_at == NEXT_MORNING - datetime.timedelta(hours=1)


def test_a_users_own_quiet_hours_apply_to_their_sms(city: City) -> None:
    city.manager.phone = "13900000001"
    preference_update(
        user=city.manager, sms=True, email=False, quiet_start_hour=20, quiet_end_hour=8
    )

    publish(
        city,
        urgent=False,
        now=LATE_EVENING.replace(hour=7, minute=30),
        audience=Audience(users=[city.manager]),
    )

    sms = Message.objects.get(channel=Channel.SMS)
    assert sms.address == "13900000001"
    assert sms.next_attempt_at == LATE_EVENING.replace(hour=8)


def test_urgent_messages_ignore_quiet_hours(city: City, endpoint: Endpoint) -> None:
    publish(city, urgent=True, now=LATE_EVENING)

    sms = Message.objects.get(channel=Channel.SMS)
    assert sms.next_attempt_at == LATE_EVENING
    outbox_deliver(now=LATE_EVENING)
    assert len(endpoint.requests) == 1


def test_a_refusing_gateway_is_retried_with_growing_delays_then_failed(
    city: City, endpoint: Endpoint, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint.status = 500
    settings.NOTIFY_MAX_ATTEMPTS = 4
    with django_capture_on_commit_callbacks(execute=True):
        publish(city, urgent=True, now=timezone.now())

    sms = Message.objects.get(channel=Channel.SMS)
    delays = []
    for _attempt in range(3):
        sms.refresh_from_db()
        assert sms.state == Message.State.PENDING
        assert "500" in sms.last_error
        delays.append(round((sms.next_attempt_at - timezone.now()).total_seconds() / 60))
        outbox_deliver(now=sms.next_attempt_at)
    sms.refresh_from_db()

    assert delays == [1, 2, 4]
    assert sms.state == Message.State.FAILED
    assert sms.attempts == 4


def test_a_closed_port_fails_the_message_and_a_retry_sends_it(
    city: City, endpoint: Endpoint, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    working = settings.NOTIFY_SMS_GATEWAY_URL
    settings.NOTIFY_SMS_GATEWAY_URL = "json://127.0.0.1:1/sms"
    settings.NOTIFY_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        publish(city, urgent=True, now=timezone.now())
    sms = Message.objects.get(channel=Channel.SMS)
    assert sms.state == Message.State.FAILED
    assert sms.last_error

    settings.NOTIFY_SMS_GATEWAY_URL = working
    with django_capture_on_commit_callbacks(execute=True):
        assert message_retry(messages=Message.objects.all()) == 1

    sms.refresh_from_db()
    assert sms.state == Message.State.SENT
    assert endpoint.keys() == ["outage:7:published:sms:13800000001"]


def test_no_gateway_configured_is_not_a_failure_and_waits_for_one(
    city: City,
    endpoint: Endpoint,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: Any,
) -> None:
    working = settings.NOTIFY_SMS_GATEWAY_URL
    settings.NOTIFY_SMS_GATEWAY_URL = ""
    settings.NOTIFY_URLS = [endpoint.url("/staff")]
    with django_capture_on_commit_callbacks(execute=True):
        publish(city, urgent=True, now=timezone.now())
        publish(city, urgent=True, now=timezone.now(), event_key="outage:7:changed")

    sms = Message.objects.filter(channel=Channel.SMS)
    # Nothing was sent, so no attempt is counted.
    assert {(m.state, m.attempts, m.last_error) for m in sms} == {
        (Message.State.UNCONFIGURED, 0, "")
    }
    # Not a failure: no staff alert, no line per message, nothing counted as failed.
    assert not Message.objects.filter(source="notify").exists()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    stats = delivery_stats(source="outage:7")
    assert (stats["failed"], stats["no_gateway"]) == (0, 2)

    # Once the gateway is set up, the sweep sends them without anyone retrying by hand.
    settings.NOTIFY_SMS_GATEWAY_URL = working
    outbox_sweep()
    assert set(sms.values_list("state", flat=True)) == {Message.State.SENT}
    assert len(endpoint.requests) == 2


def test_the_sweep_takes_back_messages_of_a_dead_consumer(
    city: City, endpoint: Endpoint, settings: Any
) -> None:
    publish(city, urgent=True, now=timezone.now())  # not committed: nothing is queued
    now = timezone.now()
    Message.objects.filter(channel=Channel.SMS).update(
        state=Message.State.SENDING, claimed_at=now - datetime.timedelta(seconds=30)
    )

    assert outbox_sweep(now=now).reclaimed == 0  # within the timeout: still its consumer's
    result = outbox_sweep(now=now + datetime.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT))

    assert result.reclaimed == 1
    assert Message.objects.get(channel=Channel.SMS).state == Message.State.SENT
    assert len(endpoint.requests) == 1


def test_circle_robots_get_the_message_once_per_endpoint(
    city: City, endpoint: Endpoint, django_capture_on_commit_callbacks: Any
) -> None:
    CircleEndpoint.objects.create(compound=city.north, kind="webhook", url=endpoint.url("/hook"))
    CircleEndpoint.objects.create(
        compound=city.north, kind="wecom", url="wecombot://x", enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        written = publish(
            city,
            urgent=True,
            now=timezone.now(),
            audience=Audience(compounds=[city.north, city.south]),
        )

    assert written == 1
    assert endpoint.wait_for(1)
    assert endpoint.requests[0]["path"] == "/hook"
    assert endpoint.requests[0]["json"]["title"] == "计划停电"


def test_messages_failed_for_good_are_told_to_the_staff_channels_once(
    city: City, endpoint: Endpoint, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTIFY_SMS_GATEWAY_URL = "json://127.0.0.1:1/sms"
    settings.NOTIFY_MAX_ATTEMPTS = 1
    settings.NOTIFY_URLS = [endpoint.url("/staff")]
    with django_capture_on_commit_callbacks(execute=True):
        publish(city, urgent=True, now=timezone.now())

    # The delivery task wrote the alert and queued it; the alert is not about itself.
    assert Message.objects.get(channel=Channel.SMS).state == Message.State.FAILED
    alert = Message.objects.get(source="notify")
    assert (alert.channel, alert.state, alert.context) == (
        Channel.WEBHOOK,
        Message.State.SENT,
        {"count": 1},
    )
    assert [r["path"] for r in endpoint.requests] == ["/staff"]
    assert endpoint.requests[0]["json"]["title"] == "1 条通知未能送达"
