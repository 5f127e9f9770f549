"""Where the figures come from: each source adds up one kind of record over a period and a
set of compounds in one or two queries, and returns *parts* (counts and sums) from which the
registry's metrics are computed. Parts add up, so a figure for a customer manager is the sum
of their compounds' parts; only the durations' percentiles do not, and are never summed.

Every source answers `by=None` (one row, key None), `by=COMPOUND` (key: compound id) and
`by=MONTH` (key: the month's first day) — except line loss, which is cut by station area, not
compound — so the dashboard's headline, its bars and its time series are one computation each.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncMonth
from django.utils import timezone

from wudian.accounts.models import Certificate, RoleCode
from wudian.analytics.models import LossStatus, StationAreaDay
from wudian.billing.models import Arrears, Reminder
from wudian.billing.selectors.reminders import TO_REMIND, LineFacts, counts_as_reminded, paid_on
from wudian.core.calendar import china_date
from wudian.fieldwork.models import Defect, Patrol, PatrolAnswer, Severity, TrainingAttendance
from wudian.fieldwork.selectors.training import training_hours
from wudian.grid import scope
from wudian.grid.models import Household, StationArea
from wudian.metrics.periods import Period
from wudian.notify.models import Message
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.selectors import outage_source_of
from wudian.outages.services.checks import notice_period
from wudian.workorders.models import ONLINE_CHANNELS, Category, WorkOrder

Parts = dict[str, Any]
Rows = dict[Any, Parts]


class By(StrEnum):
    COMPOUND = "compound"
    MONTH = "month"


def _month(value: datetime.date | datetime.datetime | None) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def _grouped(
    queryset: QuerySet[Any],
    by: By | None,
    *,
    compound: str,
    moment: str,
    aggregates: dict[str, Any],
) -> Rows:
    """The aggregates over the queryset, whole or grouped by compound or by month."""
    if by is None:
        return {None: queryset.aggregate(**aggregates)}
    key: Any = F(compound) if by == By.COMPOUND else TruncMonth(moment)
    rows = queryset.annotate(group_key=key).values("group_key").annotate(**aggregates).order_by()
    out: Rows = {}
    for row in rows:
        group = row.pop("group_key")
        out[_month(group) if by == By.MONTH else group] = row
    return out


@contextmanager
def analytic_queries() -> Iterator[None]:
    """Run a source's few large aggregates without PostgreSQL's JIT compilation and with a
    plan made for each query's own values. On the benchmark city (docs/benchmarks.md,
    "Service dashboard") JIT spent 2.2–2.5 s compiling each outage aggregate of a year to
    date, and other aggregates took 3.8–4.9 s as prepared statements (settings:
    WUDIAN_DB_SERVER_SIDE_BINDING; PostgreSQL may switch those to a generic plan) against
    1.5–2.1 s planned for their values. With both, a computed year to date took 11 s instead
    of 28 s. Both settings end with the transaction; other databases are left alone."""
    if connection.vendor != "postgresql":
        yield
        return
    # One statement, and no savepoint inside a transaction: one query more per source.
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', true), "
                "set_config('plan_cache_mode', 'force_custom_plan', true)"
            )
        yield


# Requests -----------------------------------------------------------------------------------


class Kinds:
    """The ids of the request categories by kind and by routing (one query)."""

    def __init__(self) -> None:
        self.rows = list(Category.objects.values_list("pk", "kind", "routing"))

    def of(self, *kinds: str) -> list[int]:
        return [pk for pk, kind, _routing in self.rows if kind in kinds]

    def routed(self, routing: str) -> list[int]:
        return [pk for pk, _kind, routed in self.rows if routed == routing]


def requests_filed(period: Period, compound_ids: Collection[int]) -> QuerySet[WorkOrder]:
    """The requests filed in the period in the compounds: the cohort every request figure
    is computed over (and its drill-down lists)."""
    return WorkOrder.objects.filter(
        compound_id__in=compound_ids, created_at__gte=period.start, created_at__lt=period.end
    )


def requests_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    kinds = Kinds()
    business = kinds.of(Category.Kind.BUSINESS)
    complaints = kinds.of(Category.Kind.COMPLAINT)
    electrician = kinds.routed(Category.Routing.ELECTRICIAN)
    closed = Q(status=WorkOrder.Status.CLOSED)
    aggregates = {
        "filed": Count("pk"),
        "accept_measured": Count("pk", filter=Q(accept_late__isnull=False)),
        "accept_on_time": Count("pk", filter=Q(accept_late=False)),
        "arrive_measured": Count("pk", filter=Q(arrive_late__isnull=False)),
        "arrive_on_time": Count("pk", filter=Q(arrive_late=False)),
        "resolve_measured": Count("pk", filter=Q(resolve_late__isnull=False)),
        "resolve_on_time": Count("pk", filter=Q(resolve_late=False)),
        "resolved": Count("pk", filter=Q(resolved_at__isnull=False)),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "rated": Count("rating"),
        "rating_sum": Coalesce(Sum("rating"), 0),
        "rating_high": Count("pk", filter=Q(rating__gte=4)),
        "hall_answered": Count("pk", filter=closed & Q(visited_hall__isnull=False)),
        "no_visit": Count("pk", filter=closed & Q(visited_hall=False)),
        "business": Count("pk", filter=Q(category_id__in=business)),
        "business_online": Count(
            "pk", filter=Q(category_id__in=business, channel__in=sorted(ONLINE_CHANNELS))
        ),
        "complaints": Count("pk", filter=Q(category_id__in=complaints)),
        "for_electricians": Count("pk", filter=Q(category_id__in=electrician)),
        "opinion_risk": Count("pk", filter=Q(opinion_risk=True)),
    }
    return _grouped(
        requests_filed(period, compound_ids),
        by,
        compound="compound_id",
        moment="created_at",
        aggregates=aggregates,
    )


def complaints_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    """Complaints filed in the period and in the same days a year before (同期)."""
    complaints = Kinds().of(Category.Kind.COMPLAINT)
    out: Rows = defaultdict(lambda: {"complaints": 0, "complaints_last_year": 0})
    for name, when in (("complaints", period), ("complaints_last_year", period.year_before())):
        rows = _grouped(
            requests_filed(when, compound_ids).filter(category_id__in=complaints),
            by,
            compound="compound_id",
            moment="created_at",
            aggregates={"n": Count("pk")},
        )
        for key, row in rows.items():
            if by == By.MONTH and name == "complaints_last_year" and key is not None:
                key = key.replace(year=key.year + 1)
            out[key][name] = row["n"]
    if by is None:
        out[None]
    return dict(out)


def complaints_by_category(period: Period, compound_ids: Collection[int]) -> list[dict[str, Any]]:
    """Complaints per category: this period, the same period a year before, the change."""
    complaints = Category.objects.filter(kind=Category.Kind.COMPLAINT).order_by("order")
    ids = [c.pk for c in complaints]
    counts: dict[str, dict[int, int]] = {}
    for name, when in (("now", period), ("before", period.year_before())):
        counts[name] = dict(
            requests_filed(when, compound_ids)
            .filter(category_id__in=ids)
            .values_list("category_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
    return [
        {
            "category": category,
            "count": counts["now"].get(category.pk, 0),
            "last_year": counts["before"].get(category.pk, 0),
            "change": change_percent(
                counts["now"].get(category.pk, 0), counts["before"].get(category.pk, 0)
            ),
        }
        for category in complaints
    ]


def change_percent(now: int | Decimal, before: int | Decimal) -> Decimal | None:
    if not before:
        return None
    return (Decimal(now) - Decimal(before)) * 100 / Decimal(before)


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile, over a duration (NULLs are left out)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


DURATIONS = {"accept": "accepted_at", "arrive": "arrived_at", "resolve": "resolved_at"}
FRACTIONS = {"p50": 0.5, "p90": 0.9}


def _hours(value: datetime.timedelta | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value.total_seconds()) / 3600


def _percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    values = sorted(values)
    rank = fraction * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def durations_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    """Median and 90th percentile of the time from filing to acceptance, arrival and
    resolution, in hours. Not additive: never summed over compounds."""
    cohort = requests_filed(period, compound_ids)
    if connection.vendor == "postgresql":
        aggregates = {
            f"{name}_{label}": PercentileCont(
                ExpressionWrapper(F(field) - F("created_at"), output_field=DurationField()),
                fraction,
            )
            for name, field in DURATIONS.items()
            for label, fraction in FRACTIONS.items()
        }
        rows = _grouped(
            cohort, by, compound="compound_id", moment="created_at", aggregates=aggregates
        )
        return {
            key: {name: _hours(value) for name, value in row.items()} for key, row in rows.items()
        }
    # SQLite has no percentile: the durations are read and ranked here (the embedded
    # default's data sets are small).
    samples: dict[Any, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for compound_id, created, *moments in cohort.values_list(
        "compound_id", "created_at", *DURATIONS.values()
    ):
        key = None if by is None else compound_id if by == By.COMPOUND else _month(created)
        for name, moment in zip(DURATIONS, moments, strict=True):
            if moment is not None:
                samples[key][name].append((moment - created).total_seconds())
    if by is None:
        samples[None]
    out: Rows = {}
    for key, by_name in samples.items():
        row: Parts = {}
        for name in DURATIONS:
            for label, fraction in FRACTIONS.items():
                seconds = _percentile(by_name.get(name, []), fraction)
                row[f"{name}_{label}"] = None if seconds is None else Decimal(seconds) / 3600
        out[key] = row
    return out


# Outages ------------------------------------------------------------------------------------


def outages_started(period: Period, compound_ids: Collection[int]) -> QuerySet[Outage]:
    """The published outages (not drafts) starting in the period that reach the compounds."""
    return Outage.objects.filter(
        published_at__isnull=False,
        start__gte=period.start,
        start__lt=period.end,
        pk__in=AffectedHousehold.objects.filter(
            household__building__compound_id__in=compound_ids
        ).values("outage_id"),
    )


def _affected(period: Period, compound_ids: Collection[int]) -> QuerySet[AffectedHousehold]:
    return AffectedHousehold.objects.filter(
        household__building__compound_id__in=compound_ids,
        outage__published_at__isnull=False,
        outage__start__gte=period.start,
        outage__start__lt=period.end,
    )


def outage_reach(outage_ids: Collection[int], compound_ids: Collection[int]) -> Rows:
    """Each outage's reach within the compounds (key: the outage's id), as outages_parts
    counts it: affected households, those that acknowledged, those told."""
    out: Rows = {}
    for row in (
        AffectedHousehold.objects.filter(
            outage_id__in=list(outage_ids), household__building__compound_id__in=compound_ids
        )
        .values("outage_id")
        .annotate(
            affected=Count("pk"),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        )
        .order_by()
    ):
        parts: Parts = dict(row)
        out[parts.pop("outage_id")] = {**parts, "told": 0}
    sources = {outage_source_of(pk): pk for pk in out}
    for source, _compound, told in _told(sources, compound_ids):
        out[sources[source]]["told"] += told
    return out


def _told(sources: Collection[str], compound_ids: Collection[int]) -> Any:
    """(source, compound, households told) for the outages' sources: households in the
    compounds a message of the outage to them went out to."""
    return (
        Message.objects.filter(
            source__in=list(sources),
            state=Message.State.SENT,
            household__building__compound_id__in=compound_ids,
        )
        .values_list("source", "household__building__compound_id")
        .annotate(n=Count("household_id", distinct=True))
        .order_by()
    )


def outages_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    def key_of(compound_id: int, moment: datetime.datetime) -> Any:
        return None if by is None else compound_id if by == By.COMPOUND else _month(moment)

    out: Rows = defaultdict(
        lambda: dict.fromkeys(
            (
                "outages",
                "notices_due",
                "notices_on_time",
                "affected",
                "told",
                "acknowledged",
                "customer_seconds",
                "customers",
            ),
            0,
        )
    )
    if by is None:
        out[None]
    # Notices against the notice rules: one per outage and compound (or month) it reaches.
    seen: set[tuple[int, Any]] = set()
    starts: dict[int, datetime.datetime] = {}
    for outage_id, kind, start, published, compound_id in (
        _affected(period, compound_ids)
        .values_list(
            "outage_id",
            "outage__kind",
            "outage__start",
            "outage__published_at",
            "household__building__compound_id",
        )
        .distinct()
        .order_by()
    ):
        key = key_of(compound_id, start)
        starts[outage_id] = start
        if (outage_id, key) in seen:
            continue
        seen.add((outage_id, key))
        out[key]["outages"] += 1
        rule = notice_period(kind=kind, start=start, now=published)
        if rule is not None:
            out[key]["notices_due"] += 1
            out[key]["notices_on_time"] += not rule.too_early
    # Reach: the affected households, those that acknowledged, and those told (a message of
    # the outage to them went out), counted from the messages by the outages' sources.
    reach = _grouped(
        _affected(period, compound_ids),
        by,
        compound="household__building__compound_id",
        moment="outage__start",
        aggregates={
            "affected": Count("pk"),
            "acknowledged": Count("pk", filter=Q(acknowledged_at__isnull=False)),
        },
    )
    for key, row in reach.items():
        out[key].update(row)
    sources = {outage_source_of(pk): pk for pk in starts}
    for source, compound_id, told in _told(sources, compound_ids):
        out[key_of(compound_id, starts[sources[source]])]["told"] += told
    # Customer outage hours inside the period: each affected household's outage, from its
    # start (or the period's) to the restoration, or the planned end when none is recorded.
    if by == By.MONTH:
        for month in period.months():
            out[month.first]["customer_seconds"] = _customer_seconds(month, compound_ids, None)[
                None
            ]
            out[month.first]["customers"] = _customers(compound_ids, None)[None]
    else:
        for key, seconds in _customer_seconds(period, compound_ids, by).items():
            out[key]["customer_seconds"] = seconds
        for key, customers in _customers(compound_ids, by).items():
            out[key]["customers"] = customers
    for row in out.values():
        row["period_hours"] = period.hours if by != By.MONTH else None
    if by == By.MONTH:
        for month in period.months():
            out[month.first]["period_hours"] = month.hours
    return dict(out)


def _customer_seconds(
    period: Period, compound_ids: Collection[int], by: By | None
) -> dict[Any, Decimal]:
    over = Coalesce("outage__restored_at", "outage__end")
    rows = (
        AffectedHousehold.objects.filter(
            household__building__compound_id__in=compound_ids,
            outage__published_at__isnull=False,
            outage__start__lt=period.end,
        )
        .exclude(outage__kind=Outage.Kind.ARREARS)
        .exclude(outage__state=Outage.State.CANCELLED)
        .annotate(over=over)
        .filter(over__gt=period.start, outage__start__lt=timezone.now())
        .annotate(
            inside=ExpressionWrapper(
                Least(F("over"), Value(min(period.end, timezone.now())))
                - Greatest(F("outage__start"), Value(period.start)),
                output_field=DurationField(),
            )
        )
    )
    if by == By.COMPOUND:
        grouped = (
            rows.values("household__building__compound_id").annotate(total=Sum("inside")).order_by()
        )
        return {row["household__building__compound_id"]: _seconds(row["total"]) for row in grouped}
    return {None: _seconds(rows.aggregate(total=Sum("inside"))["total"])}


def _seconds(value: datetime.timedelta | int | None) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, datetime.timedelta):
        return Decimal(value.total_seconds()).quantize(Decimal(1))
    return Decimal(value) / 1_000_000  # SQLite sums durations as microseconds


def _customers(compound_ids: Collection[int], by: By | None) -> dict[Any, int]:
    households = Household.objects.filter(building__compound_id__in=compound_ids)
    if by == By.COMPOUND:
        return dict(
            households.values_list("building__compound_id").annotate(n=Count("pk")).order_by()
        )
    return {None: households.count()}


# Line loss and collection ---------------------------------------------------------------------


def areas_of(compound_ids: Collection[int]) -> QuerySet[StationArea]:
    """The station areas supplying any of the compounds."""
    return StationArea.objects.filter(
        pk__in=StationArea.compounds.through.objects.filter(compound_id__in=compound_ids).values(
            "stationarea_id"
        )
    )


def area_days(period: Period, compound_ids: Collection[int]) -> QuerySet[StationAreaDay]:
    return StationAreaDay.objects.filter(
        station_area_id__in=areas_of(compound_ids).values("pk"),
        date__gte=period.first,
        date__lte=period.last,
    )


LINE_LOSS_AGGREGATES = {
    "area_days": Count("pk"),
    "qualified": Count("pk", filter=Q(status=LossStatus.QUALIFIED)),
    "high_loss": Count("pk", filter=Q(status=LossStatus.HIGH_LOSS)),
    "negative_loss": Count("pk", filter=Q(status=LossStatus.NEGATIVE_LOSS)),
    "incomplete": Count("pk", filter=Q(status=LossStatus.INCOMPLETE)),
    "meters_total": Coalesce(Sum("meters_total"), 0),
    "meters_collected": Coalesce(Sum("meters_collected"), 0),
    "supply_kwh": Coalesce(Sum("supply_kwh"), Decimal(0)),
    "loss_kwh": Coalesce(Sum("loss_kwh"), Decimal(0)),
}


def lineloss_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    if by == By.COMPOUND:
        return {}  # a station area may supply several compounds: cut by area instead
    return _grouped(
        area_days(period, compound_ids),
        by,
        compound="station_area_id",
        moment="date",
        aggregates=LINE_LOSS_AGGREGATES,
    )


def area_rows(period: Period, compound_ids: Collection[int]) -> list[dict[str, Any]]:
    """Each station area's period: days by status, collection, and the loss rate over the
    period's summed energy (同期), the worst first."""
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in area_days(period, compound_ids)
        .values("station_area_id", "station_area__code", "station_area__name")
        .annotate(**LINE_LOSS_AGGREGATES)
        .order_by()
    ]
    for row in rows:
        supply = row["supply_kwh"]
        row["loss_rate"] = row["loss_kwh"] * 100 / supply if supply else None
        row["collection_rate"] = (
            Decimal(row["meters_collected"]) * 100 / row["meters_total"]
            if row["meters_total"]
            else None
        )
    rows.sort(key=lambda r: (-(r["high_loss"] + r["negative_loss"]), -(r["loss_rate"] or 0)))
    return rows


