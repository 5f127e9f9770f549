"""What django-auditlog is told not to write."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry

from wudian.grid.models import Household


def skip_plain_households(sender: Any, instance: Any, action: int, **kwargs: Any) -> bool | None:
    """A household created or deleted outside the special group says nothing about anyone's
    special-group status: only changes of the status, and rows that carry it, are kept."""
    if (
        sender is Household
        and action in (LogEntry.Action.CREATE, LogEntry.Action.DELETE)
        and not instance.special_group
    ):
        return False
    return None
