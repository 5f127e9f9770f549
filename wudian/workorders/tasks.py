"""Huey tasks: thin wrappers over workorders.services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wudian.workorders import services


@db_periodic_task(crontab(minute="*"))
def check_clocks() -> None:
    services.workorders_check_clocks()
