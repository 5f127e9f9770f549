"""Shared by the outage tests."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from wudian.conftest import City
from wudian.grid.models import Building, Household, StationArea
from wudian.outages import services
from wudian.outages.models import AffectedHousehold, Outage, OutageEvent

# The tables an outage is saved to: a refused one leaves their counts, `snapshot(*SAVED)`.
SAVED = (Outage, AffectedHousehold, OutageEvent)


def make_outage(city: City, **fields: Any) -> Outage:
    """An outage row written directly (no notices sent), published an hour ago, planned a
    week ahead."""
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=8)
    values: dict[str, Any] = {
        "kind": Outage.Kind.PLANNED,
        "state": Outage.State.PUBLISHED,
        "title": "北苑小区线路检修",
        "reason": "更换10kV涂山线老旧开关",
        "start": start,
        "end": start + datetime.timedelta(hours=8),
        "created_by": city.manager,
        "published_at": timezone.now() - datetime.timedelta(hours=1),
    }
    values.update(fields)
    return Outage.objects.create(**values)


def later(days: float = 0, hours: float = 0) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=days, hours=hours)).replace(microsecond=0)


def build_world(city: City) -> City:
    """The shared city, with north's homes on their own station area TA-N (north only), a
    second north building, and TA1 feeding the south home (and listed for north)."""
    area = StationArea.objects.create(
        feeder=city.station_area.feeder, code="TA-N", name="北苑2号台区"
    )
    area.compounds.add(city.north)
    Household.objects.filter(pk__in=[city.north_home.pk, city.north_home_2.pk]).update(
        station_area=area
    )
    building = Building.objects.create(compound=city.north, code="NORTH-2", name="2号楼")
    Household.objects.create(
        building=building,
        station_area=area,
        account_no="3400000009",
        unit="1",
        room="201",
        address="涂山路100号北苑小区2号楼1单元201室",
        holder_name="陈红",
        phone="13800000009",
    )
    return city


def create(by: Any, **overrides: Any) -> Outage:
    """An outage through the service: planned for TA-N a week ahead, published."""
    fields: dict[str, Any] = {
        "kind": Outage.Kind.PLANNED,
        "title": "北苑小区计划检修停电",
        "reason": "10kV涂山线设备例行检修",
        "start": later(days=8),
        "end": later(days=8, hours=6),
        "station_areas": ["TA-N"],
    }
    fields.update(overrides)
    return services.outage_create(by=by, **fields)
