"""Residents filing requests through the API: submissions per second and latency through
gunicorn on PostgreSQL + Redis (issue 3: ≥ 150 submissions/s, p95 < 150 ms).

Not a test: run it by hand and copy the figures into docs/benchmarks.md ("Resident requests").

    .venv/bin/python benchmarks/workorders_submit.py [--submissions 3000] [--concurrency 8]
        [--runs 3] [--workers 2] [--worker-class sync|gthread] [--threads 4] [--profile 200]
        [--keep-db]

Each invocation drops and creates its own database (default wudian_bench), migrates it and
loads the demo city with `WUDIAN_DEBUG=1 wudian seed_demo`; then it creates --residents
resident logins, each the holder of a demo household of its own (spread over the 12
compounds), and issues each an API token with accounts.services.api_token_issue.

gunicorn then serves `wudian.wsgi` with debug off (a secret key and allowed hosts of its own,
Huey and the cache on Redis under their own names). After a warm-up, each run sends
--submissions POST /api/v1/workorders from --concurrency client threads, each on a keep-alive
connection, every call from a random resident about their own household, with the categories
mixed roughly as residents file them. Anything but 201 is an error. No task consumer runs:
the notifications stay in the outbox and the queued tasks are flushed at the end. Each run
reports the CPU that gunicorn's processes, the database's PostgreSQL backends and this client
used per submission (from /proc), which says what the machine could carry if nothing else
ran on it; the same for a light authenticated GET gives the scale. A CPU probe taken before
each run (httpbench.cpu_probe) says how fast the shared machine was at the time.

Afterwards, in this process (same settings, Django's test client, no HTTP): the SQL queries
of each submission (CaptureQueriesContext), and with --profile N a cProfile of N submissions.
Exits non-zero if any submission failed. The database is dropped at the end (--keep-db keeps
it).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.httpbench import (
    Call,
    CpuMeter,
    Outcome,
    cpu_probe,
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

TARGET_RATE = 150.0
TARGET_P95_MS = 150.0

# Roughly how residents file: faults and bill questions most, business and complaints less.
# Some texts name an outage, a payment or the media, so they are flagged as opinion risk and
# the supervisor is told too, as in real traffic.
MIX: list[tuple[str, int, tuple[str, ...]]] = [
    (
        "fault_behind_meter",
        25,
        (
            "家里跳闸了，空开合不上，厨房插座没电。",
            "卫生间插座冒火花，已经拉下总闸，请电工来看看。",
            "客厅灯一开就跳闸，可能是线路老化。",
        ),
    ),
    (
        "fault_before_meter",
        10,
        ("楼道表箱里有焦糊味，整个单元都停电了。", "小区路灯一排都不亮，晚上走路不安全。"),
    ),
    ("outage_enquiry", 15, ("今天下午为什么停电？什么时候来电？", "听说明天计划停电，具体几点？")),
    (
        "billing_enquiry",
        20,
        ("这个月电费比上个月多了一倍，想查一下明细。", "线上缴费后显示未到账，请帮忙核实。"),
    ),
    ("metering_dispute", 4, ("怀疑电能表走得快，申请校验。",)),
    ("business_new", 3, ("新买的车库需要装一块电表。",)),
    ("business_capacity", 3, ("家里要装充电桩，申请增容到 10 千瓦。",)),
    ("business_transfer", 3, ("房子已过户，申请电费户名更名。",)),
    ("business_relocate", 2, ("装修需要把电表移到门外。",)),
    ("hazard", 4, ("小区配电房门没锁，小孩在旁边玩。", "树枝压在低压线上，刮风时有火花。")),
    ("complaint", 6, ("抢修人员迟迟不来，打 12345 也没用，再不解决就找媒体。",)),
    ("suggestion", 5, ("客户经理上门很及时，提出表扬。", "建议停电通知提前一天发短信。")),
]


def create_residents(count: int) -> list[tuple[str, int]]:
    """`count` resident logins, each holding a demo household of its own (the compounds taken
    in turn), each with an API token: [(token, household_id)]."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from wudian.accounts.models import Role, RoleCode, User
    from wudian.accounts.services import api_token_issue
    from wudian.grid.models import Household, HouseholdMembership

    by_compound: dict[int, list[int]] = {}
    for pk, compound_id in (
        Household.objects.filter(memberships__isnull=True)
        .order_by("pk")
        .values_list("pk", "building__compound_id")
    ):
        by_compound.setdefault(compound_id, []).append(pk)
    queues = list(by_compound.values())
    homes: list[int] = []
    while len(homes) < count and any(queues):
        for queue in queues:
            if queue and len(homes) < count:
                homes.append(queue.pop(0))
    if len(homes) < count:
        raise SystemExit(f"only {len(homes)} demo households have no resident login")
    resident = Role.objects.get(code=RoleCode.RESIDENT)
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"bench-resident-{i:04d}",
                display_name=f"居民{i:04d}",
                password=make_password(None),
            )
            for i in range(count)
        )
        User.roles.through.objects.bulk_create(
            User.roles.through(user_id=user.pk, role_id=resident.pk) for user in users
        )
        HouseholdMembership.objects.bulk_create(
            HouseholdMembership(user=user, household_id=home)
            for user, home in zip(users, homes, strict=True)
        )
    return [
        (api_token_issue(user=user, name="bench").token, home)
        for user, home in zip(users, homes, strict=True)
    ]


