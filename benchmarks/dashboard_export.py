"""The dashboard's exports on a large city (issue 14: an .xlsx of 100,000 rows in at most 15 s
and 500 MB; the monthly PDF in at most 10 s).

Not a test: run it by hand against a database that holds the big city (it only reads), and
copy the figures into docs/benchmarks.md.

    .venv/bin/python benchmarks/dashboard_export.py --database postgres://…/wudian_bench
        [--rows 100000] [--scope all|district:ID|community:ID|compound:ID]
        [--month YYYY-MM] [--report-scope district:ID] [--only xlsx|pdf]

Each measurement runs in a child process of its own, so its peak resident memory
(`getrusage`'s ru_maxrss) is that of one export, not of the other: the child sets Django up,
notes its memory, then does exactly what the view does after the checks, with the figures'
cache off (a cold computation, the worst case):

- xlsx: the requests behind `requests.filed` for --scope (default: every compound), over the
  shortest period of whole days ending with the newest request that holds at least --rows
  requests: the count that guards the list's length, then the workbook written to a
  temporary file. It reports the rows, the seconds (wall and CPU), the file's size and the
  peak memory, and opens the file with openpyxl (read-only) to check the row count.
- pdf: the monthly report for --month (default: the last whole month before the newest
  request) and --report-scope (default: the district with the most compounds).
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.httpbench import _cpu_of, machine_description

XLSX_SECONDS, XLSX_MB, PDF_SECONDS = 15.0, 500.0, 10.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class BackendCpu:
    """CPU seconds of this process's own PostgreSQL backend (parallel workers not counted):
    with this process's CPU, what the work costs whatever else the machine runs."""

    def __enter__(self) -> BackendCpu:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
        self.start = _cpu_of(self.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = (_cpu_of(self.pid) - self.start) / os.sysconf("SC_CLK_TCK")


def setup(database: str) -> None:
    os.environ["WUDIAN_DATABASE_URL"] = database
    os.environ["WUDIAN_METRICS_CACHE_SECONDS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wudian.settings")
    import django

    django.setup()


def cut_of(text: str) -> Any:
    from wudian.grid.models import Community, Compound, District
    from wudian.metrics.cuts import Cut, CutKind, whole_cut

    if text == "all":
        return Cut(CutKind.ALL, None, frozenset(Compound.objects.values_list("pk", flat=True)))
    kind_text, _sep, pk = text.partition(":")
    kind = CutKind(kind_text)
    model: dict[CutKind, Any] = {
        CutKind.DISTRICT: District,
        CutKind.COMMUNITY: Community,
        CutKind.COMPOUND: Compound,
    }
    return whole_cut(kind, model[kind].objects.get(pk=int(pk)))


def run_xlsx(args: argparse.Namespace) -> None:
    setup(args.database)
    from django.utils import timezone
    from openpyxl import load_workbook

    from wudian.metrics import exports
    from wudian.metrics.periods import Period
    from wudian.metrics.registry import METRICS
    from wudian.workorders.models import WorkOrder

    cut = cut_of(args.scope)
    newest = (
        WorkOrder.objects.filter(compound_id__in=cut.compound_ids)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    last = newest.first()
    nth = newest[args.rows - 1 : args.rows].first()
    if last is None or nth is None:
        sys.exit(f"fewer than {args.rows} requests in {args.scope}")
    period = Period(timezone.localtime(nth).date(), timezone.localtime(last).date())
    drill = METRICS["requests.filed"].drill
    assert drill is not None
    before = peak_mb()
    with tempfile.TemporaryFile() as out:
        with BackendCpu() as db:
            wall, cpu = time.perf_counter(), time.process_time()
            count = exports.requests_count(drill, period, cut)
            exports.check_list_length(count)
            exports.write([exports.requests_table(drill, period, cut)], out)
            size = out.tell()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            peak = peak_mb()
        out.seek(0)
        sheet = load_workbook(out, read_only=True).worksheets[0]
        rows = len(list(sheet.iter_rows(min_row=2, values_only=True)))
    assert rows == count, (rows, count)
    print(
        f"xlsx: {count:,} requests of {args.scope} ({len(cut.compound_ids):,} compounds), "
        f"{period.label}: {wall:.2f} s wall, CPU {cpu:.2f} s here + {db.seconds:.2f} s in "
        f"PostgreSQL, {size / 1e6:.1f} MB file; "
        f"peak RSS {peak:.0f} MB (after setup {before:.0f} MB); "
        f"target ≤ {XLSX_SECONDS:.0f} s and ≤ {XLSX_MB:.0f} MB: "
        + ("met" if wall <= XLSX_SECONDS and peak <= XLSX_MB else "MISSED")
    )


def run_pdf(args: argparse.Namespace) -> None:
    setup(args.database)
    from django.db.models import Count
    from django.utils import timezone, translation

    from wudian.grid.models import District
    from wudian.metrics.periods import month_period
    from wudian.metrics.report import render_report_pdf
    from wudian.workorders.models import WorkOrder

    if args.month:
        month = month_period(args.month)
    else:
        last = WorkOrder.objects.order_by("-created_at").values_list("created_at", flat=True)[0]
        first_of = timezone.localtime(last).date().replace(day=1)
        previous = first_of - datetime.timedelta(days=1)
        month = month_period(previous.strftime("%Y-%m"))
    scope = args.report_scope
    if scope is None:
        district = (
            District.objects.annotate(n=Count("streets__communities__compounds"))
            .order_by("-n", "pk")
            .first()
        )
        assert district is not None, "no district"
        scope = f"district:{district.pk}"
    cut = cut_of(scope)
    before = peak_mb()
    with translation.override("zh-hans"), BackendCpu() as db:
        wall, cpu = time.perf_counter(), time.process_time()
        body = render_report_pdf(month, cut)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"pdf: {month.first:%Y-%m} of {scope} ({len(cut.compound_ids):,} compounds): "
        f"{wall:.2f} s wall, CPU {cpu:.2f} s here + {db.seconds:.2f} s in PostgreSQL, "
        f"{len(body) / 1e3:.0f} kB; peak RSS {peak_mb():.0f} MB (after setup {before:.0f} MB); "
        f"target ≤ {PDF_SECONDS:.0f} s: " + ("met" if wall <= PDF_SECONDS else "MISSED")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--scope", default="all")
    parser.add_argument("--month")
    parser.add_argument("--report-scope")
    parser.add_argument("--only", choices=["xlsx", "pdf"])
    args = parser.parse_args()
    if args.only == "xlsx":
        run_xlsx(args)
        return
    if args.only == "pdf":
        run_pdf(args)
        return
    print(machine_description())
    failed = False
    for what in ("xlsx", "pdf"):
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--only", what], check=False
        )
        failed |= child.returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
