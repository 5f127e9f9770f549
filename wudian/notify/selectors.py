"""Reads of the notification engine, scoped to the caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from wudian.accounts.models import STAFF_ROLES, RoleCode, User
from wudian.core.privacy import mask_email, mask_phone
from wudian.grid.scope import (
    SERVING_ROLES,
    Purpose,
    assignments_in,
    compounds_for,
    residents_of,
    residents_served_by,
)
from wudian.grid.selectors import household_views_for
from wudian.notify.models import (
    CallTask,
    Channel,
    DevGatewayMessage,
    Failure,
    Message,
)


def delivery_stats(*, source: str) -> dict[str, Any]:
    """How far the messages of one source (e.g. "outage:12") got.

    `sent`: accepted by the channel (gateway or robot answered 2xx; in-app stored).
    `delivered`: known to have reached the person: pushed channels once accepted (no gateway
    sends receipts), in-app messages once read. `pending` includes messages being sent.
    """
    rows = (
        Message.objects.filter(source=source)
        .values("channel", "state", "household__building_id")
        .annotate(n=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False)))
    )
    stats: dict[str, Any] = {
        "total": 0,
        "pending": 0,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        # Not attempted: this server has no gateway for the channel (not a failure).
        "no_gateway": 0,
        "cancelled": 0,
        "by_channel": {},
        "by_building": {},
    }
    for row in rows:
        state, n = row["state"], row["n"]
        stats["total"] += n
        bucket = "pending" if state == Message.State.SENDING else state
        stats[bucket] = stats.get(bucket, 0) + n
        if state == Message.State.SENT:
            stats["delivered"] += row["read"] if row["channel"] == Channel.INAPP else n
        by_channel = stats["by_channel"].setdefault(row["channel"], {})
        by_channel[state] = by_channel.get(state, 0) + n
        building = row["household__building_id"]
        if building is not None:
            by_building = stats["by_building"].setdefault(building, {})
            by_building[state] = by_building.get(state, 0) + n
    return stats


# What happened to one household's messages of a source, best first: reached by at least
# one channel; still waiting on one; failed on every channel it had; none sent (cancelled).
REACHED, WAITING, FAILED, NOT_SENT = "reached", "waiting", "failed", "not_sent"
_HOUSEHOLD_OUTCOME: dict[str, str] = {
    Message.State.SENT: REACHED,
    Message.State.PENDING: WAITING,
    Message.State.SENDING: WAITING,
    Message.State.FAILED: FAILED,
    # Held until this server has a gateway for the channel: sent then, so still waiting.
    Message.State.UNCONFIGURED: WAITING,
    Message.State.CANCELLED: NOT_SENT,
}
_OUTCOME_ORDER = [REACHED, WAITING, FAILED, NOT_SENT]


def household_outcomes(*, source: str) -> dict[int, str]:
    """For each household the messages of a source were written for (by SMS to its phone or
    in the app to its members), the one outcome that counts for it (REACHED … NOT_SENT)."""
    best: dict[int, str] = {}
    for household_id, state in (
        Message.objects.filter(source=source, household__isnull=False)
        .values_list("household_id", "state")
        .distinct()
    ):
        outcome = _HOUSEHOLD_OUTCOME[state]
        known = best.get(household_id)
        if known is None or _OUTCOME_ORDER.index(outcome) < _OUTCOME_ORDER.index(known):
            best[household_id] = outcome
    return best


def failures_of(*, source: str) -> list[dict[str, Any]]:
    """The failed messages of a source by channel and reason: channel, its label, the reason
    in the active language, and how many."""
    labels = dict(Channel.choices)
    rows = (
        Message.objects.filter(source=source, state=Message.State.FAILED)
        .values("channel", "failure")
        .annotate(n=Count("pk"))
        .order_by("channel", "-n")
    )
    return [
        {
            "channel": row["channel"],
            "label": str(labels.get(row["channel"], row["channel"])),
            "reason": failure_text(Message(failure=row["failure"])),
            "count": row["n"],
        }
        for row in rows
    ]


def _own_inbox(user: User) -> QuerySet[Message]:
    return Message.objects.filter(user=user, channel=Channel.INAPP).exclude(
        state=Message.State.CANCELLED
    )


def _told_inbox(user: User, *, unread: bool = False) -> QuerySet[Message]:
    """The broadcasts the user has an entry of (unread: not yet read by them). One filter()
    call, so that both conditions are of the same entry."""
    entries = Q(entries__user=user) & (Q(entries__read_at__isnull=True) if unread else Q())
    return Message.objects.filter(entries).exclude(state=Message.State.CANCELLED)


def inbox_for(user: User) -> QuerySet[Message]:
    """The user's in-app messages, newest first: their own rows and the broadcasts they have
    an entry of (one UNION ALL, each side on its index), each with `seen_at`, when this user
    read it (a broadcast's `read_at` is no one's: read `seen_at`)."""
    own = _own_inbox(user).annotate(seen_at=F("read_at")).order_by()
    told = _told_inbox(user).annotate(seen_at=F("entries__read_at")).order_by()
    return own.union(told, all=True).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """The user's unread in-app messages and broadcast entries, in one query."""
    own = _own_inbox(user).filter(read_at__isnull=True).order_by().values("pk")
    told = _told_inbox(user, unread=True).order_by().values("pk")
    own_sql, own_params = own.query.sql_with_params()
    told_sql, told_params = told.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            # Both are the ORM's own SQL; values are parameters.
            f"SELECT (SELECT COUNT(*) FROM ({own_sql}) a) + (SELECT COUNT(*) FROM ({told_sql}) b)",  # noqa: S608
            [*own_params, *told_params],
        )
        (count,) = cursor.fetchone()
    return int(count)


