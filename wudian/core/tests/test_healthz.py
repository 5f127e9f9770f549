from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_queue_and_gateways(client: Client, settings: Any) -> None:
    settings.NOTIFY_SMS_GATEWAY_URL = "json://127.0.0.1:9/sms"
    settings.NOTIFY_EMAIL_URL = "mailto://127.0.0.1"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "queue": "ok"},
        "gateways": {"sms": "configured", "email": "configured"},
    }


@pytest.mark.django_db
def test_a_missing_gateway_is_told_but_the_server_stays_healthy(
    client: Client, settings: Any
) -> None:
    settings.NOTIFY_SMS_GATEWAY_URL = ""
    settings.NOTIFY_EMAIL_URL = "mailto://127.0.0.1"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["gateways"] == {"sms": "not configured", "email": "configured"}


def test_a_missing_gateway_is_told_once_by_the_system_check(settings: Any, capsys: Any) -> None:
    settings.NOTIFY_SMS_GATEWAY_URL = ""
    settings.NOTIFY_EMAIL_URL = ""
    call_command("check", tags=["wudian"])
    err = capsys.readouterr().err
    assert err.count("wudian.W003") == 1
    assert "未配置 sms, email 的网关" in err
    assert "请设置 WUDIAN_SMS_GATEWAY_URL, WUDIAN_EMAIL_URL" in err
