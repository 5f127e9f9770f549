"""`wudian import_readings --readings FILE`: store a collection export's line loss per
station area and day, through the same engine as `wudian lineloss`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wudian.accounts.models import User
from wudian.analytics.lineloss import DEFAULT_MAX_LOSS, LineLossError
from wudian.analytics.management.commands.lineloss import _day, _rate
from wudian.analytics.services import FAILURE_RULE, readings_import
from wudian.core.rules import rule_value


class Command(BaseCommand):
    help = gettext_noop(
        "Load a day's or a month's meter readings export (Parquet or CSV with meter_id, "
        "read_date, register_kwh) into the application: the line loss and collection of every "
        "station area and day are computed from the registered meters and stored, replacing "
        "those days; registers that went backwards and the days each meter was not collected are "
        "stored as meter anomalies, and a meter not collected on several days in a row opens "
        "a check request. A bad file stops the import with a message naming the file, row and "
        "column; nothing is written."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--readings",
            metavar="READINGS",
            type=Path,
            required=True,
            help=_("Parquet or CSV with meter_id, read_date (YYYY-MM-DD), register_kwh."),
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
            "--user",
            metavar="USERNAME",
            help=_("Record the import under this user's name."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("No user is called %(name)s.") % {"name": options["user"]})
        try:
            result = readings_import(
                readings_path=options["readings"],
                date_from=options["date_from"],
                date_to=options["date_to"],
                max_loss=options["max_loss"],
                imported_by=user,
            )
        except LineLossError as exc:
            raise CommandError(str(exc)) from None
        run = result.run
        self.stdout.write(
            _(
                "%(rows)s station-area days (%(first)s to %(last)s) and %(anomalies)s anomalies "
                "stored from %(readings)s readings in %(file)s."
            )
            % {
                "rows": run.rows,
                "first": run.date_from,
                "last": run.date_to,
                "anomalies": run.anomalies,
                "readings": run.readings,
                "file": run.file_name,
            }
        )
        self.stdout.write(
            ", ".join(f"{status}: {count}" for status, count in result.statuses.items())
        )
        self.stdout.write(
            _(
                "%(meters)s meters not collected on some day; %(opened)s check requests opened "
                "for meters not collected on %(days)s days in a row."
            )
            % {
                "meters": run.meters_not_collected,
                "opened": run.requests_opened,
                "days": int(rule_value(FAILURE_RULE)),
            }
        )
