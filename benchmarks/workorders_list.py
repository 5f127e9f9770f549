"""The customer manager's list with 100,000 requests in the database: latency through
gunicorn on PostgreSQL and the number of SQL queries (issue 3: p95 < 100 ms, a constant
number of queries).

Not a test: run it by hand and copy the figures into docs/benchmarks.md ("Resident requests").

    .venv/bin/python benchmarks/workorders_list.py [--rows 100000] [--requests 200]
        [--concurrency 1] [--runs 3] [--workers 2] [--worker-class sync|gthread] [--threads 4]
        [--profile 30] [--keep-db]

Each invocation drops and creates its own database (default wudian_bench_list), migrates it,
loads the demo city with `WUDIAN_DEBUG=1 wudian seed_demo` and collects the static files
(debug is off for the server). Then it bulk-inserts --small requests, counts the SQL queries of
every list in this process with Django's test client (CaptureQueriesContext), with page sizes
10 and 50, inserts the rest up to --rows and counts them again: the counts must not change.

The requests are spread over the 12 demo compounds, 65 % in manager1's seven; created over the
last two years (open ones in the last month); statuses mixed as in a working station (most
closed, a sixth awaiting acceptance, some on site, waiting or resolved); each is held by the
compound's customer manager, a certified electrician for behind-the-meter faults, or the
repair crew; each has its SUBMITTED event (and an ESCALATED one when the crew holds it). The
tables are ANALYZEd after the insert, as autovacuum would do on a live database.

gunicorn (debug off) then serves the lists; manager1 calls each --requests times per run from
--concurrency client threads: GET /api/v1/workorders (first page, a later page, status filter,
`mine`, `overdue`) with a bearer token from accounts.services.api_token_issue, and the staff
workbench GET /desk/requests/ (its tabs and a later page) with a session cookie. Anything but
200 is an error. Each list reports the CPU gunicorn and the database's PostgreSQL backends
used per call (PostgreSQL's parallel workers are not counted: their titles do not name the
database). --profile N: cProfile N calls of the API's first page and of the desk in process.

Finally EXPLAIN (ANALYZE, BUFFERS) of every query of the slowest list, and the costly queries
without an index on (created_at DESC, id DESC) (as the selector builds them, and with the
scope's ids resolved first) and with it; the schema's own such index (migration 0003) is
dropped for the comparison and created again.
Exits non-zero on an error or if a query count changes with the data or the page size. The
database is dropped at the end (--keep-db keeps it).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.httpbench import (
    Call,
    CpuMeter,
    demo_server,
    drop_database,
    fire,
    machine_description,
    percentiles,
    print_profile,
    server_options,
    spread,
    table,
)
from benchmarks.requestmix import CATEGORIES, CHANNELS, TEXTS, weighted

TARGET_P95_MS = 100.0
MANAGER = "manager1"
MANAGER_SHARE = 0.65

# (status, share) of a station's requests at any moment.
STATUSES = [
    ("closed", 55),
    ("cancelled", 5),
    ("resolved", 8),
    ("waiting", 4),
    ("arrived", 4),
    ("accepted", 10),
    ("submitted", 14),
]

# What the lists are called with. API lists get ?page_size=; the desk has 25 rows a page.
API_LISTS: list[tuple[str, str]] = [
    ("API first page", "/api/v1/workorders?page=1"),
    ("API page 100", "/api/v1/workorders?page=100"),
    ("API status=submitted", "/api/v1/workorders?status=submitted"),
    ("API mine", "/api/v1/workorders?mine=true"),
    ("API overdue", "/api/v1/workorders?overdue=true"),
]
DESK_LISTS: list[tuple[str, str]] = [
    ("desk (my queue)", "/desk/requests/"),
    ("desk all", "/desk/requests/?tab=all"),
    ("desk all, page 40", "/desk/requests/?tab=all&page=40"),
    ("desk overdue", "/desk/requests/?tab=overdue"),
]


# An index that lets a page ordered newest first stop early instead of sorting the scope.
RECENT_INDEX_SQL = (
    "CREATE INDEX bench_workorder_recent ON workorders_workorder (created_at DESC, id DESC)"
)


class City:
    """What the generator draws from: the demo compounds with their households and staff."""

    def __init__(self) -> None:
        from django.utils import timezone

        from wudian.accounts.models import Department, User
        from wudian.grid.models import Compound, Household
        from wudian.grid.scope import Purpose, compounds_for, customer_manager_id
        from wudian.workorders.models import Category
        from wudian.workorders.services import certified_electricians

        today = timezone.localdate()
        self.manager = User.objects.get(username=MANAGER)
        served = set(
            compounds_for(self.manager, Purpose.WORK_REQUESTS).values_list("pk", flat=True)
        )
        self.compounds = list(Compound.objects.order_by("pk"))
        self.mine = [c for c in self.compounds if c.pk in served]
        self.others = [c for c in self.compounds if c.pk not in served]
        self.households: dict[int, list[int]] = {}
        for pk, compound_id in Household.objects.values_list("pk", "building__compound_id"):
            self.households.setdefault(compound_id, []).append(pk)
        self.managers = {c.pk: customer_manager_id(c.pk) for c in self.compounds}
        self.electricians = {c.pk: certified_electricians(c, on=today) for c in self.compounds}
        self.crew = Department.objects.get(code="REPAIR-BS")
        self.categories = {c.code: c for c in Category.objects.all()}


def insert_requests(city: City, count: int, *, seed: int) -> None:
    """Bulk-insert `count` requests with their events (not through services: this is the
    database a station has after years of work, not traffic)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from wudian.workorders.models import WorkOrder, WorkOrderEvent

    rng = random.Random(seed)
    now = timezone.now()
    minute = datetime.timedelta(minutes=1)
    batch = 5000
    with transaction.atomic():
        for start in range(0, count, batch):
            rows: list[WorkOrder] = []
            crew_held: list[bool] = []
            for _ in range(min(batch, count - start)):
                compound = rng.choice(city.mine if rng.random() < MANAGER_SHARE else city.others)
                code = weighted(rng, CATEGORIES)
                category = city.categories[code]
                status = weighted(rng, STATUSES)
                is_open = status in WorkOrder.OPEN_STATUSES
                age = rng.uniform(0, 30 if is_open else 730) * 24 * 60
                created = now - age * minute
                manager = city.managers[compound.pk]
                electricians = city.electricians[compound.pk]
                crew = is_open and rng.random() < 0.05
                if crew:
                    assignee = None
                elif code == "fault_behind_meter" and electricians:
                    assignee = rng.choice(electricians)
                else:
                    assignee = manager
                channel = weighted(rng, CHANNELS)
                accepted = status not in ("submitted", "cancelled")
                arrived = category.arrive_target is not None and status in (
                    "arrived",
                    "resolved",
                    "closed",
                )
                resolved = status in ("resolved", "closed")
                active = status in WorkOrder.ACTIVE_STATUSES
                # A fifth of the running clocks are already missed: the overdue list.
                next_due = now + rng.uniform(-2 * 24 * 60, 3 * 24 * 60) * minute if active else None
                rows.append(
                    WorkOrder(
                        category=category,
                        channel=channel,
                        status=status,
                        description=rng.choice(TEXTS),
                        compound=compound,
                        household_id=rng.choice(city.households[compound.pk]),
                        created_by_id=manager if channel in ("phone", "visit") else None,
                        assignee_id=assignee,
                        department=city.crew if crew else None,
                        owner_id=(assignee or manager) if accepted else None,
                        priority=rng.random() < 0.01,
                        opinion_risk=code == "complaint" or rng.random() < 0.05,
                        accept_due=created + 30 * minute,
                        accepted_at=created + rng.uniform(1, 40) * minute if accepted else None,
                        accept_late=rng.random() < 0.1 if accepted else None,
                        arrive_due=created + 60 * minute if category.arrive_target else None,
                        arrived_at=created + rng.uniform(10, 70) * minute if arrived else None,
                        resolve_due=created + 3 * 24 * 60 * minute,
                        resolved_at=created + rng.uniform(60, 5000) * minute if resolved else None,
                        resolve_late=rng.random() < 0.08 if resolved else None,
                        next_due=next_due,
                        clocks_started_at=created,
                        resolution="已处理。" if resolved else "",
                        closed_at=created + 7 * 24 * 60 * minute if status == "closed" else None,
                        rating=rng.choice([3, 4, 5, 5, 5]) if status == "closed" else None,
                        created_at=created,
                        updated_at=created,
                    )
                )
                crew_held.append(crew)
            WorkOrder.objects.bulk_create(rows)
            events = [
                WorkOrderEvent(
                    workorder=wo,
                    kind=WorkOrderEvent.Kind.SUBMITTED,
                    at=wo.created_at,
                    by_id=wo.created_by_id,
                    to_user_id=wo.assignee_id,
                    data={"channel": wo.channel},
                )
                for wo in rows
            ] + [
                WorkOrderEvent(
                    workorder=wo,
                    kind=WorkOrderEvent.Kind.ESCALATED,
                    at=wo.created_at + 20 * minute,
                    by_id=wo.owner_id,
                    to_department=city.crew,
                )
                for wo, crew in zip(rows, crew_held, strict=True)
                if crew
            ]
            WorkOrderEvent.objects.bulk_create(events)
    with connection.cursor() as cursor:
        # What autovacuum does on a live database: the planner knows the tables' sizes.
        cursor.execute("ANALYZE")


