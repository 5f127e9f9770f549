"""Readings and bills: the readings imports, the household whose bill a person may read, and
its months and days."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from wudian.billing.models import (
    MeterReading,
    ReadingImport,
)
from wudian.grid.models import Household


def reading_imports() -> QuerySet[ReadingImport]:
    """The readings imports, latest first (the page and the API of those who import)."""
    return ReadingImport.objects.select_related("imported_by").order_by("-imported_at", "-pk")


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
