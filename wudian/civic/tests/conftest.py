"""Fixtures for civic work: a fixed clock, a visit with appeals in 北苑小区 (north, the
grid administrator's community), and activities for north."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from wudian.civic import services
from wudian.civic.models import Activity, Visit
from wudian.conftest import City

# The services take their time from the caller; pages from the clock: the fixtures are made
# "now", so pages and services agree.
NOW = timezone.now().replace(microsecond=0)
DAY = datetime.timedelta(days=1)
# The day in Shanghai, as the services count days.
TODAY = timezone.localdate(NOW)


@pytest.fixture
def visit(city: City) -> Visit:
    """gridadmin's visit to north_home yesterday: an electricity appeal and a civic one."""
    return services.visit_record(
        by=city.gridadmin,
        compound=city.north,
        visited_on=TODAY - DAY,
        people_met=2,
        summary="走访1号楼住户，了解用电和小区环境情况。",
        appeals=[
            services.AppealIn(text="楼道灯经常不亮，怀疑线路老化。", kind="electricity"),
            services.AppealIn(text="希望小区增加电动车充电桩。", kind="civic"),
        ],
        household=city.north_home,
        now=NOW,
    )


def activity_in(city: City, **changes: Any) -> services.ActivityIn:
    fields: dict[str, Any] = {
        "title": "北苑小区楼道清理志愿活动",
        "description": "清理楼道杂物，排查飞线充电隐患。",
        "place": "北苑小区1号楼前广场",
        "starts_at": NOW + 3 * DAY,
        "ends_at": NOW + 3 * DAY + datetime.timedelta(hours=2),
        "signup_deadline": NOW + 2 * DAY,
        "capacity": 2,
        "compounds": [city.north],
    }
    fields.update(changes)
    return services.ActivityIn(**fields)


@pytest.fixture
def activity(city: City) -> Activity:
    """An open activity for north with two places, organised by gridadmin."""
    return services.activity_create(
        by=city.gridadmin, data=activity_in(city), publish=True, now=NOW
    )
