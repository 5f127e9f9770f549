"""`wudian import_grid FILE.xlsx|csv`: load compounds, buildings, households and meters,
all or nothing. `--template PATH` writes an empty workbook in the expected format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from wudian.grid.importing import (
    grid_import,
    grid_import_error_count_message,
    grid_import_template,
)


class Command(BaseCommand):
    help = (
        "Import compounds, buildings, households and meters from an .xlsx or .csv file. "
        "Nothing is written unless every row is valid. See docs/import-format.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the .xlsx or .csv file to import")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file but write nothing"
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            help="language of the report: zh-hans (default) or en",
        )
        parser.add_argument(
            "--template", metavar="PATH", help="write an empty .xlsx template to PATH and stop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        language = options["language"]
        if language not in dict(settings.LANGUAGES):
            raise CommandError(
                f"Unknown language {language!r}; use one of: "
                + ", ".join(code for code, _name in settings.LANGUAGES)
            )
        with translation.override(language):
            if options["template"]:
                path = Path(options["template"])
                if path.suffix.lower() != ".xlsx":
                    raise CommandError(
                        _("The template is an .xlsx file: give a path ending .xlsx.")
                    )
                try:
                    grid_import_template(path=path)
                except OSError as exc:
                    raise CommandError(
                        _("Cannot write %(path)s: %(error)s") % {"path": path, "error": exc}
                    ) from exc
                self.stdout.write(_("Template written to %(path)s.") % {"path": path})
                return
            if not options["file"]:
                raise CommandError(_("Give the file to import, or --template PATH."))
            self._import(Path(options["file"]), dry_run=options["dry_run"])

    def _import(self, path: Path, *, dry_run: bool) -> None:
        report = grid_import(path=path, dry_run=dry_run)
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(str(warning)))
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(grid_import_error_count_message(report))
        for line in report.summary_lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS(_("Dry run: the file is valid; nothing was written."))
            )
        else:
            self.stdout.write(self.style.SUCCESS(_("Imported %(file)s.") % {"file": path.name}))
