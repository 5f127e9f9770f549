"""Liveness checks used by /healthz, and the gateways this server cannot deliver through."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import connection
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY

# The channels for people and the settings that give their gateways (Apprise URLs).
GATEWAYS = {"sms": "NOTIFY_SMS_GATEWAY_URL", "email": "NOTIFY_EMAIL_URL"}
GATEWAY_VARIABLES = {"sms": "WUDIAN_SMS_GATEWAY_URL", "email": "WUDIAN_EMAIL_URL"}


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


def gateways_missing() -> list[str]:
    """The channels (sms, email) that have no gateway on this server. Their messages wait in
    the outbox as "no gateway" instead of failing one by one."""
    return [channel for channel, name in GATEWAYS.items() if not getattr(settings, name)]


def gateway_states() -> dict[str, str]:
    """For /healthz: each gateway "configured" or "not configured". A missing gateway does
    not make the server unhealthy (the web and the other channels work), so it is told here
    and not by the status code."""
    missing = gateways_missing()
    return {
        channel: "not configured" if channel in missing else "configured" for channel in GATEWAYS
    }


@checks.register("wudian")
def check_gateways(**kwargs: object) -> list[checks.CheckMessage]:
    """Told once when a command starts (`wudian serve`, `migrate`, `check`), not once per
    message. In debug mode the development gateway stands in, so nothing is missing there."""
    missing = gateways_missing()
    if not missing:
        return []
    return [
        checks.Warning(
            _(
                "No gateway is configured for %(channels)s: those messages are not sent and "
                "wait in the outbox as “no gateway”."
            )
            % {"channels": ", ".join(missing)},
            hint=_("Set %(variables)s (Apprise URLs): the waiting messages are then sent.")
            % {"variables": ", ".join(GATEWAY_VARIABLES[channel] for channel in missing)},
            id="wudian.W003",
        )
    ]