def failed_visible_to(user: User) -> QuerySet[Message]:
    """Failed messages a customer manager or supervisor may see and retry: those of their
    compounds' households and circles (and, for superusers, the staff channels)."""
    if not user.is_authenticated or not user.is_active:
        return Message.objects.none()
    failed = Message.objects.filter(state=Message.State.FAILED)
    if user.is_superuser:
        return failed.order_by("-created_at", "-pk")
    if not user.has_role(RoleCode.CUSTOMER_MANAGER, RoleCode.SUPERVISOR):
        return Message.objects.none()
    compounds = compounds_for(user, Purpose.OVERSEE)
    serving = assignments_in(*SERVING_ROLES, compounds=compounds).values("user_id")
    return failed.filter(
        Q(household__building__compound__in=compounds.values("pk"))
        | Q(compound__in=compounds.values("pk"))
        | Q(user__in=residents_of(compounds).values("pk"))
        | Q(user__in=serving)
    ).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class FailedRow:
    """A failed message as one member of staff may see it: its recipient's contacts in full
    only for a household (or a resident of one) they serve."""

    message: Message
    recipient: str
    address: str
    # Why it failed, in the reader's language; where it came from ("outage", 12).
    reason: str = ""
    source_kind: str = ""
    source_id: int | None = None


def failure_text(message: Message) -> str:
    """Why a message failed, in the active language."""
    try:
        return str(Failure(message.failure).label)
    except ValueError:
        return str(Failure.REFUSED.label)


def source_parts(source: str) -> tuple[str, int | None]:
    """("outage", 12) for "outage:12"; ("", None) for a source that names no single thing."""
    kind, _sep, pk = source.partition(":")
    return (kind, int(pk)) if pk.isdigit() else ("", None)


def failed_rows(user: User, messages: Sequence[Message]) -> list[FailedRow]:
    """Rows for the failed-messages page (the messages with household__building__compound,
    compound and user loaded), in three queries whatever their number."""
    households = list({m.household.pk: m.household for m in messages if m.household}.values())
    views = {view.household.pk: view for view in household_views_for(user, households)}
    recipients = {m.user_id for m in messages if m.household is None and m.user_id is not None}
    staff = set(
        User.roles.through.objects.filter(
            user_id__in=recipients, role__code__in=STAFF_ROLES
        ).values_list("user_id", flat=True)
    )
    served = residents_served_by(user, recipients - staff)
    rows = []
    for message in messages:
        if message.household is not None:
            view = views[message.household.pk]
            recipient, masked = view.address, view.masked
        elif message.compound is not None:
            recipient, masked = message.compound.name, False
        elif message.user is not None:
            recipient = str(message.user)
            masked = message.user.pk not in staff and message.user.pk not in served
        else:
            recipient, masked = "", False
        kind, pk = source_parts(message.source)
        rows.append(
            FailedRow(
                message=message,
                recipient=recipient,
                address=_shown(message, masked),
                reason=failure_text(message),
                source_kind=kind,
                source_id=pk,
            )
        )
    return rows


def _shown(message: Message, masked: bool) -> str:
    if not masked:
        return message.address
    if message.channel == Channel.SMS:
        return mask_phone(message.address)
    if message.channel == Channel.EMAIL:
        return mask_email(message.address)
    return message.address


def may_see_failed(user: User) -> bool:
    return user.is_superuser or user.has_role(RoleCode.CUSTOMER_MANAGER, RoleCode.SUPERVISOR)


def call_tasks_of(user: User, *, done: bool | None = None) -> QuerySet[CallTask]:
    """The call tasks assigned to the user: open ones oldest first (the longest waiting is
    called first), done ones newest first; both when `done` is None."""
    tasks = CallTask.objects.filter(assignee=user).select_related("household__building__compound")
    if done is None:
        return tasks.order_by("state", "-created_at", "-pk")
    if done:
        return tasks.filter(state=CallTask.State.DONE).order_by("-done_at", "-pk")
    return tasks.filter(state=CallTask.State.OPEN).order_by("created_at", "pk")


def calls_of_source(source: str) -> QuerySet[CallTask]:
    """The calls made or to make about one source (e.g. "outage:12"), open first."""
    return (
        CallTask.objects.filter(source=source)
        .select_related("household__building__compound", "assignee", "done_by")
        .order_by("state", "household__building__name", "household__room", "pk")
    )


@dataclass(frozen=True)
class GatewayAddress:
    channel: str
    address: str
    count: int

    @property
    def label(self) -> str:
        return str(Channel(self.channel).label)


def dev_gateway_addresses() -> list[GatewayAddress]:
    """Each phone number, e-mail address and circle the development gateway received
    messages for, with how many, busiest first."""
    rows = (
        DevGatewayMessage.objects.values("channel", "address")
        .annotate(n=Count("pk"))
        .order_by("-n", "channel", "address")
    )
    return [GatewayAddress(row["channel"], row["address"], row["n"]) for row in rows]


def dev_gateway_messages(*, address: str = "") -> QuerySet[DevGatewayMessage]:
    found = DevGatewayMessage.objects.all()
    return found.filter(address=address) if address else found
