"""Huey tasks: thin wrappers over workorders.services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wudian.workorders import services


@db_periodic_task(crontab(minute="*"))
def check_clocks() -> dict[str, int]:
    """Deadline warnings, missed deadlines and their escalation, auto-closing: every minute."""
    return services.workorders_check_clocks()


@db_periodic_task(crontab(minute="17"))
def retry_clocks() -> int:
    """Deadlines the calendar could not give yet: hourly, as calendar updates are rare."""
    return services.workorders_retry_clocks()


@db_periodic_task(crontab(minute="*/10"))
def hand_back_lapsed() -> int:
    """Faults held by an electrician whose certificate lapsed go back to the customer manager:
    every ten minutes, as a certificate lapses at midnight."""
    return services.workorders_hand_back_lapsed()
