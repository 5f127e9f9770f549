"""Figures: a metric's value over a period and a cut, with its target, whether it is met,
and the same figure over the previous period (the trend). One function computes them for
the dashboard, the exports, the monthly report and the API, so all four show one number.

Each source runs once per period however many of its metrics are asked for. Figures are
cached (`WUDIAN_METRICS_CACHE_SECONDS`), keyed by the source, the period and the compounds, and
a periodic task (`metrics.tasks.warm_dashboards`) computes the boards people open first afresh
every five minutes, so that nobody waits for a year to date; saving or deleting a target
empties the cache."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from wudian.core.errors import invalid
from wudian.grid import scope
from wudian.grid.models import Compound
from wudian.metrics.cuts import Cut, CutKind
from wudian.metrics.models import Target
from wudian.metrics.periods import Period
from wudian.metrics.registry import METRIC_LIST, METRICS, Metric
from wudian.metrics.sources import ADDITIVE, SOURCES, By, Parts, Rows, analytic_queries


@dataclass(frozen=True)
class Figure:
    metric: Metric
    value: Decimal | None
    numerator: Any
    denominator: Any
    target: Target | None
    previous: Decimal | None

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met_by(self.value)

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def better(self) -> bool | None:
        """Whether it moved the good way since the previous period (None: no direction,
        no change, or nothing to compare)."""
        change = self.change
        if change is None or change == 0 or not self.metric.targetable:
            return None
        return (change > 0) == (self.metric.good == "up")

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.metric.as_dict(),
            "value": _number(self.value),
            "numerator": _number(self.numerator),
            "denominator": _number(self.denominator),
            "previous": _number(self.previous),
            "target": _number(self.target.value) if self.target else None,
            "target_scope": self.target.scope_name if self.target else None,
            "met": self.met,
        }


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return float(round(Decimal(value), 4))


def parse_codes(text: str | Iterable[str] | None) -> list[Metric]:
    """The metrics a request names (comma separated), or all of them."""
    if text is None or text == "":
        return list(METRIC_LIST)
    codes = [c.strip() for c in (text.split(",") if isinstance(text, str) else text)]
    codes = [c for c in codes if c]
    unknown = [c for c in codes if c not in METRICS]
    if unknown:
        raise invalid(
            "codes",
            _("Unknown metric: %(codes)s.") % {"codes": ", ".join(unknown[:5])},
            "invalid_choice",
        )
    return [METRICS[c] for c in dict.fromkeys(codes)]


def _cache_key(*parts: Any) -> str:
    version = cache.get_or_set("metrics:version", 1)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"metrics:{version}:{digest}"


@receiver([post_save, post_delete], sender=Target)
def _targets_changed(**_kwargs: Any) -> None:
    try:
        cache.incr("metrics:version")
    except ValueError:
        cache.set("metrics:version", 2)


# Inside one computation (a dashboard, a report, a warming run): each source's rows asked
# for so far, so that none is read twice however many figures and charts share it; and
# whether the cache is to be passed over (the warming run computes afresh).
_MEMO: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("metrics_memo", default=None)
_FRESH: ContextVar[bool] = ContextVar("metrics_fresh", default=False)


@contextmanager
def one_computation(*, fresh: bool = False) -> Iterator[None]:
    """Read each source's rows at most once inside the block; with `fresh`, compute them
    afresh and keep them, whatever the cache holds. Nested blocks share the outer one."""
    memo_token = _MEMO.set({}) if _MEMO.get() is None else None
    fresh_token = _FRESH.set(True) if fresh else None
    try:
        yield
    finally:
        if fresh_token is not None:
            _FRESH.reset(fresh_token)
        if memo_token is not None:
            _MEMO.reset(memo_token)


def refreshing() -> Any:
    """Compute every source asked for afresh and keep it (the warming task)."""
    return one_computation(fresh=True)


def _cached(key_parts: tuple[Any, ...], compute: Any) -> Any:
    memo = _MEMO.get()
    if memo is not None and key_parts in memo:
        return memo[key_parts]
    seconds = settings.WUDIAN_METRICS_CACHE_SECONDS
    if not seconds:
        found = compute()
    else:
        key = _cache_key(*key_parts)
        found = None if _FRESH.get() else cache.get(key)
        if found is None:
            found = compute()
            cache.set(key, found, seconds)
    if memo is not None:
        memo[key_parts] = found
    return found


def source_rows(name: str, period: Period, compound_ids: frozenset[int], by: By | None) -> Rows:
    def compute() -> Rows:
        with analytic_queries():
            return SOURCES[name](period, compound_ids, by)

    return _cached(("rows", name, period, tuple(sorted(compound_ids)), by), compute)


def _parts(
    metrics: Sequence[Metric], period: Period, compound_ids: frozenset[int]
) -> dict[str, Parts]:
    return {
        name: source_rows(name, period, compound_ids, None).get(None, {})
        for name in dict.fromkeys(m.source for m in metrics)
    }


def targets_for(cut: Cut, metrics: Sequence[Metric]) -> dict[str, Target]:
    """The target that applies to each metric for the cut: the most specific one."""
    condition = Q(district__isnull=True, community__isnull=True, compound__isnull=True) & Q(
        manager__isnull=True
    )
    order: list[tuple[str, int]] = []
    if cut.kind == CutKind.MANAGER:
        order.append(("manager", cut.obj.pk))
    elif cut.kind in (CutKind.DISTRICT, CutKind.COMMUNITY, CutKind.COMPOUND):
        compound = cut.obj if cut.kind == CutKind.COMPOUND else None
        community = cut.obj if cut.kind == CutKind.COMMUNITY else None
        district = cut.obj if cut.kind == CutKind.DISTRICT else None
        if compound is not None:
            order.append(("compound", compound.pk))
            community = compound.community
        if community is not None:
            order.append(("community", community.pk))
            district = community.street.district
        if district is not None:
            order.append(("district", district.pk))
    for name, pk in order:
        condition |= Q(**{f"{name}_id": pk})
    rank = {name: n for n, (name, _pk) in enumerate(order)}
    best: dict[str, tuple[int, Target]] = {}
    for target in Target.objects.filter(
        condition, metric__in=[m.code for m in metrics]
    ).select_related("district", "community", "compound", "manager"):
        scope_name = next((n for n in Target.SCOPES if getattr(target, f"{n}_id")), None)
        level = rank.get(scope_name, len(order)) if scope_name else len(order)
        known = best.get(target.metric)
        if known is None or level < known[0]:
            best[target.metric] = (level, target)
    return {code: target for code, (_level, target) in best.items()}


def figures(metrics: Sequence[Metric], period: Period, cut: Cut) -> list[Figure]:
    """The metrics' figures for the cut over the period, each with its previous period's
    value and the target that applies."""
    now = _parts(metrics, period, cut.compound_ids)
    before = _parts(metrics, period.previous(), cut.compound_ids)
    targets = targets_for(cut, metrics)
    out = []
    for metric in metrics:
        parts = now[metric.source]
        out.append(
            Figure(
                metric=metric,
                value=metric.value(parts),
                numerator=parts.get(metric.numerator) if metric.numerator else None,
                denominator=parts.get(metric.denominator) if metric.denominator else None,
                target=targets.get(metric.code),
                previous=metric.value(before[metric.source]),
            )
        )
    return out


def series(metric: Metric, period: Period, cut: Cut) -> list[tuple[Any, Decimal | None]]:
    """The metric month by month over the period: (the month's first day, value)."""
    rows = source_rows(metric.source, period, cut.compound_ids, By.MONTH)
    return [(month.first, metric.value(rows.get(month.first, {}))) for month in period.months()]


def bars_by_compound(metric: Metric, period: Period, cut: Cut) -> list[tuple[str, Decimal | None]]:
    """The metric for each compound of the cut, by name."""
    rows = source_rows(metric.source, period, cut.compound_ids, By.COMPOUND)
    names = dict(Compound.objects.filter(pk__in=cut.compound_ids).values_list("pk", "name"))
    return sorted(
        ((names[pk], metric.value(rows.get(pk, {}))) for pk in names),
        key=lambda item: item[0],
    )


# Parts that are the same for every compound (the period's length), not summed.
SHARED_PARTS = frozenset({"period_hours"})


def bars_by_manager(metric: Metric, period: Period, cut: Cut) -> list[tuple[str, Decimal | None]]:
    """The metric for each customer manager of the cut's compounds, from the sum of their
    compounds' parts (additive sources only)."""
    if metric.source not in ADDITIVE:
        return []
    rows = source_rows(metric.source, period, cut.compound_ids, By.COMPOUND)
    managers = scope.customer_managers_of(cut.compound_ids)
    summed: dict[Any, Parts] = defaultdict(lambda: defaultdict(lambda: 0))
    for compound_id, manager in managers.items():
        summed[manager]
        for name, value in rows.get(compound_id, {}).items():
            if name not in SHARED_PARTS and isinstance(value, int | Decimal | float):
                summed[manager][name] += value
            else:
                summed[manager][name] = value
    return sorted(
        ((str(manager), metric.value(parts)) for manager, parts in summed.items()),
        key=lambda item: item[0],
    )
