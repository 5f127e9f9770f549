"""The development gateway: in debug mode SMS, e-mail and the circles' robots are sent by
Apprise over HTTP to this site, which records them and lists them per recipient; without
debug its routes answer 404 and record nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wudian.conftest import City
from wudian.notify.delivery import outbox_deliver
from wudian.notify.models import Channel, CircleEndpoint, DevGatewayMessage, Message
from wudian.notify.services import Audience, notify_publish

pytestmark = pytest.mark.django_db(transaction=True)


def test_messages_sent_through_apprise_are_listed_per_phone_number(
    city: City, live_server: Any, settings: Any, client: Client
) -> None:
    settings.DEBUG = True
    gateway = f"json://{live_server.url.removeprefix('http://')}/dev/gateway/"
    settings.NOTIFY_SMS_GATEWAY_URL = gateway + "sms/"
    settings.NOTIFY_EMAIL_URL = gateway + "email/"
    CircleEndpoint.objects.create(
        compound=city.north, kind="webhook", url=gateway + f"circle/{city.north.code.lower()}/"
    )

    notify_publish(
        audience=Audience(households=[city.north_home], compounds=[city.north]),
        template="message",
        context={"title": "计划停电", "body": "3月17日8:00-12:00停电。"},
        event_key="outage:7:published",
        urgent=True,
        source="outage:7",
        now=timezone.now(),
    )
    outbox_deliver()

    pushed = Message.objects.exclude(channel=Channel.INAPP)
    assert set(pushed.values_list("state", flat=True)) == {Message.State.SENT}
    phone = city.north_home.phone
    received = {(m.channel, m.address, m.title) for m in DevGatewayMessage.objects.all()}
    assert received == {
        (Channel.SMS, phone, "计划停电"),
        (Channel.WEBHOOK, f"circle/{city.north.code.lower()}", "计划停电"),
    }

    page = client.get("/dev/gateway/", {"address": phone})
    assert page.status_code == 200
    text = page.content.decode()
    assert "开发网关" in text
    assert phone in text
    assert "3月17日8:00-12:00停电。" in text


def test_a_message_sent_twice_is_recorded_once(client: Client, settings: Any) -> None:
    settings.DEBUG = True
    body = json.dumps({"title": "t", "message": "m", "to": "13900000000"})
    for _attempt in range(2):
        response = client.post(
            "/dev/gateway/sms/",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": "k1"},
        )
        assert response.status_code == 204
    assert list(DevGatewayMessage.objects.values_list("address", "times")) == [("13900000000", 2)]


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"title": "no address"})])
def test_unusable_posts_are_refused(client: Client, settings: Any, body: str) -> None:
    settings.DEBUG = True
    response = client.post("/dev/gateway/sms/", body, content_type="application/json")
    assert response.status_code == 400
    assert not DevGatewayMessage.objects.exists()


def test_without_debug_the_gateway_is_not_there(client: Client, settings: Any) -> None:
    settings.DEBUG = False
    body = json.dumps({"title": "t", "message": "m", "to": "13900000000"})
    assert (
        client.post("/dev/gateway/sms/", body, content_type="application/json").status_code == 404
    )
    assert client.get("/dev/gateway/").status_code == 404
    assert not DevGatewayMessage.objects.exists()


def test_only_sms_email_and_circles_are_received(client: Client, settings: Any) -> None:
    settings.DEBUG = True
    body = json.dumps({"title": "t", "message": "m", "to": "x"})
    for path in ("/dev/gateway/wecom/", "/dev/gateway/sms/abc/"):
        assert client.post(path, body, content_type="application/json").status_code == 404
    assert not DevGatewayMessage.objects.exists()
