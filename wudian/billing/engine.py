"""Bills for many households and months at once, computed in DuckDB.

Input: a DuckDB relation of monthly readings with the columns `household_id` (integer),
`month` (DATE, the month's first day), `kwh`, `peak_kwh`, `valley_kwh` (numbers; peak and
valley may be NULL). Output (`bills`): one row per household and month with the energy and the
amount of each tier, the peak/valley part, and the month's amount. No Python runs per
household: the work is a window function and column arithmetic over the whole relation.

The rules, the same in `bill_reference` (the plain per-household computation the engine is
tested against):

- Annual tiers count the household's energy over the calendar year (January to December, the
  year's cumulative resets every January); monthly tiers count each month alone. Before a month
  the household has used `before` kWh in its count; after it `after = before + kwh`. The
  month's energy in tier i (from `lower` to `upper`, the last open) is
  max(0, min(after, upper) − max(before, lower)), so a month that crosses a boundary is split.
- Without a peak/valley split (or under a tariff without peak/valley prices) each tier's energy
  is priced at its tier's price.
- With a split (both `peak_kwh` and `valley_kwh` given, the tariff has both prices): the base is
  peak kWh × peak price + valley kWh × valley price + any remaining (flat) kWh × the first
  tier's price; on top of it, each tier above the first adds its energy × (its price − the
  first tier's price): the tier surcharge (阶梯加价) applies on top of the peak/valley base.
- A month's amount is rounded to the fen (0.01 CNY, halves away from zero) once, at the end.

All arithmetic is decimal (kWh to 0.001, prices to 0.0001), so the engine and the reference
agree to the fen. Readings are checked first: a negative energy, a peak plus valley above the
total, a month that is not a month's first day, a month outside the tariff's dates, or the same
household and month twice is refused with `BadInput` naming the household and month.
"""

# SQL is put together here from the engine's own table names, numbers and dates, never from
# text a user typed:
# ruff: noqa: S608

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
from django.utils.translation import gettext as _

from wudian.core.errors import BadInput

FEN = Decimal("0.01")
KWH_TYPE = "DECIMAL(15,3)"
PRICE_TYPE = "DECIMAL(8,4)"


@dataclass(frozen=True)
class Tier:
    position: int
    lower_kwh: Decimal
    upper_kwh: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class TariffSpec:
    """What the engine needs of a tariff (`billing.services.tariff_spec` makes one from the
    model); tiers in order, already checked."""

    annual: bool
    tiers: tuple[Tier, ...]
    peak_price: Decimal | None = None
    valley_price: Decimal | None = None
    effective_from: datetime.date | None = None
    effective_to: datetime.date | None = None

    @property
    def has_peak_valley(self) -> bool:
        return self.peak_price is not None and self.valley_price is not None


@dataclass(frozen=True)
class Reading:
    household_id: int
    month: datetime.date
    kwh: Decimal
    peak_kwh: Decimal | None = None
    valley_kwh: Decimal | None = None


def connect(memory_limit: str = "1GB", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "preserve_insertion_order": False,
    }
    if threads:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = false")
    return con


