"""Periodic tasks of billing."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from wudian.billing.services.reminders import reminders_tell_close


@db_periodic_task(crontab(minute="20", hour="1"))
@lock_task("billing-arrears-tell-close")
def tell_households_close_to_disconnection() -> int:
    """Every day at 09:20 China time (01:20 UTC): tell the households of the current arrears
    list that became close to disconnection since (once per line)."""
    return reminders_tell_close()
