"""Reads of billing that more than one caller needs, each applying the caller's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, QuerySet
from django.shortcuts import get_object_or_404

from wudian.accounts.models import User
from wudian.billing.models import Arrears, ArrearsImport, MeterReading, ReadingImport
from wudian.core.errors import OutsideScope
from wudian.grid.models import Household
from wudian.grid.scope import Purpose, households_for, own_households

# -- the arrears list ----------------------------------------------------------------------------


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


# -- readings and bills -------------------------------------------------------------------------


def reading_imports() -> QuerySet[ReadingImport]:
    """The readings imports, latest first (the page and the API of those who import)."""
    return ReadingImport.objects.select_related("imported_by").order_by("-imported_at", "-pk")


def bill_household(user: User, account_no: str, *, own: bool = False) -> Household:
    """The household whose bill the user may read: one of their own, or (unless `own`) one they
    serve for reminders (Purpose.REMIND). Anything else is OutsideScope."""
    households = own_households(user) if own else households_for(user, Purpose.REMIND)
    household = (
        households.filter(account_no=account_no)
        .select_related("building__compound__community")
        .first()
    )
    if household is None:
        raise OutsideScope
    return household


def reading_months(household: Household) -> list[datetime.date]:
    """The months the household has a reading for, latest first."""
    return list(
        MeterReading.objects.filter(household=household)
        .order_by("-month")
        .values_list("month", flat=True)
    )


def daily_of(household: Household, month: datetime.date) -> list[str | None] | None:
    """The month's days' energy where collected (None when the month has none)."""
    daily = (
        MeterReading.objects.filter(household=household, month=month)
        .values_list("daily", flat=True)
        .first()
    )
    return daily if daily and any(value is not None for value in daily) else None
