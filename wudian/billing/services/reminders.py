"""Friendly reminders (友情化催费): the walks of a new list, tell-then-visit for households close
to disconnection, and the outcomes staff record."""

from __future__ import annotations

from wudian.billing.models import ArrearsImport


def reminders_prepare(run: ArrearsImport) -> None:
    """Called inside the import's transaction once its lines are stored: builds the walks of
    the new list and tells the households close to disconnection through their channels."""
