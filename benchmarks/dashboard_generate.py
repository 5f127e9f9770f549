"""Build the dashboard benchmark's city in PostgreSQL (issue 14): 1,200,000 households,
2,000,000 requests over two years, 10,000 station areas × 730 days of line loss.

Not a test: run it by hand, then `benchmarks/dashboard_bench.py`; the figures go to
docs/benchmarks.md ("Service dashboard").

    .venv/bin/python benchmarks/dashboard_generate.py \\
        [--database-url postgres://postgres@127.0.0.1:5432/wudian_bench] [--seed 14] \\
        [--households 1200000] [--requests 2000000] [--days 730] [--areas 10000]

The database is dropped and created again (its name must start with wudian_bench), migrated
with `wudian migrate`, then filled with COPY (psycopg's cursor.copy), not the ORM:

- 8 districts × 5 streets × 5 communities × 15 compounds (3,000), 20 buildings a compound,
  the households spread evenly over the buildings (20 rooms in two units for 1.2 M);
- 500 feeders × 20 station areas (10,000); each compound's areas serve its buildings in turn
  (households.station_area), and the M2M links each area to its compound (one in twenty also
  to the next compound: an area across a fence);
- staff: a customer manager per 5 compounds (CompoundAssignment, 1 + N), a certified property
  electrician per 2 compounds (with a valid low-voltage certificate), a grid administrator per
  community, two supervisors per district (DistrictAssignment, usernames sup-D1-1 …) and a
  repair crew per district; bench-admin is a superuser. Nobody has a usable password: the
  benchmark logs in with force_login;
- the requests, in the categories migration 0002 seeds, created day by day over --days days up
  to now (ids in time order), more in summer and on weekdays. Complaints fall to 45 % of
  their rate over the two years and the online share of applications rises (the story the
  dashboard tells); each request's clocks are taken from its category (working days as
  weekdays), its steps drawn around the deadlines (a few late, fewer as time goes on), and
  its status is the last step reached by now, so *_at, *_due and *_late always agree; closed
  ones are confirmed by the resident or closed automatically after 7 days, most confirmed ones
  rated, with the "had to visit the hall" answer;
- outages: per station area about one fault a year and a planned outage of a feeder's quarter
  every couple of months, with their station areas, compounds and feeders, the affected
  households (acknowledged by some) and the SMS each was sent (a few failed), published a
  week ahead (planned; a few late) or on the
  spot (faults), restored after a few hours, a few cancelled;
- line loss: one StationAreaDay per area and day, a loss rate around the area's own level
  (a few high-loss areas, negative days, days not fully collected).

Everything is drawn from random.Random(--seed): the same seed and "now" give the same city
(the dates move with the day it is run). Prints each step's time and the tables' sizes; ends
with ANALYZE. Check the disk first (`df -h`): the database takes several GB.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.httpbench import VENV_BIN, recreate_database
from benchmarks.requestmix import CATEGORIES, TEXTS

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wudian_bench"
DISTRICTS = 8
STREETS_PER_DISTRICT = 5
COMMUNITIES_PER_STREET = 5
COMPOUNDS_PER_COMMUNITY = 15
BUILDINGS_PER_COMPOUND = 20
AREAS_PER_FEEDER = 20
COMPOUNDS_PER_MANAGER = 5
COMPOUNDS_PER_ELECTRICIAN = 2
SUPERVISORS_PER_DISTRICT = 2
MAX_LOSS = 0.10  # the engine's default threshold of a high loss

UTC = datetime.UTC
SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

# Category codes as migration 0002 seeds them, plus the line-loss check requests.
MIX = [*CATEGORIES, ("meter_data_check", 1)]
BUSINESS = {"business_new", "business_capacity", "business_transfer", "business_relocate"}
ONLINE = [("web", 50), ("api", 20), ("circle", 25), ("open311", 5)]
OFFLINE_BUSINESS = [("visit", 60), ("phone", 40)]
OFFLINE = [("phone", 75), ("visit", 15), ("patrol", 5), ("link_day", 5)]
RATINGS = [(5, 70), (4, 18), (3, 7), (2, 3), (1, 2)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"


# Output ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.began = time.perf_counter()

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        began = time.perf_counter()
        print(f"{what}…", end=" ", flush=True)
        yield
        print(f"{time.perf_counter() - began:.1f} s", flush=True)

    def total(self) -> float:
        return time.perf_counter() - self.began


def copy_rows(conn: Any, table: str, columns: Sequence[str], rows: Iterator[Sequence[Any]]) -> int:
    """COPY rows (tuples of Python values, None for NULL) into table; returns how many."""
    n = 0
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with conn.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def reset_sequences(conn: Any) -> None:
    """Ids were given explicitly: move every identity sequence past its table's maximum."""
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND is_identity = 'YES'"
    ).fetchall()
    for table, column in rows:
        top = f"COALESCE((SELECT max({column}) FROM {table}), 0) + 1"  # noqa: S608
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), {top}, false)")


