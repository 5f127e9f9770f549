"""`wudian seed_demo`: load the demo city and its logins (debug mode only).

Safe to run again and again (`make run` does on every start): it only adds what is missing.
Passwords are set when a demo login is created and left alone afterwards, so a password
changed during a demo survives a restart; `--reset-passwords` puts every demo login back on
the demo password."""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from wudian.accounts.models import RoleCode, User
from wudian.front.demo import HISTORY_MONTHS, DemoRefused, DemoSummary, demo_city_seed
from wudian.grid import scope


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def shorten(names: list[str], keep: int = 3) -> str:
    if len(names) <= keep:
        return "、".join(names)
    return "、".join(names[:keep]) + f" +{len(names) - keep}"


class Command(BaseCommand):
    help = "Load the demo city (蚌埠市蚌山区) and one login per role. Debug mode only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--households-per-building",
            type=positive_int,
            default=None,
            help="Create at most this many households per building (a smaller city for tests).",
        )
        parser.add_argument(
            "--history-months",
            type=non_negative_int,
            default=HISTORY_MONTHS,
            help=(
                "Give the demo city this many months of past requests, outages and line loss "
                f"for the dashboards (default {HISTORY_MONTHS}; 0 for none)."
            ),
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Set every demo login's password back to the demo password.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            summary = demo_city_seed(
                households_per_building=options["households_per_building"],
                reset_passwords=options["reset_passwords"],
                history_months=options["history_months"],
            )
        except DemoRefused:
            raise CommandError(
                _(
                    "Refusing to create the demo logins: WUDIAN_DEBUG is off, and a production "
                    "server refuses the published demo password. Run seed_demo with "
                    "WUDIAN_DEBUG=1 on a development machine only."
                )
            ) from None
        names = {
            model.__name__: str(model._meta.verbose_name_plural) for model in apps.get_models()
        }
        created = pgettext("list separator", ", ").join(
            f"{names.get(name, name)} {count}" for name, count in sorted((+summary.created).items())
        )
        self.stdout.write(
            _(
                "Demo city: %(compounds)d compounds, %(buildings)d buildings, "
                "%(households)d households, %(station_areas)d station areas, %(meters)d meters "
                "(%(seconds).1f s; created: %(created)s)."
            )
            % {
                **summary.totals,
                "seconds": time.monotonic() - started,
                "created": created or _("nothing, all there"),
            }
        )
        self.write_logins(summary)

    def write_logins(self, summary: DemoSummary) -> None:
        users = {
            user.username: user
            for user in User.objects.filter(
                username__in=[login.username for login in summary.logins]
            ).prefetch_related("roles")
        }
        header = [_("Login"), _("Name"), _("Roles"), _("Scope"), _("What to try")]
        rows = [header]
        for login in summary.logins:
            user = users[login.username]
            roles = "、".join(str(role.display_name) for role in user.roles.all())
            if user.is_superuser:
                roles = roles or _("Superuser")
            rows.append(
                [login.username, user.display_name, roles, self.scope(user), str(login.hint)]
            )
        widths = [max(width(row[column]) for row in rows) for column in range(len(header) - 1)]
        self.stdout.write("")
        for index, row in enumerate(rows):
            line = "  ".join(pad(cell, widths[i]) for i, cell in enumerate(row[:-1]))
            line += "  " + row[-1]
            self.stdout.write(self.style.MIGRATE_HEADING(line) if index == 0 else line)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Every demo login uses the password %(password)s "
                    "(refused when WUDIAN_DEBUG is off)."
                )
                % {"password": settings.DEMO_PASSWORD}
            )
        )

    def scope(self, user: User) -> str:
        if user.is_superuser:
            return _("everything")
        compounds = list(
            dict.fromkeys(
                compound.name
                for compound in scope.assignments_of(user).compounds
                if compound.role != RoleCode.GRID_ADMIN
            )
        )
        if compounds:
            return shorten(compounds)
        communities = list(scope.communities_of(user).values_list("name", flat=True))
        if communities:
            return shorten(communities)
        districts = list(scope.districts_of(user).values_list("name", flat=True))
        if user.department is not None:
            districts.append(user.department.name)
        return shorten(districts)
