"""Periodic tasks of fieldwork: defects."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wudian.fieldwork.services.defects import defects_escalate, defects_warn


@db_periodic_task(crontab(minute="*/5"))
def escalate_overdue_defects() -> dict[str, int]:
    """Every 5 minutes: owners are warned as a deadline nears, and overdue open defects
    escalate (customer manager, then supervisors)."""
    return {"warned": defects_warn(), **defects_escalate()}
