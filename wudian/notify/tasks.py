"""Huey tasks, and the helpers that put delivery on the queue.

The queue is only a hint: the periodic sweep finds every due outbox row again, so a lost task,
an unreachable queue or a dead consumer delays a message but never loses it.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from wudian.notify.delivery import outbox_deliver, outbox_reclaim, outbox_release_waiting
from wudian.notify.models import Message

logger = logging.getLogger(__name__)


@db_task()
def deliver_messages(ids: list[int]) -> None:
    result = outbox_deliver(ids=ids)
    if result.alert_event_key:
        enqueue_due(event_key=result.alert_event_key)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    outbox_sweep()


def enqueue(ids: list[int], *, urgent: bool = False) -> int:
    """Queue delivery of these messages in batches; returns the number of batches queued.
    An unreachable queue is logged, not raised: the sweep will find the rows again."""
    size = max(1, settings.NOTIFY_BATCH_SIZE)
    enqueued = 0
    try:
        for start in range(0, len(ids), size):
            deliver_messages(ids[start : start + size], priority=10 if urgent else 0)
            enqueued += 1
    except Exception:
        logger.warning(
            "Could not queue %d notification batches; the sweep will send them",
            -(-len(ids) // size) - enqueued,
            exc_info=True,
        )
    return enqueued


def enqueue_due(*, event_key: str = "", urgent: bool = False, limit: int = 100_000) -> int:
    """Queue the due pending messages (of one event, or all), most urgent first."""
    due = Message.objects.filter(state=Message.State.PENDING, next_attempt_at__lte=timezone.now())
    if event_key:
        due = due.filter(event_key=event_key)
    due = due.order_by("-urgent", "next_attempt_at", "pk")
    return enqueue(list(due.values_list("pk", flat=True)[:limit]), urgent=urgent)


@dataclass
class SweepResult:
    reclaimed: int
    enqueued: int


def outbox_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Take back messages stuck in `sending` (their consumer died), put back in line those that
    waited for a gateway now configured, and queue every due one."""
    reclaimed = outbox_reclaim(now=now)
    outbox_release_waiting(now=now)
    return SweepResult(reclaimed=reclaimed, enqueued=enqueue_due())
