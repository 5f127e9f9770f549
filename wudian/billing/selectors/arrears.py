"""The arrears list: its imports, the latest (current) one, and one household's lines over
the imports, each applying the caller's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, QuerySet

from wudian.accounts.models import User
from wudian.billing.models import (
    Arrears,
    ArrearsImport,
)
from wudian.core.errors import OutsideScope
from wudian.grid.models import Household
from wudian.grid.scope import Purpose, households_for, own_households


def arrears_imports() -> QuerySet[ArrearsImport]:
    """The imports of the arrears list, latest first, without their unknown accounts (a
    list's count of them is its rows less its households)."""
    return (
        ArrearsImport.objects.select_related("imported_by")
        .defer("unknown_accounts")
        .annotate(unknown_count=F("rows") - F("households"))
        .order_by("-as_of", "-imported_at", "-pk")
    )


def arrears_latest() -> ArrearsImport | None:
    return arrears_imports().first()


def arrears_kind_counts(run: ArrearsImport) -> dict[str, int]:
    """How many households of the import owe (postpaid) and hold a balance (prepaid)."""
    counts = dict.fromkeys(Arrears.Kind.values, 0)
    rows = Arrears.objects.filter(run=run).order_by().values("kind").annotate(n=Count("pk"))
    for row in rows:
        counts[row["kind"]] = row["n"]
    return counts


def household_reminded(user: User, account_no: str, *, own: bool = False) -> Household:
    """The household whose amounts and bill the user may see: one of their own, or (unless
    `own`) one they remind (Purpose.REMIND; administrators all). Anything else is
    OutsideScope (404)."""
    households = own_households(user) if own else households_for(user, Purpose.REMIND)
    household = (
        households.filter(account_no=account_no)
        .select_related("building__compound__community")
        .first()
    )
    if household is None:
        raise OutsideScope
    return household


@dataclass(frozen=True)
class ArrearsEntry:
    """A household in one import: its line, or None when it was not on the list (settled)."""

    run: ArrearsImport
    line: Arrears | None

    @property
    def as_of(self) -> datetime.date:
        return self.run.as_of

    @property
    def amount(self) -> Decimal | None:
        return self.line.amount if self.line is not None else None


def household_arrears(household: Household) -> list[ArrearsEntry]:
    """The household over the imports, latest first, from the first that listed it: each
    import's line, or "not on the list" (nothing owed) for an import that left it out."""
    lines = {
        line.run_id: line
        for line in Arrears.objects.filter(household=household).select_related("run")
    }
    if not lines:
        return []
    first = min(line.run.as_of for line in lines.values())
    runs = arrears_imports().filter(as_of__gte=first)
    return [ArrearsEntry(run, lines.get(run.pk)) for run in runs]
