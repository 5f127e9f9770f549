"""Periodic tasks of fieldwork: training. The certificate reminders, once a day (safe to run
twice: each step of each certificate is claimed by its reminder row)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from wudian.fieldwork.services.training import certificates_remind_due


@db_periodic_task(crontab(minute="10", hour="1"))
@lock_task("fieldwork-certificate-reminders")
def remind_certificates() -> int:
    """Every day at 09:10 China time (01:10 UTC): tell electricians, their property offices
    and, on the expiry day, the compounds' customer managers, of certificates running out."""
    return certificates_remind_due()
