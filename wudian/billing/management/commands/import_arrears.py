"""`wudian import_arrears FILE [--as-of YYYY-MM-DD]`: import the marketing system's arrears
and prepaid-balance list, all or nothing, through the same service as the upload page."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wudian.accounts.models import User
from wudian.billing.selectors.arrears import arrears_kind_counts
from wudian.billing.services.arrears import arrears_import
from wudian.billing.tables import TableRefused
from wudian.core.errors import REFUSED, messages_of


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("%(value)s is not a date in YYYY-MM-DD form") % {"value": repr(value)}
        ) from None


class Command(BaseCommand):
    help = gettext_noop(
        "Import the arrears and prepaid-balance list exported by the marketing system (.xlsx "
        "or .csv with 户号/account_no, 欠费金额/amount_owed or 预存余额/balance, "
        "缴费截止日/due_date, 预警金额/warning_level). The list replaces the current one; "
        "account numbers not in Wudian are listed. A file with any problem is refused whole, "
        "each problem named by row and column; nothing is written."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = _(self.help)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", type=Path, help=_("The .xlsx or .csv file."))
        parser.add_argument(
            "--as-of",
            dest="as_of",
            metavar="YYYY-MM-DD",
            type=_day,
            help=_("The day the list was drawn up (default: today)."),
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help=_("Record the import under this user's name."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("No user is called %(name)s.") % {"name": options["user"]})
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": path})
        try:
            with path.open("rb") as handle:
                run = arrears_import(handle, path.name, as_of=options["as_of"], by=user)
        except TableRefused as refused:
            for problem in refused.every:
                self.stderr.write(problem.text())
            raise CommandError(
                _("%(file)s was not imported: %(n)s problems. Nothing was saved.")
                % {"file": path.name, "n": len(refused.every)}
            ) from None
        except REFUSED as error:
            raise CommandError(" ".join(messages_of(error))) from None
        counts = arrears_kind_counts(run)
        self.stdout.write(
            _(
                "%(file)s, list of %(as_of)s: %(rows)s rows, %(households)s households "
                "(%(owed)s owing, %(prepaid)s prepaid), %(unknown)s account numbers not in "
                "Wudian."
            )
            % {
                "file": run.file_name,
                "as_of": run.as_of.isoformat(),
                "rows": run.rows,
                "households": run.households,
                "owed": counts["postpaid"],
                "prepaid": counts["prepaid"],
                "unknown": len(run.unknown_accounts),
            }
        )
        for entry in run.unknown_accounts:
            self.stdout.write(
                _("Row %(row)s: account number %(account)s is not in Wudian.")
                % {"row": entry["row"], "account": entry["account_no"]}
            )
