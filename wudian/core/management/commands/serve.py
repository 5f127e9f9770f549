"""`wudian serve`: the web server and a task consumer in one process group.

This is the embedded mode of `make run`. Production runs gunicorn and `wudian run_huey`
as separate services instead (see the README)."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from wudian.core.security import require_secret_key

# How long gunicorn may take to start listening before `serve` gives up.
START_SECONDS = 60


def web_command(*, bind: str, workers: int) -> list[str]:
    """gunicorn with Wudian's configuration (an access log without personal data)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "wudian.wsgi:application",
        "--config",
        "python:wudian.gunicorn_conf",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]


def split_bind(bind: str) -> tuple[str, int] | None:
    """The host and port of a TCP bind ("127.0.0.1:8000", "[::1]:8000", ":8000"); None for a
    Unix socket or anything gunicorn will judge itself."""
    if bind.startswith(("unix:", "fd://")):
        return None
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        return None
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104  gunicorn's own default for ":port"
    return host, int(port)


def port_taken(host: str, port: int) -> bool:
    """Whether another process listens on the address: bind it the way gunicorn will
    (SO_REUSEADDR, so a closing connection in TIME_WAIT does not count)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def listening(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host  # noqa: S104
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Serve Wudian over HTTP together with a Huey task consumer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--task-workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_secret_key()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        bind = options["bind"]
        address = split_bind(bind)
        if address is not None and port_taken(*address):
            raise CommandError(
                _(
                    "Port %(port)d on %(host)s is taken by another program, so Wudian cannot "
                    "serve there. Stop that program, or choose another address, e.g. "
                    "wudian serve --bind 127.0.0.1:%(other)d."
                )
                % {"port": address[1], "host": address[0], "other": address[1] + 1}
            )
        python = sys.executable
        web = web_command(bind=bind, workers=options["web_workers"])
        tasks = [
            python,
            "-m",
            "wudian.manage",
            "run_huey",
            "--workers",
            str(options["task_workers"]),
        ]
        env = dict(os.environ)
        if address is not None and not env.get("WUDIAN_PUBLIC_URL"):
            # The links the task consumer writes (and, in debug, the development gateway it
            # posts to) name the address really served.
            host = address[0] if address[0] not in ("0.0.0.0", "::") else "127.0.0.1"  # noqa: S104
            env["WUDIAN_PUBLIC_URL"] = f"http://{host}:{address[1]}"
        children = [subprocess.Popen(web, env=env)]  # noqa: S603

        def stop(*_args: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            if not self.wait_until_listening(children[0], address):
                raise CommandError(_("The web server did not start; its messages are above."))
            children.append(subprocess.Popen(tasks, env=env))  # noqa: S603
            self.stdout.write(
                self.style.SUCCESS(
                    _("Wudian is serving http://%(bind)s/ (Ctrl+C stops it).") % {"bind": bind}
                )
            )
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        if any(child.returncode not in (0, -15, None) for child in children):
            raise SystemExit(1)

    def wait_until_listening(
        self, web: subprocess.Popen[bytes], address: tuple[str, int] | None
    ) -> bool:
        """Wait until gunicorn accepts connections (False if it exited first). A Unix socket
        is taken as ready once gunicorn has run for a moment."""
        if address is None:
            time.sleep(2)
            return web.poll() is None
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if web.poll() is not None:
                return False
            if listening(*address):
                return True
            time.sleep(0.1)
        return False
