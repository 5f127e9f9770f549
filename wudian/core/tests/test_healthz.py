from __future__ import annotations

import pytest
from django.test import Client

from wudian.core import health


@pytest.mark.django_db
def test_healthz_reports_database_and_queue(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}


@pytest.mark.django_db
def test_healthz_is_503_when_a_check_fails(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ConnectionError("queue storage unreachable")

    monkeypatch.setitem(health.CHECKS, "queue", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert "unreachable" in body["checks"]["queue"]
