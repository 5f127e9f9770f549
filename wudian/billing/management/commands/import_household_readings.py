"""`wudian import_household_readings FILE`: import households' meter registers (the collection
system's export), all or nothing, through the same service as the upload page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wudian.billing.services.readings import readings_import
from wudian.billing.tables import TableRefused


class Command(BaseCommand):
    help = gettext_noop(
        "Import households' meter registers (.xlsx or .csv with 户号/account_no, "
        "抄表日期/read_date, 总示数/register_kwh, and optionally 峰示数/peak_register with "
        "谷示数/valley_register): each row a register at the start of that day. Months whose "
        "first days' registers are both known get their energy, and days their daily energy. "
        "A file with any problem is refused whole, each problem named by row and column."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", type=Path, help=_("The .xlsx or .csv file."))

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": path})
        try:
            with path.open("rb") as handle:
                run = readings_import(handle, path.name)
        except TableRefused as refused:
            for problem in refused.every:
                self.stderr.write(problem.text())
            raise CommandError(
                _("%(file)s was not imported: %(n)s problems. Nothing was saved.")
                % {"file": path.name, "n": len(refused.every)}
            ) from None
        self.stdout.write(
            _(
                "%(file)s: %(rows)s rows, %(households)s households, %(months)s monthly "
                "readings written, %(unknown)s rows of account numbers not in Wudian."
            )
            % {
                "file": run.file_name,
                "rows": run.rows,
                "households": run.households,
                "months": run.months,
                "unknown": len(run.unknown_accounts),
            }
        )
        for entry in run.unknown_accounts:
            self.stdout.write(
                _("Row %(row)s: account number %(account)s is not in Wudian.")
                % {"row": entry["row"], "account": entry["account_no"]}
            )