def submissions(residents: list[tuple[str, int]], count: int, *, seed: int) -> list[Call]:
    rng = random.Random(seed)
    codes = [code for code, _weight, _texts in MIX]
    weights = [weight for _code, weight, _texts in MIX]
    texts = {code: texts for code, _weight, texts in MIX}
    calls = []
    for n in range(count):
        token, household_id = rng.choice(residents)
        code = rng.choices(codes, weights)[0]
        body = {
            "category": code,
            "description": f"{rng.choice(texts[code])}（{seed}-{n}）",
            "household_id": household_id,
        }
        calls.append(
            Call(
                method="POST",
                path="/api/v1/workorders",
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Accept-Language": "zh-hans",
                },
                body=json.dumps(body, ensure_ascii=False).encode(),
                expect=201,
            )
        )
    return calls


# In process: queries and profile -------------------------------------------------------------

_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"([a-z_0-9]+)"')


def _shape(sql: str) -> str:
    verb = sql.split(None, 1)[0].upper()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return verb
    found = _TABLE.search(sql)
    return f"{verb} {found.group(1) if found else '?'}"


def in_process(calls: list[Call], *, profile: int) -> int:
    """Send calls through Django's test client in this process: the queries of each
    submission, and optionally a profile. Returns the number of failed calls."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")

    def post(call: Call) -> int:
        return client.post(
            call.path,
            data=call.body,
            content_type="application/json",
            headers={"Authorization": call.headers["Authorization"]},
        ).status_code

    counted = calls[:100]
    profiled = calls[100 : 100 + profile]
    failed = 0
    per_call: list[int] = []
    db_ms: list[float] = []
    wall_ms: list[float] = []
    shapes: Counter[str] = Counter()
    shape_ms: dict[str, float] = {}
    for call in counted:
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            failed += post(call) != 201
        wall_ms.append((time.perf_counter() - began) * 1000)
        per_call.append(len(queries.captured_queries))
        db_ms.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        for q in queries.captured_queries:
            shape = _shape(q["sql"])
            shapes[shape] += 1
            shape_ms[shape] = shape_ms.get(shape, 0.0) + float(q["time"]) * 1000
    print(
        f"\nIn process, {len(counted)} submissions, one at a time (no HTTP): "
        f"{statistics.median(per_call)} SQL statements each (min {min(per_call)}, "
        f"max {max(per_call)}); median {statistics.median(wall_ms):.1f} ms per submission, "
        f"of which {statistics.median(db_ms):.1f} ms waiting for PostgreSQL."
    )
    print(
        table(
            ["statement", "per submission", "ms per submission"],
            [
                (shape, f"{n / len(counted):.2f}", f"{shape_ms[shape] / len(counted):.2f}")
                for shape, n in sorted(shapes.items(), key=lambda item: -item[1])
            ],
        )
    )
    if profiled:
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        for call in profiled:
            failed += post(call) != 201
        profiler.disable()
        seconds = time.perf_counter() - began
        n = len(profiled)
        print(
            f"\ncProfile of {n} submissions ({seconds / n * 1000:.1f} ms each under the "
            "profiler), ms per submission:"
        )
        print_profile(profiler, n)
    return failed


# Runs ----------------------------------------------------------------------------------------


def row(run: str, outcome: Outcome, cpu_ms: tuple[float, float, float], probe: float) -> list[str]:
    """One run in the summary; cpu_ms: gunicorn, PostgreSQL and client CPU per call; probe:
    the CPU probe just before the run (httpbench.cpu_probe)."""
    p = percentiles(outcome.latencies)
    return [
        run,
        f"{outcome.rate:.1f}",
        f"{p['p50']:.1f}",
        f"{p['p95']:.1f}",
        f"{p['p99']:.1f}",
        f"{p['max']:.0f}",
        str(outcome.errors),
        " + ".join(f"{ms:.1f}" for ms in cpu_ms),
        f"{outcome.machine.busy_share * 100:.0f} %",
        f"{outcome.machine.load} → {outcome.machine.load_after}",
        f"{probe:.0f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    server_options(parser, name="wudian-bench", concurrency=8)
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--submissions", type=int, default=3000, help="per run")
    parser.add_argument("--warmup", type=int, default=300)
    args = parser.parse_args()

    began = time.perf_counter()
    server = demo_server(args)
    residents = create_residents(args.residents)
    print(
        f"database ready in {time.perf_counter() - began:.0f} s: demo city, "
        f"{len(residents)} residents with a household and a token each",
        flush=True,
    )

    from huey.contrib.djhuey import HUEY

    from wudian.workorders.models import WorkOrder

    rows: list[list[str]] = []
    outcomes: list[Outcome] = []
    cpu_per_call: list[float] = []
    failed = 0
    reference = ""
    try:
        server.start()
        warm = fire(
            server.port,
            submissions(residents, args.warmup, seed=0),
            concurrency=args.concurrency,
        )
        failed += warm.errors
        print(f"warm-up: {len(warm.latencies)} submissions, {warm.errors} errors", flush=True)
        # For scale: what an authenticated API call that writes nothing costs here.
        light = [
            Call(
                "GET",
                "/api/v1/workorders/categories",
                {"Authorization": f"Bearer {residents[i % len(residents)][0]}"},
            )
            for i in range(args.submissions // 3)
        ]
        with CpuMeter(server, args.database) as meter:
            outcome = fire(server.port, light, concurrency=args.concurrency)
        failed += outcome.errors
        p = percentiles(outcome.latencies)
        reference = (
            f"for scale, GET /api/v1/workorders/categories ({len(light)} calls, same "
            f"concurrency): {outcome.rate:.0f}/s, p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms; "
            f"CPU per call: gunicorn {meter.seconds('web') / len(light) * 1000:.1f} ms, "
            f"PostgreSQL {meter.seconds('db') / len(light) * 1000:.1f} ms"
        )
        print(reference, flush=True)
        for run in range(1, args.runs + 1):
            calls = submissions(residents, args.submissions, seed=run)
            probe = cpu_probe()
            with CpuMeter(server, args.database) as meter:
                outcome = fire(server.port, calls, concurrency=args.concurrency)
            cpu_ms = (
                meter.seconds("web") / len(calls) * 1000,
                meter.seconds("db") / len(calls) * 1000,
                outcome.client_cpu / len(calls) * 1000,
            )
            outcomes.append(outcome)
            cpu_per_call.append(sum(cpu_ms))
            failed += outcome.errors
            rows.append(row(f"{run}", outcome, cpu_ms, probe))
            print(
                f"run {run}: {len(outcome.latencies)} in {outcome.seconds:.1f} s = "
                f"{outcome.rate:.1f}/s; CPU per submission: gunicorn {cpu_ms[0]:.1f} ms, "
                f"PostgreSQL {cpu_ms[1]:.1f} ms, client {cpu_ms[2]:.1f} ms; "
                f"statuses {dict(outcome.statuses)}",
                flush=True,
            )
            for failure in outcome.failures[:5]:
                print("   ", failure)
    finally:
        server.stop()
    print(
        f"\n{args.runs} runs of {args.submissions} submissions, concurrency {args.concurrency}, "
        f"{server.config}; {machine_description()}"
    )
    print(
        table(
            [
                "run",
                "submissions/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "errors",
                "CPU ms per submission (web + db + client)",
                "machine CPU busy",
                "load average before → after",
                "CPU probe ms",
            ],
            rows,
        )
    )
    if outcomes:
        rates = [o.rate for o in outcomes]
        p95s = [percentiles(o.latencies)["p95"] for o in outcomes]
        p50s = [percentiles(o.latencies)["p50"] for o in outcomes]
        verdict = (
            "met"
            if statistics.median(rates) >= TARGET_RATE and statistics.median(p95s) < TARGET_P95_MS
            else "MISSED"
        )
        print(
            f"median (range): {spread(rates)} submissions/s, p50 {spread(p50s)} ms, "
            f"p95 {spread(p95s)} ms — target ≥ {TARGET_RATE:.0f}/s and p95 < "
            f"{TARGET_P95_MS:.0f} ms: {verdict}"
        )
        cores = os.cpu_count() or 1
        print(
            f"CPU per submission (gunicorn + PostgreSQL backends + this client): "
            f"{spread(cpu_per_call)} ms; so {cores} cores, if nothing else ran, would carry "
            f"at most {cores * 1000 / statistics.median(cpu_per_call):.0f} submissions/s"
        )
    print(reference)
    print(f"{WorkOrder.objects.count()} requests in the database after the runs")

    failed += in_process(submissions(residents, 100 + args.profile, seed=99), profile=args.profile)
    HUEY.flush()
    if not args.keep_db:
        from django.db import connections

        connections.close_all()
        drop_database(args.database)
    if failed:
        print(f"{failed} submissions failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
