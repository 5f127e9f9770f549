"""Delivery: claim due outbox rows, send each through Apprise, mark it; retry with growing
delays, fail for good after the last attempt; take back the rows of a consumer that stopped.

A consumer killed between sending and marking leaves its rows in `sending`; the sweep takes
them back and they are sent again: at least once, never zero times. Nothing here queues work:
the task that called delivery queues the staff alert it wrote (tasks.py).
"""

from __future__ import annotations

import copy
import datetime
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import apprise
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from wudian.notify.models import Channel, CircleEndpoint, Failure, Message
from wudian.notify.outbox import (
    NEVER_QUIET,
    NotifyError,
    Row,
    render_message,
    staff_address,
    write_rows,
)

logger = logging.getLogger(__name__)

MARK_BATCH = 25
MARK_SECONDS = 1.0
# Apprise schemes that post to an HTTP endpoint we choose; only these get our own
# payload fields and headers (a WeCom or DingTalk robot would reject them).
CUSTOM_HTTP_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


def outbox_claim(
    *, ids: Iterable[int] | None = None, now: datetime.datetime | None = None, limit: int = 0
) -> list[Message]:
    """Take due pending messages for this consumer. A conditional update with a fresh token:
    of two consumers claiming one row, exactly one gets it, on SQLite and PostgreSQL alike."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    due = Message.objects.filter(state=Message.State.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    if limit:
        chosen = list(due.order_by("-urgent", "next_attempt_at", "pk")[:limit].values_list("pk"))
        due = due.filter(pk__in=[pk for (pk,) in chosen])
    due.update(
        state=Message.State.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1
    )
    return list(Message.objects.filter(claim_token=token, state=Message.State.SENDING))


def outbox_reclaim(*, now: datetime.datetime | None = None) -> int:
    """Take back the messages stuck in `sending` (their consumer died); returns how many."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT)
    reclaimed = Message.objects.filter(
        Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True), state=Message.State.SENDING
    ).update(state=Message.State.PENDING, claim_token="")
    if reclaimed:
        logger.warning("Took back %d notifications from a consumer that stopped", reclaimed)
    return reclaimed


def outbox_release_waiting(*, now: datetime.datetime | None = None) -> int:
    """Put the messages that waited for a gateway back in line once their channel has one
    (the administrator set WUDIAN_SMS_GATEWAY_URL and restarted); returns how many."""
    ready = [
        channel
        for channel, url in (
            (Channel.SMS, settings.NOTIFY_SMS_GATEWAY_URL),
            (Channel.EMAIL, settings.NOTIFY_EMAIL_URL),
        )
        if url
    ]
    if not ready:
        return 0
    return Message.objects.filter(state=Message.State.UNCONFIGURED, channel__in=ready).update(
        state=Message.State.PENDING, attempts=0, next_attempt_at=now or timezone.now()
    )


# Sending -------------------------------------------------------------------------------------


