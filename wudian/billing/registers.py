"""Household meter registers to monthly and daily energy, in DuckDB.

Input: a table `registers` (household_id BIGINT, d DATE, reg, peak, valley as DECIMAL(18,3),
row_no INTEGER: the row of the file, 0 when there is none): each household meter's registers
at the start of day `d` (peak and valley NULL where the meter has no time-of-use registers),
and a table `stored` (household_id, d, reg): the registers already stored around the imported
days (a stored month's register at its start and at the start of the next).

- The energy of day D is register(D + 1) − register(D), when both are known.
- The energy of month M is register(1st of M + 1) − register(1st of M), the peak and valley
  energy likewise; either boundary may also come from the stored registers (the caller merges).
- A register is "backwards" when it is below the household's register of an earlier day (in
  the import or stored) or above that of a later day.

No Python runs per household and day: the daily lists are built here, one per household and
month, as JSON text."""

# SQL is put together from this module's own fragments, never from text a user typed:
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

NUMBER = "DECIMAL(18,3)"


@dataclass(frozen=True)
class MonthRegisters:
    """One household's month as the import sees it: the registers at its boundaries (None
    when not in the import) and its days' energy (JSON list as long as the month, or None)."""

    household_id: int
    month: Any  # datetime.date
    start: Decimal | None
    start_peak: Decimal | None
    start_valley: Decimal | None
    end: Decimal | None
    end_peak: Decimal | None
    end_valley: Decimal | None
    end_row: int
    daily: str | None


def connect(memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"memory_limit": memory_limit})
    con.execute("SET enable_progress_bar = false")
    return con


def create_stored(
    con: duckdb.DuckDBPyConnection, households: list[int], days: list[Any], regs: list[str]
) -> None:
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE stored AS
        SELECT CAST(h AS BIGINT) AS household_id, CAST(d AS DATE) AS d,
               CAST(r AS {NUMBER}) AS reg
        FROM (SELECT unnest($1) AS h, unnest($2) AS d, unnest($3) AS r)
        """,
        [households, days, regs],
    )


def backwards(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[tuple[Any, ...]]:
    """The registers that go backwards: (row_no, household_id, d, column, value, other day,
    other value, kind) where column is reg, peak or valley and kind says what the other
    register is: "import" (the household's register of the day before in the import),
    "stored_before" (a stored one of an earlier or the same day, above it) or "stored_after"
    (a stored one of a later or the same day, below it)."""
    bound = f"LIMIT {int(limit)}" if limit else ""
    return con.execute(
        f"""
        WITH ordered AS (
            SELECT row_no, household_id, d, reg, peak, valley,
                   lag(d) OVER w AS prev_d, lag(reg) OVER w AS prev_reg,
                   lag(peak) OVER w AS prev_peak, lag(valley) OVER w AS prev_valley
            FROM registers WINDOW w AS (PARTITION BY household_id ORDER BY d)
        ),
        problems AS (
            SELECT row_no, household_id, d, 'reg' AS col, reg AS value, prev_d AS other_d,
                   prev_reg AS other, 'import' AS kind
            FROM ordered WHERE reg < prev_reg
            UNION ALL
            SELECT row_no, household_id, d, 'peak', peak, prev_d, prev_peak, 'import'
            FROM ordered WHERE peak < prev_peak
            UNION ALL
            SELECT row_no, household_id, d, 'valley', valley, prev_d, prev_valley, 'import'
            FROM ordered WHERE valley < prev_valley
            UNION ALL
            SELECT r.row_no, r.household_id, r.d, 'reg', r.reg, s.d, s.reg,
                   CASE WHEN s.d <= r.d AND r.reg < s.reg THEN 'stored_before'
                        ELSE 'stored_after' END
            FROM registers AS r JOIN stored AS s USING (household_id)
            WHERE (s.d <= r.d AND r.reg < s.reg) OR (s.d >= r.d AND r.reg > s.reg)
        )
        SELECT row_no, household_id, d, col, value, other_d, other, kind
        FROM problems ORDER BY row_no, household_id, d {bound}
        """
    ).fetchall()


def months(con: duckdb.DuckDBPyConnection) -> list[MonthRegisters]:
    """Every household month the registers touch: the month of each register with a next
    day's register (its daily energy), and for a register on a month's first day that month
    (its start) and the month before (its end)."""
    rows = con.execute(
        f"""
        WITH paired AS (
            SELECT household_id, d, reg, lead(d) OVER w AS next_d, lead(reg) OVER w AS next_reg
            FROM registers WINDOW w AS (PARTITION BY household_id ORDER BY d)
        ),
        energy AS (
            SELECT household_id, CAST(date_trunc('month', d) AS DATE) AS month,
                   CAST(day(d) AS INTEGER) AS dom,
                   CAST(CAST(next_reg - reg AS {NUMBER}) AS VARCHAR) AS kwh
            FROM paired WHERE next_d = d + 1
        ),
        grid AS (
            SELECT household_id, month,
                   CAST(unnest(range(1, day(last_day(month)) + 1)) AS INTEGER) AS dom
            FROM (SELECT DISTINCT household_id, month FROM energy)
        ),
        daily AS (
            -- every day of the month in order, NULL where the energy is not known
            SELECT g.household_id, g.month, to_json(list(e.kwh ORDER BY g.dom)) AS days
            FROM grid AS g
            LEFT JOIN energy AS e USING (household_id, month, dom)
            GROUP BY g.household_id, g.month
        ),
        firsts AS (
            SELECT household_id, d, reg, peak, valley, row_no FROM registers WHERE day(d) = 1
        ),
        touched AS (
            SELECT household_id, month FROM daily
            UNION SELECT household_id, d FROM firsts
            UNION SELECT household_id, CAST(d - INTERVAL 1 MONTH AS DATE) FROM firsts
        )
        SELECT t.household_id, t.month, s.reg, s.peak, s.valley, e.reg, e.peak, e.valley,
               coalesce(e.row_no, 0),
               dl.days
        FROM touched AS t
        LEFT JOIN firsts AS s ON s.household_id = t.household_id AND s.d = t.month
        LEFT JOIN firsts AS e
            ON e.household_id = t.household_id
           AND e.d = CAST(t.month + INTERVAL 1 MONTH AS DATE)
        LEFT JOIN daily AS dl ON dl.household_id = t.household_id AND dl.month = t.month
        ORDER BY t.household_id, t.month
        """
    ).fetchall()
    return [MonthRegisters(*row) for row in rows]
