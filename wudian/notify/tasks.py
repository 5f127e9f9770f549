"""Huey tasks: thin wrappers over notify.services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from wudian.notify import services


@db_task()
def deliver_messages(ids: list[int]) -> None:
    services.outbox_deliver(ids=ids)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    services.outbox_sweep()
