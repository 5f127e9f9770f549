"""The monthly service report (物电联络站服务月报): one month and one scope as an A4 PDF a
supervisor sends upward. Headline figures by section with their targets, the change against
the month before and the same month a year before; complaints by category against last
year and the reduction target; the worst station areas; the 1+N structure; and charts drawn
as inline SVG on the server (a PDF runs no script). The page (`/desk/dashboard/report.pdf`)
and the command (`wudian report`) render the same thing from the same figures."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, pgettext

from wudian.grid import scope
from wudian.metrics import charts
from wudian.metrics.cuts import CUT_LABELS, Cut, CutKind, managers_of
from wudian.metrics.exports import category_name
from wudian.metrics.figures import (
    Figure,
    bars_by_manager,
    figures,
    one_computation,
    source_rows,
    targets_for,
)
from wudian.metrics.periods import Period
from wudian.metrics.registry import (
    METRIC_LIST,
    METRICS,
    SECTION_LABELS,
    UNIT_SUFFIX,
    Good,
    Metric,
    Section,
    Unit,
)
from wudian.metrics.sources import By, area_rows, change_percent, complaints_by_category

WORST_AREAS = 10
TREND_MONTHS = 12


def show(value: Any, unit: Unit) -> str:
    """A figure as printed: one decimal for shares and hours, two for a rating."""
    if value is None:
        return "—"
    number = Decimal(value)
    if unit == Unit.COUNT:
        return f"{number:,.0f}"
    if unit == Unit.RATING:
        return f"{number:.2f}{UNIT_SUFFIX[unit]}"
    suffix = str(UNIT_SUFFIX[unit])
    return f"{number:,.1f}{'' if unit == Unit.RATIO else ' ' if suffix.isalpha() else ''}{suffix}"


def show_change(change: Decimal | None, unit: Unit) -> str:
    if change is None:
        return "—"
    places = 2 if unit == Unit.RATING else 0 if unit == Unit.COUNT else 1
    if round(change, places) == 0:
        return "±0"
    if unit == Unit.PERCENT:
        return pgettext("report", "%(change)s pp") % {"change": f"{change:+.1f}"}
    if unit == Unit.COUNT:
        return f"{change:+,.0f}"
    if unit == Unit.RATING:
        return f"{change:+.2f}"
    return f"{change:+.1f}"


@dataclass(frozen=True)
class Line:
    """One figure's row: now, target, the month before and a year before."""

    figure: Figure
    year_before: Decimal | None

    @property
    def unit(self) -> Unit:
        return self.figure.metric.unit

    @property
    def value(self) -> str:
        return show(self.figure.value, self.unit)

    @property
    def target(self) -> str:
        if self.figure.target is None:
            return ""
        sign = "≤" if self.figure.metric.good == Good.DOWN else "≥"
        return f"{sign} {show(self.figure.target.value, self.unit)}"

    @property
    def previous_change(self) -> str:
        return show_change(self.figure.change, self.unit)

    @property
    def previous_better(self) -> bool | None:
        return self.figure.better

    @property
    def year_change(self) -> str:
        if self.figure.value is None or self.year_before is None:
            return "—"
        return show_change(self.figure.value - self.year_before, self.unit)

    @property
    def year_better(self) -> bool | None:
        if self.figure.value is None or self.year_before is None:
            return None
        change = self.figure.value - self.year_before
        if change == 0 or not self.figure.metric.targetable:
            return None
        return (change > 0) == (self.figure.metric.good == Good.UP)


