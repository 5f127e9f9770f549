"""Shared by the line-loss tests."""

from __future__ import annotations

from typing import Any

from wudian.workorders.models import WorkOrder


def checks() -> Any:
    """The meter-data check requests the line loss opened."""
    return WorkOrder.objects.filter(category__code="meter_data_check")
