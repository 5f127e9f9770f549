"""Huey tasks of power knowledge: scheduled articles and seasonal reminders published when
their time comes. Both are safe to run twice (conditional updates; one publication of a
reminder a year)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from wudian.knowledge.services import (
    articles_announce_missed,
    articles_publish_due,
    reminders_publish_due,
)


@db_periodic_task(crontab(minute="*"))
@lock_task("knowledge-publish-due")
def publish_due() -> int:
    """Every minute: the scheduled articles whose time has come, and the seasonal reminders
    whose date has (a reminder is published within its window, so a day the task did not run
    loses nothing); and posts again to their circles what failed to be posted."""
    articles = articles_publish_due()
    reminders = reminders_publish_due()
    missed = articles_announce_missed()
    return len(articles) + len(reminders) + missed
