"""The failed-deliveries page: why in the reader's language, the source as a link, attempts
counted for sends tried only, retry one and retry all, scoped and behind CSRF."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse

from wudian.conftest import City, snapshot
from wudian.notify.delivery import outbox_deliver
from wudian.notify.models import Channel, Failure, Message
from wudian.notify.services import Audience, notify_publish


def failed_without_gateway(city: City) -> Message:
    """An SMS about outage 3 that failed without being tried: the SMS gateway's address is
    not one Apprise can use. (A gateway that is missing altogether is not a failure: the
    message waits for one, see test_delivery.)"""
    notify_publish(
        audience=Audience(households=[city.north_home]),
        template="message",
        context={"title": "计划停电", "body": "3月17日停电。"},
        event_key="outage:3:published",
        urgent=True,
        source="outage:3",
    )
    gateway = settings.NOTIFY_SMS_GATEWAY_URL
    settings.NOTIFY_SMS_GATEWAY_URL = "no-such-scheme://gateway.example"
    try:
        outbox_deliver()
    finally:
        settings.NOTIFY_SMS_GATEWAY_URL = gateway
    return Message.objects.get(channel=Channel.SMS)


def test_a_failure_is_told_in_words_and_a_send_never_tried_counts_no_attempt(
    city: City, login: Any
) -> None:
    message = failed_without_gateway(city)
    client = login(city.manager)

    chinese = client.get(reverse("notify:failed")).text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("notify:failed")).text

    assert (message.state, message.failure, message.attempts) == ("failed", "bad_address", 0)
    assert "Apprise" not in chinese + english
    assert "该渠道的地址无效" in chinese
    assert "address is not valid: check it in the admin" in english
    assert "nothing was tried" in english
    assert 'href="/desk/outages/3/"' in chinese


def test_a_refused_send_counts_its_attempts(city: City, login: Any) -> None:
    message = failed_without_gateway(city)
    Message.objects.filter(pk=message.pk).update(attempts=5, failure=Failure.REFUSED)

    page = login(city.manager).get(reverse("notify:failed"), HTTP_ACCEPT_LANGUAGE="en").text

    assert "tried 5 times" in page


def test_retry_one_is_a_post_behind_csrf(city: City) -> None:
    message = failed_without_gateway(city)
    before = snapshot(message)
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.manager)

    refused = client.post(reverse("notify:failed_retry", args=[message.pk]))
    asked = client.get(reverse("notify:failed_retry", args=[message.pk]))

    assert (refused.status_code, asked.status_code) == (403, 405)
    assert snapshot(message) == before


def test_an_outsider_can_retry_neither_one_nor_all(city: City, login: Any) -> None:
    message = failed_without_gateway(city)
    before = snapshot(message)

    other = login(city.manager_b)
    one = other.post(reverse("notify:failed_retry", args=[message.pk]))
    every = other.post(reverse("notify:failed_retry_all"))
    resident = login(city.resident).post(reverse("notify:failed_retry_all"))

    assert (one.status_code, every.status_code, resident.status_code) == (404, 302, 403)
    assert snapshot(message) == before


def test_retry_all_of_one_source_sends_those_again(city: City, login: Any) -> None:
    message = failed_without_gateway(city)

    response = login(city.manager).post(reverse("notify:failed_retry_all"), {"source": "outage:3"})

    message.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"].endswith("?source=outage%3A3")
    assert (message.state, message.failure) == (Message.State.PENDING, "")