# In process: query counts and plans ----------------------------------------------------------


def _with_page_size(path: str, size: int) -> str:
    return f"{path}&page_size={size}"


class InProcess:
    """manager1 through Django's test client in this process: the API with a bearer token,
    the desk with a session."""

    def __init__(self, token: str) -> None:
        from django.test import Client

        from wudian.accounts.models import User

        self.api = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
        self.desk = Client(HTTP_HOST="127.0.0.1")
        self.desk.force_login(User.objects.get(username=MANAGER))

    def queries(self, path: str) -> tuple[int, list[dict[str, Any]], int]:
        """(status, the captured queries, rows in the page) of one call, the second of two.
        The token's last use is touched at most once a minute, on whichever call comes
        then, so that UPDATE is left out of the count."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = self.api if path.startswith("/api/") else self.desk
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        rows = -1
        if path.startswith("/api/") and response.status_code == 200:
            rows = len(response.json()["items"])
        counted = [
            query
            for query in captured.captured_queries
            if not query["sql"].startswith('UPDATE "accounts_apitoken"')
        ]
        return response.status_code, counted, rows


def count_queries(probe: InProcess) -> dict[tuple[str, int], tuple[int, int]]:
    """{(list, page size): (queries, rows on the page)}; page size 25 for the desk."""
    counts: dict[tuple[str, int], tuple[int, int]] = {}
    for name, path in API_LISTS:
        for size in (10, 50):
            status, captured, rows = probe.queries(_with_page_size(path, size))
            if status != 200:
                raise SystemExit(f"{path}: {status}")
            counts[(name, size)] = (len(captured), rows)
    for name, path in DESK_LISTS:
        status, captured, _rows = probe.queries(path)
        if status != 200:
            raise SystemExit(f"{path}: {status}")
        counts[(name, 25)] = (len(captured), -1)
    return counts


def explain_sql(sql: str) -> tuple[float, str]:
    """(execution time in ms, plan) of EXPLAIN (ANALYZE, BUFFERS); the best of three, so a
    busy moment on the shared machine does not decide it."""
    from django.db import connection

    best: tuple[float, str] | None = None
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(line for (line,) in cursor.fetchall())
            ms = float(plan.rsplit("Execution Time:", 1)[1].split()[0])
            if best is None or ms < best[0]:
                best = (ms, plan)
    assert best is not None
    return best


def sql_of(evaluate: Any) -> str:
    """The SQL of the last query that evaluating a queryset runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        evaluate()
    return str(captured.captured_queries[-1]["sql"])


