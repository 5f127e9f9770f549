"""The district dashboard on the issue-14 city (issue 14: a month at p95 ≤ 300 ms, the year to
date at p95 ≤ 1 s with a warm cache).

Not a test: build the city first with `benchmarks/dashboard_generate.py`, run this by hand,
and copy the figures into docs/benchmarks.md ("Service dashboard").

    .venv/bin/python benchmarks/dashboard_bench.py \\
        [--database-url postgres://postgres@127.0.0.1:5432/wudian_bench] \\
        [--redis-url redis://127.0.0.1:6379/4] [--district 1] [--runs 5] \\
        [--cached-runs 20] [--ways computed,cached] [--through page,figures()] \\
        [--periods this_month,last_month,year_to_date] [--explain N]

Django runs in this process with debug off, on the city's database and a Redis cache of the
benchmark's own (key prefix bench-dashboard, emptied first), the static files collected into
a directory of the run's. A supervisor of the district (sup-D<district>-1, logged in with
force_login) opens the dashboard through Django's test
client, `GET /desk/dashboard/?period=<preset>&scope=district:<id>`, and the figures are
computed directly with `metrics.figures.figures(METRIC_LIST, period, cut)` for the same cut.
Each is timed per period, two ways:

- *computed* (--runs times): the figures' cache off (WUDIAN_METRICS_CACHE_SECONDS=0 in
  effect), so every run computes every figure; PostgreSQL's buffers are warm after the first;
- *cached* (--cached-runs times): the cache on (300 s): the first run fills it (cold), the
  others read it (warm).

For each: the first run, p50 and p95 of the others, and the SQL queries of a first run (the
cache emptied) and of the next (CaptureQueriesContext). At the end the peak RSS of this
process. --explain N prints EXPLAIN (ANALYZE, BUFFERS) of the N slowest queries of a computed
run of figures() for each period. --plain-postgres replaces the sources' analytic settings
(metrics.sources.analytic_queries: JIT off, custom plans) by nothing, for the comparison.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.httpbench import (
    bench_environment,
    django_setup,
    load_average,
    machine_description,
    new_data_dir,
    percentiles,
    table,
    wudian,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wudian_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"
TARGETS_MS = {"this_month": 300.0, "last_month": 300.0, "year_to_date": 1000.0}


def timed(call: Callable[[], Any], runs: int) -> tuple[float, list[float]]:
    """(first run, the other runs) in seconds."""
    began = time.perf_counter()
    call()
    first = time.perf_counter() - began
    rest = []
    for _ in range(runs - 1):
        began = time.perf_counter()
        call()
        rest.append(time.perf_counter() - began)
    return first, rest


def captured(call: Callable[[], Any]) -> list[dict[str, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return list(queries.captured_queries)


def explain(queries: list[dict[str, str]], top: int) -> None:
    from django.db import connection

    slowest = sorted(queries, key=lambda q: -float(q["time"]))[:top]
    with connection.cursor() as cursor:
        for query in slowest:
            print(f"\n-- {float(query['time']) * 1000:.0f} ms:\n{query['sql'][:3000]}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--district", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="runs with the figures computed")
    parser.add_argument("--cached-runs", type=int, default=20, help="runs with the cache on")
    parser.add_argument("--periods", default="this_month,last_month,year_to_date")
    parser.add_argument("--explain", type=int, default=0, metavar="N")
    parser.add_argument(
        "--plain-postgres",
        action="store_true",
        help="without metrics.sources.analytic_queries (JIT on, generic plans): the comparison",
    )
    parser.add_argument("--ways", default="computed,cached", help="computed, cached or both")
    parser.add_argument("--through", default="page,figures()", help="page, figures() or both")
    args = parser.parse_args()

    env = bench_environment(
        database=args.database_url,
        redis=args.redis_url,
        name="bench-dashboard",
        data_dir=new_data_dir("wudian-bench-dashboard-"),
    )
    wudian(env, "collectstatic", "--noinput")  # debug off serves hashed names
    django_setup(env)
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from wudian.accounts.models import User
    from wudian.metrics.cuts import resolve_cut
    from wudian.metrics.figures import figures
    from wudian.metrics.periods import Preset, preset_period
    from wudian.metrics.registry import METRIC_LIST

    if args.plain_postgres:
        import contextlib

        from wudian.metrics import figures as figures_module

        figures_module.analytic_queries = contextlib.nullcontext  # type: ignore[assignment]
        print("without analytic_queries: JIT and plan_cache_mode as the server has them")

    print(machine_description())
    started = datetime.datetime.now(datetime.UTC)
    print(f"started {started:%Y-%m-%d %H:%M} UTC")
    supervisor = User.objects.get(username=f"sup-D{args.district}-1")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(supervisor)
    cut = resolve_cut(supervisor, f"district:{args.district}")
    print(f"district {args.district}: {len(cut.compound_ids)} compounds")

    def page(preset: str) -> Callable[[], Any]:
        path = f"/desk/dashboard/?period={preset}&scope=district:{args.district}"

        def call() -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")

        return call

    def direct(preset: str) -> Callable[[], Any]:
        period = preset_period(Preset(preset))
        return lambda: figures(METRIC_LIST, period, cut)

    rows = []
    for preset in args.periods.split(","):
        for way, seconds in (("computed", 0), ("cached", 300)):
            if way not in args.ways.split(","):
                continue
            settings.WUDIAN_METRICS_CACHE_SECONDS = seconds
            for what, make in (("page", page), ("figures()", direct)):
                if what not in args.through.split(","):
                    continue
                cache.clear()
                call = make(preset)
                load_before = load_average()
                runs = args.runs if way == "computed" else args.cached_runs
                first, rest = timed(call, runs)
                cut_p = percentiles(rest)
                cache.clear()
                queries = captured(call)
                again = len(captured(call))
                target = TARGETS_MS.get(preset)
                rows.append(
                    (
                        preset,
                        way,
                        what,
                        f"{first * 1000:.0f}",
                        f"{cut_p['p50']:.0f}",
                        f"**{cut_p['p95']:.0f}**",
                        f"{cut_p['max']:.0f}",
                        f"{len(queries)} / {again}",
                        f"{target:.0f}" if target else "",
                        f"{load_before} → {load_average()}",
                    )
                )
                print(" | ".join(str(c) for c in rows[-1]), flush=True)
                if args.explain and way == "computed" and what == "figures()":
                    explain(queries, args.explain)
    settings.WUDIAN_METRICS_CACHE_SECONDS = 0
    print()
    print(
        table(
            [
                "period",
                "figures",
                "through",
                "first ms",
                "p50 ms",
                "p95 ms",
                "max ms",
                "queries (first / next)",
                "target p95 ms",
                "load average",
            ],
            rows,
        )
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process {peak:.0f} MB; pid {os.getpid()}")
    print(machine_description())


if __name__ == "__main__":
    main()
