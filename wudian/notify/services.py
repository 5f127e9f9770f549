"""What other apps call: publish an event's messages, cancel them, send failed ones again; a
user's inbox, preferences and call tasks.

Publishing writes the outbox rows in the caller's transaction (outbox.py) and queues them
after commit (tasks.py). notify decides nothing of the domain: the caller says whom an event
reaches, which phone calls to make and who makes them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from wudian.accounts.models import User
from wudian.notify import tasks
from wudian.notify.models import (
    CallTask,
    Channel,
    DevGatewayMessage,
    InboxEntry,
    Message,
    Preference,
)
from wudian.notify.outbox import (
    Audience,
    Broadcast,
    NotifyError,
    Recipients,
    Rendered,
    Row,
    default_quiet_hours,
    outbox_broadcast,
    outbox_write,
    outbox_write_each,
    quiet_hours_of,
    render,
    render_message,
)

__all__ = [
    "Audience",
    "Broadcast",
    "NotifyError",
    "Recipients",
    "Rendered",
    "call_task_done",
    "inbox_mark_read",
    "inbox_withdraw",
    "message_retry",
    "notify_backfill",
    "notify_broadcast",
    "notify_cancel",
    "notify_forget",
    "notify_publish",
    "notify_texts_each",
    "preference_of",
    "preference_update",
    "render",
    "render_message",
]


# The time of the past event being recorded, while a backfill is under way (notify_backfill).
_backfill_at: ContextVar[datetime.datetime | None] = ContextVar("notify_backfill_at", default=None)


@contextmanager
def notify_backfill(*, at: datetime.datetime) -> Iterator[None]:
    """Record the messages of an event of the past, such as the demo city's history or
    requests taken over from an older system: what is published inside the block is written
    at `at` as already delivered and read (in-app, SMS, e-mail, robots alike), its phone
    calls as made, and nothing is queued, so no gateway hears of it today and no inbox shows
    two-year-old news as unread. The domain's services run as usual inside the block, with
    their own `now=at`."""
    token = _backfill_at.set(at)
    try:
        yield
    finally:
        _backfill_at.reset(token)


def notify_publish(
    *,
    audience: Audience,
    template: str,
    context: dict[str, Any],
    event_key: str,
    urgent: bool = False,
    source: str = "",
    now: datetime.datetime | None = None,
    new_event: bool = False,
) -> int:
    """Write one outbox row per recipient × channel, and the audience's call tasks, in the
    caller's transaction and schedule their delivery after commit. Calling it again for one
    event writes nothing more. `new_event` says the caller created what event_key names in
    this very transaction, so nothing can have been written for it: the lookup for earlier
    rows is skipped and the new rows are queued by id. Inside notify_backfill the rows are
    written at its time, as delivered and read, and nothing is queued. Returns the number of
    rows written."""
    backfill_at = _backfill_at.get()
    now = backfill_at or now or timezone.now()
    written = outbox_write(
        audience=audience,
        template=template,
        context=context,
        event_key=event_key,
        urgent=urgent,
        source=source,
        now=now,
        new_event=new_event,
        backfill=backfill_at is not None,
    )
    if backfill_at is not None:
        return written.count
    due = written.due_ids(now) if new_event else None
    if due is None:
        transaction.on_commit(lambda: tasks.enqueue_due(event_key=event_key, urgent=urgent))
    elif due:
        transaction.on_commit(lambda: tasks.enqueue(due, urgent=urgent))
    return written.count


def notify_broadcast(
    *,
    broadcasts: Sequence[Broadcast],
    recipients: Recipients,
    template: str,
    urgent: bool = False,
    now: datetime.datetime | None = None,
) -> int:
    """In-app messages for many readers each (a post to every member of its circle), in the
    caller's transaction: one row per broadcast, and one entry per reader in each reader's
    inbox, with their own read state, written by one INSERT … SELECT over `recipients`.
    Nothing is sent or queued: the inbox is the outbox itself. Calling it again writes
    nothing more; inside notify_backfill the entries are written as read. Returns the rows
    and entries written."""
    backfill_at = _backfill_at.get()
    return outbox_broadcast(
        broadcasts,
        recipients=recipients,
        template=template,
        urgent=urgent,
        now=backfill_at or now or timezone.now(),
        backfill=backfill_at is not None,
    )


def notify_texts_each(
    *,
    texts: Sequence[tuple[User, dict[str, Any]]],
    template: str,
    event_key: str,
    source: str = "",
    now: datetime.datetime | None = None,
) -> int:
    """An SMS to each user's own phone saying something of its own (the values given with
    them: a digest of what they have not read), held until their quiet hours end; one event
    per user (`event_key:<user id>`), so calling again for the same key writes nothing more.
    Users without a phone are left out. Queued after commit; returns the rows handed over."""
    now = now or timezone.now()
    default = default_quiet_hours()
    preferences = {
        preference.user_id: preference
        for preference in Preference.objects.filter(user__in=[user.pk for user, _c in texts])
    }
    items = [
        (
            Row(
                Channel.SMS,
                user.phone,
                quiet_hours_of(preferences.get(user.pk), default),
                user_id=user.pk,
            ),
            context,
        )
        for user, context in texts
        if user.phone and user.is_active
    ]
    if not items:
        return 0
    written = outbox_write_each(
        items, template=template, event_key=event_key, source=source, now=now
    )
    transaction.on_commit(lambda: tasks.enqueue_due())
    return written


def notify_cancel(*, event_key: str) -> int:
    """Cancel the messages of an event that have not gone out yet (e.g. a notice withdrawn
    before quiet hours end). Returns how many were cancelled."""
    return Message.objects.filter(event_key=event_key, state=Message.State.PENDING).update(
        state=Message.State.CANCELLED
    )


FORGOTTEN = "******"


def notify_forget(*, event_key: str, keys: Iterable[str]) -> int:
    """Forget some values of an event's messages once nobody needs them any more (a one-time
    code, used or replaced): they read "******" from then on, and those not sent yet are
    cancelled rather than sent so. Returns how many messages changed."""
    names = list(keys)
    Message.objects.filter(event_key=event_key, state=Message.State.PENDING).update(
        state=Message.State.CANCELLED
    )
    changed = []
    for message in Message.objects.filter(event_key=event_key).only("pk", "context"):
        context = dict(message.context)
        if any(context.get(name) not in (None, FORGOTTEN) for name in names):
            context.update({name: FORGOTTEN for name in names if name in context})
            message.context = context
            changed.append(message)
    Message.objects.bulk_update(changed, ["context"])
    return len(changed)


def inbox_withdraw(*, event_key: str) -> int:
    """Take an event's messages out of the in-app inboxes (what they told was withdrawn, such
    as a hidden circle post): its rows, and a broadcast's entries with it. Returns how many
    inbox rows and entries went."""
    deleted, _counts = Message.objects.filter(event_key=event_key, channel=Channel.INAPP).delete()
    return deleted


def message_retry(*, messages: QuerySet[Message]) -> int:
    """Send failed messages (and those held for a missing gateway) again, from a fresh count
    of attempts."""
    again = (Message.State.FAILED, Message.State.UNCONFIGURED)
    ids = list(messages.filter(state__in=again).values_list("pk", flat=True))
    count = Message.objects.filter(pk__in=ids, state__in=again).update(
        state=Message.State.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
        failure="",
    )
    if ids:
        transaction.on_commit(lambda: tasks.enqueue(ids))
    return count


def inbox_mark_read(*, user: User, message_ids: Iterable[int] | None = None) -> int:
    """Mark the user's in-app messages read (all of them when no ids are given): their own
    rows, and their entries of broadcasts (the broadcast itself stays unread for others)."""
    now = timezone.now()
    unread = Message.objects.filter(user=user, channel=Channel.INAPP, read_at__isnull=True)
    entries = InboxEntry.objects.filter(user=user, read_at__isnull=True)
    if message_ids is not None:
        ids = list(message_ids)
        unread = unread.filter(pk__in=ids)
        entries = entries.filter(message_id__in=ids)
    return unread.update(read_at=now) + entries.update(read_at=now)


def preference_of(user: User) -> Preference:
    """The user's preference, or the defaults (not saved) when they have chosen none."""
    found = Preference.objects.filter(user=user).first()
    if found is not None:
        return found
    default = default_quiet_hours()
    return Preference(user=user, quiet_start_hour=default.start, quiet_end_hour=default.end)


