"""Fixtures for requests: the categories come from the data migration."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from wudian.conftest import City
from wudian.workorders.models import Category, Channel, WorkOrder, WorkOrderEvent, WorkOrderPhoto
from wudian.workorders.services import workorder_create

# A Friday morning in a year the official calendar knows, so working-day clocks are stable.
FRIDAY = timezone.make_aware(datetime.datetime(2026, 11, 27, 9, 0))

# The tables a filing writes to: a refused one leaves their counts, `snapshot(*FILED)`.
FILED = (WorkOrder, WorkOrderEvent, WorkOrderPhoto)


@pytest.fixture
def category(db: None) -> Any:
    """category("fault_behind_meter") → that Category."""
    return lambda code: Category.objects.get(code=code)


@pytest.fixture
def file_request(city: City, category: Any) -> Any:
    """file_request(code="fault_behind_meter", by=resident, household=north_home, ...)."""

    def _file(
        code: str = "fault_behind_meter",
        *,
        by: Any = None,
        household: Any = None,
        description: str = "卫生间插座没有电，空开跳了合不上",
        channel: str = Channel.WEB,
        now: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> WorkOrder:
        return workorder_create(
            category=category(code),
            description=description,
            channel=channel,
            by=by or city.resident,
            household=household or city.north_home,
            now=now or timezone.now(),
            **kwargs,
        )

    return _file
