"""Periodic tasks of fieldwork: patrols (thin wrappers over fieldwork.services.patrols)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wudian.fieldwork.services.patrols import patrol_plans_generate


@db_periodic_task(crontab(minute="23", hour="2"))
def plan_patrols() -> dict[str, int]:
    """The monthly joint patrols of every compound, planned the rule's months ahead: daily,
    so a new compound, a new year's calendar or a changed rule is planned the next night."""
    report = patrol_plans_generate()
    return {
        "created": report.total,
        "waiting_for_calendar": len(report.waiting),
    }