class _CapturedLog(logging.Handler):
    """Keeps Apprise's warnings per thread, so a failed send records why it failed."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(self.local, "lines", None)
        if lines is not None:
            lines.append(record.getMessage())

    def start(self) -> None:
        self.local.lines = []

    def stop(self) -> str:
        lines: list[str] = getattr(self.local, "lines", None) or []
        self.local.lines = None
        return "\n".join(lines)[-1000:]


_captured = _CapturedLog()
logging.getLogger("apprise").addHandler(_captured)


class PermanentError(Exception):
    """Retrying will not help (channel not configured, endpoint removed, bad template).
    `failure` says why in a code staff read in their language; `tried` whether a send was
    attempted at all (a channel that is not set up never was: no attempt is counted)."""

    def __init__(self, text: str, failure: str, *, tried: bool = False) -> None:
        super().__init__(text)
        self.failure = failure
        self.tried = tried


class GatewayMissing(Exception):
    """This server has no gateway for the channel (no SMS gateway, no mail server). Not the
    message's failure: it is marked `no_gateway` and waits until the channel has one
    (`outbox_release_waiting`); the gap is told once, by the system check at start-up and on
    /healthz (core.health), not once per message."""


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(extra.items())
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


@dataclass(frozen=True)
class Target:
    """Where a message goes: an Apprise URL, plus, for our own HTTP endpoints (json://,
    form://, xml://), payload fields and headers that differ per message."""

    url: str
    payload: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def target_for(message: Message, endpoints: dict[int, CircleEndpoint]) -> Target:
    channel = message.channel
    payload: dict[str, str] = {}
    if channel == Channel.SMS:
        gateway = settings.NOTIFY_SMS_GATEWAY_URL
        if not gateway:
            raise GatewayMissing(Channel.SMS)
        if "{phone}" in gateway:
            url = gateway.replace("{phone}", quote(message.address))
        else:
            url = gateway
            payload["to"] = message.address
    elif channel == Channel.EMAIL:
        if not settings.NOTIFY_EMAIL_URL:
            raise GatewayMissing(Channel.EMAIL)
        url = settings.NOTIFY_EMAIL_URL
        if urlsplit(url).scheme.lower() in CUSTOM_HTTP_SCHEMES:
            payload["to"] = message.address
        else:
            url = _with_query(url, {"to": message.address})
    elif message.address.startswith("staff:"):
        found = [u for u in settings.NOTIFY_URLS if staff_address(u) == message.address]
        if not found:
            raise PermanentError(
                "This staff channel is no longer configured.", Failure.STAFF_CHANNEL_GONE
            )
        url = found[0]
    elif message.address.startswith("endpoint:"):
        endpoint = endpoints.get(int(message.address.removeprefix("endpoint:")))
        if endpoint is None or not endpoint.enabled:
            raise PermanentError(
                "The circle endpoint was removed or disabled.", Failure.ENDPOINT_GONE
            )
        url = endpoint.url
    else:
        raise PermanentError(
            f"Unknown address {message.address!r} for channel {channel}.", Failure.BAD_ADDRESS
        )
    if urlsplit(url).scheme.lower() in CUSTOM_HTTP_SCHEMES:
        return Target(url, payload, {IDEMPOTENCY_HEADER: message.idempotency_key})
    return Target(url)


_plugins = threading.local()
PLUGIN_CACHE_SIZE = 256


def _plugin(target: Target) -> Any:
    """An Apprise plugin for the target. Parsing a URL costs about a millisecond, as much as
    the send itself, so each consumer thread keeps the plugins it made."""
    cache: dict[str, Any] | None = getattr(_plugins, "cache", None)
    if cache is None:
        cache = _plugins.cache = {}
    base: Any = cache.get(target.url)
    if base is None:
        base = apprise.Apprise.instantiate(target.url)
        if base is None:
            raise PermanentError("The channel's Apprise URL is not valid.", Failure.BAD_ADDRESS)
        if len(cache) >= PLUGIN_CACHE_SIZE:
            cache.clear()
        cache[target.url] = base
    if not (target.payload or target.headers):
        return base
    plugin = copy.copy(base)
    plugin.payload_extras = {**base.payload_extras, **target.payload}
    plugin.headers = {**base.headers, **target.headers}
    return plugin


def send_one(message: Message, endpoints: dict[int, CircleEndpoint]) -> None:
    """Send through Apprise; raises on failure."""
    if message.channel == Channel.INAPP:
        return
    try:
        title, body = render_message(message.template, message.context)
    except NotifyError as error:
        raise PermanentError(str(error), Failure.BAD_TEMPLATE) from None
    plugin = _plugin(target_for(message, endpoints))
    _captured.start()
    try:
        ok = plugin.notify(body=body or title, title=title)
    finally:
        reason = _captured.stop()
    if not ok:
        raise RuntimeError(reason or "The channel refused the message.")


# Claim, send, mark ---------------------------------------------------------------------------


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    no_gateway: int = 0
    failed_ids: list[int] = field(default_factory=list)
    last_error: str = ""
    # The event of the staff alert written about the failures, for the caller to queue.
    alert_event_key: str = ""


def outbox_deliver(
    *, ids: Iterable[int] | None = None, now: datetime.datetime | None = None, limit: int = 0
) -> DeliveryResult:
    """Claim, send and mark. Each message is marked as soon as it is sent, so a consumer
    killed mid-batch repeats at most the one message it was sending. Messages that failed for
    good are told to the staff channels in an alert written to the outbox (not queued)."""
    result = DeliveryResult()
    messages = outbox_claim(ids=ids, now=now, limit=limit)
    if not messages:
        return result
    endpoint_ids = {
        int(m.address.removeprefix("endpoint:"))
        for m in messages
        if m.address.startswith("endpoint:")
    }
    endpoints = CircleEndpoint.objects.in_bulk(endpoint_ids) if endpoint_ids else {}
    token = messages[0].claim_token
    sent: list[int] = []
    flushed = time.monotonic()

    def flush() -> None:
        # Marking a few at a time saves a round trip per message; a consumer killed before
        # the flush repeats those few, which the outbox allows (at least once).
        nonlocal flushed
        if sent:
            Message.objects.filter(
                pk__in=sent, state=Message.State.SENDING, claim_token=token
            ).update(
                state=Message.State.SENT, sent_at=timezone.now(), last_error="", claim_token=""
            )
            result.sent += len(sent)
            sent.clear()
        flushed = time.monotonic()

    for message in messages:
        if len(sent) >= MARK_BATCH or time.monotonic() - flushed > MARK_SECONDS:
            flush()
        mine = Message.objects.filter(
            pk=message.pk, state=Message.State.SENDING, claim_token=message.claim_token
        )
        try:
            send_one(message, endpoints)
        except GatewayMissing:
            # Not an attempt either: nothing was sent.
            mine.update(
                state=Message.State.UNCONFIGURED,
                last_error="",
                claim_token="",
                attempts=F("attempts") - 1,
            )
            result.no_gateway += 1
            continue
        except Exception as error:
            permanent = isinstance(error, PermanentError)
            text = str(error) or error.__class__.__name__
            if permanent or message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                failure = error.failure if isinstance(error, PermanentError) else Failure.REFUSED
                untried = isinstance(error, PermanentError) and not error.tried
                mine.update(
                    state=Message.State.FAILED,
                    last_error=text,
                    failure=failure,
                    claim_token="",
                    # The claim counted an attempt; nothing was sent when a channel is not
                    # set up, so the count stays what it was before.
                    attempts=F("attempts") - 1 if untried else F("attempts"),
                )
                result.failed += 1
                result.failed_ids.append(message.pk)
                logger.info("Notification %s failed for good: %s", message.pk, text)
                result.last_error = text
            else:
                delay = settings.NOTIFY_RETRY_SECONDS * 2 ** (message.attempts - 1)
                mine.update(
                    state=Message.State.PENDING,
                    last_error=text,
                    claim_token="",
                    next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
                )
                result.retrying += 1
            continue
        sent.append(message.pk)
    flush()
    if result.failed_ids:
        # One line per batch: a missing gateway fails thousands of messages at once.
        logger.warning(
            "%d notifications failed for good (last error: %s)",
            len(result.failed_ids),
            result.last_error,
        )
        result.alert_event_key = _alert_staff(result.failed_ids)
    return result


def _alert_staff(failed_ids: list[int]) -> str:
    """Write an alert to the staff channels that messages failed for good (never about their
    own alerts); returns its event key, or "" when nothing was written."""
    if not settings.NOTIFY_URLS:
        return ""
    failed = Message.objects.filter(pk__in=failed_ids).exclude(source="notify")
    count = failed.count()
    if not count:
        return ""
    event_key = f"notify-failed:{min(failed_ids)}"
    staff = {
        f"{event_key}:{Channel.WEBHOOK}:{staff_address(url)}": Row(
            Channel.WEBHOOK, staff_address(url), NEVER_QUIET
        )
        for url in settings.NOTIFY_URLS
    }
    write_rows(
        staff,
        template="delivery_failed",
        context={"count": count},
        event_key=event_key,
        urgent=True,
        source="notify",
        now=timezone.now(),
    )
    return event_key
