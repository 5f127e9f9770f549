"""Logs keep paths, never the values of query parameters that may carry personal data."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from wudian.core.logs import RedactQueryStrings, redact_query, redact_text, redact_url
from wudian.core.management.commands import serve

ACCOUNT = "3400000001"


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        (f"/?q={ACCOUNT}", "/?q=***"),
        ("/?q=%E5%8C%97%E8%8B%91", "/?q=***"),
        ("/open311/v2/requests.json?api_key=secret&service_code=fault", None),
        (
            f"/api/v1/households?page=2&account_no={ACCOUNT}",
            "/api/v1/households?page=2&account_no=***",
        ),
        (
            "/desk/requests/?status=open&compound=NORTH",
            "/desk/requests/?status=open&compound=NORTH",
        ),
        (f"/c/{ACCOUNT}/", "/c/***/"),
        ("/feeds/outages/NORTH.ics", "/feeds/outages/NORTH.ics"),
    ],
)
def test_redact_url(url: str, logged: str | None) -> None:
    assert redact_url(url) == (logged or "/open311/v2/requests.json?api_key=***&service_code=fault")


def test_a_parameter_nobody_listed_is_redacted() -> None:
    assert redact_query("phone=13800000001&page=3") == "phone=***&page=3"


def test_request_lines_inside_a_message_are_redacted() -> None:
    line = f'"GET /?q={ACCOUNT} HTTP/1.1" 200 Referer: https://wudian.example.cn/?q={ACCOUNT}'
    assert ACCOUNT not in redact_text(line)
    assert '"GET /?q=*** HTTP/1.1" 200' in redact_text(line)


def test_the_log_filter_redacts_messages_and_their_arguments() -> None:
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /?q={ACCOUNT}", 200, 5),
        None,
    )
    RedactQueryStrings().filter(record)
    assert record.getMessage() == '"GET /?q=***" 200 5'


def test_every_log_handler_redacts() -> None:
    logging_config: dict[str, Any] = settings.LOGGING
    for handler in logging_config["handlers"].values():
        assert "redact" in handler["filters"]
    # Django's default handlers (its debug console, runserver's log) are replaced too.
    for name in ["", "django", "django.request", "django.server", "django.security"]:
        for handler in logging.getLogger(name).handlers:
            if "pytest" not in type(handler).__module__:
                assert any(isinstance(f, RedactQueryStrings) for f in handler.filters), name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_gunicorn_as_wudian_serve_runs_it_logs_no_query_values(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    port = free_port()
    command = serve.web_command(bind=f"127.0.0.1:{port}", workers=1)
    command[command.index("--access-logfile") + 1] = str(log)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUDIAN_")}
    env.update(WUDIAN_DEBUG="1", WUDIAN_DATA_DIR=str(tmp_path), PYTHONPATH=os.getcwd())
    server = subprocess.Popen(  # noqa: S603
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}/nowhere/?q={ACCOUNT}&page=2"
        request = urllib.request.Request(
            url, headers={"Referer": f"http://127.0.0.1:{port}/?q={ACCOUNT}"}
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(request, timeout=5)  # noqa: S310
            except urllib.error.HTTPError:
                break  # answered (404)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        # What the task consumer posts to the development gateway is not logged line by line.
        gateway = urllib.request.Request(
            f"http://127.0.0.1:{port}/dev/gateway/sms/", data=b"{}", method="POST"
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(gateway, timeout=5)  # noqa: S310
        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/healthz"), timeout=5
        )
        while not log.exists() or "healthz" not in log.read_text():
            assert time.monotonic() < deadline, "no access log line"
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)

    line = log.read_text()
    assert "GET /nowhere/?q=***&page=2 HTTP/1.1" in line
    assert ACCOUNT not in line
    assert "/dev/gateway/" not in line
