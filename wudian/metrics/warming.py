"""Keeping the figures people open first computed ahead (the periodic task's work)."""

from __future__ import annotations

from django.conf import settings

from wudian.metrics.board import Selection, board
from wudian.metrics.cuts import CutKind, standing_cuts
from wudian.metrics.figures import refreshing
from wudian.metrics.periods import Preset, preset_period
from wudian.metrics.report import report_context

WARMED = (Preset.THIS_MONTH, Preset.LAST_MONTH, Preset.YEAR_TO_DATE)


def dashboards_warm() -> int:
    """Compute afresh and keep the boards people open first — every district and every
    customer manager, this month, last month and the year to date — and each district's
    monthly report for last month (the one sent upward), so that nobody waits for their
    figures (on the benchmark city, docs/benchmarks.md "Service dashboard": a year to date's
    figures 11 s computed, 20 ms kept). Returns how many boards and reports it computed;
    none when figures are not kept."""
    if not settings.WUDIAN_METRICS_CACHE_SECONDS:
        return 0
    count = 0
    with refreshing():
        for cut in standing_cuts():
            for preset in WARMED:
                board(Selection(period=preset_period(preset), preset=preset, cut=cut))
                count += 1
            if cut.kind == CutKind.DISTRICT:
                report_context(preset_period(Preset.LAST_MONTH), cut)
                count += 1
    return count
