"""The dashboard's exports as `.xlsx`: its figures, complaints by category and station areas
in one workbook, and each drill-down list (the requests, outages or station areas behind a
figure) in its own. Headers in the reader's language, numbers as numbers (a share as a
fraction shown as a percentage, moments as dates in local time), one sheet per table.

No resident's name, phone, address or account number is ever written: the request list
names the compound and the building, nothing finer. The lists are read with `.iterator()`
and written row by row (`wudian.metrics.xlsx`), so 100,000 rows take seconds and little
memory."""

from __future__ import annotations

import datetime
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import Count
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext as _

from wudian.core.errors import invalid
from wudian.grid.models import Compound
from wudian.metrics.cuts import Cut
from wudian.metrics.figures import Figure, figures, parse_codes
from wudian.metrics.periods import Period
from wudian.metrics.registry import METRICS, SECTION_LABELS, Drill, DrillKind, Metric, Unit
from wudian.metrics.sources import (
    area_rows,
    complaints_by_category,
    outage_reach,
    outages_started,
    requests_filed,
)
from wudian.metrics.xlsx import Cell, Column, Format, Workbook
from wudian.outages.models import Outage
from wudian.outages.services.checks import notice_period
from wudian.workorders.models import Category, Channel, WorkOrder

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A request list longer than this is refused before anything is written: narrow the period
# or the scope (Excel's own limit is 1,048,575 rows under the header).
MAX_LIST_ROWS = 500_000

UNIT_NAMES: dict[Unit, Promise] = {
    Unit.PERCENT: pgettext_lazy("export", "percent"),
    Unit.HOURS: pgettext_lazy("export", "hours"),
    Unit.COUNT: pgettext_lazy("export", "count"),
    Unit.RATING: pgettext_lazy("export", "rating (1–5)"),
    Unit.RATIO: pgettext_lazy("export", "ratio"),
}


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Any  # an iterable of rows, consumed once


def local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """An aware moment as the station's wall-clock time, to the second (Excel has no zones)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.get_current_timezone()).replace(tzinfo=None, microsecond=0)


def yes_no(flag: bool | None) -> str | None:
    if flag is None:
        return None
    return pgettext("export", "Yes") if flag else pgettext("export", "No")


def in_unit(value: Any, unit: Unit) -> Cell | None:
    """A figure's number as the sheet holds it: a share as a fraction in percent format."""
    if value is None:
        return None
    number = Decimal(value)
    if unit == Unit.PERCENT:
        return Cell(round(float(number) / 100, 8), Format.PERCENT)
    if unit == Unit.COUNT and number == number.to_integral_value():
        return Cell(int(number), Format.INTEGER)
    return Cell(round(float(number), 4), Format.DECIMAL)