# The 1+N structure ----------------------------------------------------------------------------


def structure_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    """Compounds, the customer managers and electricians serving them (the 1 and the N)."""
    if by == By.MONTH:
        return {}
    assigned = scope.assignments_in(
        RoleCode.CUSTOMER_MANAGER, RoleCode.ELECTRICIAN, compounds=compound_ids
    )
    people: dict[Any, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for compound_id, user_id, role in assigned.values_list("compound_id", "user_id", "role"):
        people[None if by is None else compound_id][role].add(user_id)
    electrician = Kinds().routed(Category.Routing.ELECTRICIAN)
    filed = _grouped(
        requests_filed(period, compound_ids),
        by,
        compound="compound_id",
        moment="created_at",
        aggregates={
            "filed": Count("pk"),
            "for_electricians": Count("pk", filter=Q(category_id__in=electrician)),
        },
    )
    keys: Iterable[Any] = [None] if by is None else compound_ids
    return {
        key: {
            "compounds": 1 if by == By.COMPOUND else len(compound_ids),
            "managers": len(people[key][RoleCode.CUSTOMER_MANAGER]),
            "electricians": len(people[key][RoleCode.ELECTRICIAN]),
            **filed.get(key, {"filed": 0, "for_electricians": 0}),
        }
        for key in keys
    }


# Training and certificates --------------------------------------------------------------------


def training_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    """The electricians assigned to the compounds, those holding a valid low-voltage
    certificate on the period's last day, and the hours credited to them by trainings starting
    in the period. An electrician serving several compounds counts once in a total, and in
    each of their compounds' bars. Three queries."""
    pairs = list(
        scope.assignments_in(RoleCode.ELECTRICIAN, compounds=compound_ids).values_list(
            "compound_id", "user_id"
        )
    )
    everyone = {user_id for _compound, user_id in pairs}
    spans = list(
        Certificate.objects.filter(
            holder_id__in=everyone, kind=Certificate.Kind.LOW_VOLTAGE
        ).values_list("holder_id", "issued_on", "expires_on")
    )

    def certified_on(day: datetime.date) -> set[int]:
        return {holder for holder, issued, expires in spans if issued <= day <= expires}

    if by == By.MONTH:
        months = (
            TrainingAttendance.objects.filter(
                electrician_id__in=everyone,
                session__starts_at__gte=period.start,
                session__starts_at__lt=period.end,
            )
            .annotate(month=TruncMonth("session__starts_at"))
            .values("month")
            .annotate(total=Sum("hours"))
        )
        credited = {_month(row["month"]): row["total"] or Decimal(0) for row in months}
        rows: Rows = {}
        month = period.first.replace(day=1)
        while month <= period.last:
            following = (month + datetime.timedelta(days=32)).replace(day=1)
            last_day = min(following - datetime.timedelta(days=1), period.last)
            rows[month] = {
                "electricians": len(everyone),
                "certified": len(certified_on(last_day)),
                "training_hours": credited.get(month, Decimal(0)),
            }
            month = following
        return rows
    certified = certified_on(period.last)
    hours = training_hours(list(everyone), since=period.start, until=period.end) if everyone else {}
    groups: dict[Any, set[int]] = defaultdict(set)
    for compound_id, user_id in pairs:
        groups[None if by is None else compound_id].add(user_id)
    keys: Iterable[Any] = [None] if by is None else compound_ids
    return {
        key: {
            "electricians": len(groups[key]),
            "certified": len(groups[key] & certified),
            "training_hours": sum((hours.get(pk, Decimal(0)) for pk in groups[key]), Decimal(0)),
        }
        for key in keys
    }


# Joint patrols ---------------------------------------------------------------------------------


def _months_ending_in(period: Period) -> list[datetime.date]:
    """The first days of the months whose last day lies in the period."""
    months = []
    month = period.first.replace(day=1)
    while month <= period.last:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        if period.first <= following - datetime.timedelta(days=1) <= period.last:
            months.append(month)
        month = following
    return months


def patrols_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    """Monthly patrols due in the period (their month ends in it; cancelled ones are not
    due) and those done by the end of their month; patrols done in the period and the
    findings they recorded. Grouped by month: the patrol's month, and the month it was done."""
    months = _months_ending_in(period)
    on_time = Q()
    for month in months:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        end = timezone.make_aware(datetime.datetime.combine(following, datetime.time.min))
        on_time |= Q(month=month, done_at__lt=end)
    due = _grouped(
        Patrol.objects.filter(
            compound_id__in=compound_ids, kind=Patrol.Kind.MONTHLY, month__in=months
        ).exclude(status=Patrol.Status.CANCELLED),
        by,
        compound="compound_id",
        moment="month",
        aggregates={
            "patrols_due": Count("pk"),
            "patrols_on_time": Count(
                "pk", filter=Q(status=Patrol.Status.DONE) & on_time if months else Q(pk=None)
            ),
        },
    )
    done = _grouped(
        Patrol.objects.filter(
            compound_id__in=compound_ids,
            status=Patrol.Status.DONE,
            done_at__gte=period.start,
            done_at__lt=period.end,
        ),
        by,
        compound="compound_id",
        moment="done_at",
        aggregates={
            "patrols_done": Count("pk", distinct=True),
            "findings": Count("answers", filter=Q(answers__result=PatrolAnswer.Result.FINDING)),
        },
    )
    keys = set(due) | set(done)
    if by is None:
        keys.add(None)
    empty = {"patrols_due": 0, "patrols_on_time": 0, "patrols_done": 0, "findings": 0}
    return {key: {**empty, **due.get(key, {}), **done.get(key, {})} for key in keys}


# Defects (消缺) ---------------------------------------------------------------------------


def _defect_aggregates() -> dict[str, Any]:
    on_time = Q(closed_at__isnull=False, closed_at__lte=F("deadline"))
    aggregates: dict[str, Any] = {
        "defects_due": Count("pk"),
        "defects_on_time": Count("pk", filter=on_time),
    }
    for severity in Severity.values:
        aggregates[f"defects_due_{severity}"] = Count("pk", filter=Q(severity=severity))
        aggregates[f"defects_on_time_{severity}"] = Count(
            "pk", filter=on_time & Q(severity=severity)
        )
    return aggregates


def defects_due(period: Period, compound_ids: Collection[int]) -> QuerySet[Defect]:
    """The defects whose deadline falls in the period: the cohort "closed on time" is
    computed over (closed by the deadline, checked by the other side)."""
    return Defect.objects.filter(
        compound_id__in=compound_ids, deadline__gte=period.start, deadline__lt=period.end
    )


def defects_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    return _grouped(
        defects_due(period, compound_ids),
        by,
        compound="compound_id",
        moment="deadline",
        aggregates=_defect_aggregates(),
    )


def open_defects_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    """Defects open now (not closed), whatever the period: a count of today, not a series."""
    if by == By.MONTH:
        return {}
    still_open = Defect.objects.filter(
        compound_id__in=compound_ids, status__in=Defect.OPEN_STATUSES
    )
    return _grouped(
        still_open,
        by,
        compound="compound_id",
        moment="found_at",
        aggregates={
            "open_critical": Count("pk", filter=Q(severity=Severity.CRITICAL)),
            "open_defects": Count("pk"),
        },
    )


# Payment reminders (友情化催费) -------------------------------------------------------------

# Paid within this many days of the first reminder.
RECOVERY_DAYS = (3, 7)


def arrears_listed(period: Period, compound_ids: Collection[int]) -> QuerySet[Arrears]:
    """The lines to remind (owing, or a prepaid balance below its warning level) of the
    lists dated in the period, in the compounds: the cohort of the reminder figures."""
    return Arrears.objects.filter(
        TO_REMIND,
        run__as_of__gte=period.first,
        run__as_of__lte=period.last,
        household__building__compound_id__in=compound_ids,
    )


class _Reminded:
    """A household's first reminder that counts on a line of the period (any outcome but
    not reachable; for a special-group household a visit or a call only), the line's facts,
    and who recorded it (None: a message the system sent)."""

    def __init__(self, line: LineFacts, at: datetime.datetime, by_id: int | None, compound: int):
        self.line, self.at, self.by_id, self.compound = line, at, by_id, compound


def _reminders_in(period: Period, compound_ids: Collection[int]) -> list[tuple[Any, ...]]:
    return list(
        Reminder.objects.filter(
            counts_as_reminded(),
            arrears__in=arrears_listed(period, compound_ids).values("pk"),
        )
        .order_by("at", "pk")
        .values_list(
            "arrears_id",
            "household_id",
            "by_id",
            "at",
            "arrears__kind",
            "arrears__amount",
            "arrears__run__as_of",
            "household__building__compound_id",
        )
    )


def _paid_within(first: _Reminded, paid: dict[int, Any]) -> int | None:
    """Days from the first reminder to the list on which the household paid, or None."""
    found = paid.get(first.line.pk)
    if found is None:
        return None
    return (found.as_of - china_date(first.at)).days


def reminders_parts(period: Period, compound_ids: Collection[int], by: By | None = None) -> Rows:
    """Households on the lists of the period (to remind), those reminded, and of those the
    ones that paid — were absent from a later list, or owed less on it — within 3 and 7 days
    of their first reminder. Grouped by month: the month of the list. Four queries."""
    listed = _grouped(
        arrears_listed(period, compound_ids),
        by,
        compound="household__building__compound_id",
        moment="run__as_of",
        aggregates={"arrears_households": Count("household_id", distinct=True)},
    )
    first: dict[int, _Reminded] = {}
    listed_any = any(row["arrears_households"] for row in listed.values())
    for line_id, household, by_id, at, kind, amount, as_of, compound in (
        _reminders_in(period, compound_ids) if listed_any else []
    ):
        if household not in first:
            facts = LineFacts(line_id, household, kind, amount, as_of)
            first[household] = _Reminded(facts, at, by_id, compound)
    paid = paid_on([r.line for r in first.values()])
    rows: Rows = {
        key: {"arrears_households": row["arrears_households"], "reminded_households": 0}
        | {f"paid_{days}d": 0 for days in RECOVERY_DAYS}
        for key, row in listed.items()
    }
    for reminded in first.values():
        key: Any = None
        if by == By.COMPOUND:
            key = reminded.compound
        elif by == By.MONTH:
            key = reminded.line.as_of.replace(day=1)
        row = rows.setdefault(
            key,
            {"arrears_households": 0, "reminded_households": 0}
            | {f"paid_{days}d": 0 for days in RECOVERY_DAYS},
        )
        row["reminded_households"] += 1
        waited = _paid_within(reminded, paid)
        for days in RECOVERY_DAYS:
            if waited is not None and waited <= days:
                row[f"paid_{days}d"] += 1
    if by is None and None not in rows:
        rows[None] = {"arrears_households": 0, "reminded_households": 0} | {
            f"paid_{days}d": 0 for days in RECOVERY_DAYS
        }
    return rows


def reminders_by_staff(period: Period, compound_ids: Collection[int]) -> list[dict[str, Any]]:
    """Per member of staff who recorded reminders that count on the lines of the period:
    the households they reminded, and of those the ones that paid within 3 and 7 days of
    their first reminder by that person. Messages the system sent are not anyone's."""
    first: dict[tuple[int, int], _Reminded] = {}
    for line_id, household, by_id, at, kind, amount, as_of, compound in _reminders_in(
        period, compound_ids
    ):
        if by_id is not None and (by_id, household) not in first:
            facts = LineFacts(line_id, household, kind, amount, as_of)
            first[(by_id, household)] = _Reminded(facts, at, by_id, compound)
    paid = paid_on([r.line for r in first.values()])
    per_user: dict[int, dict[str, int]] = defaultdict(
        lambda: {"reminded": 0} | {f"paid_{days}d": 0 for days in RECOVERY_DAYS}
    )
    for (user_id, _household), reminded in first.items():
        row = per_user[user_id]
        row["reminded"] += 1
        waited = _paid_within(reminded, paid)
        for days in RECOVERY_DAYS:
            if waited is not None and waited <= days:
                row[f"paid_{days}d"] += 1
    return [{"user_id": user_id, **row} for user_id, row in per_user.items()]


SOURCES: dict[str, Callable[[Period, Collection[int], By | None], Rows]] = {
    "requests": requests_parts,
    "durations": durations_parts,
    "complaints": complaints_parts,
    "outages": outages_parts,
    "lineloss": lineloss_parts,
    "structure": structure_parts,
    "training": training_parts,
    "patrols": patrols_parts,
    "defects": defects_parts,
    "open_defects": open_defects_parts,
    "reminders": reminders_parts,
}
# Sources whose parts may be summed over compounds (a customer manager's figure).
ADDITIVE = frozenset(
    {"requests", "complaints", "outages", "patrols", "defects", "open_defects", "reminders"}
)
