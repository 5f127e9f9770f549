"""`wudian lineloss`: station-area line loss from the collection system's exports."""

from __future__ import annotations

import argparse
import os
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wudian.analytics.lineloss import (
    DEFAULT_MAX_LOSS,
    DEFAULT_MEMORY_LIMIT,
    LineLossError,
    compute_line_loss,
)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a date in YYYY-MM-DD form") % {"value": repr(value)}
        ) from None


def _rate(value: str) -> Decimal:
    try:
        rate = Decimal(value)
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or rate < 0:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a rate such as 0.10") % {"value": repr(value)}
        )
    return rate


class Command(BaseCommand):
    help = gettext_noop(
        "Compute the synchronized line loss and meter-data collection of every station area "
        "and day. A meter is collected for day D when it has registers for D and D+1 and the "
        "register did not go backwards; its energy is (register(D+1) - register(D)) x "
        "multiplier. Figures are exact decimals rounded once, half away from zero: kWh to 3 "
        "decimals, rates to 6; the status is judged on the rounded figures. A register that "
        "went backwards is an anomaly: their number is reported on standard error and "
        "--anomalies writes them to a CSV file; so is the number of meters not collected on "
        "some day, which --meter-report lists with their days. A bad file stops the run with "
        "a message that names the file, the data row (counted from 1, header excluded) and "
        "the column; RESULT is then left untouched."
    )

    # It works on files alone: no database, no web settings, no checks of the application.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--meters",
            metavar="METERS.csv",
            type=Path,
            required=True,
            help=_(
                "CSV with meter_id, station_area_id, role (supply or user), multiplier, account_no."
            ),
        )
        parser.add_argument(
            "--readings",
            metavar="READINGS",
            type=Path,
            required=True,
            help=_(
                "Parquet or CSV with meter_id, read_date (YYYY-MM-DD), register_kwh (the "
                "cumulative register at 00:00 of that date; empty when not read)."
            ),
        )
        parser.add_argument(
            "--out", metavar="RESULT.csv", type=Path, required=True, help=_("RESULT CSV to write.")
        )
        parser.add_argument(
            "--from",
            dest="date_from",
            metavar="YYYY-MM-DD",
            type=_day,
            help=_("First day (default: the first read_date)."),
        )
        parser.add_argument(
            "--to",
            dest="date_to",
            metavar="YYYY-MM-DD",
            type=_day,
            help=_("Last day (default: the last read_date minus one day)."),
        )
        parser.add_argument(
            "--max-loss",
            type=_rate,
            default=DEFAULT_MAX_LOSS,
            help=_("A loss rate above this is high_loss (default: 0.10)."),
        )
        parser.add_argument(
            "--anomalies",
            metavar="FILE.csv",
            type=Path,
            help=_(
                "Also write the backwards registers of the days computed to this CSV "
                "(station_area_id, meter_id, date, register_kwh, next_register_kwh)."
            ),
        )
        parser.add_argument(
            "--meter-report",
            metavar="FILE.csv",
            type=Path,
            help=_(
                "Also write the meters not collected on some day of the range to this CSV "
                "(station_area_id, meter_id, role, days_collected, days_not_collected, "
                "longest_run_days, not_collected_dates: stretches such as "
                "2024-06-03;2024-06-05/2024-06-07)."
            ),
        )
        parser.add_argument(
            "--memory-limit",
            default=DEFAULT_MEMORY_LIMIT,
            help=_("DuckDB memory limit; beyond it work spills to disk (default: 1GB)."),
        )
        parser.add_argument(
            "--threads",
            type=int,
            help=_("DuckDB threads (default: one per CPU)."),
        )
        parser.add_argument(
            "--no-progress",
            dest="progress",
            action="store_false",
            help=_("Never draw the progress bar (drawn only on a terminal)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # DuckDB draws its bar on the process's standard output, so that is what must be a
        # terminal; a redirected run stays free of control characters.
        progress = bool(options["progress"]) and os.isatty(1)
        try:
            summary = compute_line_loss(
                meters_path=options["meters"],
                readings_path=options["readings"],
                out_path=options["out"],
                date_from=options["date_from"],
                date_to=options["date_to"],
                max_loss=options["max_loss"],
                anomalies_path=options["anomalies"],
                meter_report_path=options["meter_report"],
                memory_limit=options["memory_limit"],
                threads=options["threads"],
                progress=progress,
            )
        except LineLossError as exc:
            raise CommandError(str(exc)) from None
        if progress:
            self.stdout.write("")
        self.stdout.write(
            _(
                "%(rows)s rows (%(areas)s station areas x %(days)s days, %(first)s to %(last)s) "
                "from %(readings)s readings written to %(out)s."
            )
            % {
                "rows": summary.rows,
                "areas": summary.areas,
                "days": summary.days,
                "first": summary.date_from,
                "last": summary.date_to,
                "readings": summary.readings,
                "out": options["out"],
            }
        )
        self.stdout.write(
            ", ".join(f"{status}: {count}" for status, count in summary.statuses.items())
        )
        if options["anomalies"]:
            note = _("%(count)s backwards registers (anomalies), listed in %(file)s.") % {
                "count": summary.anomalies,
                "file": options["anomalies"],
            }
        else:
            note = _(
                "%(count)s backwards registers (anomalies); --anomalies FILE.csv lists them."
            ) % {"count": summary.anomalies}
        self.stderr.write(note, style_func=self.style.WARNING if summary.anomalies else None)
        if options["meter_report"]:
            note = _("%(count)s meters not collected on some day, listed in %(file)s.") % {
                "count": summary.meters_not_collected,
                "file": options["meter_report"],
            }
        else:
            note = _(
                "%(count)s meters not collected on some day; --meter-report FILE.csv lists them."
            ) % {"count": summary.meters_not_collected}
        self.stderr.write(
            note, style_func=self.style.WARNING if summary.meters_not_collected else None
        )
