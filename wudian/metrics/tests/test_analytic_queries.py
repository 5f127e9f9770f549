"""The sources' large aggregates run without JIT and with plans for their own values, on
PostgreSQL only and only while a source computes."""

from __future__ import annotations

import pytest
from django.db import connection

from wudian.metrics.sources import analytic_queries

pytestmark = pytest.mark.django_db(transaction=True)


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return str(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL settings")
def test_postgresql_settings_hold_inside_and_end_with_the_transaction() -> None:
    before = (_setting("jit"), _setting("plan_cache_mode"))
    with analytic_queries():
        assert _setting("jit") == "off"
        assert _setting("plan_cache_mode") == "force_custom_plan"
    assert (_setting("jit"), _setting("plan_cache_mode")) == before


def test_elsewhere_it_changes_nothing() -> None:
    with analytic_queries(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1
