"""`wudian report`: the monthly service report as a PDF, as the system sees the scope (every
compound of the district, community or compound), the same document the dashboard serves."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wudian.core.errors import messages_of
from wudian.grid.models import Community, Compound, District
from wudian.metrics.cuts import Cut, CutKind, whole_cut
from wudian.metrics.periods import month_period
from wudian.metrics.report import render_report_pdf

SCOPE_MODELS: dict[CutKind, Any] = {
    CutKind.DISTRICT: District,
    CutKind.COMMUNITY: Community,
    CutKind.COMPOUND: Compound,
}


class Command(BaseCommand):
    help = gettext_noop(
        "Write the monthly service report of a district (by name, code or id) or of a scope "
        "given as district:ID, community:ID or compound:ID, as an A4 PDF. OUT is written "
        "whole or not at all."
    )

    # A report needs the database, not the application's checks (a missing gateway's
    # warning is no concern of a PDF).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--district", help=_("a district's name, code or id"))
        where.add_argument("--scope", help="district:ID | community:ID | compound:ID")
        parser.add_argument("--out", required=True, type=Path, help="report.pdf")
        parser.add_argument(
            "--lang",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            try:
                month = month_period(options["month"])
            except ValidationError as error:
                raise CommandError(" ".join(messages_of(error))) from None
            cut = self._cut(options["district"], options["scope"])
            out = Path(options["out"])
            if not out.parent.is_dir():
                raise CommandError(
                    _("The folder %(folder)s does not exist.") % {"folder": out.parent}
                )
            body = render_report_pdf(month, cut)
        # Written beside OUT and renamed into place: OUT is never half a file.
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".report-", suffix=".pdf")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(body)
            Path(temporary).replace(out)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stdout.write(f"{out} ({len(body):,} bytes): {cut.name}, {options['month']}")

    def _cut(self, district: str | None, scope_text: str | None) -> Cut:
        if district is not None:
            text = district.strip()
            match = Q(name=text) | Q(code=text)
            if text.isdigit():
                match |= Q(pk=int(text))
            found = list(District.objects.filter(match)[:2])
            if len(found) != 1:
                raise CommandError(
                    _("No district is named %(name)s.") % {"name": repr(text)}
                    if not found
                    else _("Several districts match %(name)s: give its id.") % {"name": repr(text)}
                )
            return whole_cut(CutKind.DISTRICT, found[0])
        kind_text, _sep, id_text = (scope_text or "").strip().partition(":")
        try:
            kind = CutKind(kind_text)
        except ValueError:
            kind = CutKind.ALL
        if kind not in SCOPE_MODELS or not id_text.isdigit():
            raise CommandError(_("Give the scope as district:ID, community:ID or compound:ID."))
        obj = SCOPE_MODELS[kind].objects.filter(pk=int(id_text)).first()
        if obj is None:
            raise CommandError(_("There is no %(scope)s.") % {"scope": scope_text})
        return whole_cut(kind, obj)
