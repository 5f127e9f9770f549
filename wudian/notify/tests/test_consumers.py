"""Faults: a consumer killed while it sends, and Redis down while an event is published.
These start real `wudian run_huey` processes against the test database."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from huey.contrib.djhuey import HUEY

from wudian.conftest import City
from wudian.grid.models import Household
from wudian.notify import tasks
from wudian.notify.models import Channel, Message
from wudian.notify.services import Audience, notify_publish
from wudian.notify.tasks import outbox_sweep
from wudian.notify.tests.conftest import Endpoint

WUDIAN = str(Path(sys.executable).with_name("wudian"))
HOUSEHOLDS = 30


@pytest.fixture
def queued() -> Iterator[None]:
    """Tasks go to the real queue (not run in this thread), as in production."""
    HUEY.immediate = False
    HUEY.flush()
    yield
    HUEY.flush()
    HUEY.immediate = True


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER']}{password}@{host}/{db['NAME']}"


def start_consumer(endpoint: Endpoint, log: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        WUDIAN_DEBUG="1",
        WUDIAN_DATABASE_URL=database_url(),
        WUDIAN_DATA_DIR=str(django_settings.DATA_DIR),
        WUDIAN_HUEY_NAME=django_settings.HUEY_NAME,
        WUDIAN_SMS_GATEWAY_URL=endpoint.url(),
        WUDIAN_NOTIFY_SENDING_TIMEOUT="1",
        WUDIAN_NOTIFY_BATCH_SIZE="5",
    )
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603  (our own command)
            [WUDIAN, "run_huey", "--skip-checks", "-w", "2", "-k", "thread"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def add_households(city: City, count: int) -> list[Household]:
    return Household.objects.bulk_create(
        Household(
            building=city.north_building,
            account_no=f"35{n:08d}",
            unit="2",
            room=f"{n:03d}",
            address=f"北苑小区1号楼2单元{n:03d}室",
            holder_name="李秀英",
            phone=f"137{n:08d}",
        )
        for n in range(count)
    )


def wait_until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_consumer_killed_while_sending_loses_no_message(
    city: City, endpoint: Endpoint, queued: None, tmp_path: Path
) -> None:
    households = add_households(city, HOUSEHOLDS)
    endpoint.delay = 0.3
    first = start_consumer(endpoint, tmp_path / "consumer.log")
    second = None
    try:
        with transaction.atomic():
            notify_publish(
                audience=Audience(households=households),
                template="message",
                context={"title": "故障停电", "body": "正在抢修。"},
                event_key="outage:9:published",
                urgent=True,
                source="outage:9",
            )
        assert endpoint.wait_for(3, timeout=20), (tmp_path / "consumer.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait()
        stuck = Message.objects.filter(state=Message.State.SENDING).count()
        assert stuck > 0  # killed in the middle of a batch
        assert Message.objects.filter(state=Message.State.SENT, channel=Channel.SMS).count() < (
            HOUSEHOLDS
        )

        endpoint.delay = 0
        second = start_consumer(endpoint, tmp_path / "consumer.log")
        time.sleep(1.1)  # past the sending timeout the second consumer was started with
        tasks.sweep_outbox()

        def all_sent() -> bool:
            return not Message.objects.exclude(state=Message.State.SENT).exists()

        assert wait_until(all_sent, timeout=20), (tmp_path / "consumer.log").read_text()
    finally:
        stop(first)
        if second is not None:
            stop(second)

    expected = {f"outage:9:published:sms:{h.phone}" for h in households}
    assert expected <= set(endpoint.keys())


@pytest.mark.slow
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs WUDIAN_REDIS_URL")
def test_redis_down_while_publishing_commits_and_the_sweep_sends_later(
    city: City,
    endpoint: Endpoint,
    queued: None,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    working = HUEY.storage
    HUEY.storage = type(working)(HUEY.name, url="redis://127.0.0.1:1/0")
    try:
        with (
            caplog.at_level(logging.WARNING),
            django_capture_on_commit_callbacks(execute=True),
            transaction.atomic(),
        ):
            written = notify_publish(
                audience=Audience(households=[city.north_home, city.north_home_2]),
                template="message",
                context={"title": "故障停电", "body": "正在抢修。"},
                event_key="outage:10:published",
                urgent=True,
                source="outage:10",
            )
    finally:
        HUEY.storage = working

    assert written == 3
    assert "sweep will send them" in caplog.text
    assert Message.objects.filter(state=Message.State.PENDING).count() == 2
    assert HUEY.pending_count() == 0

    outbox_sweep()  # the periodic task, with Redis back
    assert HUEY.pending_count() == 1
    HUEY.immediate = True  # run the dequeued task here without closing the test's connection
    while (task := HUEY.dequeue()) is not None:
        HUEY.execute(task)

    assert sorted(endpoint.keys()) == [
        "outage:10:published:sms:13800000001",
        "outage:10:published:sms:13800000002",
    ]
    assert not Message.objects.exclude(state=Message.State.SENT).exists()
