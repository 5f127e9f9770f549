"""Charts of a usage analysis as server-drawn SVG (no script: the pages' Content-Security-Policy
runs none, and WeasyPrint cannot). The geometry is computed here and drawn by the templates
`billing/_usage_monthly.svg.html` and `billing/_usage_daily.svg.html`.

Colours are SVG presentation attributes (`fill`, `stroke`), which the policy allows and
WeasyPrint reads (it does not apply a page's stylesheet inside an inline SVG); each shape also
carries a class, so the site's stylesheet can restyle it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from wudian.billing.services.usage import UsageAnalysis

WIDTH = 720
HEIGHT = 260
LEFT = 44
RIGHT = 8
TOP = 24
BOTTOM = 40
COLOURS = {
    "now": "#0b5cad",
    "last": "#9ca3af",
    "jump": "#b91c1c",
    "zero": "#b45309",
    "median": "#15803d",
    "grid": "#e5e7eb",
    "axis": "#4b5563",
    "missing": "#d1d5db",
}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    fill: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Label]
    # The median as a polyline's points ("x,y x,y"), and where it is drawn as dots.
    line: str
    dots: list[tuple[float, float]]
    baseline_y: float
    colours: dict[str, str]
    left: int
    right_edge: int


def _scale_top(values: list[Decimal]) -> Decimal:
    top = max(values, default=Decimal(0))
    if top <= 0:
        return Decimal(10)
    step = Decimal(10) ** (len(str(int(top))) - 1)
    return ((top / step).to_integral_value(rounding="ROUND_CEILING")) * step


def _ticks(top: Decimal, y_of: object) -> list[Tick]:
    return [
        Tick(y=y_of(top * n / 4), label=f"{(top * n / 4).normalize():f}")  # type: ignore[operator]
        for n in range(5)
    ]


def monthly_chart(analysis: UsageAnalysis) -> Chart:
    """Bars of each month (this period, blue; the same month a year before, grey), abnormal
    jumps and zero runs marked in their colours, and the compound's median as a line."""
    values = [
        v for m in analysis.series for v in (m.kwh, m.last_year_kwh, m.median_kwh) if v is not None
    ]
    top = _scale_top(values)
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT

    def y_of(kwh: Decimal) -> float:
        return round(TOP + plot_h - float(kwh / top) * plot_h, 1)

    slot = plot_w / max(len(analysis.series), 1)
    bar_w = round(slot * 0.36, 1)
    jumps = {j.month for j in analysis.abnormal_jumps}
    zeros = {
        m.month
        for m in analysis.series
        for run in analysis.zero_runs
        if run.unit == "month" and run.start <= m.month <= run.end
    }
    bars: list[Bar] = []
    labels: list[Label] = []
    points: list[tuple[float, float]] = []
    for n, month in enumerate(analysis.series):
        x0 = LEFT + n * slot + slot * 0.12
        if month.last_year_kwh is not None:
            y = y_of(month.last_year_kwh)
            bars.append(
                Bar(
                    round(x0, 1),
                    y,
                    bar_w,
                    round(TOP + plot_h - y, 1),
                    "bar-last",
                    COLOURS["last"],
                    f"{month.month.year - 1}-{month.month:%m}: {month.last_year_kwh} kWh",
                )
            )
        if month.kwh is not None:
            kind = "jump" if month.month in jumps else "zero" if month.month in zeros else "now"
            y = y_of(month.kwh)
            height = max(round(TOP + plot_h - y, 1), 1.0 if kind == "zero" else 0.0)
            bars.append(
                Bar(
                    round(x0 + bar_w, 1),
                    round(TOP + plot_h - height, 1),
                    bar_w,
                    height,
                    f"bar-{kind}",
                    COLOURS[kind],
                    f"{month.month:%Y-%m}: {month.kwh} kWh",
                )
            )
        if month.median_kwh is not None:
            points.append((round(LEFT + (n + 0.5) * slot, 1), y_of(month.median_kwh)))
        labels.append(Label(round(LEFT + (n + 0.5) * slot, 1), f"{month.month:%y-%m}"))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=_ticks(top, y_of),
        labels=labels,
        line=" ".join(f"{x},{y}" for x, y in points),
        dots=points,
        baseline_y=TOP + plot_h,
        colours=COLOURS,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
    )


def daily_chart(analysis: UsageAnalysis) -> Chart | None:
    """One bar a day of the latest daily data; a day not collected is a short grey mark, a
    day in a run of zero use is marked."""
    if not analysis.daily:
        return None
    values = [d.kwh for d in analysis.daily if d.kwh is not None]
    top = _scale_top(values)
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT

    def y_of(kwh: Decimal) -> float:
        return round(TOP + plot_h - float(kwh / top) * plot_h, 1)

    slot = plot_w / len(analysis.daily)
    zero_days = {
        d.day
        for d in analysis.daily
        for run in analysis.zero_runs
        if run.unit == "day" and run.start <= d.day <= run.end
    }
    bars: list[Bar] = []
    labels: list[Label] = []
    for n, day in enumerate(analysis.daily):
        x = round(LEFT + n * slot + slot * 0.1, 1)
        width = round(slot * 0.8, 1)
        if day.kwh is None:
            bars.append(
                Bar(x, TOP + plot_h - 3, width, 3, "bar-missing", COLOURS["missing"], f"{day.day}")
            )
        else:
            kind = "zero" if day.day in zero_days else "now"
            y = y_of(day.kwh)
            height = max(round(TOP + plot_h - y, 1), 2.0 if kind == "zero" else 0.0)
            bars.append(
                Bar(
                    x,
                    round(TOP + plot_h - height, 1),
                    width,
                    height,
                    f"bar-{kind}",
                    COLOURS[kind],
                    f"{day.day}: {day.kwh} kWh",
                )
            )
        if day.day.day in (1, 10, 20):
            labels.append(Label(round(LEFT + (n + 0.5) * slot, 1), f"{day.day:%m-%d}"))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ticks=_ticks(top, y_of),
        labels=labels,
        line="",
        dots=[],
        baseline_y=TOP + plot_h,
        colours=COLOURS,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
    )
