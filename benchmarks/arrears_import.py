"""Importing the arrears list: 200,000 rows from .xlsx into a database holding 200,000
households, all or nothing (issue 17: ≤ 60 s).

Not a test: run it by hand and copy the figures into docs/benchmarks.md ("Importing
arrears").

    .venv/bin/python benchmarks/arrears_import.py \\
        [--database-url sqlite | postgres://postgres@127.0.0.1:5432/wudian_bench_arrears] \\
        [--households 200000] [--rows 200000]

The database is made afresh (PostgreSQL: the bench database is dropped and created; SQLite: a
file in a new data directory) and migrated; the households are bulk-inserted (compounds of
2,000, buildings of 100). The list is written with openpyxl's write-only workbook: 95 % of its
rows households of the database (70 % owing, with a due date, 30 % prepaid, with a warning
level), 5 % account numbers that are not. It is imported twice through the service the page
and the command call (`arrears_import`): the second import also turns the first one's
200,000 lines into history. Each import reports the seconds spent reading and checking the
file and looking up the households, the seconds spent storing (`arrears_store`, one
transaction), and the process's peak RSS during the import (VmHWM, reset before each).
Then the same file with one bad row at the end (a negative amount) is refused: the counts of
imports and lines are the same before and after. Exits non-zero if anything is saved from the
refused file or an import exceeds --limit seconds.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.httpbench import (
    bench_environment,
    django_setup,
    drop_database,
    load_average,
    machine_description,
    new_data_dir,
    recreate_database,
    table,
    wudian,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wudian_bench_arrears"
PER_COMPOUND, PER_BUILDING = 2000, 100


def build_households(count: int) -> None:
    from wudian.grid.models import Building, Community, Compound, District, Household, Street

    district = District.objects.create(code="BD", name="蚌山区", city="蚌埠市")
    street = Street.objects.create(district=district, code="BS", name="黄庄街道")
    community = Community.objects.create(street=street, code="BC", name="涂山社区")
    n = 0
    for c in range(-(-count // PER_COMPOUND)):
        compound = Compound.objects.create(
            community=community, code=f"B{c:03d}", name=f"小区{c}", address=f"涂山路{c}号"
        )
        buildings = Building.objects.bulk_create(
            Building(compound=compound, code=f"B{c:03d}-{b:02d}", name=f"{b}号楼")
            for b in range(PER_COMPOUND // PER_BUILDING)
        )
        batch = []
        for building in buildings:
            for r in range(PER_BUILDING):
                if n >= count:
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
                    )
                )
                n += 1
        Household.objects.bulk_create(batch, batch_size=5000)


def write_list(
    path: Path, *, rows: int, households: int, as_of: datetime.date, bad_last: bool
) -> None:
    from openpyxl import Workbook

    rng = random.Random(17)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["户号", "欠费金额", "预存余额", "缴费截止日", "预警金额"])
    accounts = rng.sample(range(households), min(rows, households))
    for n in range(rows):
        known = n < len(accounts) and rng.random() < 0.95
        account = f"34{accounts[n]:010d}" if known else f"35{n:010d}"
        if bad_last and n == rows - 1:
            sheet.append([account, -12.5, None, as_of - datetime.timedelta(days=3), None])
        elif rng.random() < 0.7:
            due = as_of - datetime.timedelta(days=rng.randrange(1, 90))
            sheet.append([account, round(rng.uniform(1, 800), 2), None, due, None])
        else:
            sheet.append([account, None, round(rng.uniform(0, 300), 2), None, 50])
    workbook.save(path)


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="sqlite", help="a URL, or sqlite")
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds an import may take")
    args = parser.parse_args()

    sqlite = args.database_url == "sqlite"
    env = bench_environment(
        database="" if sqlite else args.database_url,
        redis="",
        name="bench-arrears",
        data_dir=new_data_dir("wudian-bench-arrears-"),
    )
    if not sqlite:
        recreate_database(args.database_url)
    wudian(env, "migrate")
    django_setup(env)

    from django.db import connection
    from django.utils import timezone

    from wudian.billing.models import Arrears, ArrearsImport
    from wudian.billing.services import arrears as service
    from wudian.billing.tables import TableRefused

    began = time.perf_counter()
    build_households(args.households)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{args.households} households written in {time.perf_counter() - began:.1f} s")

    today = timezone.localdate()
    work = Path(tempfile.mkdtemp(prefix="wudian-bench-arrears-files-"))
    good, bad = work / "arrears.xlsx", work / "arrears-bad.xlsx"
    began = time.perf_counter()
    write_list(good, rows=args.rows, households=args.households, as_of=today, bad_last=False)
    write_list(bad, rows=args.rows, households=args.households, as_of=today, bad_last=True)
    print(
        f"two lists of {args.rows} rows written in {time.perf_counter() - began:.1f} s "
        f"({good.stat().st_size / 1e6:.1f} MB each)"
    )

    stored: list[float] = []
    store = service.arrears_store

    def timed_store(**kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return store(**kwargs)
        finally:
            stored.append(time.perf_counter() - start)

    # Only to split the figure in two: the service calls its module's arrears_store.
    service.arrears_store = timed_store  # type: ignore[assignment]

    def run(label: str, path: Path, call: Callable[[], Any]) -> tuple[str, ...]:
        stored.clear()
        reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        outcome = call()
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        storing = stored[0] if stored else 0.0
        return (
            label,
            f"{total - storing:.1f}",
            f"{storing:.1f}",
            f"{total:.1f}",
            f"{cpu:.1f}",
            f"{peak_mb():.0f}",
            outcome,
        )

    def imported(path: Path) -> Callable[[], str]:
        def call() -> str:
            with path.open("rb") as handle:
                result = service.arrears_import(handle, path.name, as_of=today)
            return f"{result.households} households, {len(result.unknown_accounts)} unknown"

        return call

    def refused() -> str:
        try:
            with bad.open("rb") as handle:
                service.arrears_import(handle, bad.name, as_of=today)
        except TableRefused as error:
            return f"refused: {error.problems[0].text()}"
        return "NOT REFUSED"

    rows = [
        run("first import", good, imported(good)),
        run("second import (supersedes)", good, imported(good)),
    ]
    before = (
        ArrearsImport.objects.count(),
        Arrears.objects.count(),
        Arrears.objects.filter(current=True).count(),
    )
    rows.append(run("one bad row at the end", bad, refused))
    after = (
        ArrearsImport.objects.count(),
        Arrears.objects.count(),
        Arrears.objects.filter(current=True).count(),
    )

    print(machine_description(), "· load average after:", load_average())
    print(
        f"{connection.vendor}, {args.households} households, {args.rows} rows (.xlsx)\n"
        + table(
            [
                "import",
                "read + check s",
                "store s",
                "total s",
                "CPU s (this process)",
                "peak RSS MB",
                "outcome",
            ],
            rows,
        )
    )
    print(f"imports, lines, current lines before the refused file: {before}; after: {after}")
    if not sqlite:
        connection.close()
        drop_database(args.database_url)
    if before != after:
        raise SystemExit("the refused file changed the database")
    if any(float(row[3]) > args.limit for row in rows):
        raise SystemExit(f"an import took more than {args.limit} s")


if __name__ == "__main__":
    main()
