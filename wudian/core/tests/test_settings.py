"""Settings are read from WUDIAN_* variables; production refuses unsafe defaults."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client
from huey import RedisHuey

from wudian.core import health


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WUDIAN_", "PYTEST"))}
    clean.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WUDIAN_")}
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from wudian import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.HUEY['huey_class'])",
        ],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_serve_pages_without_a_secret(tmp_path: object) -> None:
    for entry in ("wudian.wsgi", "wudian.asgi"):
        result = run_python(f"import {entry}", WUDIAN_DEBUG="0", WUDIAN_DATA_DIR=str(tmp_path))
        assert result.returncode != 0
        assert "WUDIAN_SECRET_KEY must be set" in result.stderr


def test_settings_load_without_a_secret_for_commands_that_serve_no_pages(
    tmp_path: object,
) -> None:
    result = load_settings(WUDIAN_DEBUG="0", WUDIAN_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr


def test_serve_refuses_to_start_without_a_secret(tmp_path: object) -> None:
    result = run_python(
        "from django.core.management import execute_from_command_line as run; "
        "run(['wudian', 'serve', '--bind', '127.0.0.1:1'])",
        WUDIAN_DEBUG="0",
        WUDIAN_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="wudian.settings",
    )
    assert result.returncode == 1
    assert "WUDIAN_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_starts_with_a_secret(tmp_path: object) -> None:
    result = load_settings(WUDIAN_SECRET_KEY="x" * 50, WUDIAN_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "huey.SqliteHuey"]


def test_redis_and_postgres_are_chosen_from_the_environment(tmp_path: object) -> None:
    result = load_settings(
        WUDIAN_DEBUG="1",
        WUDIAN_DATA_DIR=str(tmp_path),
        WUDIAN_DATABASE_URL="postgres://u@db.example:5432/wudian",
        WUDIAN_REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "huey.PriorityRedisHuey"]


def test_a_malformed_boolean_is_refused(tmp_path: object) -> None:
    result = load_settings(WUDIAN_DEBUG="perhaps", WUDIAN_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "WUDIAN_DEBUG must be true or false" in result.stderr


@pytest.mark.django_db
def test_healthz_is_503_when_the_queue_is_unreachable(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real Redis client pointed at a port where nothing listens.
    monkeypatch.setattr(health, "HUEY", RedisHuey("unreachable", url="redis://127.0.0.1:1/0"))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["queue"].startswith("error: ConnectionError")
