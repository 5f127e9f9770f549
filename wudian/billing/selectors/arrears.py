"""The arrears list: its imports, the latest (current) one, and one household's lines over
the imports, each applying the caller's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, QuerySet
from django.shortcuts import get_object_or_404

from wudian.accounts.models import User
from wudian.billing.models import (
    Arrears,
    ArrearsImport,
)
from wudian.grid.models import Household
from wudian.grid.scope import (
    Purpose,
    households_for,
)


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


def household_reminded(user: User, account_no: str) -> Household:
    """The household, if the user may see its amounts (those who remind it, administrators,
    its own residents); otherwise 404."""
    return get_object_or_404(
        households_for(user, Purpose.REMIND).select_related("building__compound"),
        account_no=account_no,
    )


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