def _trend_period(month: Period) -> Period:
    first = month.first
    for _n in range(TREND_MONTHS - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return Period(first, month.last)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _month_label(day: datetime.date) -> str:
    """A month on a chart's axis: 11月, or Nov; the year shown at January."""
    if (get_language() or "zh-hans").startswith("zh"):
        return f"{day.year}年{day.month}月" if day.month == 1 else f"{day.month}月"
    return date_format(day, "M Y" if day.month == 1 else "M")


def values_over(metrics: Sequence[Metric], period: Period, cut: Cut) -> dict[str, Any]:
    """The metrics' values alone (no target, no previous period): the same month a year
    before, each source read once."""
    parts = {
        name: source_rows(name, period, cut.compound_ids, None).get(None, {})
        for name in dict.fromkeys(metric.source for metric in metrics)
    }
    return {metric.code: metric.value(parts[metric.source]) for metric in metrics}


def _trend_chart(code: str, trend: Period, cut: Cut, found: dict[str, Figure]) -> Any:
    metric = METRICS[code]
    # The months' rows of the source, read once for the charts that share it.
    rows = source_rows(metric.source, trend, cut.compound_ids, By.MONTH)
    points = [(m.first, metric.value(rows.get(m.first, {}))) for m in trend.months()]
    target = found[code].target
    return charts.line_chart(
        [_month_label(day) for day, _value in points],
        [(str(metric.name), [_float(value) for _day, value in points])],
        suffix=str(UNIT_SUFFIX[metric.unit]) if metric.unit == Unit.PERCENT else "",
        target=_float(target.value) if target else None,
        target_label=pgettext("report", "Target"),
        title=str(metric.name),
        cap=100 if metric.unit == Unit.PERCENT else None,
    )


def report_context(month: Period, cut: Cut) -> dict[str, Any]:
    """What the report shows: one computation, each source read once."""
    with one_computation():
        return _report_context(month, cut)


def _report_context(month: Period, cut: Cut) -> dict[str, Any]:
    metrics = list(METRIC_LIST)
    now = figures(metrics, month, cut)
    year_before = values_over(metrics, month.year_before(), cut)
    found = {f.metric.code: f for f in now}
    sections = [
        (
            SECTION_LABELS[section],
            [Line(f, year_before[f.metric.code]) for f in now if f.metric.section == section],
        )
        for section in Section
        if section != Section.STRUCTURE  # its own part, with the managers
    ]
    lines = [line for _label, section_lines in sections for line in section_lines]
    structure = [
        Line(f, year_before[f.metric.code]) for f in now if f.metric.section == Section.STRUCTURE
    ]

    complaints = complaints_by_category(month, cut.compound_ids)
    total_now = sum(row["count"] for row in complaints)
    total_before = sum(row["last_year"] for row in complaints)
    yoy_target = targets_for(cut, [METRICS["complaints.yoy_change"]]).get("complaints.yoy_change")
    complaint_rows = [
        {
            "name": category_name(row["category"]),
            "count": row["count"],
            "last_year": row["last_year"],
            "change": show(row["change"], Unit.PERCENT),
            "met": None
            if yoy_target is None or row["change"] is None
            else row["change"] <= yoy_target.value,
        }
        for row in complaints
    ]

    trend = _trend_period(month)
    monthly = source_rows("complaints", trend, cut.compound_ids, By.MONTH)
    trend_months = trend.months()
    complaints_trend = charts.line_chart(
        [_month_label(m.first) for m in trend_months],
        [
            (
                pgettext("report", "Complaints"),
                [float(monthly.get(m.first, {}).get("complaints", 0)) for m in trend_months],
            ),
            (
                pgettext("report", "Same month last year"),
                [
                    float(monthly.get(m.first, {}).get("complaints_last_year", 0))
                    for m in trend_months
                ],
            ),
        ],
        title=pgettext("report", "Complaints by month"),
    )
    complaints_bars = charts.bar_chart(
        [(row["name"], [row["count"], row["last_year"]]) for row in complaint_rows],
        [pgettext("report", "This month"), pgettext("report", "Same month last year")],
        title=pgettext("report", "Complaints by category"),
    )

    areas = area_rows(month, cut.compound_ids)[:WORST_AREAS]
    areas_bars = charts.bar_chart(
        [(row["station_area__name"], [_float(row["loss_rate"])]) for row in areas],
        [pgettext("report", "Line loss rate")],
        suffix="%",
        title=pgettext("report", "Worst station areas"),
    )

    compounds_of = Counter(
        manager.pk for manager in scope.customer_managers_of(cut.compound_ids).values()
    )
    filed = dict(bars_by_manager(METRICS["requests.filed"], month, cut))
    on_time = dict(bars_by_manager(METRICS["requests.resolve_on_time"], month, cut))
    managers = [
        {
            "name": str(manager),
            "compounds": compounds_of[manager.pk],
            "filed": show(filed.get(str(manager)), Unit.COUNT),
            "on_time": show(on_time.get(str(manager)), Unit.PERCENT),
        }
        for manager in managers_of(cut.compound_ids)
    ]

    return {
        "title": pgettext("report", "Liaison station monthly service report"),
        "month": month,
        "month_label": date_format(month.first, "YEAR_MONTH_FORMAT"),
        "cut": cut,
        "cut_kind": "" if cut.kind == CutKind.ALL else CUT_LABELS[cut.kind],
        "generated": timezone.localtime(),
        "sections": sections,
        "met_count": sum(1 for line in lines if line.figure.met),
        "missed_count": sum(1 for line in lines if line.figure.met is False),
        "complaints": complaint_rows,
        "complaints_total": total_now,
        "complaints_total_last_year": total_before,
        "complaints_change": show(change_percent(total_now, total_before), Unit.PERCENT),
        "yoy_target": show(yoy_target.value, Unit.PERCENT) if yoy_target else None,
        "complaints_met": found["complaints.yoy_change"].met,
        "complaints_trend": complaints_trend,
        "complaints_bars": complaints_bars,
        "online_name": METRICS["business.online_rate"].name,
        "on_time_name": METRICS["requests.resolve_on_time"].name,
        "online_trend": _trend_chart("business.online_rate", trend, cut, found),
        "on_time_trend": _trend_chart("requests.resolve_on_time", trend, cut, found),
        "areas": [
            {
                **row,
                "loss": show(row["loss_rate"], Unit.PERCENT),
                "collection": show(row["collection_rate"], Unit.PERCENT),
            }
            for row in areas
        ],
        "areas_bars": areas_bars if areas else None,
        "structure": structure,
        "managers": managers,
    }


def render_report_html(month: Period, cut: Cut) -> str:
    return render_to_string("metrics/report.html", report_context(month, cut))


def render_report_pdf(month: Period, cut: Cut) -> bytes:
    # WeasyPrint is heavy to import and only this path needs it.
    from weasyprint import CSS, HTML

    stylesheet = finders.find("metrics/report.css")
    pdf = HTML(string=render_report_html(month, cut)).write_pdf(
        stylesheets=[CSS(filename=stylesheet)]
    )
    if pdf is None:  # only when a target file is given, never here
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)


def report_filename(month: Period, cut: Cut) -> tuple[str, str]:
    """The PDF's name in the reader's language and an ASCII fallback."""
    label = month.first.strftime("%Y-%m")
    name = f"{pgettext('report', 'Monthly service report')}-{cut.name}-{label}.pdf"
    fallback = f"report-{cut.key.replace(':', '-')}-{label}.pdf"
    return name.replace("/", " ").replace("\\", " ").replace('"', " "), fallback
