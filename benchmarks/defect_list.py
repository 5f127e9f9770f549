"""A supervisor's defect list (消缺) over 100,000 defects, on PostgreSQL and on SQLite (issue 16:
p95 ≤ 150 ms, a constant number of queries).

Not a test: run it by hand and copy the figures into docs/benchmarks.md ("Defects").

    .venv/bin/python benchmarks/defect_list.py \\
        [--database-url postgres://postgres@127.0.0.1:5432/wudian_bench_defects | sqlite] \\
        [--rows 100000] [--small 1000] [--runs 30]

The database is made afresh (PostgreSQL: the bench database is dropped and created; SQLite: a
file in a new data directory), migrated, and the demo city loaded (`seed_demo`, debug on in the
child only). Defects are bulk-inserted over the 12 demo compounds (65 % in manager1's seven),
found over the last two years, a fifth still open or fixed, a tenth critical, the rest serious
and normal, half the property company's; each owned by its compound's customer manager, some
given to the repair crew. The tables are ANALYZEd after each insert.

Django runs in this process with debug off; supervisor1 (the whole district) asks each list
through the test client: the page /defects/ (first page, a deep page, filters) with a session,
and GET /api/v1/fieldwork/defects with a bearer token. Each list's queries are counted with
--small defects and again with --rows: the counts must not change. Then each is timed --runs
times after a warm-up. Exits non-zero if a count changes or an answer is not 200.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.httpbench import (
    bench_environment,
    django_setup,
    drop_database,
    load_average,
    machine_description,
    new_data_dir,
    percentiles,
    recreate_database,
    table,
    wudian,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wudian_bench_defects"


def lists(compound: int, building: int) -> list[tuple[str, str, bool]]:
    """(label, URL, through the API)."""
    return [
        ("page 1 (not closed)", "/defects/", False),
        ("deep page, not closed", "/defects/?page=600", False),
        ("every status, page 1", "/defects/?status=all", False),
        ("every status, deep page", "/defects/?status=all&page=3000", False),
        ("critical, every status", "/defects/?severity=critical&status=all&page=50", False),
        ("overdue", "/defects/?overdue=on", False),
        ("one compound's history", f"/defects/?compound={compound}&status=all&page=100", False),
        ("one building's history", f"/defects/?building={building}&status=all", False),
        ("utility, closed, deep", "/defects/?responsible=utility&status=closed&page=500", False),
        ("API page 1", "/api/v1/fieldwork/defects", True),
        ("API deep page", "/api/v1/fieldwork/defects?status=closed&page=2000&page_size=25", True),
    ]


def fill(count: int, *, seed: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from wudian.accounts.models import Department
    from wudian.fieldwork.models import Defect, Severity
    from wudian.front.demo.people import MANAGER1_COMPOUNDS
    from wudian.grid import scope
    from wudian.grid.models import Building, Compound

    rng = random.Random(seed)
    compounds = list(Compound.objects.order_by("code"))
    weights = [13 if c.code in MANAGER1_COMPOUNDS else 7 for c in compounds]
    buildings: dict[int, list[int]] = {}
    for pk, compound_id in Building.objects.values_list("pk", "compound_id"):
        buildings.setdefault(compound_id, []).append(pk)
    managers = scope.customer_managers_of([c.pk for c in compounds])
    crew = Department.objects.order_by("pk").first()
    now = timezone.now()
    hours = {
        Severity.CRITICAL: datetime.timedelta(hours=24),
        Severity.SERIOUS: datetime.timedelta(days=7),
        Severity.NORMAL: datetime.timedelta(days=30),
    }
    rows = []
    for n in range(count):
        compound = rng.choices(compounds, weights)[0]
        found = now - datetime.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        severity = rng.choices([Severity.CRITICAL, Severity.SERIOUS, Severity.NORMAL], [1, 4, 5])[0]
        deadline = found + hours[severity]
        roll = rng.random()
        status = (
            Defect.Status.OPEN if roll < 0.15 else Defect.Status.FIXED if roll < 0.2 else "closed"
        )
        closed_at = None
        if status == Defect.Status.CLOSED:
            closed_at = min(found + (deadline - found) * rng.uniform(0.2, 1.3), now)
        utility = rng.random() < 0.5
        rows.append(
            Defect(
                compound=compound,
                building_id=rng.choice(buildings.get(compound.pk) or [None]),
                description=f"缺陷{n}：表箱锈蚀、箱门脱落或线路老化",
                severity=severity,
                source=rng.choice(Defect.Source.values),
                responsible="utility" if utility else "property",
                department=crew if utility and rng.random() < 0.2 else None,
                owner=managers.get(compound.pk),
                status=status,
                deadline=deadline,
                escalation=2 if status == "open" and deadline < now else 0,
                found_at=found,
                closed_at=closed_at,
            )
        )
    Defect.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a URL, or sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    sqlite = args.database_url == "sqlite"
    env = bench_environment(
        database="" if sqlite else args.database_url,
        redis="",
        name="bench-defects",
        data_dir=new_data_dir("wudian-bench-defects-"),
    )
    if not sqlite:
        recreate_database(args.database_url)
    wudian(env, "migrate")
    wudian(env, "seed_demo", debug=True)
    wudian(env, "collectstatic", "--noinput")
    django_setup(env)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from wudian.accounts.models import User
    from wudian.accounts.services import api_token_issue
    from wudian.grid.models import Building, Compound

    supervisor = User.objects.get(username="supervisor1")
    page = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page.force_login(supervisor)
    token = api_token_issue(user=supervisor).token
    api = Client(
        HTTP_HOST="127.0.0.1",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    compound = Compound.objects.get(code="jinxiu-huating")
    building = Building.objects.filter(compound=compound).order_by("code").first()
    assert building is not None
    urls = lists(compound.pk, building.pk)

    # A token's first use is written down: warm it before counting.
    assert api.get("/api/v1/fieldwork/defects").status_code == 200

    def counts() -> dict[str, int]:
        found = {}
        for label, url, through_api in urls:
            client = api if through_api else page
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            found[label] = len(queries)
        return found

    fill(args.small, seed=1)
    small = counts()
    began = time.perf_counter()
    fill(args.rows - args.small, seed=2)
    print(f"{args.rows} defects written in {time.perf_counter() - began:.1f} s")
    large = counts()
    rows = []
    failed = False
    for label, url, through_api in urls:
        client = api if through_api else page
        client.get(url)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200
        cuts = percentiles(times)
        same = small[label] == large[label]
        failed |= not same
        rows.append(
            (
                label,
                f"`{url}`",
                f"{cuts['p50']:.0f}",
                f"{cuts['p95']:.0f}",
                f"{small[label]} → {large[label]}" + ("" if same else " ✗"),
            )
        )
    print(machine_description(), "·", load_average())
    print(
        f"{connection.vendor}, {args.rows} defects, supervisor1, {args.runs} runs each\n"
        + table(["list", "URL", "p50 ms", "p95 ms", f"queries ({args.small} → {args.rows})"], rows)
    )
    if not sqlite:
        connection.close()
        drop_database(args.database_url)
    if failed:
        raise SystemExit("a query count changed with the data")


if __name__ == "__main__":
    main()
