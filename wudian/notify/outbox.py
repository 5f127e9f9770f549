"""Publishing: the outbox rows of one event, written in the caller's transaction.

One row per recipient × channel, rendered from a template, held until quiet hours end unless
urgent, keyed so that an event written twice gets no second row; and the phone calls the caller
resolved, each a CallTask with an in-app reminder to whoever makes it. Nothing here sends or
queues: delivery.py sends the rows, tasks.py puts them on the queue.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.template import Context, Template, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation

from wudian.accounts.models import User
from wudian.core.rules import rule_value
from wudian.grid.models import Compound, Household
from wudian.grid.scope import household_members
from wudian.notify.models import CallTask, Channel, CircleEndpoint, InboxEntry, Message, Preference

INSERT_BATCH = 2000
COPY_THRESHOLD = 500
# The columns publishing writes (claimed_at starts empty; read_at too, except in a backfill).
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
    "read_at",
    "source",
    "urgent",
]


@dataclass(frozen=True)
class Audience:
    """Whom one event reaches: users (in the app, and by SMS and e-mail as each prefers),
    households (an SMS to the household's phone, its members in the app), compounds (their
    residents' circles), and the phone calls to make: (household id, id of the user who calls
    it), as the caller resolved them, and `call_template`: what the caller is to tell, written
    for them (rendered from the event's values; the event's title when not given); `phones`:
    bare mobile numbers reached by SMS only, for someone who has no account yet (a one-time
    login code), whatever anyone's preferences say.

    `robots`: group robots named by the caller, as (endpoint id, compound id the row is filed
    under, or None) — a circle's mirrors. `inbox`: users reached in the app only, as a query
    (a circle's staff told of a resident's message): one INSERT … SELECT writes a row for
    each in the database, with no Python object per user, and nothing is sent by SMS or
    e-mail to them. For a message to very many readers (a post to a circle's members), see
    Broadcast: one row, and a narrow entry per reader."""

    users: Sequence[User] | QuerySet[User] = ()
    households: Sequence[Household] | QuerySet[Household] = ()
    compounds: Sequence[Compound] | QuerySet[Compound] = ()
    calls: Sequence[tuple[int, int]] = ()
    call_template: str = ""
    phones: Sequence[str] = ()
    robots: Sequence[tuple[int, int | None]] = ()
    inbox: QuerySet[User] | None = None


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


NEVER_QUIET = QuietHours(0, 0)


def default_quiet_hours() -> QuietHours:
    return QuietHours(
        start=int(rule_value("notify.quiet_start_hour")) % 24,
        end=int(rule_value("notify.quiet_end_hour")) % 24,
    )


def quiet_hours_of(preference: Preference | None, default: QuietHours) -> QuietHours:
    if preference is None:
        return default
    return QuietHours(start=preference.quiet_start_hour, end=preference.quiet_end_hour)


# Templates -----------------------------------------------------------------------------------


def _template_for(name: str) -> Template:
    try:
        return get_template(f"notify/{name}.txt").template  # type: ignore[attr-defined]
    except TemplateDoesNotExist:
        raise NotifyError(f"Notification template notify/{name}.txt does not exist.") from None


@dataclass(frozen=True)
class Rendered:
    """A message as one reader reads it: its title, its text, and the page it is about (a
    last line that is only a path on this site is the message's link, shown as a link)."""

    title: str
    body: str
    link: str = ""

    @property
    def text(self) -> str:
        """The body with its link, for channels that carry plain text (SMS, e-mail, robots)."""
        link = self.link
        if link.startswith("/"):
            link = settings.PUBLIC_URL + link
        return "\n".join(part for part in (self.body, link) if part)


def _is_link(line: str) -> bool:
    # Only a path on this site: a link never leads a reader elsewhere.
    return line.startswith("/") and not line.startswith("//") and " " not in line


def render(template: str, context: dict[str, Any], *, language: str | None = None) -> Rendered:
    """Render a stored message (its template and values) in a reader's language: the active
    language of the request for pages and the API, the recipient's for what is sent (zh-hans
    when not given). The first line is the title."""
    with translation.override(language or settings.LANGUAGE_CODE):
        text = _template_for(template).render(Context(context, autoescape=False)).strip()
    title, _sep, body = text.partition("\n")
    lines = body.strip().splitlines()
    link = ""
    if lines and _is_link(lines[-1].strip()):
        link = lines.pop().strip()
    return Rendered(title=title.strip(), body="\n".join(lines).strip(), link=link)


def render_message(
    template: str, context: dict[str, Any], *, language: str | None = None
) -> tuple[str, str]:
    """(title, text) of a message as a plain-text channel sends it (see render)."""
    rendered = render(template, context, language=language)
    return rendered.title, rendered.text


# Rows ----------------------------------------------------------------------------------------


@dataclass
class Row:
    """One recipient on one channel, before it is written."""

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


@dataclass
class Written:
    """What publishing one event wrote: its outbox rows (with their ids when the event was
    new and they were few enough to get them back), and the callers' in-app reminders."""

    messages: list[Message]
    reminders: int = 0
    # In-app rows written by INSERT … SELECT (Audience.inbox): delivered as written.
    selected: int = 0

    @property
    def count(self) -> int:
        return len(self.messages) + self.reminders + self.selected

    def due_ids(self, now: datetime.datetime) -> list[int] | None:
        """The ids of the rows to send now, or None when the rows did not get their ids."""
        if any(message.pk is None for message in self.messages):
            return None
        return [
            message.pk
            for message in self.messages
            if message.state == Message.State.PENDING and message.next_attempt_at <= now
        ]


def outbox_write(
    *,
    audience: Audience,
    template: str,
    context: dict[str, Any],
    event_key: str,
    urgent: bool,
    source: str,
    now: datetime.datetime,
    new_event: bool,
    backfill: bool = False,
) -> Written:
    """Write one outbox row per recipient × channel of the audience, and its calls. Writing
    an event again writes nothing more. `new_event` says nothing can have been written for
    the event yet, so earlier rows are not looked for. `backfill` records an event of the
    past (see services.notify_backfill): its rows are written as delivered and read at `now`,
    its calls as made, and nothing is left to send."""
    _template_for(template)
    if audience.calls and audience.call_template:
        _template_for(audience.call_template)
    try:
        context = json.loads(json.dumps(context))
    except (TypeError, ValueError) as error:
        raise NotifyError(f"The notification context must be JSON: {error}") from None
    default = default_quiet_hours()
    rows: dict[str, Row] = {}

    def add(row: Row) -> None:
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

    # A queryset of households stays a subquery (a city's list of households may hold more
    # ids than a query may take parameters); it is not evaluated to be tested.
    if isinstance(audience.households, QuerySet) or audience.households:
        households = Household.objects.filter(pk__in=_ids(audience.households))
        for pk, phone in households.values_list("pk", "phone"):
            if phone:
                add(Row(Channel.SMS, phone, default, household_id=pk))
        for user_id, home_id in household_members(households.values("pk")):
            add(Row(Channel.INAPP, str(user_id), default, user_id=user_id, household_id=home_id))

    for phone in audience.phones:
        phone = phone.strip()
        if phone:
            add(Row(Channel.SMS, phone, default))

    if audience.compounds:
        for endpoint in CircleEndpoint.objects.filter(
            compound__in=_ids(audience.compounds), enabled=True
        ):
            add(
                Row(
                    endpoint.kind,
                    f"endpoint:{endpoint.pk}",
                    default,
                    compound_id=endpoint.compound_id,
                )
            )

    if audience.robots:
        kinds = dict(
            CircleEndpoint.objects.filter(
                pk__in=[pk for pk, _compound in audience.robots], enabled=True
            ).values_list("pk", "kind")
        )
        for endpoint_id, compound_id in audience.robots:
            if endpoint_id in kinds:
                add(
                    Row(
                        kinds[endpoint_id],
                        f"endpoint:{endpoint_id}",
                        default,
                        compound_id=compound_id,
                    )
                )

    messages = write_rows(
        rows,
        template=template,
        context=context,
        event_key=event_key,
        urgent=urgent,
        source=source,
        now=now,
        new_event=new_event,
        backfill=backfill,
    )
    selected = 0
    if audience.inbox is not None:
        selected = _insert_inbox_select(
            audience.inbox,
            template=template,
            context=context,
            event_key=event_key,
            urgent=urgent,
            source=source,
            now=now,
            backfill=backfill,
        )
    reminders = 0
    if audience.calls:
        reminders = _write_calls(
            audience.calls,
            template=template,
            call_template=audience.call_template,
            context=context,
            event_key=event_key,
            source=source,
            now=now,
            backfill=backfill,
        )
    return Written(messages=messages, reminders=reminders, selected=selected)


def _insert_inbox_select(
    users: QuerySet[User],
    *,
    template: str,
    context: dict[str, Any],
    event_key: str,
    urgent: bool,
    source: str,
    now: datetime.datetime,
    backfill: bool,
) -> int:
    """One INSERT … SELECT of an in-app row for each active user of the query, skipping
    those written before (their idempotency key, as write_rows makes it), without a Python
    object per user. SQLite and PostgreSQL alike. Returns the rows written."""

    def field(name: str) -> Any:
        return Message._meta.get_field(name)

    subquery, sub_params = users.values("pk").query.get_compiler(connection=connection).as_sql()
    user_table = User._meta.db_table
    columns = [*MESSAGE_COLUMNS, "failure"]
    stamp = field("created_at").get_db_prep_save(now, connection)
    # Names are ours (the models' tables and columns), never input; values are parameters.
    sql = (
        f"INSERT INTO {Message._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        "SELECT u.id, NULL, NULL, %s, CAST(u.id AS VARCHAR(20)), %s, %s, %s, "
        "CAST(%s AS VARCHAR(255)) || CAST(u.id AS VARCHAR(20)), %s, 0, %s, '', '', %s, %s, "
        f"%s, %s, %s, '' FROM {user_table} u WHERE u.is_active AND u.id IN ({subquery}) "
        "ON CONFLICT (idempotency_key) DO NOTHING"
    )
    params = [
        Channel.INAPP.value,
        template,
        field("context").get_db_prep_save(context, connection),
        event_key,
        f"{event_key}:{Channel.INAPP.value}:",
        Message.State.SENT.value,
        stamp,
        stamp,
        stamp,
        stamp if backfill else None,
        source,
        urgent,
        *sub_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# Broadcasts ----------------------------------------------------------------------------------

# The address of a broadcast's one in-app row: its readers are its entries.
BROADCAST_ADDRESS = "broadcast"


@dataclass(frozen=True)
class Broadcast:
    """One in-app message for many readers (a circle post to the circle's members): written
    once, as a Message without a user, and put in each reader's inbox by an InboxEntry.
    `tag`: the caller's name for it among the recipients (a circle's id)."""

    tag: int
    event_key: str
    context: dict[str, Any]
    source: str = ""


@dataclass(frozen=True)
class Recipients:
    """Who reads which broadcast, as one SELECT the caller composed: rows of two columns named
    `user_id` and `tag` (a Broadcast's tag), with its parameters. A user may come twice
    (they are told once); inactive users are left out here."""

    sql: str
    params: Sequence[Any]


def outbox_broadcast(
    broadcasts: Sequence[Broadcast],
    *,
    recipients: Recipients,
    template: str,
    urgent: bool,
    now: datetime.datetime,
    backfill: bool = False,
) -> int:
    """Write each broadcast's in-app row (once: written again, nothing more) and the entries
    of all its readers in ONE INSERT … SELECT over the recipients, however many and however
    many broadcasts: a seasonal post to a city's 300 circles writes 300 rows and 1,200,000
    narrow entries (docs/benchmarks.md, "Circles"). In a backfill the entries are read at
    `now`. SQLite and PostgreSQL alike. Returns the rows and entries written."""
    _template_for(template)
    if not broadcasts:
        return 0
    messages = []
    for broadcast in broadcasts:
        try:
            context = json.loads(json.dumps(broadcast.context))
        except (TypeError, ValueError) as error:
            raise NotifyError(f"The notification context must be JSON: {error}") from None
        messages.append(
            Message(
                channel=Channel.INAPP,
                address=BROADCAST_ADDRESS,
                template=template,
                context=context,
                event_key=broadcast.event_key,
                idempotency_key=f"{broadcast.event_key}:{Channel.INAPP.value}:{BROADCAST_ADDRESS}",
                # Stored is delivered; each reader's read state is their entry's (a
                # backfill's broadcast is marked read too: nothing of the past is unread).
                state=Message.State.SENT,
                sent_at=now,
                read_at=now if backfill else None,
                next_attempt_at=now,
                created_at=now,
                source=broadcast.source,
                urgent=urgent,
            )
        )
    before = Message.objects.filter(
        idempotency_key__in=[message.idempotency_key for message in messages]
    ).count()
    _insert_rows(messages, new_event=False)
    ids = dict(
        Message.objects.filter(
            idempotency_key__in=[message.idempotency_key for message in messages]
        ).values_list("event_key", "pk")
    )
    written = len(ids) - before
    pairs = [(broadcast.tag, ids[broadcast.event_key]) for broadcast in broadcasts]
    entry = InboxEntry._meta
    read_at = entry.get_field("read_at").get_db_prep_save(now if backfill else None, connection)
    # Names are ours (the models' tables and columns), never input; values are parameters.
    values = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS BIGINT))"] * len(pairs))
    sql = (
        f"WITH b (tag, message_id) AS (VALUES {values}) "  # noqa: S608
        f"INSERT INTO {entry.db_table} (user_id, message_id, read_at) "
        f"SELECT r.user_id, b.message_id, %s FROM ({recipients.sql}) r "
        "JOIN b ON b.tag = r.tag "
        f"JOIN {User._meta.db_table} u ON u.id = r.user_id WHERE u.is_active "
        "ON CONFLICT (user_id, message_id) DO NOTHING"
    )
    params = [value for pair in pairs for value in pair]
    with connection.cursor() as cursor, _one_big_statement(cursor):
        cursor.execute(sql, [*params, read_at, *recipients.params])
        written += max(cursor.rowcount, 0)
    return written


# For the one statement of a broadcast, on PostgreSQL: its hash joins over a city's members
# in memory rather than in temporary files, and no JIT compilation (0.2 s of a query run
# once). About 0.5–1 s of 7 s for a city's seasonal post (docs/benchmarks.md, "Circles").
BIG_STATEMENT_SETTINGS = {"work_mem": "128MB", "jit": "off"}


@contextmanager
def _one_big_statement(cursor: Any) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    before = {}
    for name, value in BIG_STATEMENT_SETTINGS.items():
        cursor.execute("SELECT current_setting(%s)", [name])
        before[name] = cursor.fetchone()[0]
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    yield
    # (After an error the transaction is rolled back, and the settings with it.)
    for name, value in before.items():
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def outbox_write_each(
    items: Sequence[tuple[Row, dict[str, Any]]],
    *,
    template: str,
    event_key: str,
    source: str,
    now: datetime.datetime,
) -> int:
    """Rows that each say something of their own (a digest: each reader's unread posts), one
    event per reader (`event_key` + ":" + the user id), written by the same COPY and INSERT
    writers as an event's rows; a row written before (same event and address) is skipped.
    Returns the number of rows handed to the writers."""
    _template_for(template)
    messages = []
    for row, context in items:
        key = f"{event_key}:{row.user_id}"
        release = row.quiet.release_time(now)
        messages.append(
            Message(
                user_id=row.user_id,
                household_id=row.household_id,
                compound_id=row.compound_id,
                channel=row.channel,
                address=row.address,
                template=template,
                context=json.loads(json.dumps(context)),
                event_key=key,
                idempotency_key=f"{key}:{row.channel}:{row.address}",
                state=Message.State.PENDING,
                next_attempt_at=release or now,
                created_at=now,
                source=source,
            )
        )
    if connection.vendor == "postgresql" and len(messages) > COPY_THRESHOLD:
        _copy_rows(messages)
    else:
        _insert_rows(messages, new_event=False)
    return len(messages)


def _add_user_rows(add: Callable[[Row], None], user: User, default: QuietHours) -> None:
    preference: Preference | None = getattr(user, "notify_preference", None)
    quiet = quiet_hours_of(preference, default)
    add(Row(Channel.INAPP, str(user.pk), quiet, user_id=user.pk))
    if user.phone and (preference is None or preference.sms):
        add(Row(Channel.SMS, user.phone, quiet, user_id=user.pk))
    if user.email and preference is not None and preference.email:
        add(Row(Channel.EMAIL, user.email, quiet, user_id=user.pk))


def _write_calls(
    calls: Sequence[tuple[int, int]],
    *,
    template: str,
    call_template: str,
    context: dict[str, Any],
    event_key: str,
    source: str,
    now: datetime.datetime,
    backfill: bool = False,
) -> int:
    """One open CallTask per household and source: a later event of the same source updates
    the open task (what to tell, who calls) rather than adding one; a household already
    called (its task done) gets a new one. Each caller gets one in-app reminder. Returns the
    number of reminders written. In a backfill the calls of the past were made: the tasks
    are recorded done at `now` (outcome "other", since how each went is not known)."""
    title = render(call_template or template, context).title
    callers = dict(calls)
    open_tasks = (
        {
            task.household_id: task
            for task in CallTask.objects.filter(
                source=source, household_id__in=list(callers), state=CallTask.State.OPEN
            )
        }
        if source
        else {}
    )
    changed, new = [], []
    for household_id, caller_id in callers.items():
        task = open_tasks.get(household_id)
        if task is None:
            task = CallTask(household_id=household_id, source=source, created_at=now)
            new.append(task)
        elif task.event_key == event_key:
            continue
        else:
            changed.append(task)
        task.assignee_id = caller_id
        task.event_key = event_key
        task.reason = title[:200]
        task.template = call_template
        task.context = context
        task.updated_at = now
        if backfill:
            task.state = CallTask.State.DONE
            task.outcome = CallTask.Outcome.OTHER
            task.done_at = now
    CallTask.objects.bulk_update(
        changed,
        [
            "assignee",
            "event_key",
            "reason",
            "template",
            "context",
            "updated_at",
            *(["state", "outcome", "done_at"] if backfill else []),
        ],
        batch_size=INSERT_BATCH,
    )
    CallTask.objects.bulk_create(new, batch_size=INSERT_BATCH, ignore_conflicts=True)
    tasks = [*changed, *new]
    if not tasks:
        return 0
    reminders: dict[str, Row] = {}
    for caller_id in sorted({task.assignee_id for task in tasks}):
        row = Row(Channel.INAPP, str(caller_id), NEVER_QUIET, user_id=caller_id)
        reminders[f"{event_key}:calls:{row.channel}:{row.address}"] = row
    reminded = write_rows(
        reminders,
        template="call_tasks",
        context={"reason": title, "count": len(tasks)},
        event_key=f"{event_key}:calls",
        urgent=False,
        source=source,
        now=now,
        backfill=backfill,
    )
    return len(reminded)


def write_rows(
    rows: dict[str, Row],
    *,
    template: str,
    context: dict[str, Any],
    event_key: str,
    urgent: bool,
    source: str,
    now: datetime.datetime,
    new_event: bool = False,
    backfill: bool = False,
) -> list[Message]:
    """Write the rows (keyed by idempotency key) not written before; returns them, with their
    ids when the event is new and they went through _insert_rows. In a backfill every row is
    recorded as sent and read at `now`: an event of the past is not sent again today."""
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
        delivered = inapp or backfill
        release = None if urgent or delivered else row.quiet.release_time(now)
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
                state=Message.State.SENT if delivered else Message.State.PENDING,
                sent_at=now if delivered else None,
                read_at=now if backfill else None,
                next_attempt_at=release or now,
                created_at=now,
                source=source,
                urgent=urgent,
            )
        )
    if connection.vendor == "postgresql" and len(messages) > COPY_THRESHOLD:
        _copy_rows(messages)
    else:
        _insert_rows(messages, new_event=new_event)
    return messages


def _insert_rows(messages: list[Message], *, new_event: bool) -> None:
    """INSERT statements built from the model's columns, because bulk_create costs more CPU
    than the database does for a step's few rows (docs/benchmarks.md, "Resident requests").

    A new event's keys cannot be taken: its rows are inserted plainly and get their ids back;
    otherwise rows whose key was written meanwhile are skipped."""
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


def _copy_rows(messages: list[Message]) -> None:
    """COPY through a temporary table, then one INSERT … ON CONFLICT DO NOTHING: bulk_create
    cannot write an outage's tens of thousands of rows within the target (docs/benchmarks.md,
    "Notification delivery"). PostgreSQL only."""
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
