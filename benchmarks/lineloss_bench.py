"""Time `wudian lineloss` against a hand-written DuckDB query over the same files.

Not a test: run it by hand after `benchmarks/lineloss_generate.py`, and copy the figures into
docs/benchmarks.md.

    .venv/bin/python benchmarks/lineloss_bench.py [--data benchmarks/data] [--runs 3]

Each run is a fresh process measured by /usr/bin/time (wall clock, CPU, peak RSS). The two
contenders alternate so that a busy neighbour slows both alike. The hand-written query gives the
same figures with none of the engine's checks, row numbers, anomaly list or meter report; it
reads with the same DuckDB settings (2 threads, the same memory limit). `uptime` is printed
before and after every run, since other work on the machine slows both contenders.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent

HAND_WRITTEN = """
import sys
import duckdb

meters, readings, out, memory_limit, temp = sys.argv[1:6]
con = duckdb.connect(config={
    "memory_limit": memory_limit, "threads": 2, "temp_directory": temp,
    "preserve_insertion_order": False,
})
con.execute(f'''
CREATE TEMP TABLE result AS
WITH m AS (
    SELECT meter_id, station_area_id, role = 'supply' AS is_supply,
           CAST(multiplier AS DECIMAL(18,6)) AS multiplier
    FROM read_csv('{meters}', all_varchar = true)
),
r AS (
    SELECT meter_id, read_date AS d, CAST(register_kwh AS DECIMAL(18,6)) AS reg
    FROM read_parquet('{readings}')
),
w AS (
    SELECT meter_id, d, reg, lead(d) OVER p AS next_d, lead(reg) OVER p AS next_reg
    FROM r WINDOW p AS (PARTITION BY meter_id ORDER BY d)
),
e AS (
    SELECT m.station_area_id, w.d, m.is_supply,
           CAST(next_reg - reg AS DECIMAL(38,6)) * m.multiplier AS kwh
    FROM w JOIN m USING (meter_id)
    WHERE next_d = d + 1 AND next_reg >= reg
),
a AS (
    SELECT station_area_id, d, sum(kwh) FILTER (is_supply) AS s,
           sum(kwh) FILTER (NOT is_supply) AS u, count(*) AS c
    FROM e GROUP BY ALL
),
t AS (SELECT station_area_id, count(*) AS n FROM m GROUP BY ALL),
bounds AS (SELECT min(read_date) AS lo, max(read_date) - 1 AS hi FROM read_parquet('{readings}')),
days AS (
    SELECT CAST(unnest(generate_series(lo, hi, INTERVAL 1 DAY)) AS DATE) AS d FROM bounds
)
SELECT t.station_area_id, days.d AS date,
       round(coalesce(s, 0), 3) AS supply_kwh, round(coalesce(u, 0), 3) AS user_kwh,
       CASE WHEN c = n AND s > 0 THEN round(s - u, 3) END AS loss_kwh,
       CASE WHEN c = n AND s > 0 THEN round((s - u) / s, 6) END AS loss_rate,
       n AS meters_total, coalesce(c, 0) AS meters_collected,
       round(coalesce(c, 0) / n, 6) AS collection_rate,
       CASE WHEN c = n AND s > 0 THEN
           CASE WHEN s - u < 0 THEN 'negative_loss'
                WHEN (s - u) / s > 0.1 THEN 'high_loss' ELSE 'qualified' END
           ELSE 'incomplete' END AS status
FROM t CROSS JOIN days LEFT JOIN a USING (station_area_id, d)
''')
con.execute("SET preserve_insertion_order = true")
con.execute(f"COPY (SELECT * FROM result ORDER BY station_area_id, date) TO '{out}' (HEADER)")
"""


def measure(command: list[str], env: dict[str, str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        subprocess.run(
            ["/usr/bin/time", "-o", report.name, "-f", "%e %U %S %M", *command],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        wall, user, system, rss_kb = report.read().split()[-4:]
    return {"wall": float(wall), "cpu": float(user) + float(system), "rss_mb": int(rss_kb) / 1024}


def load_average() -> str:
    """The 1-minute load average (what `uptime` shows first)."""
    return Path("/proc/loadavg").read_text(encoding="ascii").split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()

    meters = args.data / "meters.csv"
    readings = args.data / "readings.parquet"
    if not meters.exists() or not readings.exists():
        sys.exit(f"no data in {args.data}: run benchmarks/lineloss_generate.py first")
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix="lineloss-bench-"))
    env = {**os.environ, "WUDIAN_DEBUG": "1"}

    engine = [
        str(VENV_BIN / "wudian"),
        "lineloss",
        "--meters",
        str(meters),
        "--readings",
        str(readings),
        "--out",
        str(out_dir / "result.csv"),
        "--anomalies",
        str(out_dir / "anomalies.csv"),
        "--meter-report",
        str(out_dir / "meter-report.csv"),
        "--memory-limit",
        args.memory_limit,
        "--threads",
        "2",
        "--no-progress",
    ]
    hand = [
        sys.executable,
        "-c",
        HAND_WRITTEN,
        str(meters),
        str(readings),
        str(out_dir / "hand.csv"),
        args.memory_limit,
        str(temp),
    ]
    results: dict[str, list[dict[str, float]]] = {"wudian lineloss": [], "hand-written": []}
    for run in range(args.runs):
        for name, command in (("wudian lineloss", engine), ("hand-written", hand)):
            before = load_average()
            figures = measure(command, env)
            results[name].append(figures)
            print(
                f"run {run + 1} {name:16} wall {figures['wall']:6.2f} s  "
                f"cpu {figures['cpu']:6.2f} s  peak RSS {figures['rss_mb']:7.0f} MB  "
                f"load {before} -> {load_average()}",
                flush=True,
            )
    print()
    medians = {}
    for name, runs in results.items():
        medians[name] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        print(
            f"median {name:16} wall {medians[name]['wall']:6.2f} s  "
            f"cpu {medians[name]['cpu']:6.2f} s  "
            f"max peak RSS {max(r['rss_mb'] for r in runs):7.0f} MB"
        )
    ratio = medians["wudian lineloss"]["wall"] / medians["hand-written"]["wall"]
    print(f"engine / hand-written (median wall): {ratio:.2f}x")


if __name__ == "__main__":
    main()
