"""Publish one event to 20,000 households and deliver it with two `wudian run_huey` consumers.

Not a test: run it by hand on PostgreSQL + Redis and copy the figures into docs/benchmarks.md.

    .venv/bin/python benchmarks/notify_bench.py [--households 20000] [--workers 4]
        [--database postgres://postgres@127.0.0.1:5432/wudian_notify_bench]
        [--redis redis://127.0.0.1:6379/0]

The database is dropped and created again on every run. The loopback "SMS gateway" is a
threaded http.server in its own process that answers 200 and counts the requests. Targets
(issue 4): writing every outbox row ≤ 5 s; delivery ≥ 500 messages/s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

VENV_BIN = Path(sys.executable).parent


def gateway(port: Any, count: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with count.get_lock():
                count.value += 1
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    port.value = server.server_address[1]
    server.serve_forever()


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build_city(households: int, special_every: int) -> list[int]:
    from wudian.accounts.models import Role, RoleCode, User
    from wudian.grid.models import (
        Building,
        Community,
        Compound,
        CompoundAssignment,
        District,
        Household,
        Street,
    )

    district = District.objects.create(code="BD", name="蚌山区", city="蚌埠市")
    street = Street.objects.create(district=district, code="BS", name="黄庄街道")
    community = Community.objects.create(street=street, code="BC", name="涂山社区")
    per_compound, per_building = 2000, 100
    manager_role = Role.objects.get_or_create(
        code=RoleCode.CUSTOMER_MANAGER, defaults={"name": "客户经理"}
    )[0]
    ids: list[int] = []
    n = 0
    for c in range(-(-households // per_compound)):
        compound = Compound.objects.create(
            community=community, code=f"B{c:03d}", name=f"小区{c}", address=f"涂山路{c}号"
        )
        manager = User.objects.create_user(username=f"manager{c}", password=None)
        manager.roles.add(manager_role)
        CompoundAssignment.objects.create(
            user=manager, compound=compound, role=RoleCode.CUSTOMER_MANAGER
        )
        buildings = Building.objects.bulk_create(
            Building(compound=compound, code=f"B{c:03d}-{b:02d}", name=f"{b}号楼")
            for b in range(per_compound // per_building)
        )
        batch = []
        for building in buildings:
            for r in range(per_building):
                if n >= households:
                    break
                batch.append(
                    Household(
                        building=building,
                        account_no=f"34{n:010d}",
                        unit="1",
                        room=f"{r:03d}",
                        address=f"涂山路{c}号小区{c}{building.name}1单元{r:03d}室",
                        holder_name="王建国",
                        phone=f"138{n:08d}",
                        special_group=special_every > 0 and n % special_every == 0,
                    )
                )
                n += 1
        ids += [h.pk for h in Household.objects.bulk_create(batch)]
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4, help="threads per consumer")
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--special-every", type=int, default=100)
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/wudian_notify_bench"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    port = multiprocessing.Value("i", 0)
    count = multiprocessing.Value("l", 0)
    server = multiprocessing.Process(target=gateway, args=(port, count), daemon=True)
    server.start()
    while not port.value:
        time.sleep(0.01)

    os.environ.update(
        WUDIAN_DEBUG="1",
        WUDIAN_DATABASE_URL=args.database,
        WUDIAN_REDIS_URL=args.redis,
        WUDIAN_HUEY_NAME="notify-bench",
        WUDIAN_CACHE_PREFIX="notify-bench",
        WUDIAN_SMS_GATEWAY_URL=f"json://127.0.0.1:{port.value}/sms",
        WUDIAN_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="wudian.settings",
    )
    recreate_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from wudian.core.calendar import china_date
    from wudian.grid.models import Household
    from wudian.grid.scope import phone_calls_for
    from wudian.notify.models import CallTask, Message
    from wudian.notify.services import Audience, notify_publish

    call_command("migrate", verbosity=0)
    HUEY.flush()
    ids = build_city(args.households, args.special_every)
    print(f"{len(ids)} households")

    consumers = [
        subprocess.Popen(
            [
                str(VENV_BIN / "wudian"),
                "run_huey",
                "--skip-checks",
                "-k",
                "thread",
                "-w",
                str(args.workers),
                *(["--no-periodic"] if i else []),
            ],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(args.consumers)
    ]
    time.sleep(3)  # let the consumers start before the clock runs

    try:
        started = time.perf_counter()
        with transaction.atomic():
            households = Household.objects.filter(pk__in=ids)
            calls = phone_calls_for(households, on=china_date(timezone.now()))
            written = notify_publish(
                audience=Audience(households=households, calls=calls),
                template="message",
                context={"title": "计划停电通知", "body": "因线路检修，3月17日8:00-12:00停电。"},
                event_key="bench:outage:1",
                urgent=True,
                source="outage:bench",
            )
            committed_rows = time.perf_counter()
        enqueued = time.perf_counter()
        print(
            f"publish: {written} outbox rows written in {committed_rows - started:.2f} s "
            f"(+ commit and queueing: {enqueued - started:.2f} s), "
            f"{CallTask.objects.count()} call tasks"
        )
        pushed = Message.objects.exclude(channel="inapp").count()
        while True:
            left = Message.objects.filter(state__in=["pending", "sending"]).count()
            if left == 0:
                break
            time.sleep(0.2)
        done = time.perf_counter()
        seconds = done - enqueued
        print(
            f"delivery: {pushed} messages in {seconds:.2f} s = {pushed / seconds:.0f} messages/s "
            f"({args.consumers} consumers × {args.workers} threads); gateway saw {count.value} "
            f"requests; failed: {Message.objects.filter(state='failed').count()}"
        )
    finally:
        for consumer in consumers:
            consumer.terminate()
        for consumer in consumers:
            consumer.wait()
        server.terminate()


if __name__ == "__main__":
    main()
