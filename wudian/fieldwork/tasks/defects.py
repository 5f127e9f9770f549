"""Periodic tasks of fieldwork: defects."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wudian.fieldwork.services.defects import defects_escalate


@db_periodic_task(crontab(minute="*/5"))
def escalate_overdue_defects() -> dict[str, int]:
    """Overdue open defects escalate (customer manager, then supervisors): every 5 minutes."""
    return defects_escalate()
