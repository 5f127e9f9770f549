"""Writes of the notification engine: publishing to the outbox, delivering, retrying.

Every message is an outbox row written in the caller's transaction. Delivery is scheduled on
commit; the queue is only a hint, the periodic sweep (notify.tasks.sweep_outbox) finds every
due row again, so a lost task or a dead consumer delays a message but never loses it. A
consumer killed between sending and marking makes the sweep send that message again: at
least once, never zero times.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import apprise
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.template import Context, Template, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation

from wudian.accounts.models import User
from wudian.core.rules import rule_value
from wudian.grid.models import Compound, Household, HouseholdMembership
from wudian.grid.scope import compound_contacts
from wudian.notify.models import CallTask, Channel, CircleEndpoint, Message, Preference

logger = logging.getLogger(__name__)

INSERT_BATCH = 2000
MARK_BATCH = 25
MARK_SECONDS = 1.0
# Apprise schemes that post to an HTTP endpoint we choose; only these get our own
# payload fields and headers (a WeCom or DingTalk robot would reject them).
CUSTOM_HTTP_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Audience:
    """Whom one event reaches: users (in the app, and by SMS and e-mail as each prefers),
    households (an SMS to the household's phone, its members in the app) and compounds (their
    residents' circles)."""

    users: Sequence[User] | QuerySet[User] = ()
    households: Sequence[Household] | QuerySet[Household] = ()
    compounds: Sequence[Compound] | QuerySet[Compound] = ()


class NotifyError(ValueError):
    """A caller's mistake (unknown template, context that is not JSON)."""


# Quiet hours ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    start: int
    end: int

    def release_time(self, now: datetime.datetime) -> datetime.datetime | None:
        """When a non-urgent message written at `now` may go out, or None if it may go now."""
        if self.start == self.end:
            return None
        local = timezone.localtime(now)
        hour = local.hour
        if self.start < self.end:
            quiet = self.start <= hour < self.end
        else:
            quiet = hour >= self.start or hour < self.end
        if not quiet:
            return None
        release = local.replace(hour=self.end, minute=0, second=0, microsecond=0)
        if release <= local:
            release += datetime.timedelta(days=1)
        return release


def default_quiet_hours() -> QuietHours:
    return QuietHours(
        start=int(rule_value("notify.quiet_start_hour")) % 24,
        end=int(rule_value("notify.quiet_end_hour")) % 24,
    )


def quiet_hours_of(preference: Preference | None, default: QuietHours) -> QuietHours:
    if preference is None:
        return default
    return QuietHours(start=preference.quiet_start_hour, end=preference.quiet_end_hour)


# Publishing ----------------------------------------------------------------------------------


@dataclass
class _Row:
    channel: str
    address: str
    quiet: QuietHours
    user_id: int | None = None
    household_id: int | None = None
    compound_id: int | None = None


def staff_address(url: str) -> str:
    """The outbox address of a staff channel: a digest, so the URL's secret stays in settings."""
    return "staff:" + hashlib.sha256(url.encode()).hexdigest()[:16]


def _ids(items: Sequence[Any] | QuerySet[Any]) -> QuerySet[Any] | list[int]:
    if isinstance(items, QuerySet):
        return items.values("pk")
    return [item.pk for item in items]


def _template_for(name: str) -> Template:
    try:
        return get_template(f"notify/{name}.txt").template  # type: ignore[attr-defined]
    except TemplateDoesNotExist:
        raise NotifyError(f"Notification template notify/{name}.txt does not exist.") from None


def render_message(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(title, body) of a message, in Chinese: the first line is the title."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _template_for(template).render(Context(context, autoescape=False)).strip()
    title, _sep, body = text.partition("\n")
    return title.strip(), body.strip()


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
    """Write one outbox row per recipient × channel in the caller's transaction and schedule
    their delivery after commit. Calling it again for one event writes nothing more.
    `new_event` says the caller created what event_key names in this very transaction, so
    nothing can have been written for it: the lookup for earlier rows is skipped and the new
    rows are queued by id. Returns the number of rows written."""
    now = now or timezone.now()
    _template_for(template)
    try:
        context = json.loads(json.dumps(context))
    except (TypeError, ValueError) as error:
        raise NotifyError(f"The notification context must be JSON: {error}") from None
    default = default_quiet_hours()
    rows: dict[str, _Row] = {}

    def add(row: _Row) -> None:
        key = f"{event_key}:{row.channel}:{row.address}"
        known = rows.get(key)
        if known is None:
            rows[key] = row
        elif known.household_id is None and row.household_id is not None:
            known.household_id = row.household_id

    if isinstance(audience.users, QuerySet):
        # Filtered as it is rather than as a subquery: one flat query.
        users = audience.users.filter(is_active=True)
    else:
        users = User.objects.filter(pk__in=[user.pk for user in audience.users], is_active=True)
    for user in users.select_related("notify_preference"):
        _add_user_rows(add, user, default)

    household_ids: list[int] = []
    special: list[tuple[int, int]] = []
    if audience.households:
        for pk, phone, is_special, compound_id in Household.objects.filter(
            pk__in=_ids(audience.households)
        ).values_list("pk", "phone", "special_group", "building__compound_id"):
            household_ids.append(pk)
            if phone:
                add(_Row(Channel.SMS, phone, default, household_id=pk))
            if is_special:
                special.append((pk, compound_id))
        for user_id, home_id in HouseholdMembership.objects.filter(
            household_id__in=household_ids, user__is_active=True
        ).values_list("user_id", "household_id"):
            add(_Row(Channel.INAPP, str(user_id), default, user_id=user_id, household_id=home_id))

    if audience.compounds:
        for endpoint in CircleEndpoint.objects.filter(
            compound__in=_ids(audience.compounds), enabled=True
        ):
            add(
                _Row(
                    endpoint.kind,
                    f"endpoint:{endpoint.pk}",
                    default,
                    compound_id=endpoint.compound_id,
                )
            )

    messages = _write_rows(rows, template, context, event_key, urgent, source, now, new_event)
    written = len(messages)
    if special:
        written += _call_tasks(special, template, context, event_key, source, now, default)
    if new_event and all(m.pk is not None for m in messages):
        due = [
            m.pk for m in messages if m.state == Message.State.PENDING and m.next_attempt_at <= now
        ]
        if due:
            transaction.on_commit(lambda: _enqueue(due, urgent=urgent))
    else:
        transaction.on_commit(lambda: enqueue_due(event_key=event_key, urgent=urgent))
    return written


def _add_user_rows(add: Any, user: User, default: QuietHours) -> None:
    preference: Preference | None = getattr(user, "notify_preference", None)
    quiet = quiet_hours_of(preference, default)
    add(_Row(Channel.INAPP, str(user.pk), quiet, user_id=user.pk))
    if user.phone and (preference is None or preference.sms):
        add(_Row(Channel.SMS, user.phone, quiet, user_id=user.pk))
    if user.email and preference is not None and preference.email:
        add(_Row(Channel.EMAIL, user.email, quiet, user_id=user.pk))


def _write_rows(
    rows: dict[str, _Row],
    template: str,
    context: dict[str, Any],
    event_key: str,
    urgent: bool,
    source: str,
    now: datetime.datetime,
    new_event: bool = False,
) -> list[Message]:
    """The outbox rows written (on the bulk path with their ids when the key is new)."""
    existing = (
        set()
        if new_event
        else set(
            Message.objects.filter(event_key=event_key).values_list("idempotency_key", flat=True)
        )
    )
    messages = []
    for key, row in rows.items():
        if key in existing:
            continue
        inapp = row.channel == Channel.INAPP
        release = None if urgent or inapp else row.quiet.release_time(now)
        messages.append(
            Message(
                user_id=row.user_id,
                household_id=row.household_id,
                compound_id=row.compound_id,
                channel=row.channel,
                address=row.address,
                template=template,
                context=context,
                event_key=event_key,
                idempotency_key=key,
                # The in-app inbox is the outbox itself: stored is delivered.
                state=Message.State.SENT if inapp else Message.State.PENDING,
                sent_at=now if inapp else None,
                next_attempt_at=release or now,
                created_at=now,
                source=source,
                urgent=urgent,
            )
        )
    if connection.vendor == "postgresql" and len(messages) > COPY_THRESHOLD:
        _copy_messages(messages)
    else:
        _insert_messages(messages, new_event=new_event)
    return messages


COPY_THRESHOLD = 500
# The columns publish writes (claimed_at and read_at start empty).
MESSAGE_COLUMNS = [
    "user_id",
    "household_id",
    "compound_id",
    "channel",
    "address",
    "template",
    "context",
    "event_key",
    "idempotency_key",
    "state",
    "attempts",
    "next_attempt_at",
    "claim_token",
    "last_error",
    "created_at",
    "sent_at",
    "source",
    "urgent",
]


def _insert_messages(messages: list[Message], *, new_event: bool) -> None:
    """Rows in INSERT statements built here, COPY_THRESHOLD at a time. For the two or three
    rows of a request's step, Django's bulk_create took several times longer to prepare them
    than the database took to write them. A new event's keys cannot be taken: its rows are
    inserted plainly and get their ids back; otherwise keys written earlier are skipped."""
    by_column = {field.column: field for field in Message._meta.concrete_fields}
    fields = [by_column[column] for column in MESSAGE_COLUMNS]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Names are ours (the model's table and columns), never input.
    head = f"INSERT INTO {Message._meta.db_table} ({', '.join(MESSAGE_COLUMNS)}) VALUES "  # noqa: S608
    tail = (
        f" RETURNING {Message._meta.pk.column}"
        if new_event
        else " ON CONFLICT (idempotency_key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(messages), COPY_THRESHOLD):
            batch = messages[start : start + COPY_THRESHOLD]
            cursor.execute(
                head + ", ".join([row] * len(batch)) + tail,
                [
                    field.get_db_prep_save(getattr(message, field.attname), connection)
                    for message in batch
                    for field in fields
                ],
            )
            if new_event:
                for message, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                    message.pk = pk
                    message._state.adding = False


def _copy_messages(messages: list[Message]) -> None:
    """Many rows on PostgreSQL: COPY into a temporary table, then one INSERT that skips keys
    written meanwhile by a concurrent publish. Several times faster than bulk_create."""
    table = Message._meta.db_table
    temp = f"notify_in_{uuid.uuid4().hex[:12]}"
    columns = ", ".join(MESSAGE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            # Names are ours (constants and a random hex), never input.
            f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
        )
        raw = cursor.cursor
        with raw.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
            for m in messages:
                copy.write_row(
                    [
                        json.dumps(m.context) if column == "context" else getattr(m, column)
                        for column in MESSAGE_COLUMNS
                    ]
                )
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {temp} "  # noqa: S608
            "ON CONFLICT (idempotency_key) DO NOTHING"
        )
        cursor.execute(f"DROP TABLE {temp}")


def _call_tasks(
    special: list[tuple[int, int]],
    template: str,
    context: dict[str, Any],
    event_key: str,
    source: str,
    now: datetime.datetime,
    default: QuietHours,
) -> int:
    """Phone-call tasks for special-group households: the compound's certified electrician,
    or else its customer manager."""
    compounds = list(Compound.objects.filter(pk__in={compound for _h, compound in special}))
    contacts = compound_contacts(compounds, on=timezone.localdate(now))
    assignees: dict[int, int] = {}
    for compound in compounds:
        contact = contacts[compound.pk]
        certified = [e.user for e in contact.electricians if e.certified]
        person = certified[0] if certified else contact.manager
        if person is not None:
            assignees[compound.pk] = person.pk
        else:
            logger.warning("No electrician or customer manager to call for compound %s", compound)
    title, _body = render_message(template, context)
    tasks = [
        CallTask(
            assignee_id=assignees[compound_id],
            household_id=household_id,
            event_key=event_key,
            source=source,
            reason=title[:200],
            created_at=now,
        )
        for household_id, compound_id in special
        if compound_id in assignees
    ]
    CallTask.objects.bulk_create(tasks, batch_size=INSERT_BATCH, ignore_conflicts=True)
    reminders: dict[str, _Row] = {}
    for user_id in sorted(set(assignees.values())):
        row = _Row(Channel.INAPP, str(user_id), default, user_id=user_id)
        reminders[f"{event_key}:calls:{row.channel}:{row.address}"] = row
    call_context = {"reason": title, "count": len(tasks)}
    reminded = _write_rows(
        reminders, "call_tasks", call_context, f"{event_key}:calls", False, source, now
    )
    return len(reminded)


def notify_cancel(*, event_key: str) -> int:
    """Cancel the messages of an event that have not gone out yet (e.g. a notice withdrawn
    before quiet hours end). Returns how many were cancelled."""
    return Message.objects.filter(event_key=event_key, state=Message.State.PENDING).update(
        state=Message.State.CANCELLED
    )


def enqueue_due(*, event_key: str = "", urgent: bool = False, limit: int = 100_000) -> int:
    """Put the due pending messages (of one event, or all) on the task queue in batches.
    An unreachable queue is logged, not raised: the sweep will find the rows again."""
    due = Message.objects.filter(state=Message.State.PENDING, next_attempt_at__lte=timezone.now())
    if event_key:
        due = due.filter(event_key=event_key)
    due = due.order_by("-urgent", "next_attempt_at", "pk")
    return _enqueue(list(due.values_list("pk", flat=True)[:limit]), urgent=urgent)


def _enqueue(ids: list[int], *, urgent: bool) -> int:
    """Queue delivery of these messages in batches; returns the number of batches queued."""
    from wudian.notify import tasks

    size = max(1, settings.NOTIFY_BATCH_SIZE)
    enqueued = 0
    try:
        for start in range(0, len(ids), size):
            tasks.deliver_messages(ids[start : start + size], priority=10 if urgent else 0)
            enqueued += 1
    except Exception:
        logger.warning(
            "Could not queue %d notification batches; the sweep will send them",
            -(-len(ids) // size) - enqueued,
            exc_info=True,
        )
    return enqueued


# Delivery ------------------------------------------------------------------------------------


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
    """Retrying will not help (channel not configured, endpoint removed, bad template)."""


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
            raise PermanentError("No SMS gateway is configured (WUDIAN_SMS_GATEWAY_URL).")
        if "{phone}" in gateway:
            url = gateway.replace("{phone}", quote(message.address))
        else:
            url = gateway
            payload["to"] = message.address
    elif channel == Channel.EMAIL:
        if not settings.NOTIFY_EMAIL_URL:
            raise PermanentError("No e-mail server is configured (WUDIAN_EMAIL_URL).")
        url = _with_query(settings.NOTIFY_EMAIL_URL, {"to": message.address})
    elif message.address.startswith("staff:"):
        found = [u for u in settings.NOTIFY_URLS if staff_address(u) == message.address]
        if not found:
            raise PermanentError("This staff channel is no longer configured.")
        url = found[0]
    elif message.address.startswith("endpoint:"):
        endpoint = endpoints.get(int(message.address.removeprefix("endpoint:")))
        if endpoint is None or not endpoint.enabled:
            raise PermanentError("The circle endpoint was removed or disabled.")
        url = endpoint.url
    else:
        raise PermanentError(f"Unknown address {message.address!r} for channel {channel}.")
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
            raise PermanentError("The channel's Apprise URL is not valid.")
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
        raise PermanentError(str(error)) from None
    plugin = _plugin(target_for(message, endpoints))
    _captured.start()
    try:
        ok = plugin.notify(body=body or title, title=title)
    finally:
        reason = _captured.stop()
    if not ok:
        raise RuntimeError(reason or "The channel refused the message.")


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    failed_ids: list[int] = field(default_factory=list)
    last_error: str = ""


def outbox_deliver(
    *, ids: Iterable[int] | None = None, now: datetime.datetime | None = None, limit: int = 0
) -> DeliveryResult:
    """Claim, send and mark. Each message is marked as soon as it is sent, so a consumer
    killed mid-batch repeats at most the one message it was sending."""
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
        except Exception as error:
            permanent = isinstance(error, PermanentError)
            text = str(error) or error.__class__.__name__
            if permanent or message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                mine.update(state=Message.State.FAILED, last_error=text, claim_token="")
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
        _alert_staff(result.failed_ids)
    return result


def _alert_staff(failed_ids: list[int]) -> None:
    """Tell the staff channels that messages failed for good (never about their own alerts)."""
    if not settings.NOTIFY_URLS:
        return
    failed = Message.objects.filter(pk__in=failed_ids).exclude(source="notify")
    count = failed.count()
    if not count:
        return
    first = min(failed_ids)
    staff = {
        f"notify-failed:{first}:{Channel.WEBHOOK}:{staff_address(url)}": _Row(
            Channel.WEBHOOK, staff_address(url), QuietHours(0, 0)
        )
        for url in settings.NOTIFY_URLS
    }
    with transaction.atomic():
        _write_rows(
            staff,
            "delivery_failed",
            {"count": count},
            f"notify-failed:{first}",
            True,
            "notify",
            timezone.now(),
        )
        transaction.on_commit(lambda: enqueue_due(event_key=f"notify-failed:{first}"))


@dataclass
class SweepResult:
    reclaimed: int
    enqueued: int


def outbox_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Take back messages stuck in `sending` (their consumer died) and queue every due one."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT)
    reclaimed = Message.objects.filter(
        Q(claimed_at__lt=stale) | Q(claimed_at__isnull=True), state=Message.State.SENDING
    ).update(state=Message.State.PENDING, claim_token="")
    if reclaimed:
        logger.warning("Took back %d notifications from a consumer that stopped", reclaimed)
    return SweepResult(reclaimed=reclaimed, enqueued=enqueue_due())


# Staff and user actions ----------------------------------------------------------------------


def message_retry(*, messages: QuerySet[Message]) -> int:
    """Send failed messages again, from a fresh count of attempts."""
    ids = list(messages.filter(state=Message.State.FAILED).values_list("pk", flat=True))
    count = Message.objects.filter(pk__in=ids, state=Message.State.FAILED).update(
        state=Message.State.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    if ids:
        from wudian.notify import tasks

        transaction.on_commit(lambda: _schedule_quietly(tasks.deliver_messages, ids))
    return count


def _schedule_quietly(task: Any, ids: list[int]) -> None:
    try:
        task(ids)
    except Exception:
        logger.warning("Could not queue %d notifications; the sweep will send them", len(ids))


def inbox_mark_read(*, user: User, message_ids: Iterable[int] | None = None) -> int:
    """Mark the user's in-app messages read (all of them when no ids are given)."""
    unread = Message.objects.filter(user=user, channel=Channel.INAPP, read_at__isnull=True)
    if message_ids is not None:
        unread = unread.filter(pk__in=list(message_ids))
    return unread.update(read_at=timezone.now())


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
