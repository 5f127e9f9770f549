"""Time publishing one outage to 20,000 households: every outbox row written (target ≤ 5 s).

Not a test: run it by hand against a PostgreSQL database of its own, and copy the figures into
docs/benchmarks.md ("Outage publishing").

    createdb -h 127.0.0.1 -U postgres wudian_outages_bench
    WUDIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wudian_outages_bench \\
        WUDIAN_REDIS_URL=redis://127.0.0.1:6379/0 WUDIAN_HUEY_NAME=outages-bench \\
        WUDIAN_DEBUG=1 .venv/bin/python benchmarks/outages_publish.py [--runs 5]

The first run migrates the database and builds a city of its own (codes starting BENCH-):
10 compounds, 200 buildings, one station area per compound on one feeder, the households
(a quarter with a resident login, 1 % special-group), an electrician, a customer manager and a
webhook circle per compound. Each run then publishes one planned outage over the whole
feeder through `outage_create` — scope resolution, the notice-period and overlap checks, the
affected-household rows, the event and every outbox row, committed — and times the call.
Consumers are not running, so the messages stay pending; the run's outage, messages and
call tasks are deleted afterwards so that the next run starts alike.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wudian.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from wudian.accounts.models import Role, RoleCode, User  # noqa: E402
from wudian.grid.models import (  # noqa: E402
    Building,
    Community,
    Compound,
    CompoundAssignment,
    District,
    Feeder,
    Household,
    HouseholdMembership,
    StationArea,
    Street,
)
from wudian.notify.models import CallTask, CircleEndpoint, Message  # noqa: E402
from wudian.outages.models import AffectedHousehold, Outage  # noqa: E402
from wudian.outages.services import notifications as outage_notifications  # noqa: E402
from wudian.outages.services import outage_create  # noqa: E402

COMPOUNDS = 10
_in_notify = [0.0]
_publish = outage_notifications.notify_publish


def _timed_publish(**kwargs: object) -> int:
    """notify_publish, timed: the share of the outbox engine in the run."""
    began = time.perf_counter()
    try:
        return _publish(**kwargs)  # type: ignore[arg-type]
    finally:
        _in_notify[0] += time.perf_counter() - began


outage_notifications.notify_publish = _timed_publish
BUILDINGS_PER_COMPOUND = 20


def build_city(households: int) -> User:
    """The benchmark's city, built once (idempotent)."""
    admin = User.objects.filter(username="bench-admin").first()
    if admin is not None and Household.objects.filter(account_no__startswith="99").count() >= (
        households
    ):
        return admin
    print(f"building a city of {households} households…", flush=True)
    with transaction.atomic():
        for order, code in enumerate(RoleCode):
            Role.objects.get_or_create(
                code=code, defaults={"name": str(code.label), "order": order}
            )
        admin = User.objects.create_superuser("bench-admin", "bench@example.com", None)
        district = District.objects.create(code="BENCH-D", name="基准区", city="蚌埠市")
        street = Street.objects.create(district=district, code="BENCH-S", name="基准街道")
        community = Community.objects.create(street=street, code="BENCH-CM", name="基准社区")
        feeder = Feeder.objects.create(code="BENCH-F", name="10kV基准线")
        per_building = -(-households // (COMPOUNDS * BUILDINGS_PER_COMPOUND))
        homes: list[Household] = []
        n = 0
        for c in range(COMPOUNDS):
            compound = Compound.objects.create(
                community=community,
                code=f"BENCH-C{c:02d}",
                name=f"基准{c:02d}小区",
                address=f"基准路{c + 1}号",
            )
            area = StationArea.objects.create(
                feeder=feeder, code=f"BENCH-TA{c:02d}", name=f"基准{c:02d}号台区"
            )
            area.compounds.add(compound)
            for role, username in [
                (RoleCode.CUSTOMER_MANAGER, f"bench-manager-{c}"),
                (RoleCode.ELECTRICIAN, f"bench-electrician-{c}"),
            ]:
                user = User.objects.create_user(username, phone=f"1390000{c:04d}")
                CompoundAssignment.objects.create(user=user, compound=compound, role=role)
            CircleEndpoint.objects.create(
                compound=compound,
                kind=CircleEndpoint.Kind.WEBHOOK,
                name="物电群",
                url="json://127.0.0.1:9/hook",
            )
            for b in range(BUILDINGS_PER_COMPOUND):
                building = Building.objects.create(
                    compound=compound, code=f"BENCH-C{c:02d}-B{b:02d}", name=f"{b + 1}号楼"
                )
                for r in range(per_building):
                    if n >= households:
                        break
                    homes.append(
                        Household(
                            building=building,
                            station_area=area,
                            account_no=f"99{n:010d}",
                            unit="1",
                            room=f"{r + 101}",
                            address=f"基准路{c + 1}号{building.name}{r + 101}室",
                            holder_name="张三",
                            phone=f"137{n:08d}",
                            special_group=n % 100 == 0,
                        )
                    )
                    n += 1
        Household.objects.bulk_create(homes, batch_size=5000)
        residents = User.objects.bulk_create(
            [
                User(username=f"bench-resident-{i}", password="!")  # noqa: S106 (unusable)
                for i in range(0, households, 4)
            ],
            batch_size=5000,
        )
        ids = list(
            Household.objects.filter(account_no__startswith="99")
            .order_by("account_no")
            .values_list("pk", flat=True)
        )
        HouseholdMembership.objects.bulk_create(
            [
                HouseholdMembership(user=user, household_id=ids[i * 4])
                for i, user in enumerate(residents)
            ],
            batch_size=5000,
        )
    return admin


def one_run(admin: User, run: int) -> tuple[float, float, float, int, int, int]:
    start = timezone.now() + datetime.timedelta(days=10)
    _in_notify[0] = 0.0
    cpu = time.process_time()
    began = time.perf_counter()
    outage = outage_create(
        by=admin,
        kind=Outage.Kind.PLANNED,
        title=f"基准线路检修停电 {run}",
        reason="10kV基准线设备例行检修",
        start=start,
        end=start + datetime.timedelta(hours=6),
        feeders=["BENCH-F"],
    )
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    source = f"outage:{outage.pk}"
    rows = Message.objects.filter(source=source).count()
    calls = CallTask.objects.filter(source=source).count()
    affected = AffectedHousehold.objects.filter(outage=outage).count()
    with transaction.atomic():
        Message.objects.filter(source=source).delete()
        CallTask.objects.filter(source=source).delete()
        outage.delete()
    return elapsed, cpu, _in_notify[0], rows, calls, affected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the target is for PostgreSQL", file=sys.stderr)
    call_command("migrate", verbosity=0)
    admin = build_city(args.households)
    times = []
    for run in range(1, args.runs + 1):
        elapsed, cpu, in_notify, rows, calls, affected = one_run(admin, run)
        times.append(elapsed)
        print(
            f"run {run}: {elapsed:.2f} s wall ({cpu:.2f} s CPU in this process; "
            f"{in_notify:.2f} s in notify_publish) — {affected} affected households, "
            f"{rows} outbox rows, {calls} call tasks",
            flush=True,
        )
    print(f"median {statistics.median(times):.2f} s, max {max(times):.2f} s (target ≤ 5 s)")


if __name__ == "__main__":
    main()
