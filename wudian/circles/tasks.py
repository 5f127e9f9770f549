"""Huey tasks of the circles: scheduled posts, and the members' daily SMS digest."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from wudian.circles.services import digest_send, posts_publish_due


@db_periodic_task(crontab(minute="*"))
@lock_task("circles-publish-due")
def publish_due_posts() -> int:
    """Every minute: the scheduled posts whose time has come."""
    return posts_publish_due()


@db_periodic_task(crontab(hour="11", minute="0"))
@lock_task("circles-digest")
def send_digests() -> int:
    """Once a day at 19:00 in China (11:00 UTC; Huey's crontab runs in UTC): the SMS
    digest of unread posts to the members who chose it. Quiet hours hold a message further
    where a member set them so."""
    return digest_send()