def readings_relation(
    con: duckdb.DuckDBPyConnection, readings: Iterable[Reading], name: str = "readings"
) -> duckdb.DuckDBPyRelation:
    """A small table of readings made from Python objects (a household's page, the tests)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} (household_id BIGINT, month DATE, "
        f"kwh {KWH_TYPE}, peak_kwh {KWH_TYPE}, valley_kwh {KWH_TYPE})"
    )
    rows = [(r.household_id, r.month, r.kwh, r.peak_kwh, r.valley_kwh) for r in readings]
    if rows:
        con.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?)", rows)
    return con.table(name)


def _literal(value: Decimal, sql_type: str) -> str:
    return f"CAST('{Decimal(value)}' AS {sql_type})"


def _query(readings: duckdb.DuckDBPyRelation, sql: str) -> duckdb.DuckDBPyRelation:
    """`sql` over `readings` (named r). The SQL is built here from numbers and dates only."""
    relation = readings.query("r", sql)
    assert relation is not None
    return relation


def _check(readings: duckdb.DuckDBPyRelation, tariff: TariffSpec) -> None:
    start = f"DATE '{tariff.effective_from}'" if tariff.effective_from else "NULL"
    end = f"DATE '{tariff.effective_to}'" if tariff.effective_to else "NULL"
    problem = _query(
        readings,
        f"""
        SELECT household_id, month,
            CASE
                WHEN kwh IS NULL OR kwh < 0 THEN 'kwh'
                WHEN peak_kwh < 0 OR valley_kwh < 0
                     OR coalesce(peak_kwh, 0) + coalesce(valley_kwh, 0) > kwh THEN 'peak'
                WHEN month IS NULL OR day(month) <> 1 THEN 'month'
                WHEN month < {start} OR month > {end} THEN 'dates'
                WHEN count(*) OVER (PARTITION BY household_id, month) > 1 THEN 'twice'
            END AS problem
        FROM r
        QUALIFY problem IS NOT NULL
        ORDER BY household_id, month
        LIMIT 1
        """,
    ).fetchall()
    if not problem:
        return
    household, month, kind = problem[0]
    where = _("household {household}, month {month}").format(household=household, month=month)
    messages = {
        "kwh": _("The energy cannot be empty or negative ({where}).").format(where=where),
        "peak": _("Peak and valley energy cannot exceed the month's energy ({where}).").format(
            where=where
        ),
        "month": _("A reading's month must be the month's first day ({where}).").format(
            where=where
        ),
        "dates": _("The tariff is not in force in that month ({where}).").format(where=where),
        "twice": _("The same month is read twice ({where}).").format(where=where),
    }
    raise BadInput({"readings": messages[kind]})


def bills(
    readings: duckdb.DuckDBPyRelation, tariff: TariffSpec, *, check: bool = True
) -> duckdb.DuckDBPyRelation:
    """Every household's bill for every month of `readings`, as a lazy relation: columns
    household_id, month, kwh, before_kwh, after_kwh, tier_<n>_kwh and tier_<n>_amount for each
    tier n, peak_kwh, valley_kwh, flat_kwh, peak_amount, valley_amount, surcharge_amount,
    time_of_use (whether the month was priced by its peak/valley split), amount. A month priced
    by its split has no tier amounts (NULL; its tiers show in surcharge_amount) and a month
    priced by tiers no peak/valley columns. Each amount column is rounded to the fen on its
    own, so the parts may differ from `amount` by a fen."""
    if check:
        _check(readings, tariff)
    first = tariff.tiers[0].price
    p1 = _literal(first, PRICE_TYPE)
    partition = (
        "PARTITION BY household_id, year(month) ORDER BY month "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    )
    before = f"coalesce(sum(kwh) OVER ({partition}), 0)" if tariff.annual else "0"
    if tariff.has_peak_valley:
        assert tariff.peak_price is not None
        assert tariff.valley_price is not None
        tou = "peak_kwh IS NOT NULL AND valley_kwh IS NOT NULL"
        peak = _literal(tariff.peak_price, PRICE_TYPE)
        valley = _literal(tariff.valley_price, PRICE_TYPE)
    else:
        tou, peak, valley = "false", "0", "0"
    tier_columns: list[str] = []
    surcharge: list[str] = []
    plain: list[str] = []
    for tier in tariff.tiers:
        n = tier.position
        lower = _literal(tier.lower_kwh, KWH_TYPE)
        top = (
            f"least(after_kwh, {_literal(tier.upper_kwh, KWH_TYPE)})"
            if tier.upper_kwh is not None
            else "after_kwh"
        )
        price = _literal(tier.price, PRICE_TYPE)
        energy = f"greatest({top} - greatest(before_kwh, {lower}), 0)"
        tier_columns.append(f"CAST({energy} AS {KWH_TYPE}) AS tier_{n}_kwh")
        tier_columns.append(f"CAST({energy} * {price} AS DECIMAL(18,7)) AS tier_{n}_price_raw")
        plain.append(f"tier_{n}_price_raw")
        if tier.price != first:
            surcharge.append(f"tier_{n}_kwh * CAST({price} - {p1} AS {PRICE_TYPE})")
    surcharge_sum = " + ".join(surcharge) if surcharge else "0"
    tier_amounts = ", ".join(
        f"CASE WHEN NOT time_of_use THEN CAST(round(tier_{t.position}_price_raw, 2) "
        f"AS DECIMAL(18,2)) END AS tier_{t.position}_amount"
        for t in tariff.tiers
    )
    tier_kwh = ", ".join(f"tier_{t.position}_kwh" for t in tariff.tiers)
    return _query(
        readings,
        f"""
        WITH c AS (
            SELECT household_id, month,
                CAST(kwh AS {KWH_TYPE}) AS kwh,
                CAST(peak_kwh AS {KWH_TYPE}) AS peak_kwh,
                CAST(valley_kwh AS {KWH_TYPE}) AS valley_kwh,
                CAST({before} AS {KWH_TYPE}) AS before_kwh
            FROM r
        ),
        t AS (
            SELECT *, CAST(before_kwh + kwh AS {KWH_TYPE}) AS after_kwh FROM c
        ),
        e AS (
            SELECT *, {", ".join(tier_columns)}, ({tou}) AS time_of_use FROM t
        ),
        p AS (
            SELECT *,
                CASE WHEN time_of_use THEN
                    CAST(peak_kwh * {peak} + valley_kwh * {valley}
                         + (kwh - peak_kwh - valley_kwh) * {p1} + ({surcharge_sum})
                         AS DECIMAL(18,7))
                ELSE CAST({" + ".join(plain)} AS DECIMAL(18,7)) END AS raw_amount
            FROM e
        )
        SELECT household_id, month, kwh, before_kwh, after_kwh, {tier_kwh}, {tier_amounts},
            CASE WHEN time_of_use THEN peak_kwh END AS peak_kwh,
            CASE WHEN time_of_use THEN valley_kwh END AS valley_kwh,
            CASE WHEN time_of_use THEN kwh - peak_kwh - valley_kwh END AS flat_kwh,
            CASE WHEN time_of_use THEN CAST(round(peak_kwh * {peak}, 2) AS DECIMAL(18,2))
                END AS peak_amount,
            CASE WHEN time_of_use THEN CAST(round(valley_kwh * {valley}, 2) AS DECIMAL(18,2))
                END AS valley_amount,
            CAST(round(CAST({surcharge_sum} AS DECIMAL(18,7)), 2) AS DECIMAL(18,2))
                AS surcharge_amount,
            time_of_use,
            CAST(round(raw_amount, 2) AS DECIMAL(18,2)) AS amount
        FROM p
        """,
    )


# -- the reference -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceBill:
    household_id: int
    month: datetime.date
    tier_kwh: tuple[Decimal, ...]
    amount: Decimal


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def bill_reference(readings: Sequence[Reading], tariff: TariffSpec) -> list[ReferenceBill]:
    """The same bills, one household and one month at a time in plain Python (slow; for
    checking the engine)."""
    by_household: dict[int, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_household[reading.household_id].append(reading)
    first = tariff.tiers[0].price
    result: list[ReferenceBill] = []
    for household_id in sorted(by_household):
        used: dict[int, Decimal] = defaultdict(Decimal)
        for reading in sorted(by_household[household_id], key=lambda r: r.month):
            before = used[reading.month.year] if tariff.annual else Decimal(0)
            after = before + reading.kwh
            used[reading.month.year] = after
            energies: list[Decimal] = []
            for tier in tariff.tiers:
                top = after if tier.upper_kwh is None else min(after, tier.upper_kwh)
                energies.append(max(top - max(before, tier.lower_kwh), Decimal(0)))
            split = (
                tariff.peak_price is not None
                and tariff.valley_price is not None
                and reading.peak_kwh is not None
                and reading.valley_kwh is not None
            )
            if split:
                assert tariff.peak_price is not None
                assert tariff.valley_price is not None
                assert reading.peak_kwh is not None
                assert reading.valley_kwh is not None
                flat = reading.kwh - reading.peak_kwh - reading.valley_kwh
                amount = (
                    reading.peak_kwh * tariff.peak_price
                    + reading.valley_kwh * tariff.valley_price
                    + flat * first
                )
                for tier, energy in zip(tariff.tiers, energies, strict=True):
                    amount += energy * (tier.price - first)
            else:
                amount = sum(
                    (e * t.price for t, e in zip(tariff.tiers, energies, strict=True)),
                    Decimal(0),
                )
            result.append(ReferenceBill(household_id, reading.month, tuple(energies), _fen(amount)))
    return result


def bill_rows(relation: duckdb.DuckDBPyRelation) -> list[dict[str, Any]]:
    """A (small) relation of bills as dictionaries."""
    names = relation.columns
    return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]
