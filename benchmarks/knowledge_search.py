"""Searching power knowledge: the public list /knowledge/ with words, over a city's worth of
articles (and more), on PostgreSQL and on SQLite.

Not a test: run it by hand and copy the figures into docs/benchmarks.md ("Knowledge search").

    .venv/bin/python benchmarks/knowledge_search.py \\
        [--database-url postgres://postgres@127.0.0.1:5432/wudian_bench_knowledge | sqlite] \\
        [--articles 5000] [--runs 30]

The database is made afresh (PostgreSQL: the bench database is dropped and created; SQLite: a
file in a new data directory), migrated, and filled with published city-wide articles whose
texts are the demo's twelve, numbered and shuffled (about 600 characters each). Django runs in
this process with debug off; each search is `GET /knowledge/?q=…` through the test client as
an anonymous reader (the count and the first page of 20), timed --runs times after one warm-up.
"""

from __future__ import annotations

import argparse
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

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wudian_bench_knowledge"
SEARCHES = [
    ("one common word", "q=电价"),
    ("two words", "q=空调+省电"),
    ("three words", "q=智能电表+余额+缴费"),
    ("a word and a category", "q=充电&category=safe_use"),
    ("a rare word", "q=文章4321"),
    ("nothing matches", "q=核电站+地震"),
    ("the list, no words", ""),
]


def fill(count: int) -> None:
    from django.utils import timezone

    from wudian.front.demo.knowledge import ARTICLES
    from wudian.knowledge.models import Article, Reach

    rng = random.Random(15)
    now = timezone.now()
    rows = []
    for n in range(count):
        title, category, _kind, _colour, summary, body = ARTICLES[n % len(ARTICLES)]
        paragraphs = body.split("\n\n")
        rng.shuffle(paragraphs)
        rows.append(
            Article(
                title=f"{title}（文章{n}）",
                summary=summary,
                body="\n\n".join(paragraphs),
                category=category,
                reach=Reach.ALL,
                state=Article.State.PUBLISHED,
                published_at=now - timezone.timedelta(minutes=n),
                publish_at=now - timezone.timedelta(minutes=n),
            )
        )
    Article.objects.bulk_create(rows, batch_size=1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a URL, or sqlite")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    sqlite = args.database_url == "sqlite"
    env = bench_environment(
        database="" if sqlite else args.database_url,
        redis="",
        name="bench-knowledge",
        data_dir=new_data_dir("wudian-bench-knowledge-"),
    )
    if not sqlite:
        recreate_database(args.database_url)
    wudian(env, "migrate")
    wudian(env, "collectstatic", "--noinput")
    django_setup(env)

    from django.db import connection
    from django.test import Client

    began = time.perf_counter()
    fill(args.articles)
    print(f"{args.articles} articles written in {time.perf_counter() - began:.1f} s")
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = []
    for label, query in SEARCHES:
        url = f"/knowledge/?{query}"
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - start)
        cuts = percentiles(times)
        shown = f"`{query or '-'}`"
        rows.append((label, shown, f"{cuts['p50']:.0f}", f"{cuts['p95']:.0f}"))
    print(machine_description(), "·", load_average())
    print(
        f"{connection.vendor}, {args.articles} articles, {args.runs} runs each\n"
        + table(["search", "query", "p50 ms", "p95 ms"], rows)
    )
    if not sqlite:
        connection.close()
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
