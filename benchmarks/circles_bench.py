"""Circles at the scale of a city (issue 15): a seasonal post to all 300 circles of a city
with 1,200,000 members written to the outbox (target ≤ 10 s), and a circle page with 10,000
messages (target p95 ≤ 150 ms, paged).

Not a test: run it by hand against a PostgreSQL database of its own, and copy the figures into
docs/benchmarks.md ("Circles").

    createdb -h 127.0.0.1 -U postgres wudian_circles_bench
    WUDIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wudian_circles_bench \\
        WUDIAN_REDIS_URL=redis://127.0.0.1:6379/5 WUDIAN_HUEY_NAME=circles-bench \\
        WUDIAN_DEBUG=1 .venv/bin/python benchmarks/circles_bench.py [--runs 3] [--pages 200]

The first run migrates the database and builds the city in SQL (codes starting CB-): 300
communities of one compound each, 20 buildings a compound, 4,000 households a compound
(1,200,000), a resident login for each household (1,200,000 users, each a member of their
compound's circle), a customer manager and an electrician per compound, and 10,000 messages
(a tenth with a reply) in the first circle.

Each publishing run calls `circles.services.post_publish(author=None, circles=<all 300>)`
inside one transaction, as the knowledge app's seasonal reminder does, commits, and times it
(it prints the load average before each run); the run's posts, outbox rows (a broadcast per
post) and inbox entries (one per member) are then removed and the tables vacuumed. The page
runs time the first circle's page through Django's test client (the whole view, templates
included, in this process; no HTTP server), as its customer manager sees it: the first page
and an older page by its cursor.
"""

from __future__ import annotations

import argparse
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

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from wudian.accounts.models import Role, RoleCode, User  # noqa: E402
from wudian.circles.models import Circle, Message, Post  # noqa: E402
from wudian.circles.services import post_publish  # noqa: E402
from wudian.grid.models import Building, Community, Compound, District, Street  # noqa: E402
from wudian.notify.models import InboxEntry  # noqa: E402
from wudian.notify.models import Message as Outbox  # noqa: E402

COMPOUNDS = 300
BUILDINGS = 20
HOUSEHOLDS = 4000  # per compound
MESSAGES = 10_000
TARGET_PUBLISH_S = 10.0
TARGET_PAGE_P95_MS = 150.0


def sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def build() -> None:
    """The city, in SQL (the ORM would take an hour for 1.2 M users)."""
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Compound.objects.filter(code__startswith="CB-").exists():
        return
    with transaction.atomic():
        _build(started)
    sql("VACUUM ANALYZE")
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def _build(started: float) -> None:
    print("building the city …", flush=True)
    district = District.objects.create(code="CB-D", name="基准区", city="基准市")
    street = Street.objects.create(district=district, code="CB-S", name="基准街道")
    communities = Community.objects.bulk_create(
        [Community(street=street, code=f"CB-C{n}", name=f"基准社区{n}") for n in range(COMPOUNDS)]
    )
    compounds = Compound.objects.bulk_create(
        [
            Compound(community=community, code=f"CB-{n}", name=f"基准小区{n}", address="基准路")
            for n, community in enumerate(communities)
        ]
    )
    Building.objects.bulk_create(
        [
            Building(compound=compound, code=f"{compound.code}-{b}", name=f"{b}号楼")
            for compound in compounds
            for b in range(1, BUILDINGS + 1)
        ]
    )
    per_building = HOUSEHOLDS // BUILDINGS
    sql(
        "INSERT INTO grid_household (building_id, account_no, unit, room, address, "
        "holder_name, phone, special_group) "
        "SELECT b.id, '8' || lpad((b.id * 1000 + h)::text, 11, '0'), '1', h::text, '基准路', "
        "'基准户', '', false FROM grid_building b, generate_series(1, %s) h "
        "WHERE b.code LIKE 'CB-%%'",
        [per_building],
    )
    print(f"  households {time.perf_counter() - started:.0f} s", flush=True)
    sql(
        "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, "
        "email, is_staff, is_active, date_joined, display_name, phone, title, photo) "
        "SELECT '!', false, 'cb-r' || h.id, '', '', '', false, true, now(), '居民' || h.id, "
        "'', '', '' FROM grid_household h JOIN grid_building b ON b.id = h.building_id "
        "WHERE b.code LIKE 'CB-%%'"
    )
    sql(
        "INSERT INTO grid_householdmembership (user_id, household_id, relation) "
        "SELECT u.id, substr(u.username, 5)::bigint, 'holder' FROM accounts_user u "
        "WHERE u.username LIKE 'cb-r%%'"
    )
    print(f"  residents {time.perf_counter() - started:.0f} s", flush=True)
    for role, prefix in [(RoleCode.CUSTOMER_MANAGER, "cb-m"), (RoleCode.ELECTRICIAN, "cb-e")]:
        sql(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, "
            "last_name, email, is_staff, is_active, date_joined, display_name, phone, title, "
            "photo) SELECT '!', false, %s || k.id, '', '', '', false, true, now(), "
            "'员工' || k.id, '', '', '' FROM grid_compound k WHERE k.code LIKE 'CB-%%'",
            [prefix],
        )
        role_id = Role.objects.get(code=role).pk
        sql(
            "INSERT INTO accounts_user_roles (user_id, role_id) SELECT id, %s "
            "FROM accounts_user WHERE username LIKE %s",
            [role_id, prefix + "%"],
        )
        sql(
            "INSERT INTO grid_compoundassignment (user_id, compound_id, role) "
            "SELECT u.id, substr(u.username, 5)::bigint, %s FROM accounts_user u "
            "WHERE u.username LIKE %s",
            [role, prefix + "%"],
        )
    # One circle per compound (the signal does not run for rows written in SQL).
    sql(
        "INSERT INTO circles_circle (name, created_at) SELECT 'CB:' || k.id, now() "
        "FROM grid_compound k WHERE k.code LIKE 'CB-%%'"
    )
    sql(
        "INSERT INTO circles_circle_compounds (circle_id, compound_id) "
        "SELECT c.id, substr(c.name, 4)::bigint FROM circles_circle c WHERE c.name LIKE 'CB:%%'"
    )
    first = Circle.objects.filter(name__startswith="CB:").order_by("pk").first()
    assert first is not None
    compound_id = int(first.name[3:])
    # 500 of the compound's residents write the messages in turn.
    sql(
        "INSERT INTO circles_message (circle_id, author_id, body, created_at, hidden_reason) "
        "WITH authors AS (SELECT hm.user_id, row_number() OVER (ORDER BY hm.id) - 1 AS k "
        "FROM grid_householdmembership hm JOIN grid_household h ON h.id = hm.household_id "
        "JOIN grid_building b ON b.id = h.building_id WHERE b.compound_id = %s LIMIT 500) "
        "SELECT %s, a.user_id, '第' || n || '条留言：楼道灯不亮了，麻烦看一下。', "
        "now() - (n || ' minutes')::interval, '' FROM generate_series(1, %s) n "
        "JOIN authors a ON a.k = n %% 500",
        [compound_id, first.pk, MESSAGES],
    )
    sql(
        "INSERT INTO circles_message (circle_id, parent_id, author_id, body, created_at, "
        "hidden_reason) SELECT m.circle_id, m.id, u.id, '收到，马上处理。', "
        "m.created_at + interval '5 minutes', '' "
        "FROM circles_message m, accounts_user u WHERE m.circle_id = %s AND m.id %% 10 = 0 "
        "AND u.username = %s",
        [first.pk, f"cb-e{compound_id}"],
    )


