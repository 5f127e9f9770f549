"""Small charts for the printed monthly report, drawn on the server as inline SVG: a PDF runs
no script, and vectors print sharp. Two kinds: lines over months (with a target line) and
horizontal bars (one or two series per row)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLORS = ("#1f5fa8", "#9aa9b8", "#c0392b", "#2e7d32")
TARGET_COLOR = "#c0392b"
FONT = 'font-family="Noto Sans CJK SC, sans-serif"'

Series = tuple[str, Sequence[float | None]]


def _nice_top(value: float) -> float:
    """A round axis end at or above the value."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _legend(series: Sequence[Series], x: float, y: float, target: str | None) -> list[str]:
    parts = []
    for n, (name, _values) in enumerate(series):
        color = COLORS[n % len(COLORS)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 7:.1f}" width="10" height="7" fill="{color}"/>')
        parts.append(
            f'<text x="{x + 13:.1f}" y="{y:.1f}" font-size="8" {FONT}>{escape(name)}</text>'
        )
        x += 22 + 8.5 * len(name)
    if target:
        parts.append(
            f'<line x1="{x:.1f}" y1="{y - 3:.1f}" x2="{x + 12:.1f}" y2="{y - 3:.1f}" '
            f'stroke="{TARGET_COLOR}" stroke-dasharray="3 2" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x + 15:.1f}" y="{y:.1f}" font-size="8" {FONT}>{escape(target)}</text>'
        )
    return parts


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    suffix: str = "",
    target: float | None = None,
    target_label: str | None = None,
    width: int = 500,
    height: int = 170,
    title: str = "",
    cap: float | None = None,
) -> SafeString:
    """Values month by month; a missing value breaks the line. `cap` ends the axis at most
    there (100 for a share) when no value goes beyond it."""
    left, right, top, bottom = 40.0, 10.0, 22.0, 20.0
    values = [v for _name, vs in series for v in vs if v is not None]
    if target is not None:
        values.append(target)
    low = min([0.0, *values])
    high = _nice_top(max([*values, 0.0]) * 1.05) if values else 1.0
    if cap is not None and values and max(values) <= cap:
        high = min(high, cap)
    if low < 0:
        low = -_nice_top(-low * 1.05)
    plot_w, plot_h = width - left - right, height - top - bottom
    steps = max(len(labels) - 1, 1)

    def x_of(i: int) -> float:
        return left + plot_w * i / steps if len(labels) > 1 else left + plot_w / 2

    def y_of(v: float) -> float:
        return top + plot_h * (high - v) / (high - low)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
    ]
    for k in range(5):
        v = low + (high - low) * k / 4
        y = y_of(v)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="#dde3ea" stroke-width="0.6"/>'
        )
        out.append(
            f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="7.5" text-anchor="end" {FONT}>'
            f"{_number(v)}{escape(suffix)}</text>"
        )
    for i, label in enumerate(labels):
        out.append(
            f'<text x="{x_of(i):.1f}" y="{height - 6}" font-size="7.5" text-anchor="middle" '
            f"{FONT}>{escape(label)}</text>"
        )
    if target is not None:
        y = y_of(target)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{TARGET_COLOR}" stroke-dasharray="4 3" stroke-width="1"/>'
        )
    for n, (_name, vs) in enumerate(series):
        color = COLORS[n % len(COLORS)]
        run: list[str] = []
        for i, point in enumerate([*vs, None]):
            if point is not None:
                run.append(f"{x_of(i):.1f},{y_of(point):.1f}")
                out.append(
                    f'<circle cx="{x_of(i):.1f}" cy="{y_of(point):.1f}" r="1.8" fill="{color}"/>'
                )
            elif run:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                    f'stroke-width="1.6"/>'
                )
                run = []
    out += _legend(series, left, 10, target_label if target is not None else None)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308  every text is escaped above


def bar_chart(
    rows: Sequence[tuple[str, Sequence[float | None]]],
    names: Sequence[str],
    *,
    suffix: str = "",
    width: int = 500,
    label_width: float = 110,
    title: str = "",
) -> SafeString:
    """Horizontal bars: a row per label, a bar per series; a missing value draws nothing."""
    bar, gap = 7.0, 6.0
    top, bottom, right = 20.0, 6.0, 44.0
    per_row = bar * len(names) + gap
    height = int(top + per_row * max(len(rows), 1) + bottom)
    values = [v for _label, vs in rows for v in vs if v is not None]
    low = min([0.0, *values])
    high = max([0.0, *values])
    span = (high - low) or 1.0
    plot_w = width - label_width - right

    def x_of(v: float) -> float:
        return label_width + plot_w * (v - low) / span

    zero = x_of(0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
    ]
    for r, (label, vs) in enumerate(rows):
        y = top + r * per_row
        out.append(
            f'<text x="{label_width - 4}" y="{y + bar * len(names) / 2 + 3:.1f}" font-size="8" '
            f'text-anchor="end" {FONT}>{escape(label[:16])}</text>'
        )
        for n, v in enumerate(vs):
            if v is None:
                continue
            color = COLORS[n % len(COLORS)]
            x0, x1 = sorted((zero, x_of(v)))
            out.append(
                f'<rect x="{x0:.1f}" y="{y + n * bar:.1f}" width="{max(x1 - x0, 0.6):.1f}" '
                f'height="{bar - 1}" fill="{color}"/>'
            )
            out.append(
                f'<text x="{x1 + 3:.1f}" y="{y + n * bar + bar - 1.8:.1f}" font-size="7" {FONT}>'
                f"{_number(v)}{escape(suffix)}</text>"
            )
    out.append(
        f'<line x1="{zero:.1f}" y1="{top - 2}" x2="{zero:.1f}" y2="{height - bottom}" '
        f'stroke="#555" stroke-width="0.6"/>'
    )
    if len(names) > 1:
        out += _legend([(name, []) for name in names], label_width, 10, None)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308  every text is escaped above