def _plain(value: Any) -> Any:
    """A part (a count or a sum) as a number."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _met(figure: Figure) -> str | None:
    met = figure.met
    if met is None:
        return None
    return pgettext("export", "Met") if met else pgettext("export", "Missed")


# The dashboard's tables ------------------------------------------------------------------


def figures_table(found: Sequence[Figure]) -> Table:
    columns = [
        Column(pgettext("export", "Section"), 18),
        Column(pgettext("export", "Metric"), 30),
        Column(pgettext("export", "Code"), 28),
        Column(pgettext("export", "Value"), 12, Format.DECIMAL),
        Column(pgettext("export", "Unit"), 10),
        Column(pgettext("export", "Target"), 10, Format.DECIMAL),
        Column(pgettext("export", "Target met"), 10),
        Column(pgettext("export", "Previous period"), 12, Format.DECIMAL),
        Column(pgettext("export", "Numerator"), 12, Format.INTEGER),
        Column(pgettext("export", "Denominator"), 12, Format.INTEGER),
        Column(pgettext("export", "Formula"), 60),
    ]
    rows = [
        [
            str(SECTION_LABELS[figure.metric.section]),
            str(figure.metric.name),
            figure.metric.code,
            in_unit(figure.value, figure.metric.unit),
            str(UNIT_NAMES[figure.metric.unit]),
            in_unit(figure.target.value, figure.metric.unit) if figure.target else None,
            _met(figure),
            in_unit(figure.previous, figure.metric.unit),
            _plain(figure.numerator),
            _plain(figure.denominator),
            str(figure.metric.formula),
        ]
        for figure in found
    ]
    return Table(pgettext("export", "Figures"), columns, rows)


def complaints_table(period: Period, cut: Cut) -> Table:
    columns = [
        Column(pgettext("export", "Complaint category"), 24),
        Column(pgettext("export", "This period"), 12, Format.INTEGER),
        Column(pgettext("export", "Same period last year"), 16, Format.INTEGER),
        Column(pgettext("export", "Change year on year"), 16, Format.PERCENT),
    ]
    rows = [
        [
            category_name(row["category"]),
            row["count"],
            row["last_year"],
            in_unit(row["change"], Unit.PERCENT),
        ]
        for row in complaints_by_category(period, cut.compound_ids)
    ]
    return Table(pgettext("export", "Complaints by category"), columns, rows)


def areas_table(period: Period, cut: Cut) -> Table:
    columns = [
        Column(pgettext("export", "Station area code"), 14),
        Column(pgettext("export", "Station area"), 22),
        Column(pgettext("export", "Days"), 8, Format.INTEGER),
        Column(pgettext("export", "Qualified days"), 10, Format.INTEGER),
        Column(pgettext("export", "High-loss days"), 10, Format.INTEGER),
        Column(pgettext("export", "Negative-loss days"), 10, Format.INTEGER),
        Column(pgettext("export", "Incomplete days"), 10, Format.INTEGER),
        Column(pgettext("export", "Meters to read"), 12, Format.INTEGER),
        Column(pgettext("export", "Meters read"), 12, Format.INTEGER),
        Column(pgettext("export", "Collection rate"), 12, Format.PERCENT),
        Column(pgettext("export", "Supply (kWh)"), 14, Format.DECIMAL),
        Column(pgettext("export", "Loss (kWh)"), 14, Format.DECIMAL),
        Column(pgettext("export", "Line loss rate"), 12, Format.PERCENT),
    ]
    rows = (
        [
            row["station_area__code"],
            row["station_area__name"],
            row["area_days"],
            row["qualified"],
            row["high_loss"],
            row["negative_loss"],
            row["incomplete"],
            row["meters_total"],
            row["meters_collected"],
            in_unit(row["collection_rate"], Unit.PERCENT),
            _plain(row["supply_kwh"]),
            _plain(row["loss_kwh"]),
            in_unit(row["loss_rate"], Unit.PERCENT),
        ]
        for row in area_rows(period, cut.compound_ids)
    )
    return Table(pgettext("export", "Station areas"), columns, rows)


def category_name(category: Category) -> str:
    return category.name if (get_language() or "zh-hans").startswith("zh") else category.name_en


# Drill-down lists -----------------------------------------------------------------------


def drill_of(code: str | None, kind: DrillKind) -> Drill:
    """The list behind a metric, which must be of the kind asked for; no metric: all of it."""
    if not code:
        return Drill(kind)
    named = parse_codes(code)
    if len(named) != 1:
        raise invalid("metric", _("Name one metric."), "invalid")
    metric: Metric = named[0]
    if metric.drill is None or metric.drill.kind != kind:
        raise invalid(
            "metric",
            _("This figure has no list of that kind behind it."),
            "invalid_choice",
        )
    return metric.drill


REQUEST_FIELDS = (
    "pk",
    "created_at",
    "category_id",
    "compound_id",
    "household__building__name",
    "channel",
    "status",
    "accepted_at",
    "arrived_at",
    "resolved_at",
    "accept_late",
    "arrive_late",
    "resolve_late",
    "reopen_count",
    "rating",
    "visited_hall",
)


def requests_of(drill: Drill, period: Period, cut: Cut) -> Any:
    return requests_filed(period, cut.compound_ids).filter(drill.where)


def check_list_length(count: int) -> None:
    if count > MAX_LIST_ROWS:
        raise invalid(
            "to",
            _(
                "The list would have %(count)s rows, more than %(max)s: choose a shorter "
                "period or a narrower scope."
            )
            % {"count": f"{count:,}", "max": f"{MAX_LIST_ROWS:,}"},
            "too_long",
        )


def requests_table(drill: Drill, period: Period, cut: Cut) -> Table:
    columns = [
        Column(pgettext("export", "Number"), 10, Format.INTEGER),
        Column(pgettext("export", "Filed at"), 17, Format.DATETIME),
        Column(pgettext("export", "Category"), 18),
        Column(pgettext("export", "Compound"), 18),
        Column(pgettext("export", "Building"), 10),
        Column(pgettext("export", "Channel"), 16),
        Column(pgettext("export", "Status"), 14),
        Column(pgettext("export", "Accepted at"), 17, Format.DATETIME),
        Column(pgettext("export", "Arrived at"), 17, Format.DATETIME),
        Column(pgettext("export", "Resolved at"), 17, Format.DATETIME),
        Column(pgettext("export", "Accepted late"), 9),
        Column(pgettext("export", "Arrived late"), 9),
        Column(pgettext("export", "Resolved late"), 9),
        Column(pgettext("export", "Times reopened"), 9, Format.INTEGER),
        Column(pgettext("export", "Rating"), 8, Format.INTEGER),
        Column(pgettext("export", "Had to visit the hall"), 12),
    ]
    categories = {c.pk: category_name(c) for c in Category.objects.all()}
    compounds = dict(Compound.objects.filter(pk__in=cut.compound_ids).values_list("pk", "name"))
    channels = {value: str(label) for value, label in Channel.choices}
    statuses = {value: str(label) for value, label in WorkOrder.Status.choices}
    yes, no = yes_no(True), yes_no(False)
    flags = {True: yes, False: no, None: None}

    def rows() -> Iterator[list[Any]]:
        queryset = (
            requests_of(drill, period, cut)
            .order_by("created_at", "pk")
            .values_list(*REQUEST_FIELDS)
        )
        for (
            pk,
            created,
            category,
            compound,
            building,
            channel,
            status,
            accepted,
            arrived,
            resolved,
            accept_late,
            arrive_late,
            resolve_late,
            reopened,
            rating,
            visited,
        ) in queryset.iterator(chunk_size=5000):
            yield [
                pk,
                local(created),
                categories.get(category),
                compounds.get(compound),
                building,
                channels.get(channel, channel),
                statuses.get(status, status),
                local(accepted),
                local(arrived),
                local(resolved),
                flags[accept_late],
                flags[arrive_late],
                flags[resolve_late],
                reopened,
                rating,
                flags[visited],
            ]

    return Table(pgettext("export", "Requests"), columns, rows())


def outages_table(drill: Drill, period: Period, cut: Cut) -> Table:
    columns = [
        Column(pgettext("export", "Number"), 8, Format.INTEGER),
        Column(pgettext("export", "Title"), 30),
        Column(pgettext("export", "Kind"), 14),
        Column(pgettext("export", "Status"), 12),
        Column(pgettext("export", "Start"), 17, Format.DATETIME),
        Column(pgettext("export", "End"), 17, Format.DATETIME),
        Column(pgettext("export", "Published at"), 17, Format.DATETIME),
        Column(pgettext("export", "Power restored at"), 17, Format.DATETIME),
        Column(pgettext("export", "Notice given (hours)"), 12, Format.DECIMAL),
        Column(pgettext("export", "Notice rule"), 14),
        Column(pgettext("export", "Households affected in the scope"), 14, Format.INTEGER),
        Column(pgettext("export", "Households told in the scope"), 14, Format.INTEGER),
        Column(pgettext("export", "Households acknowledged in the scope"), 14, Format.INTEGER),
    ]
    outages = list(
        outages_started(period, cut.compound_ids)
        .filter(drill.where)
        .order_by("start", "pk")
        .values_list("pk", "title", "kind", "state", "start", "end", "published_at", "restored_at")
    )
    reach = outage_reach([o[0] for o in outages], cut.compound_ids)
    kinds = {value: str(label) for value, label in Outage.Kind.choices}
    states = {value: str(label) for value, label in Outage.State.choices}
    rows = []
    for pk, title, kind, state, start, end, published, restored in outages:
        rule = notice_period(kind=kind, start=start, now=published)
        if rule is None:
            judged = pgettext("export", "No notice period")
        else:
            judged = pgettext("export", "Late") if rule.too_early else pgettext("export", "On time")
        lead = None if published is None else round((start - published).total_seconds() / 3600, 1)
        counts = reach.get(pk, {})
        rows.append(
            [
                pk,
                title,
                kinds.get(kind, kind),
                states.get(state, state),
                local(start),
                local(end),
                local(published),
                local(restored),
                lead,
                judged,
                counts.get("affected", 0),
                counts.get("told", 0),
                counts.get("acknowledged", 0),
            ]
        )
    return Table(pgettext("export", "Outages"), columns, rows)


# Workbooks --------------------------------------------------------------------------------


def write(tables: Sequence[Table], out: IO[bytes]) -> None:
    book = Workbook(out)
    try:
        for table in tables:
            book.add_sheet(table.title, table.columns, table.rows)
    except BaseException:
        book.discard()
        raise
    book.close()


def dashboard_tables(period: Period, cut: Cut) -> list[Table]:
    return [
        figures_table(figures(list(METRICS.values()), period, cut)),
        complaints_table(period, cut),
        areas_table(period, cut),
    ]


def requests_count(drill: Drill, period: Period, cut: Cut) -> int:
    return int(requests_of(drill, period, cut).aggregate(n=Count("pk"))["n"])


# Names -------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f;,]+')


def filename(kind: str, period: Period, cut: Cut, *, metric: str | None = None) -> tuple[str, str]:
    """The download's name in the reader's language and an ASCII fallback."""
    names = {
        "dashboard": pgettext("export", "Service dashboard"),
        "requests": pgettext("export", "Requests"),
        "outages": pgettext("export", "Outages"),
        "areas": pgettext("export", "Station areas"),
    }
    dates = f"{period.first.isoformat()}_{period.last.isoformat()}"
    label = _UNSAFE.sub(" ", f"{names[kind]}-{cut.name}-{dates}").strip()
    ascii_metric = f"-{metric}" if metric else ""
    fallback = f"{kind}{ascii_metric}-{cut.key.replace(':', '-')}-{dates}"
    return f"{label}.xlsx", f"{_UNSAFE.sub('-', fallback)}.xlsx"


def content_disposition(name: str, fallback: str) -> str:
    """RFC 6266 with RFC 5987's UTF-8 form, so a Chinese name survives every browser."""
    quoted = urllib.parse.quote(name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"
