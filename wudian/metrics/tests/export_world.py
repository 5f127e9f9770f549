"""The data the export and report tests share: requests of several kinds in north and south
this month, a complaint a year ago, an outage reaching north, a station-area day."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from wudian.analytics.models import LossStatus, StationAreaDay
from wudian.conftest import City
from wudian.metrics.periods import Period
from wudian.outages.models import AffectedHousehold
from wudian.outages.tests.conftest import make_outage
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.models import Channel as RequestChannel
from wudian.workorders.services import (
    Location,
    workorder_accept,
    workorder_create,
    workorder_rate,
    workorder_resolve,
)

# What the demo city's households and filers hold that no export may show.
PRIVATE = [
    "13800000001",
    "13800000002",
    "13800000003",
    "王建国",
    "3400000001",
    "101室",
    "陈秀英",
    "13700000009",
]


def this_month() -> Period:
    today = timezone.localdate()
    return Period(today.replace(day=1), today)


def build_export_world(city: City) -> City:
    """Requests of several kinds in north and south this month, one complaint a year ago,
    an outage reaching north, and station-area days."""
    fault = workorder_create(
        category=Category.objects.get(code="fault_behind_meter"),
        description="卫生间插座没有电",
        channel=RequestChannel.WEB,
        by=city.resident,
        household=city.north_home,
        contact_name="陈秀英",
        contact_phone="13700000009",
    )
    workorder_accept(workorder=fault, by=city.electrician)
    workorder_resolve(workorder=fault, by=city.electrician, note="换了插座")
    workorder_rate(workorder=fault, by=city.resident, rating=5, visited_hall=False)
    workorder_create(
        category=Category.objects.get(code="complaint"),
        description="停电通知太晚",
        channel=RequestChannel.PHONE,
        by=city.manager,
        household=city.north_home,
    )
    workorder_create(
        category=Category.objects.get(code="hazard"),
        description="南苑小区1号楼楼道电线裸露",
        channel=RequestChannel.OPEN311,
        by=None,
        location=Location(compound=city.south, address_text="南苑小区1号楼"),
        open311=True,
    )
    old = workorder_create(
        category=Category.objects.get(code="complaint"),
        description="去年的投诉",
        channel=RequestChannel.PHONE,
        by=city.manager,
        household=city.north_home,
    )
    a_year_ago = old.created_at.replace(year=old.created_at.year - 1)
    WorkOrder.objects.filter(pk=old.pk).update(created_at=a_year_ago)
    outage = make_outage(
        city,
        start=timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5),
        published_at=timezone.now() - datetime.timedelta(days=8),
    )
    outage.compounds.add(city.north)
    AffectedHousehold.objects.create(outage=outage, household=city.north_home)
    StationAreaDay.objects.create(
        station_area=city.station_area,
        date=timezone.localdate(),
        supply_kwh=Decimal("1000"),
        user_kwh=Decimal("880"),
        loss_kwh=Decimal("120"),
        loss_rate=Decimal("0.12"),
        meters_total=4,
        meters_collected=4,
        collection_rate=Decimal("1"),
        status=LossStatus.HIGH_LOSS,
    )
    return city


def logged_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client
