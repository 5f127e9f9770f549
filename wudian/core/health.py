"""Liveness checks used by /healthz."""

from __future__ import annotations

from django.db import connection
from huey.contrib.djhuey import HUEY


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_queue() -> None:
    """Reach the task queue's storage (SQLite file or Redis) with a harmless read."""
    HUEY.storage.queue_size()


CHECKS = {"database": check_database, "queue": check_queue}


def run_checks() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure of a dependency is a failed check
            results[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
        else:
            results[name] = "ok"
    return results
