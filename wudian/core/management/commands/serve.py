"""`wudian serve`: the web server and a task consumer in one process group.

This is the embedded mode of `make run`. Production runs gunicorn and `wudian run_huey`
as separate services instead (see the README)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _


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


class Command(BaseCommand):
    help = "Serve Wudian over HTTP together with a Huey task consumer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--task-workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        web = web_command(bind=options["bind"], workers=options["web_workers"])
        tasks = [
            python,
            "-m",
            "wudian.manage",
            "run_huey",
            "--workers",
            str(options["task_workers"]),
        ]
        children = [subprocess.Popen(tasks), subprocess.Popen(web)]  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(
                _("Wudian is serving http://%(bind)s/ (Ctrl+C stops it).")
                % {"bind": options["bind"]}
            )
        )

        def stop(*_args: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
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
