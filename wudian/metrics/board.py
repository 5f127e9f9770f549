"""What the service dashboard shows, assembled from the figures: the headline by section, the
complaints by category against the same period a year before, the charts' data and the
links to the lists behind each figure. Pages only render what this module hands them.

Every part costs a fixed number of queries whatever the cut holds: each source runs once for
the period, once for the previous one, once by month and once by compound."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import User
from wudian.metrics.cuts import Cut
from wudian.metrics.figures import (
    Figure,
    bars_by_compound,
    bars_by_manager,
    figures,
    one_computation,
    series,
    source_rows,
    targets_for,
)
from wudian.metrics.periods import Period, Preset
from wudian.metrics.registry import (
    METRIC_LIST,
    METRICS,
    SECTION_LABELS,
    UNIT_SUFFIX,
    DrillKind,
    Good,
    Metric,
    Section,
    Unit,
)
from wudian.metrics.sources import By, complaints_by_category, reminders_by_staff

# The article's goal for complaints of the same kind (−50 % year on year), drawn where an
# administrator has set no target of their own.
COMPLAINTS_GOAL = Decimal(-50)
# The time series end with the period's month and reach back this many months.
TREND_MONTHS = 12

DRILL_URLS = {
    DrillKind.REQUESTS: "metrics:drill_requests",
    DrillKind.OUTAGES: "metrics:drill_outages",
    DrillKind.AREAS: "metrics:drill_areas",
}
# The desk's card: this month's few figures a supervisor or manager looks at first.
DESK_CODES = (
    "requests.resolve_on_time",
    "requests.rating_high",
    "complaints.yoy_change",
    "business.online_rate",
)
DECIMALS = {Unit.PERCENT: 1, Unit.HOURS: 1, Unit.COUNT: 0, Unit.RATING: 2, Unit.RATIO: 1}


@dataclass(frozen=True)
class Selection:
    """The period and the cut a dashboard page shows."""

    period: Period
    preset: Preset
    cut: Cut

    @property
    def query(self) -> str:
        """The query string naming this period and cut (for links to the lists)."""
        return urlencode(
            {
                "from": self.period.first.isoformat(),
                "to": self.period.last.isoformat(),
                "scope": self.cut.key,
            }
        )


def number(value: Decimal | int | float | None, unit: Unit) -> str:
    if value is None:
        return "—"
    places = DECIMALS[unit]
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places))
    return f"{rounded:,.{places}f}"


def with_unit(value: Decimal | int | float | None, unit: Unit) -> str:
    if value is None:
        return "—"
    suffix = str(UNIT_SUFFIX[unit])
    return f"{number(value, unit)}{'' if suffix in ('', '%') else ' '}{suffix}"


@dataclass(frozen=True)
class Shown:
    """One figure as the page shows it."""

    figure: Figure
    drill_url: str | None

    @property
    def metric(self) -> Metric:
        return self.figure.metric

    @property
    def value(self) -> str:
        return with_unit(self.figure.value, self.metric.unit)

    @property
    def target(self) -> str | None:
        target = self.figure.target
        if target is None:
            return None
        sign = "≤" if self.metric.good == Good.DOWN else "≥"
        return f"{sign} {with_unit(target.value, self.metric.unit)}"

    @property
    def previous(self) -> str:
        return with_unit(self.figure.previous, self.metric.unit)

    @property
    def change(self) -> str | None:
        change = self.figure.change
        if change is None:
            return None
        unit = self.metric.unit
        suffix = _("pp") if unit == Unit.PERCENT else str(UNIT_SUFFIX[unit])
        text = number(abs(change), unit)
        return f"{text} {suffix}".strip()

    @property
    def direction(self) -> str:
        """up, down or flat: which way the figure moved since the previous period."""
        change = self.figure.change
        if not change:
            return "flat"
        return "up" if change > 0 else "down"

    @property
    def parts(self) -> str | None:
        """ "n = numerator / denominator", or "n = denominator" where only that is known."""
        figure = self.figure
        if figure.denominator is None:
            return None
        if figure.numerator is None:
            return f"n = {figure.denominator}"
        return f"n = {figure.numerator} / {figure.denominator}"


def drill_url(metric: Metric, selection: Selection) -> str | None:
    if metric.drill is None:
        return None
    path = reverse(DRILL_URLS[metric.drill.kind])
    return f"{path}?{urlencode({'metric': metric.code})}&{selection.query}"


def shown_figures(metrics: list[Metric], selection: Selection) -> list[Shown]:
    return [
        Shown(figure, drill_url(figure.metric, selection))
        for figure in figures(metrics, selection.period, selection.cut)
    ]


@dataclass(frozen=True)
class SectionShown:
    key: str
    label: str
    figures: list[Shown]
    charts: list[dict[str, Any]] = field(default_factory=list)


def headline(selection: Selection) -> list[SectionShown]:
    """Every metric of the registry, by section, in the registry's order."""
    shown = shown_figures(list(METRIC_LIST), selection)
    return [
        SectionShown(
            section.value,
            str(SECTION_LABELS[section]),
            [item for item in shown if item.metric.section == section],
        )
        for section in Section
        if any(item.metric.section == section for item in shown)
    ]