def preference_update(
    *, user: User, sms: bool, email: bool, quiet_start_hour: int, quiet_end_hour: int
) -> Preference:
    for hour in (quiet_start_hour, quiet_end_hour):
        if not 0 <= hour <= 23:
            raise NotifyError("An hour is a number from 0 to 23.")
    preference, _created = Preference.objects.update_or_create(
        user=user,
        defaults={
            "sms": sms,
            "email": email,
            "quiet_start_hour": quiet_start_hour,
            "quiet_end_hour": quiet_end_hour,
        },
    )
    return preference


def call_task_done(*, task: CallTask, by: User, outcome: str, note: str = "") -> bool:
    """Close an open call task; False when it was already done (nothing changes)."""
    if outcome not in CallTask.Outcome.values:
        raise NotifyError("Choose how the call went.")
    return bool(
        CallTask.objects.filter(pk=task.pk, state=CallTask.State.OPEN).update(
            state=CallTask.State.DONE,
            outcome=outcome,
            note=note[:200],
            done_at=timezone.now(),
            done_by=by,
        )
    )


def dev_gateway_record(
    *, channel: str, address: str, title: str, body: str, idempotency_key: str = ""
) -> DevGatewayMessage:
    """Record what the development gateway received. A message sent again (the outbox
    delivers at least once) is kept once, counting how often it came."""
    if channel not in Channel.values or channel == Channel.INAPP:
        raise NotifyError("Unknown channel.")
    address, title = address.strip()[:254], title.strip()[:255]
    if not address:
        raise NotifyError("A message needs an address.")
    if idempotency_key:
        with transaction.atomic():
            updated = DevGatewayMessage.objects.filter(
                idempotency_key=idempotency_key[:255]
            ).update(times=F("times") + 1, received_at=timezone.now())
            if updated:
                return DevGatewayMessage.objects.get(idempotency_key=idempotency_key[:255])
    return DevGatewayMessage.objects.create(
        channel=channel,
        address=address,
        title=title,
        body=body,
        idempotency_key=idempotency_key[:255],
    )
