"""Bills for a city: 1,200,000 households × 12 monthly readings under the annual tiered tariff
with peak/valley (the DOMAIN.md example), computed by `wudian.billing.engine`.

Not a test: run it by hand and copy the figures into docs/benchmarks.md.

    .venv/bin/python benchmarks/bills_city.py [--households 1200000] [--threads 2]
        [--memory-limit 1500MB] [--sample 200]

The readings are generated in DuckDB (not through the ORM) by a child process into a Parquet
file, so this process's peak RSS is the engine's own. The engine then reads the Parquet file,
checks the readings, computes every household's bill for every month and writes them to
Parquet; the time of that step is the figure. Last, a random sample of households is billed by
the plain per-household reference (`bill_reference`) and compared to the fen with the
engine's rows. `uptime` is printed before and after, since other work on the machine slows it.
"""

# Queries here are built from temporary paths and generated integers only.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wudian.settings")

import django

django.setup()

from wudian.billing import engine  # noqa: E402
from wudian.billing.engine import Reading, TariffSpec, Tier  # noqa: E402

TARIFF = TariffSpec(
    annual=True,
    tiers=(
        Tier(1, Decimal(0), Decimal(2160), Decimal("0.5653")),
        Tier(2, Decimal(2160), Decimal(4200), Decimal("0.6153")),
        Tier(3, Decimal(4200), None, Decimal("0.8653")),
    ),
    peak_price=Decimal("0.5883"),
    valley_price=Decimal("0.3083"),
)

# Monthly use from 0 to ~800 kWh (a few households idle, some heavy users past the third tier);
# two households in three have a time-of-use meter (peak 40-60 %, valley 40-89 % of the rest).
GENERATE = """
COPY (
    SELECT household_id, month, kwh, peak_kwh,
        CAST(floor((kwh - peak_kwh) * (0.40 + (hash(household_id, month, 2) % 50) / 100.0)
            * 1000) / 1000 AS DECIMAL(15,3)) AS valley_kwh
    FROM (
        SELECT h AS household_id, make_date(2025, CAST(m AS INTEGER), 1) AS month,
            CAST(kwh AS DECIMAL(15,3)) AS kwh,
            CASE WHEN h % 3 <> 0 THEN CAST(round(CAST(kwh AS DECIMAL(15,3))
                * (0.40 + (hash(h, m, 1) % 21) / 100.0), 3) AS DECIMAL(15,3)) END AS peak_kwh
        FROM (
            SELECT h, m,
                CASE WHEN hash(h, m, 0) % 40 = 0 THEN 0
                     ELSE ((hash(h, m, 3) % 400000) + (h % 5) * (hash(h, 4) % 100000)) / 1000.0
                END AS kwh
            FROM range(1, {households} + 1) t(h), range(1, 13) s(m)
        )
    )
) TO '{path}' (FORMAT parquet)
"""


def generate(households: int, path: Path, threads: int) -> None:
    con = engine.connect(memory_limit="1500MB", threads=threads)
    con.execute(GENERATE.format(households=households, path=path))
    con.close()


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--households", type=int, default=1_200_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="1500MB")
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.households, args.generate, args.threads)
        return
    with tempfile.TemporaryDirectory(prefix="bills-city-") as temp:
        readings_path = Path(temp) / "readings.parquet"
        bills_path = Path(temp) / "bills.parquet"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", str(readings_path),
             "--households", str(args.households), "--threads", str(args.threads)],
            check=True,
        )  # fmt: skip
        print(
            f"generated {args.households * 12:,} readings in {time.perf_counter() - started:.1f} s"
        )
        print("before:", uptime())

        con = engine.connect(memory_limit=args.memory_limit, threads=args.threads)
        con.execute(f"SET temp_directory = '{temp}'")
        started = time.perf_counter()
        readings = con.read_parquet(str(readings_path))
        engine.bills(readings, TARIFF).to_parquet(str(bills_path))
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("after: ", uptime())
        summary = con.execute(
            f"SELECT count(*), count(DISTINCT household_id), sum(amount), "
            f"count(*) FILTER (time_of_use), count(*) FILTER (tier_3_kwh > 0) "
            f"FROM read_parquet('{bills_path}')"
        ).fetchall()[0]
        print(
            f"bills: {summary[0]:,} rows, {summary[1]:,} households, {summary[2]:,} CNY, "
            f"{summary[3]:,} priced by peak/valley, {summary[4]:,} reaching tier 3"
        )
        print(f"engine: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")

        sample = random.Random(datetime.date.today().toordinal()).sample(
            range(1, args.households + 1), min(args.sample, args.households)
        )
        ids = ", ".join(map(str, sample))
        rows = con.execute(
            f"SELECT household_id, month, kwh, peak_kwh, valley_kwh "
            f"FROM read_parquet('{readings_path}') WHERE household_id IN ({ids})"
        ).fetchall()
        reference = {
            (bill.household_id, bill.month): bill
            for bill in engine.bill_reference([Reading(*row) for row in rows], TARIFF)
        }
        computed = con.execute(
            f"SELECT household_id, month, tier_1_kwh, tier_2_kwh, tier_3_kwh, amount "
            f"FROM read_parquet('{bills_path}') WHERE household_id IN ({ids})"
        ).fetchall()
        differ = [
            row
            for row in computed
            if (ref := reference[(row[0], row[1])]).amount != row[5] or ref.tier_kwh != row[2:5]
        ]
        if len(computed) != len(reference) or differ:
            print(f"MISMATCH: {len(differ)} rows differ, e.g. {differ[:3]}")
            sys.exit(1)
        print(f"reference: {len(sample)} households, {len(computed)} bills equal to the fen")


if __name__ == "__main__":
    main()