def explain(probe: InProcess, path: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) each query of one list; print the slowest one's plan."""
    _status, captured, _rows = probe.queries(path)
    plans: list[tuple[float, str, str]] = []
    for query in captured:
        sql = query["sql"]
        if sql.lstrip().upper().startswith("SELECT"):
            ms, plan = explain_sql(sql)
            plans.append((ms, sql, plan))
    print(f"\nEXPLAIN ANALYZE of the {len(plans)} SELECTs of {path}:")
    for ms, sql, _plan in plans:
        print(f"  {ms:8.2f} ms  {sql[:150]}{'…' if len(sql) > 150 else ''}")
    ms, sql, plan = max(plans)
    print(f"\nthe slowest ({ms:.2f} ms):\n{sql}\n\n{plan}")


def profile(probe: InProcess, name: str, path: str, n: int) -> None:
    """cProfile n calls of one list in this process."""
    client = probe.api if path.startswith("/api/") else probe.desk
    client.get(path)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for _ in range(n):
        client.get(path)
    profiler.disable()
    seconds = time.perf_counter() - began
    print(
        f"\ncProfile of {n} calls of {name} ({path}) in process: {seconds / n * 1000:.1f} ms "
        "each under the profiler; ms per call:"
    )
    print_profile(profiler, n)