def publish_run() -> tuple[float, int, int]:
    circles = list(Circle.objects.filter(name__startswith="CB:"))
    started = time.perf_counter()
    with transaction.atomic():
        posts = post_publish(
            author=None,
            circles=circles,
            kind=Post.Kind.SAFETY,
            title="雷雨季节安全用电提醒",
            body="雷雨天气请拔掉电视、电脑等电器插头，不要在大树下避雨。",
        )
    elapsed = time.perf_counter() - started
    keys = [key for post in posts for key in (post.event_key, post.inbox_event_key)]
    rows = Outbox.objects.filter(event_key__in=keys).count()
    entries = InboxEntry.objects.filter(message__event_key__in=keys).count()
    sql(
        "DELETE FROM notify_inboxentry WHERE message_id IN "
        "(SELECT id FROM notify_message WHERE event_key = ANY(%s))",
        [keys],
    )
    sql("DELETE FROM notify_message WHERE event_key = ANY(%s)", [keys])
    Post.objects.filter(pk__in=[post.pk for post in posts]).delete()
    # The next run starts alike: no dead rows of this one in the tables and indexes.
    sql("VACUUM notify_message")
    sql("VACUUM notify_inboxentry")
    return elapsed, rows, entries


def page_runs(pages: int) -> dict[str, dict[str, float]]:
    # As served: no query log kept per request.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    circle = Circle.objects.filter(name__startswith="CB:").order_by("pk").first()
    assert circle is not None
    manager = User.objects.get(username=f"cb-m{circle.name[3:]}")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(manager)
    first = f"/circles/{circle.pk}/"
    response = client.get(first)
    assert response.status_code == 200
    older = response.content.decode().split('id="older"')[0].rsplit('href="', 1)[1].split('"')[0]
    older = first + older.replace("&amp;", "&")
    results = {}
    for name, url in [("first page", first), ("an older page", older)]:
        times = []
        for _n in range(pages):
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times.sort()
        results[name] = {
            "p50": statistics.median(times),
            "p95": times[int(len(times) * 0.95) - 1],
            "queries": len(queries),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=200)
    options = parser.parse_args()
    assert connection.vendor == "postgresql", "run it on PostgreSQL"
    build()
    members = User.objects.filter(household_memberships__isnull=False).count()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{Circle.objects.count()} circles, {members:,} members, "
        f"{Message.objects.count():,} messages; DEBUG={settings.DEBUG}",
        flush=True,
    )
    times = []
    for run in range(1, options.runs + 1):
        load = os.getloadavg()[0]
        elapsed, rows, entries = publish_run()
        times.append(elapsed)
        print(
            f"publish run {run}: {elapsed:.2f} s, {rows:,} outbox rows, {entries:,} inbox "
            f"entries (load average before {load:.2f})",
            flush=True,
        )
    median = statistics.median(times)
    verdict = "yes" if median <= TARGET_PUBLISH_S else "NO"
    print(f"publish median {median:.2f} s (target ≤ {TARGET_PUBLISH_S:.0f} s: {verdict})")
    for name, figures in page_runs(options.pages).items():
        verdict = "yes" if figures["p95"] <= TARGET_PAGE_P95_MS else "NO"
        print(
            f"circle page, {name}: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, "
            f"{figures['queries']} queries (target p95 ≤ {TARGET_PAGE_P95_MS:.0f} ms: {verdict})"
        )


if __name__ == "__main__":
    main()
