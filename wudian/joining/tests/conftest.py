"""Helpers of the joining tests: the code a phone was sent (read back from the outbox, as the
SMS gateway would get it), and sending and checking codes through the pages."""

from __future__ import annotations

from typing import Any

from django.test import Client

from wudian.notify.models import Channel, Message


def code_sent_to(phone: str) -> str:
    """The code of the latest text message to the phone."""
    message = (
        Message.objects.filter(channel=Channel.SMS, address=phone, template="joining_code")
        .order_by("-pk")
        .first()
    )
    assert message is not None, f"no code was sent to {phone}"
    return str(message.context["code"])


def codes_sent_to(phone: str) -> int:
    return Message.objects.filter(
        channel=Channel.SMS, address=phone, template="joining_code"
    ).count()


def log_in_with_code(client: Client, phone: str) -> Any:
    """Send a code to the phone and enter it on the pages; the last page's response."""
    assert client.post("/join/", {"phone": phone}).status_code == 302
    return client.post("/join/code/", {"code": code_sent_to(phone)}, follow=True)
