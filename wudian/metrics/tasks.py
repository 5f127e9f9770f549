"""Huey tasks of the service dashboard."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from wudian.metrics.warming import dashboards_warm


@db_periodic_task(crontab(minute="*/5"))
@lock_task("metrics-warm-dashboards")
def warm_dashboards() -> int:
    """Every five minutes; a run still going when the next is due lets it pass."""
    return dashboards_warm()
