"""Write the line-loss benchmark data: METERS.csv and READINGS.parquet.

The default is the size the issue asks for: 1,000,000 meters in 10,000 station areas with
31 daily readings each (31 M rows). Everything is generated inside DuckDB, so the generator
itself needs little memory.

    .venv/bin/python benchmarks/lineloss_generate.py [--meters 1000000] [--areas 10000]
        [--days 31] [--out benchmarks/data]

The readings are written day by day (as a month of daily exports concatenated), with meters
shuffled inside each day, so they are not in meter order. About 0.1 % of the rows are missing,
0.05 % have an empty register and 0.001 % go backwards, so every status and the anomaly list are
exercised.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

METERS_SQL = """
COPY (
    SELECT
        printf('M%08d', i) AS meter_id,
        printf('TA%05d', i % $areas) AS station_area_id,
        -- the first two meters of every area are its supply (transformer) meters
        CASE WHEN i < 2 * $areas THEN 'supply' ELSE 'user' END AS role,
        CASE WHEN i < 2 * $areas THEN 80 WHEN (i // $areas) % 40 = 7 THEN 20 ELSE 1 END
            AS multiplier,
        printf('A%010d', i) AS account_no
    FROM range($meters) AS t(i)
    ORDER BY i
) TO '{path}' (HEADER, DELIMITER ',')
"""

READINGS_SQL = """
COPY (
    WITH days AS (
        SELECT d, CAST(DATE '2024-05-01' + CAST(d AS INTEGER) AS DATE) AS read_date
        FROM range($days + 0) AS t(d)
    ),
    grid AS (
        SELECT
            m.i, days.d, days.read_date,
            hash(m.i, days.d) AS h,
            -- a user meter uses about 10 kWh a day; two supply meters (x80) carry the area + ~5 %
            CASE WHEN m.i < 2 * $areas THEN 10.17 ELSE 10.0 END AS daily
        FROM range($meters) AS m(i), days
    )
    SELECT
        printf('M%08d', i) AS meter_id,
        read_date,
        CASE
            WHEN h % 10000 < 5 THEN NULL
            WHEN h % 100000 = 7 THEN round(1000 + daily * d - 5, 2)
            ELSE round(1000 + (i % 997) + daily * d + (hash(i, d, 'x') % 100) / 100.0, 2)
        END::DOUBLE AS register_kwh
    FROM grid
    WHERE h % 10000 NOT BETWEEN 10 AND 19
    ORDER BY d, hash(i)
) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--areas", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--memory-limit", default="1500MB")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    meters_path = args.out / "meters.csv"
    readings_path = args.out / "readings.parquet"
    con = duckdb.connect(
        config={
            "memory_limit": args.memory_limit,
            "temp_directory": str(args.out / ".duckdb-tmp"),
            "preserve_insertion_order": True,
        }
    )
    params = {"meters": args.meters, "areas": args.areas, "days": args.days}
    started = time.perf_counter()
    con.execute(METERS_SQL.format(path=meters_path), {k: params[k] for k in ("meters", "areas")})
    con.execute(READINGS_SQL.format(path=readings_path), params)
    rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(readings_path)]).fetchone()
    print(
        f"wrote {meters_path} and {readings_path} ({rows[0] if rows else 0:,} readings) "
        f"in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