def flat_scope(user: Any) -> Any:
    """What manager1 sees, with the compounds and households resolved to literal ids first
    (two small queries): an alternative shape of selectors.workorders_visible_to, to see
    whether the subqueries cost anything (the department branch, not exercised here, is
    left out)."""
    from django.db.models import Q

    from wudian.grid.scope import own_household_ids
    from wudian.workorders.models import WorkOrder
    from wudian.workorders.selectors import workorder_compounds_of

    homes = list(own_household_ids(user).values_list("household_id", flat=True))
    scope = Q(created_by=user) | Q(assignee=user) | Q(owner=user) | Q(household_id__in=homes)
    if not user.is_resident_only:
        compounds = list(workorder_compounds_of(user).values_list("pk", flat=True))
        scope |= Q(compound_id__in=compounds)
    return WorkOrder.objects.filter(scope)


def recent_index() -> tuple[str, str] | None:
    """(name, definition) of an index of the schema on (created_at DESC, id DESC), if any."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'workorders_workorder'"
        )
        for name, definition in cursor.fetchall():
            if definition.endswith("(created_at DESC, id DESC)"):
                return name, definition
    return None


def compare_scopes(user: Any) -> None:
    """The list's costly queries without an index on (created_at DESC, id DESC), as the
    selector builds them and with the scope's ids resolved first, and with that index. The
    schema's own such index is dropped for the comparison and created again; without one,
    a bench index is created and dropped."""
    from django.db import connection

    from wudian.workorders.selectors import overdue, workorder_rows, workorders_visible_to

    current = workorders_visible_to(user)
    flat = flat_scope(user)
    same = current.count() == flat.count() and overdue(current).count() == overdue(flat).count()

    def queries(scope: Any) -> list[tuple[str, str]]:
        rows = workorder_rows(scope).order_by("-created_at", "-pk")
        return [
            # The pages no longer run these two exact counts (they count up to a cap).
            ("exact count of the scope", sql_of(scope.count)),
            ("first page of 50", sql_of(lambda: list(rows[:50]))),
            ("page 100 of 50", sql_of(lambda: list(rows[4950:5000]))),
            ("exact overdue count", sql_of(overdue(scope).count)),
        ]

    existing = recent_index()
    name, definition = existing or ("bench_workorder_recent", RECENT_INDEX_SQL)
    with connection.cursor() as cursor:
        if existing:
            cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("ANALYZE workorders_workorder")
    figures: dict[str, list[str]] = {}
    for scope in (current, flat):
        for label, sql in queries(scope):
            figures.setdefault(label, []).append(f"{explain_sql(sql)[0]:.1f}")
    with connection.cursor() as cursor:
        cursor.execute(definition)
        cursor.execute("ANALYZE workorders_workorder")
    for label, sql in queries(current):
        figures[label].append(f"{explain_sql(sql)[0]:.1f}")
    if not existing:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP INDEX "{name}"')
    print(
        f"\nExecution time (ms, EXPLAIN ANALYZE, best of 3) of {MANAGER}'s list queries "
        f"without and with the index {name} on (created_at DESC, id DESC)"
        + (" (the schema's own)" if existing else " (not in the schema: created to compare)")
        + "; 'ids first' resolves the scope's compound and household ids before the query"
        + ("" if same else " (NOT the same rows: ignore that column)")
        + ":"
    )
    print(
        table(
            ["query", "selector, no index", "ids first, no index", "selector with the index"],
            [[label, *cells] for label, cells in figures.items()],
        )
    )


# Runs ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    server_options(parser, name="wudian-bench-list", concurrency=1)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000, help="rows of the first count")
    parser.add_argument("--requests", type=int, default=200, help="per list and run")
    args = parser.parse_args()

    began = time.perf_counter()
    server = demo_server(args, static=True)

    from django.db import connections

    from wudian.accounts.services import api_token_issue
    from wudian.workorders.models import WorkOrder
    from wudian.workorders.selectors import workorders_visible_to

    city = City()
    token = api_token_issue(user=city.manager, name="bench").token
    probe = InProcess(token)
    insert_requests(city, args.small, seed=1)
    small = count_queries(probe)
    sized = f"{WorkOrder.objects.count():,} requests"
    print(f"database ready in {time.perf_counter() - began:.0f} s; {sized}", flush=True)
    began = time.perf_counter()
    insert_requests(city, args.rows - args.small, seed=2)
    total = WorkOrder.objects.count()
    visible = workorders_visible_to(city.manager).count()
    print(
        f"{args.rows - args.small:,} more inserted in {time.perf_counter() - began:.0f} s: "
        f"{total:,} requests, {visible:,} of them in {MANAGER}'s scope",
        flush=True,
    )
    large = count_queries(probe)

    failed = 0
    rows: list[list[str]] = []
    for (name, size), (n_small, rows_small) in small.items():
        n_large, rows_large = large[(name, size)]
        same = n_small == n_large
        rows.append(
            [
                name,
                str(size),
                f"{n_small} ({rows_small} rows)" if rows_small >= 0 else str(n_small),
                f"{n_large} ({rows_large} rows)" if rows_large >= 0 else str(n_large),
                "yes" if same else "NO",
            ]
        )
    for name, _path in API_LISTS:
        if large[(name, 10)][0] != large[(name, 50)][0]:
            failed += 1
            print(f"{name}: the query count changes with the page size")
    failed += sum(row[-1] == "NO" for row in rows)
    print(f"\nSQL queries per list for {MANAGER} (in process, CaptureQueriesContext):")
    print(
        table(
            [
                "list",
                "page size",
                f"{args.small:,} requests",
                f"{total:,} requests",
                "same",
            ],
            rows,
        )
    )

    lists = [(name, _with_page_size(path, 50)) for name, path in API_LISTS] + DESK_LISTS
    desk_cookie = f"sessionid={probe.desk.cookies['sessionid'].value}"
    headers = {
        name: (
            {"Authorization": f"Bearer {token}"}
            if path.startswith("/api/")
            else {"Cookie": desk_cookie}
        )
        for name, path in lists
    }
    connections.close_all()
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in lists}
    loads: list[str] = []
    try:
        server.start()
        warm = fire(
            server.port,
            [Call("GET", path, headers[name]) for name, path in lists for _ in range(10)],
            concurrency=args.concurrency,
        )
        failed += warm.errors
        for failure in warm.failures[:5]:
            print("   ", failure)
        for run in range(1, args.runs + 1):
            for name, path in lists:
                with CpuMeter(server, args.database) as meter:
                    outcome = fire(
                        server.port,
                        [Call("GET", path, headers[name])] * args.requests,
                        concurrency=args.concurrency,
                    )
                web = meter.seconds("web") / args.requests * 1000
                db = meter.seconds("db") / args.requests * 1000
                failed += outcome.errors
                for failure in outcome.failures[:3]:
                    print("   ", failure)
                p = percentiles(outcome.latencies)
                p["rate"] = outcome.rate
                p["busy"] = outcome.machine.busy_share * 100
                p["web"], p["db"] = web, db
                results[name].append(p)
                loads.append(outcome.machine.load_after)
                print(
                    f"run {run} {name}: p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms, "
                    f"{outcome.rate:.0f}/s, CPU per request gunicorn {web:.1f} ms + "
                    f"PostgreSQL {db:.1f} ms, machine busy {p['busy']:.0f} %, "
                    f"errors {outcome.errors}, load {outcome.machine.load_after}",
                    flush=True,
                )
    finally:
        server.stop()

    print(
        f"\n{args.runs} runs of {args.requests} GETs per list as {MANAGER}, concurrency "
        f"{args.concurrency}, {server.config}; {total:,} requests, {visible:,} in scope; "
        f"{machine_description()}"
    )
    summary = []
    for name, path in lists:
        runs = results[name]
        if not runs:
            continue
        p95s = [r["p95"] for r in runs]
        summary.append(
            [
                name,
                f"`{path}`",
                spread([r["p50"] for r in runs]),
                spread(p95s),
                spread([r["p99"] for r in runs]),
                f"{statistics.median(r['web'] for r in runs):.1f} + "
                f"{statistics.median(r['db'] for r in runs):.1f}",
                f"{large[(name, 50 if path.startswith('/api/') else 25)][0]}",
                "yes" if statistics.median(p95s) < TARGET_P95_MS else "NO",
            ]
        )
    print(
        table(
            [
                "list",
                "path",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "CPU ms (web + db)",
                "queries",
                f"p95 < {TARGET_P95_MS:.0f} ms",
            ],
            summary,
        )
    )
    print(
        f"(median of {args.runs} runs, range in brackets; load average during: {', '.join(loads)})"
    )

    for name, path in lists[:1] + DESK_LISTS[1:2]:
        if args.profile:
            profile(probe, name, path, args.profile)
    if any(results.values()):
        slowest = max(
            (name for name, _ in lists if results[name]),
            key=lambda name: statistics.median(r["p95"] for r in results[name]),
        )
        explain(probe, dict(lists)[slowest])
    compare_scopes(city.manager)
    if not args.keep_db:
        connections.close_all()
        drop_database(args.database)
    if failed:
        print(f"{failed} failures (errors or changing query counts)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