# Shapes -----------------------------------------------------------------------------------------


class City:
    """The arithmetic of the city: every id is computed, nothing is looked up."""

    def __init__(self, households: int, areas: int, rng: random.Random) -> None:
        self.districts = DISTRICTS
        self.streets = DISTRICTS * STREETS_PER_DISTRICT
        self.communities = self.streets * COMMUNITIES_PER_STREET
        self.compounds = self.communities * COMPOUNDS_PER_COMMUNITY
        self.buildings = self.compounds * BUILDINGS_PER_COMPOUND
        self.per_building = -(-households // self.buildings)
        self.per_compound = self.per_building * BUILDINGS_PER_COMPOUND
        self.households = self.per_building * self.buildings
        self.areas = areas
        self.feeders = -(-areas // AREAS_PER_FEEDER)
        # Areas are dealt to compounds in order: compound c has areas[c] (1-based ids).
        self.compound_areas: list[list[int]] = [[] for _ in range(self.compounds)]
        for a in range(areas):
            self.compound_areas[a * self.compounds // areas].append(a + 1)
        self.area_compound = [0] * (areas + 1)
        for c, ids in enumerate(self.compound_areas):
            for a in ids:
                self.area_compound[a] = c + 1
        # Households per area (for meters_total and outages).
        self.area_households: list[list[int]] = [[] for _ in range(areas + 1)]
        for c in range(self.compounds):
            for b in range(BUILDINGS_PER_COMPOUND):
                area = self.building_area(c, b)
                first = c * self.per_compound + b * self.per_building + 1
                self.area_households[area].append(first)
        self.managers = -(-self.compounds // COMPOUNDS_PER_MANAGER)
        self.electricians = -(-self.compounds // COMPOUNDS_PER_ELECTRICIAN)
        self.supervisors = DISTRICTS * SUPERVISORS_PER_DISTRICT
        # User ids: 1 admin, then managers, electricians, grid admins, supervisors.
        self.first_manager = 2
        self.first_electrician = self.first_manager + self.managers
        self.first_grid_admin = self.first_electrician + self.electricians
        self.first_supervisor = self.first_grid_admin + self.communities
        self.users = self.first_supervisor + self.supervisors - 1
        # Some compounds are busier than others (old buildings, more residents at home).
        self.activity = [rng.lognormvariate(0, 0.5) for _ in range(self.compounds)]
        self.special = 0.01

    def district_of_compound(self, c: int) -> int:  # 0-based in, 1-based out
        return c // (self.compounds // self.districts) + 1

    def building_area(self, c: int, b: int) -> int:
        ids = self.compound_areas[c]
        return ids[b * len(ids) // BUILDINGS_PER_COMPOUND]

    def manager_of(self, c: int) -> int:
        return self.first_manager + c // COMPOUNDS_PER_MANAGER

    def electrician_of(self, c: int) -> int:
        return self.first_electrician + c // COMPOUNDS_PER_ELECTRICIAN


def name(rng: random.Random) -> str:
    return (
        rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    )


# Places, network, staff ---------------------------------------------------------------------


def build_places(conn: Any, city: City, rng: random.Random) -> None:
    copy_rows(
        conn,
        "grid_district",
        ["id", "code", "name", "city"],
        ((d, f"D{d}", f"第{d}区", "蚌埠市") for d in range(1, city.districts + 1)),
    )
    copy_rows(
        conn,
        "grid_street",
        ["id", "district_id", "code", "name"],
        (
            (s, (s - 1) // STREETS_PER_DISTRICT + 1, f"S{s:03d}", f"第{s}街道")
            for s in range(1, city.streets + 1)
        ),
    )
    copy_rows(
        conn,
        "grid_community",
        [
            "id",
            "street_id",
            "code",
            "name",
            "service_point_name",
            "service_point_address",
            "service_point_phone",
            "service_hours",
        ],
        (
            (
                m,
                (m - 1) // COMMUNITIES_PER_STREET + 1,
                f"CM{m:04d}",
                f"第{m}社区",
                f"第{m}社区物电联络站",
                f"社区服务中心{m}号",
                f"0552-{3000000 + m}",
                "周一至周五 8:30-17:30",
            )
            for m in range(1, city.communities + 1)
        ),
    )
    copy_rows(
        conn,
        "grid_compound",
        ["id", "community_id", "code", "name", "address", "property_office_phone"],
        (
            (
                c + 1,
                c // COMPOUNDS_PER_COMMUNITY + 1,
                f"C{c + 1:05d}",
                f"第{c + 1}小区",
                f"幸福路{c + 1}号",
                f"0552-{4000000 + c}",
            )
            for c in range(city.compounds)
        ),
    )
    copy_rows(
        conn,
        "grid_building",
        ["id", "compound_id", "code", "name", "floors"],
        (
            (
                c * BUILDINGS_PER_COMPOUND + b + 1,
                c + 1,
                f"B{c + 1:05d}-{b + 1:02d}",
                f"{b + 1}栋",
                6,
            )
            for c in range(city.compounds)
            for b in range(BUILDINGS_PER_COMPOUND)
        ),
    )
    copy_rows(
        conn,
        "grid_feeder",
        ["id", "code", "name", "substation", "voltage_kv"],
        (
            (f, f"F{f:04d}", f"10kV第{f}线", f"第{(f - 1) // 10 + 1}变电站", "10.0")
            for f in range(1, city.feeders + 1)
        ),
    )
    copy_rows(
        conn,
        "grid_stationarea",
        ["id", "feeder_id", "code", "name", "capacity_kva"],
        (
            (a, (a - 1) // AREAS_PER_FEEDER + 1, f"TA{a:05d}", f"第{a}号台区", 630)
            for a in range(1, city.areas + 1)
        ),
    )

    def links() -> Iterator[tuple[int, int, int]]:
        n = itertools.count(1)
        for a in range(1, city.areas + 1):
            c = city.area_compound[a]
            yield (next(n), a, c)
            if a % 20 == 0 and c < city.compounds:
                yield (next(n), a, c + 1)

    copy_rows(conn, "grid_stationarea_compounds", ["id", "stationarea_id", "compound_id"], links())


def households(city: City, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    units = 2
    per_unit = -(-city.per_building // units)
    for c in range(city.compounds):
        for b in range(BUILDINGS_PER_COMPOUND):
            building = c * BUILDINGS_PER_COMPOUND + b + 1
            area = city.building_area(c, b)
            for k in range(city.per_building):
                hid = c * city.per_compound + b * city.per_building + k + 1
                unit, place = divmod(k, per_unit)
                room = f"{place // 2 + 1}0{place % 2 + 1}"
                yield (
                    hid,
                    f"{3_400_000_000 + hid}",
                    f"{unit + 1}",
                    room,
                    f"幸福路{c + 1}号{b + 1}栋{unit + 1}单元{room}室",
                    name(rng),
                    f"1{rng.randint(30, 99)}{rng.randrange(10**8):08d}",
                    building,
                    area,
                    rng.random() < city.special,
                )


def build_households(conn: Any, city: City, rng: random.Random) -> int:
    return copy_rows(
        conn,
        "grid_household",
        [
            "id",
            "account_no",
            "unit",
            "room",
            "address",
            "holder_name",
            "phone",
            "building_id",
            "station_area_id",
            "special_group",
        ],
        households(city, rng),
    )


def build_staff(conn: Any, city: City, rng: random.Random, now: datetime.datetime) -> None:
    roles = dict(conn.execute("SELECT code, id FROM accounts_role").fetchall())
    columns = [
        "id",
        "password",
        "is_superuser",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "date_joined",
        "display_name",
        "phone",
        "title",
        "photo",
        "department_id",
    ]
    joined = now - 3 * 365 * DAY

    def user(uid: int, username: str, title: str, *, staff: bool = False) -> tuple[Any, ...]:
        return (
            uid,
            "!",
            uid == 1,
            username,
            "",
            "",
            "",
            staff,
            True,
            joined,
            name(rng),
            f"139{uid:08d}",
            title,
            "",
            None,
        )

    def users() -> Iterator[tuple[Any, ...]]:
        yield user(1, "bench-admin", "管理员", staff=True)
        for i in range(city.managers):
            yield user(city.first_manager + i, f"cm-{i + 1:04d}", "客户经理")
        for i in range(city.electricians):
            yield user(city.first_electrician + i, f"el-{i + 1:04d}", "物业电工")
        for i in range(city.communities):
            yield user(city.first_grid_admin + i, f"ga-{i + 1:04d}", "网格员")
        for d in range(city.districts):
            for k in range(SUPERVISORS_PER_DISTRICT):
                uid = city.first_supervisor + d * SUPERVISORS_PER_DISTRICT + k
                yield user(uid, f"sup-D{d + 1}-{k + 1}", "服务主管")

    copy_rows(conn, "accounts_user", columns, users())

    def user_roles() -> Iterator[tuple[int, int]]:
        for i in range(city.managers):
            yield (city.first_manager + i, roles["customer_manager"])
        for i in range(city.electricians):
            yield (city.first_electrician + i, roles["electrician"])
        for i in range(city.communities):
            yield (city.first_grid_admin + i, roles["grid_admin"])
        for i in range(city.supervisors):
            yield (city.first_supervisor + i, roles["supervisor"])

    copy_rows(conn, "accounts_user_roles", ["user_id", "role_id"], user_roles())
    since = (now - 3 * 365 * DAY).date()

    def assignments() -> Iterator[tuple[Any, ...]]:
        for c in range(city.compounds):
            yield (c + 1, city.manager_of(c), "customer_manager", since)
            yield (c + 1, city.electrician_of(c), "electrician", since)

    copy_rows(
        conn,
        "grid_compoundassignment",
        ["compound_id", "user_id", "role", "since"],
        assignments(),
    )
    copy_rows(
        conn,
        "accounts_certificate",
        ["holder_id", "kind", "number", "issuer", "issued_on", "expires_on"],
        (
            (
                city.first_electrician + i,
                "low_voltage",
                f"T{340000000000 + i}",
                "蚌埠市应急管理局",
                since,
                since + datetime.timedelta(days=6 * 365),
            )
            for i in range(city.electricians)
        ),
    )
    copy_rows(
        conn,
        "grid_communityassignment",
        ["user_id", "community_id"],
        ((city.first_grid_admin + i, i + 1) for i in range(city.communities)),
    )
    copy_rows(
        conn,
        "grid_districtassignment",
        ["user_id", "district_id"],
        (
            (city.first_supervisor + i, i // SUPERVISORS_PER_DISTRICT + 1)
            for i in range(city.supervisors)
        ),
    )
    copy_rows(
        conn,
        "accounts_department",
        ["id", "code", "name", "kind", "phone", "district_id"],
        (
            (d, f"REPAIR-D{d}", f"第{d}区抢修班", "repair", f"0552-{5000000 + d}", d)
            for d in range(1, city.districts + 1)
        ),
    )


# Requests -----------------------------------------------------------------------------------


def add_working_days(start: datetime.datetime, n: int) -> datetime.datetime:
    """n weekdays later, at the same time (the benchmark's stand-in for the official
    calendar, whose years do not reach two years back)."""
    day = start
    while n > 0:
        day += DAY
        if day.weekday() < 5:
            n -= 1
    return day


class Clocks:
    """A category's three clocks as spans from the start."""

    def __init__(self, row: tuple[Any, ...]) -> None:
        (self.id, self.code, self.routing, a, au, r, ru, s, su) = row
        self.accept = (a, au)
        self.arrive = (r, ru) if r is not None else None
        self.resolve = (s, su)

    @staticmethod
    def due(start: datetime.datetime, clock: tuple[int, str]) -> datetime.datetime:
        target, unit = clock
        if unit == "minutes":
            return start + target * MINUTE
        return add_working_days(start, target)


def day_weights(days: int, end: datetime.date) -> list[float]:
    """How many requests each day gets, relatively: a summer peak (air conditioners, storms),
    fewer at weekends and at the Spring Festival."""
    weights = []
    for i in range(days):
        day = end - datetime.timedelta(days=days - 1 - i)
        season = 1.0 + 0.35 * math.cos((day.timetuple().tm_yday - 200) / 365 * 2 * math.pi)
        week = 0.75 if day.weekday() >= 5 else 1.0
        weights.append(season * week)
    return weights


def _late(rng: random.Random, share: float) -> float:
    """A fraction of a clock's span at which a step happens: past 1 with `share`."""
    if rng.random() < share:
        return rng.uniform(1.02, 2.5)
    return rng.uniform(0.08, 0.95)


WORKORDER_COLUMNS = [
    "id",
    "category_id",
    "channel",
    "status",
    "description",
    "address_text",
    "contact_name",
    "contact_phone",
    "contact_email",
    "priority",
    "opinion_risk",
    "risk_topics",
    "escalation_level",
    "accept_due",
    "accepted_at",
    "accept_late",
    "arrive_due",
    "arrived_at",
    "arrive_late",
    "resolve_due",
    "resolved_at",
    "resolve_late",
    "next_due",
    "warned_clocks",
    "clocks_started_at",
    "clock_problem",
    "resolution",
    "confirmed_at",
    "closed_at",
    "auto_closed",
    "cancelled_at",
    "reopen_count",
    "rating",
    "rating_comment",
    "visited_hall",
    "rated_at",
    "created_at",
    "updated_at",
    "assignee_id",
    "compound_id",
    "created_by_id",
    "department_id",
    "household_id",
    "owner_id",
    "station_area_id",
]


def requests(
    city: City,
    categories: dict[str, Clocks],
    count: int,
    days: int,
    now: datetime.datetime,
    rng: random.Random,
) -> Iterator[tuple[Any, ...]]:
    end = now.date()
    weights = day_weights(days, end)
    per_day = [count * w / sum(weights) for w in weights]
    compound_cum = list(itertools.accumulate(city.activity))
    compounds = range(city.compounds)
    codes = [code for code, _ in MIX]
    hours = list(range(24))
    hour_weights = [1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 10, 9, 9, 10, 10, 10, 9, 9, 9, 8, 6, 3, 2]
    wid = 0
    carry = 0.0
    for i in range(days):
        day = end - datetime.timedelta(days=days - 1 - i)
        t = i / max(days - 1, 1)  # 0 two years ago, 1 today
        mix = [
            w
            * (1.0 - 0.55 * t if code == "complaint" else 1.0)
            * (1.4 if code.startswith("fault") and 6 <= day.month <= 8 else 1.0)
            for code, w in MIX
        ]
        online_business = 0.55 + 0.37 * t
        online_other = 0.40 + 0.25 * t
        late_share = 0.10 - 0.06 * t
        hall_share = 0.14 - 0.10 * t
        carry += per_day[i]
        n = int(carry)
        carry -= n
        midnight = datetime.datetime(day.year, day.month, day.day, tzinfo=UTC) - 8 * HOUR
        day_codes = rng.choices(codes, mix, k=n)
        day_compounds = rng.choices(compounds, cum_weights=compound_cum, k=n)
        day_hours = rng.choices(hours, hour_weights, k=n)
        seconds = sorted(h * 3600 + rng.randrange(3600) for h in day_hours)
        for code, c, second in zip(day_codes, day_compounds, seconds, strict=True):
            created = midnight + datetime.timedelta(seconds=second)
            if created >= now:
                continue
            wid += 1
            clocks = categories[code]
            if code in BUSINESS:
                channel = (
                    _pick(rng, ONLINE)
                    if rng.random() < online_business
                    else _pick(rng, OFFLINE_BUSINESS)
                )
            elif code == "meter_data_check":
                channel = "meter_data"
            else:
                channel = _pick(rng, ONLINE) if rng.random() < online_other else _pick(rng, OFFLINE)
            household = c * city.per_compound + rng.randrange(city.per_compound) + 1
            b = (household - 1 - c * city.per_compound) // city.per_building
            area = city.building_area(c, b)
            manager = city.manager_of(c)
            crew = code == "fault_before_meter" and rng.random() < 0.15
            holder = city.electrician_of(c) if clocks.routing == "electrician" else manager
            accept_due = Clocks.due(created, clocks.accept)
            arrive_due = Clocks.due(created, clocks.arrive) if clocks.arrive else None
            resolve_due = Clocks.due(created, clocks.resolve)
            cancelled = rng.random() < 0.035
            accepted_at = arrived_at = resolved_at = closed_at = confirmed_at = None
            cancelled_at = rated_at = None
            rating = visited_hall = None
            auto_closed = False
            reopen = 0
            if cancelled:
                cancelled_at = created + rng.uniform(2, 600) * MINUTE
            else:
                accepted_at = created + (accept_due - created) * _late(rng, late_share)
                step = accepted_at
                if arrive_due is not None:
                    arrived_at = max(
                        accepted_at + MINUTE,
                        created + (arrive_due - created) * _late(rng, late_share),
                    )
                    step = arrived_at
                resolved_at = max(
                    step + 5 * MINUTE, created + (resolve_due - created) * _late(rng, late_share)
                )
                if rng.random() < 0.7:
                    closed_at = resolved_at + rng.uniform(20, 72 * 60) * MINUTE
                    confirmed_at = closed_at
                else:
                    closed_at = resolved_at + 7 * DAY
                    auto_closed = True
                r = rng.random()
                reopen = 2 if r < 0.004 else 1 if r < 0.03 else 0
            # The status is the last step reached by now; later steps did not happen yet.
            if cancelled_at is not None and cancelled_at > now:
                cancelled_at = None
                cancelled = False
            if accepted_at is not None and accepted_at > now:
                accepted_at = arrived_at = resolved_at = closed_at = confirmed_at = None
            if arrived_at is not None and arrived_at > now:
                arrived_at = resolved_at = closed_at = confirmed_at = None
            if resolved_at is not None and resolved_at > now:
                resolved_at = closed_at = confirmed_at = None
            if closed_at is not None and closed_at > now:
                closed_at = confirmed_at = None
                auto_closed = False
            if cancelled:
                status = "cancelled"
            elif closed_at is not None:
                status = "closed"
            elif resolved_at is not None:
                status = "resolved"
            elif arrived_at is not None:
                status = "waiting" if rng.random() < 0.15 else "arrived"
            elif accepted_at is not None:
                status = "accepted"
            else:
                status = "submitted"
            if status == "closed" and confirmed_at is not None and rng.random() < 0.8:
                rated_at = closed_at + rng.uniform(1, 600) * MINUTE
                if rated_at > now:
                    rated_at = None
                else:
                    rating = _pick(rng, RATINGS)
                    visited_hall = rng.random() < hall_share
            next_due = None
            if status in ("submitted", "accepted", "arrived"):
                pending = [accept_due] if accepted_at is None else []
                if arrive_due is not None and arrived_at is None:
                    pending.append(arrive_due)
                pending.append(resolve_due)
                next_due = min(pending)
            accepted = accepted_at is not None
            accept_late = accepted_at > accept_due if accepted_at else None
            arrive_late = arrived_at > arrive_due if arrived_at and arrive_due else None
            resolve_late = resolved_at > resolve_due if resolved_at else None
            escalation = 1 if (accept_late or resolve_late) and rng.random() < 0.3 else 0
            last = max(
                x
                for x in (
                    created,
                    cancelled_at,
                    accepted_at,
                    arrived_at,
                    resolved_at,
                    closed_at,
                    rated_at,
                )
                if x is not None
            )
            assignee = None if crew else holder
            yield (
                wid,
                clocks.id,
                channel,
                status,
                rng.choice(TEXTS),
                "",
                "",
                "",
                "",
                rng.random() < city.special,
                (rng.random() < 0.25) if code == "complaint" else (rng.random() < 0.01),
                "[]",
                escalation,
                accept_due,
                accepted_at,
                accept_late,
                arrive_due,
                arrived_at,
                arrive_late,
                resolve_due,
                resolved_at,
                resolve_late,
                next_due,
                "",
                created,
                "",
                "已处理。" if resolved_at else "",
                confirmed_at,
                closed_at,
                auto_closed,
                cancelled_at,
                reopen,
                rating,
                "",
                visited_hall,
                rated_at,
                created,
                last,
                assignee,
                c + 1,
                manager if channel in ("phone", "visit", "patrol", "link_day") else None,
                city.district_of_compound(c) if crew else None,
                household,
                (holder if not crew else manager) if accepted else None,
                area
                if code.startswith("fault") or code in ("outage_enquiry", "meter_data_check")
                else None,
            )


def _pick(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([key for key, _ in pairs], [weight for _, weight in pairs])[0]


def build_requests(
    conn: Any, city: City, count: int, days: int, now: datetime.datetime, rng: random.Random
) -> int:
    categories = {
        row[1]: Clocks(row)
        for row in conn.execute(
            "SELECT id, code, routing, accept_target, accept_unit, arrive_target, arrive_unit, "
            "resolve_target, resolve_unit FROM workorders_category"
        ).fetchall()
    }
    missing = {code for code, _ in MIX} - set(categories)
    if missing:
        raise SystemExit(f"categories not seeded by the migrations: {sorted(missing)}")
    return copy_rows(
        conn,
        "workorders_workorder",
        WORKORDER_COLUMNS,
        requests(city, categories, count, days, now, rng),
    )


# Outages ------------------------------------------------------------------------------------


def build_outages(
    conn: Any, city: City, days: int, now: datetime.datetime, rng: random.Random
) -> tuple[int, int]:
    """A fault per area every other year and, per feeder, three outages a year (four in five
    planned) of a quarter of its areas; returns (outages, affected households)."""
    start_day = now - days * DAY
    outages: list[tuple[Any, ...]] = []
    area_links: list[tuple[int, int]] = []
    compound_links: list[tuple[int, int]] = []
    feeder_links: list[tuple[int, int]] = []
    affected: list[tuple[Any, ...]] = []
    published_by: dict[int, tuple[datetime.datetime, int, bool]] = {}
    years = days / 365
    specs: list[tuple[str, list[int], datetime.datetime]] = []
    for a in range(1, city.areas + 1):
        for _ in range(_poisson(rng, 0.5 * years)):
            specs.append(("fault", [a], start_day + rng.uniform(0, days) * DAY))
    for f in range(1, city.feeders + 1):
        first = (f - 1) * AREAS_PER_FEEDER + 1
        feeder_areas = list(range(first, min(first + AREAS_PER_FEEDER, city.areas + 1)))
        for _ in range(_poisson(rng, 3.0 * years)):
            kind = "planned" if rng.random() < 0.8 else "temporary"
            chosen = sorted(rng.sample(feeder_areas, max(1, len(feeder_areas) // 4)))
            specs.append((kind, chosen, start_day + rng.uniform(0, days) * DAY))
    specs.sort(key=lambda spec: spec[2])
    for oid, (kind, areas, start) in enumerate(specs, 1):
        c0 = city.area_compound[areas[0]] - 1
        by = city.manager_of(c0)
        if kind == "fault":
            published = start + rng.uniform(5, 40) * MINUTE
            end = start + rng.uniform(1, 6) * HOUR
        else:
            # 08:00–10:00 China time (UTC+8).
            start = start.replace(hour=0, minute=0, second=0, microsecond=0)
            start += rng.choice([0, 1, 2]) * HOUR
            lead = (7 if kind == "planned" else 1) * DAY
            # A few notices go out late: the metric has something to find.
            published = start - lead * (rng.uniform(0.4, 0.95) if rng.random() < 0.05 else 1.0)
            published -= rng.uniform(0, 3) * DAY if kind == "planned" else rng.uniform(0, 6) * HOUR
            end = start + rng.choice([4, 6, 8]) * HOUR
        created = published - rng.uniform(10, 600) * MINUTE
        cancelled = kind != "fault" and rng.random() < 0.04
        restored_at = None
        cancelled_at = None
        if published > now:
            state = "draft"
            published = None  # type: ignore[assignment]
        elif cancelled:
            cancelled_at = min(now, start - rng.uniform(1, 48) * HOUR)
            state = "cancelled"
        elif end + 2 * HOUR <= now:
            restored_at = end - rng.uniform(-1, 1.5) * HOUR
            restored_at = max(restored_at, start + 20 * MINUTE)
            state = "restored"
        else:
            state = "published"
        outages.append(
            (
                oid,
                kind,
                state,
                f"{'故障停电' if kind == 'fault' else '计划检修停电'} 第{areas[0]}号台区等",
                "线路检修" if kind != "fault" else "设备故障",
                start,
                end,
                end if kind == "fault" else None,
                0,
                "",
                created,
                restored_at or cancelled_at or published or created,
                published,
                restored_at,
                cancelled_at,
                by,
                None,
            )
        )
        compounds: set[int] = set()
        for a in areas:
            area_links.append((oid, a))
            compounds.add(city.area_compound[a])
        for c in sorted(compounds):
            compound_links.append((oid, c))
        if kind != "fault":
            feeder_links.append((oid, (areas[0] - 1) // AREAS_PER_FEEDER + 1))
        if published is None:
            continue
        published_by[oid] = (published, by, kind == "fault")
        ack_share = 0.45 if kind != "fault" else 0.15
        for a in areas:
            for first in city.area_households[a]:
                for h in range(first, first + city.per_building):
                    ack = None
                    if rng.random() < ack_share:
                        ack = published + rng.uniform(2, 24 * 60) * MINUTE
                        if ack > now:
                            ack = None
                    affected.append((oid, h, ack))
    copy_rows(
        conn,
        "outages_outage",
        [
            "id",
            "kind",
            "state",
            "title",
            "reason",
            "start",
            '"end"',
            "estimated_restoration",
            "sequence",
            "lead_time_override_reason",
            "created_at",
            "updated_at",
            "published_at",
            "restored_at",
            "cancelled_at",
            "created_by_id",
            "lead_time_overridden_by_id",
        ],
        iter(outages),
    )
    copy_rows(
        conn, "outages_outage_station_areas", ["outage_id", "stationarea_id"], iter(area_links)
    )
    copy_rows(conn, "outages_outage_compounds", ["outage_id", "compound_id"], iter(compound_links))
    copy_rows(conn, "outages_outage_feeders", ["outage_id", "feeder_id"], iter(feeder_links))
    n = copy_rows(
        conn,
        "outages_affectedhousehold",
        ["outage_id", "household_id", "acknowledged_at"],
        iter(affected),
    )
    # The published event, and the SMS each affected household was sent (the reach metric
    # counts households told by their messages' source); a few failed.
    copy_rows(
        conn,
        "outages_outageevent",
        ["id", "outage_id", "kind", "at", "note", "data", "by_id"],
        (
            (oid, oid, "published", at, "", "{}", by)
            for oid, (at, by, _urgent) in published_by.items()
        ),
    )

    def messages() -> Iterator[tuple[Any, ...]]:
        for oid, h, _ack in affected:
            at, _by, urgent = published_by[oid]
            sent = rng.random() < 0.97
            yield (
                h,
                "sms",
                f"1{h % 89 + 10}****{h % 10000:04d}",
                "outage_published",
                "{}",
                f"outage:{oid}:{oid}",
                f"outage:{oid}:{oid}:sms:household:{h}",
                "sent" if sent else "failed",
                1 if sent else 5,
                at,
                "",
                "" if sent else "gateway refused",
                "" if sent else "refused",
                at,
                at + rng.uniform(1, 90) * SECOND if sent else None,
                f"outage:{oid}",
                urgent,
            )

    copy_rows(
        conn,
        "notify_message",
        [
            "household_id",
            "channel",
            "address",
            "template",
            "context",
            "event_key",
            "idempotency_key",
            "state",
            "attempts",
            "next_attempt_at",
            "claim_token",
            "last_error",
            "failure",
            "created_at",
            "sent_at",
            "source",
            "urgent",
        ],
        messages(),
    )
    return len(outages), n


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# Line loss ----------------------------------------------------------------------------------


def loss_days(city: City, days: int, now: datetime.datetime, rng: random.Random) -> Iterator[Any]:
    """One row per area and day, day by day as the imports write them."""
    end = now.date() - DAY  # yesterday's readings are the latest
    level = [0.0] * (city.areas + 1)
    meters = [0] * (city.areas + 1)
    load = [0.0] * (city.areas + 1)
    for a in range(1, city.areas + 1):
        high = rng.random() < 0.03
        level[a] = rng.uniform(0.11, 0.2) if high else max(0.005, rng.gauss(0.045, 0.015))
        meters[a] = len(city.area_households[a]) * city.per_building
        load[a] = meters[a] * rng.uniform(5.5, 11)  # kWh a day
    for i in range(days):
        day = end - datetime.timedelta(days=days - 1 - i)
        t = i / max(days - 1, 1)
        season = 1.0 + 0.3 * math.cos((day.timetuple().tm_yday - 200) / 365 * 2 * math.pi)
        for a in range(1, city.areas + 1):
            total = meters[a]
            collected = total if rng.random() < 0.985 else total - rng.randint(1, 5)
            user_kwh = load[a] * season * rng.uniform(0.9, 1.1)
            if rng.random() < 0.004:
                rate = -rng.uniform(0.005, 0.08)
            else:
                rate = max(0.0, rng.gauss(level[a] * (1.0 - 0.15 * t), 0.006))
            supply = user_kwh / (1 - rate)
            if collected < total:
                loss = lossrate = None
                status = "incomplete"
            else:
                loss = f"{supply - user_kwh:.3f}"
                lossrate = f"{rate:.6f}"
                status = (
                    "negative_loss" if rate < 0 else "high_loss" if rate > MAX_LOSS else "qualified"
                )
            yield (
                a,
                day,
                f"{supply:.3f}",
                f"{user_kwh:.3f}",
                loss,
                lossrate,
                total + 1,  # the users' meters and the supply meter
                collected + 1,
                f"{(collected + 1) / (total + 1):.6f}",
                status,
            )


def build_loss(conn: Any, city: City, days: int, now: datetime.datetime, rng: random.Random) -> int:
    return copy_rows(
        conn,
        "analytics_stationareaday",
        [
            "station_area_id",
            "date",
            "supply_kwh",
            "user_kwh",
            "loss_kwh",
            "loss_rate",
            "meters_total",
            "meters_collected",
            "collection_rate",
            "status",
        ],
        loss_days(city, days, now, rng),
    )


# Main ---------------------------------------------------------------------------------------


SIZE_TABLES = [
    "grid_household",
    "workorders_workorder",
    "outages_outage",
    "outages_affectedhousehold",
    "notify_message",
    "analytics_stationareaday",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--households", type=int, default=1_200_000)
    parser.add_argument("--requests", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--areas", type=int, default=10_000)
    args = parser.parse_args()

    import psycopg

    clock = Clock()
    now = datetime.datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(args.seed)
    city = City(args.households, args.areas, rng)
    print(
        f"{city.districts} districts, {city.communities} communities, {city.compounds} compounds, "
        f"{city.buildings} buildings, {city.households} households, {city.areas} station areas, "
        f"{city.users} staff; now {now:%Y-%m-%d %H:%M} UTC"
    )
    with clock.step("database created and migrated"):
        recreate_database(args.database_url)
        env = dict(
            os.environ,
            WUDIAN_DATABASE_URL=args.database_url,
            WUDIAN_DEBUG="1",
            DJANGO_SETTINGS_MODULE="wudian.settings",
        )
        subprocess.run(
            [str(VENV_BIN / "wudian"), "migrate", "-v0"],
            env=env,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
    with psycopg.connect(args.database_url) as conn:
        with clock.step("places, network, staff"):
            build_places(conn, city, rng)
            build_staff(conn, city, rng, now)
        with clock.step(f"{city.households:,} households"):
            build_households(conn, city, rng)
        conn.commit()
        with clock.step(f"{args.requests:,} requests"):
            n = build_requests(conn, city, args.requests, args.days, now, rng)
        conn.commit()
        print(f"  {n:,} requests written (those that fall after now are skipped)")
        with clock.step("outages and affected households"):
            outages, affected = build_outages(conn, city, args.days, now, rng)
        conn.commit()
        print(f"  {outages:,} outages, {affected:,} affected households")
        with clock.step(f"{args.areas:,} × {args.days} station-area days"):
            build_loss(conn, city, args.days, now, rng)
        reset_sequences(conn)
        conn.commit()
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        with clock.step("VACUUM ANALYZE"):
            conn.execute("VACUUM ANALYZE")
        print(f"total {clock.total():.1f} s")
        for table in SIZE_TABLES:
            rows, size = conn.execute(
                f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}')) FROM {table}"  # noqa: S608
            ).fetchone()  # type: ignore[misc]
            print(f"  {table}: {rows:,} rows, {size} with indexes")
        (db_size,) = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()  # type: ignore[misc]
        print(f"  database: {db_size}")


if __name__ == "__main__":
    main()
