"""Joint patrols at the scale of a city (issue 16): a year of monthly patrol plans for a city
of 3,000 compounds (target ≤ 10 s).

Not a test: run it by hand against a PostgreSQL database of its own, and copy the figures into
docs/benchmarks.md ("Joint patrols").

    WUDIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wudian_patrols \\
        WUDIAN_DEBUG=1 .venv/bin/python benchmarks/patrol_plans.py [--runs 3]

The first run migrates the database and builds the city (codes starting PP-): 3,000
compounds in 300 communities, 300 customer managers with ten compounds each, and one or two
property electricians per compound (one in three with an expired certificate, so the planner
picks the certified one). Each run plans the twelve months of 2026 as the daily task does on
1 January (`patrol_plans_generate(now=2026-01-01, months=11)`: 36,000 patrols on working days
of the official calendar, each manager's compounds spread over the month), times it, checks
that a second call plans nothing (idempotent, 36,000 already there), and removes the plans.
2026 is used because the calendar knows it; the load average is printed before each run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
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

from wudian.accounts.models import Certificate, Role, RoleCode, User  # noqa: E402
from wudian.fieldwork.models import Patrol  # noqa: E402
from wudian.fieldwork.services.patrols import patrol_plans_generate  # noqa: E402
from wudian.grid.models import (  # noqa: E402
    Community,
    Compound,
    CompoundAssignment,
    District,
    Street,
)

COMPOUNDS = 3000
PER_MANAGER = 10
# Accounts that cannot log in (Django's unusable-password prefix).
UNUSABLE = "!"
NEW_YEAR = datetime.datetime(2026, 1, 1, 1, 0, tzinfo=datetime.UTC)


def build() -> None:
    call_command("migrate", verbosity=0)
    if Compound.objects.filter(code__startswith="PP-").exists():
        return
    started = time.perf_counter()
    print("building the city …", flush=True)
    with transaction.atomic():
        for order, code in enumerate(RoleCode):
            Role.objects.get_or_create(
                code=code, defaults={"name": str(code.label), "order": order}
            )
        district = District.objects.create(code="PP-D", name="巡视基准区", city="基准市")
        street = Street.objects.create(district=district, code="PP-S", name="基准街道")
        communities = Community.objects.bulk_create(
            [Community(street=street, code=f"PP-C{n}", name=f"基准社区{n}") for n in range(300)]
        )
        compounds = Compound.objects.bulk_create(
            [
                Compound(
                    community=communities[n % 300],
                    code=f"PP-{n}",
                    name=f"基准小区{n}",
                    address="基准路",
                )
                for n in range(COMPOUNDS)
            ]
        )
        managers = User.objects.bulk_create(
            [User(username=f"pp-m{n}", password=UNUSABLE) for n in range(COMPOUNDS // PER_MANAGER)]
        )
        electricians = User.objects.bulk_create(
            [
                User(username=f"pp-e{n}", password=UNUSABLE)
                for n in range(COMPOUNDS + COMPOUNDS // 3)
            ]
        )
        roles = {role.code: role for role in Role.objects.all()}
        through = User.roles.through
        through.objects.bulk_create(
            [through(user_id=u.pk, role_id=roles[RoleCode.CUSTOMER_MANAGER].pk) for u in managers]
            + [through(user_id=u.pk, role_id=roles[RoleCode.ELECTRICIAN].pk) for u in electricians]
        )
        assignments = [
            CompoundAssignment(
                user=managers[n // PER_MANAGER],
                compound=compound,
                role=RoleCode.CUSTOMER_MANAGER,
            )
            for n, compound in enumerate(compounds)
        ]
        assignments += [
            CompoundAssignment(user=electricians[n], compound=compound, role=RoleCode.ELECTRICIAN)
            for n, compound in enumerate(compounds)
        ]
        # Every third compound has a second electrician, whose certificate is valid while
        # the first one's has expired.
        assignments += [
            CompoundAssignment(
                user=electricians[COMPOUNDS + n // 3],
                compound=compound,
                role=RoleCode.ELECTRICIAN,
            )
            for n, compound in enumerate(compounds)
            if n % 3 == 0
        ]
        CompoundAssignment.objects.bulk_create(assignments)
        Certificate.objects.bulk_create(
            Certificate(
                holder=user,
                number=f"PP-T{n}",
                issued_on=datetime.date(2021, 1, 1),
                expires_on=datetime.date(2025, 6, 1)
                if n < COMPOUNDS and n % 3 == 0
                else datetime.date(2030, 1, 1),
            )
            for n, user in enumerate(electricians)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)


def clear() -> None:
    Patrol.objects.filter(compound__code__startswith="PP-").delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE fieldwork_patrol")


def run() -> tuple[float, int]:
    clear()
    load = os.getloadavg()[0]
    started = time.perf_counter()
    report = patrol_plans_generate(now=NEW_YEAR, months=11)
    seconds = time.perf_counter() - started
    again = patrol_plans_generate(now=NEW_YEAR, months=11)
    assert again.total == 0, "a second run planned again"
    assert not report.waiting, report.waiting
    planned = Patrol.objects.filter(compound__code__startswith="PP-").count()
    print(f"  load {load:.2f}: {report.total} patrols planned in {seconds:.2f} s", flush=True)
    return seconds, planned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it against PostgreSQL (WUDIAN_DATABASE_URL).")
    print(f"{platform.node()} · {os.cpu_count()} CPUs · PostgreSQL", flush=True)
    build()
    times = []
    for _index in range(args.runs):
        seconds, planned = run()
        assert planned == COMPOUNDS * 12, planned
        times.append(seconds)
    print(
        f"a year of plans for {COMPOUNDS} compounds: median {statistics.median(times):.2f} s, "
        f"max {max(times):.2f} s over {len(times)} runs (target ≤ 10 s)"
    )
    clear()


if __name__ == "__main__":
    main()
