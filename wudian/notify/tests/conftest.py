"""A real HTTP endpoint on 127.0.0.1 that records what Apprise posts to it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts task consumers in other processes")


@dataclass
class Endpoint:
    """Answers `status` after `delay` seconds and keeps every request it was sent."""

    port: int = 0
    status: int = 200
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/sms") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def keys(self) -> list[str]:
        with self.lock:
            return [r["headers"].get("Idempotency-Key", "") for r in self.requests]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return True
            time.sleep(0.02)
        return False


def serve(endpoint: Endpoint) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if endpoint.delay:
                time.sleep(endpoint.delay)
            if endpoint.status < 300:
                with endpoint.lock:
                    endpoint.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "json": json.loads(body or b"null"),
                        }
                    )
            self.send_response(endpoint.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", endpoint.port), Handler)
    server.daemon_threads = True
    endpoint.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def endpoint(settings: Any) -> Iterator[Endpoint]:
    """A loopback SMS gateway, configured as WUDIAN_SMS_GATEWAY_URL."""
    found = Endpoint()
    server = serve(found)
    settings.NOTIFY_SMS_GATEWAY_URL = found.url()
    yield found
    server.shutdown()
    server.server_close()