@dataclass(frozen=True)
class CategoryRow:
    name: str
    name_en: str
    count: int
    last_year: int
    change: Decimal | None
    met: bool | None


def complaints_table(selection: Selection) -> tuple[list[CategoryRow], Decimal, bool]:
    """Complaints by category this period and the same period a year before, with the
    target each change is held to: the administrator's, or the article's −50 %."""
    metric = METRICS["complaints.yoy_change"]
    target = targets_for(selection.cut, [metric]).get(metric.code)
    goal = target.value if target is not None else COMPLAINTS_GOAL
    rows = [
        CategoryRow(
            name=row["category"].name,
            name_en=row["category"].name_en,
            count=row["count"],
            last_year=row["last_year"],
            change=row["change"],
            met=None if row["change"] is None else row["change"] <= goal,
        )
        for row in complaints_by_category(selection.period, selection.cut.compound_ids)
    ]
    return rows, goal, target is not None


def trend_period(period: Period) -> Period:
    """The TREND_MONTHS months up to the period's last day, from the first of a month."""
    first = period.last.replace(day=1)
    for _step in range(TREND_MONTHS - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return Period(first, period.last)


def _float(value: Decimal | int | None, unit: Unit) -> float | None:
    if value is None:
        return None
    return float(round(Decimal(value), max(DECIMALS[unit], 1)))


SERIES_CODES = (
    ("business.online_rate", gettext_lazy("Online application rate by month")),
    ("requests.resolve_on_time", gettext_lazy("Resolved on time by month")),
    ("lineloss.qualified", gettext_lazy("Station-area days qualified by month")),
)
BAR_CODES = ("requests.filed", "requests.resolve_on_time", "requests.rating_mean")


def charts(
    selection: Selection, complaints: list[CategoryRow], goal: Decimal
) -> list[dict[str, Any]]:
    """The charts' data for dashboard.js: each chart a title, its unit, the categories along
    one axis, the series, and the target line where one applies."""
    cut = selection.cut
    months = trend_period(selection.period)
    labels = [month.first.strftime("%Y-%m") for month in months.months()]
    bar_metrics = [METRICS[code] for code in BAR_CODES]
    found_targets = targets_for(cut, [METRICS[code] for code, _title in SERIES_CODES] + bar_metrics)

    def target_of(metric: Metric) -> float | None:
        target = found_targets.get(metric.code)
        return None if target is None else float(target.value)

    out: list[dict[str, Any]] = []
    rows = source_rows("complaints", months, cut.compound_ids, By.MONTH)
    out.append(
        {
            "id": "complaints-yoy",
            "section": Section.COMPLAINTS.value,
            "kind": "line",
            "title": _("Complaints by month, this year and last year"),
            "unit": "",
            "integer": True,
            "categories": labels,
            "series": [
                {
                    "name": _("This year"),
                    "data": [rows.get(m.first, {}).get("complaints", 0) for m in months.months()],
                },
                {
                    "name": _("Same month last year"),
                    "data": [
                        rows.get(m.first, {}).get("complaints_last_year", 0)
                        for m in months.months()
                    ],
                    "dashed": True,
                },
            ],
        }
    )
    for code, title in SERIES_CODES:
        metric = METRICS[code]
        out.append(
            {
                "id": code.replace(".", "-"),
                "section": metric.section.value,
                "kind": "line",
                "title": str(title),
                "unit": "%",
                "categories": labels,
                "series": [
                    {
                        "name": str(metric.name),
                        "data": [_float(v, metric.unit) for _m, v in series(metric, months, cut)],
                    }
                ],
                "target": target_of(metric),
                "max": 100,
            }
        )
    if complaints:
        out.append(
            {
                "id": "complaints-category",
                "section": Section.COMPLAINTS.value,
                "good": Good.DOWN.value,
                "kind": "hbar",
                "title": _("Complaints by kind: change year on year"),
                "unit": "%",
                "categories": [row.name for row in complaints],
                "series": [
                    {
                        "name": _("Change year on year"),
                        "data": [_float(row.change, Unit.PERCENT) for row in complaints],
                    }
                ],
                "target": float(goal),
            }
        )
    several_compounds = len(cut.compound_ids) > 1
    for metric in bar_metrics:
        code = metric.code
        unit = "%" if metric.unit == Unit.PERCENT else str(UNIT_SUFFIX[metric.unit])
        for by, bars, heading in (
            ("compound", bars_by_compound, _("%(metric)s by compound")),
            ("manager", bars_by_manager, _("%(metric)s by customer manager")),
        ):
            found = bars(metric, selection.period, cut)
            if len(found) < 2 and not (by == "compound" and several_compounds):
                continue
            out.append(
                {
                    "id": f"{code.replace('.', '-')}-by-{by}",
                    "section": metric.section.value,
                    "good": metric.good.value,
                    "kind": "hbar",
                    "title": heading % {"metric": metric.name},
                    "unit": unit,
                    "integer": metric.unit == Unit.COUNT,
                    "categories": [name for name, _v in found],
                    "series": [
                        {
                            "name": str(metric.name),
                            "data": [_float(v, metric.unit) for _n, v in found],
                        }
                    ],
                    "target": target_of(metric),
                }
            )
    return out


@dataclass(frozen=True)
class StaffReminders:
    """One member of staff's reminders in the period: households reminded, and those that
    paid within 3 and 7 days of that person's first reminder."""

    name: str
    reminded: int
    paid_3d: int
    paid_7d: int

    @property
    def recovery_3d(self) -> Decimal | None:
        return Decimal(self.paid_3d) * 100 / self.reminded if self.reminded else None

    @property
    def recovery_7d(self) -> Decimal | None:
        return Decimal(self.paid_7d) * 100 / self.reminded if self.reminded else None


def reminders_table(selection: Selection) -> list[StaffReminders]:
    """Reminders by the member of staff who recorded them, most households first."""
    rows = reminders_by_staff(selection.period, selection.cut.compound_ids)
    names = {
        user.pk: user.display_name or user.username
        for user in User.objects.filter(pk__in=[row["user_id"] for row in rows])
    }
    table = [
        StaffReminders(
            name=names.get(row["user_id"], "—"),
            reminded=row["reminded"],
            paid_3d=row["paid_3d"],
            paid_7d=row["paid_7d"],
        )
        for row in rows
    ]
    return sorted(table, key=lambda row: (-row.reminded, row.name))


def desk_card(cut: Cut, period: Period) -> list[Shown]:
    """The desk's few figures of this month over everything the person measures."""
    selection = Selection(period=period, preset=Preset.THIS_MONTH, cut=cut)
    return shown_figures([METRICS[code] for code in DESK_CODES], selection)


@dataclass(frozen=True)
class Board:
    sections: list[SectionShown]
    complaints: list[CategoryRow]
    goal: Decimal
    goal_set: bool
    charts: dict[str, Any]
    reminders: list[StaffReminders] = field(default_factory=list)


def board(selection: Selection) -> Board:
    """Everything the dashboard shows for the selection but the risks: one computation,
    so the figures, series and bars that share a source read it once."""
    with one_computation():
        complaints, goal, goal_set = complaints_table(selection)
        reminders = reminders_table(selection)
        drawn = charts(selection, complaints, goal)
        sections = [
            SectionShown(
                section.key,
                section.label,
                section.figures,
                [chart for chart in drawn if chart["section"] == section.key],
            )
            for section in headline(selection)
        ]
    return Board(
        sections=sections,
        complaints=complaints,
        goal=goal,
        goal_set=goal_set,
        reminders=reminders,
        charts={
            "labels": {"target": _("Target"), "empty": _("No data in this period yet.")},
            "charts": drawn,
        },
    )
