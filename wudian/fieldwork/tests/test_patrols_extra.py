"""Extra patrols opened from a resident's hazard report or a line-loss alarm."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from wudian.conftest import City, snapshot
from wudian.core.errors import BadInput, OutsideScope
from wudian.fieldwork.models import Patrol
from wudian.fieldwork.services.patrols import patrol_extra_open
from wudian.notify.models import Message

NOW = timezone.now().replace(microsecond=0)
TODAY = timezone.localdate(NOW)


@pytest.mark.parametrize("who", ["manager", "electrician", "supervisor", "admin"])
def test_extra_patrol_is_opened_for_the_compounds_team(city: City, who: str) -> None:
    patrol = patrol_extra_open(
        compound=city.north,
        by=getattr(city, who),
        reason="居民反映3号楼表箱冒烟",
        station_area=city.station_area,
        now=NOW,
    )
    assert patrol.kind == Patrol.Kind.EXTRA
    assert patrol.status == Patrol.Status.PLANNED
    assert patrol.planned_on == TODAY
    assert patrol.month == TODAY.replace(day=1)
    # The certified electrician, not the one whose certificate expired.
    assert patrol.electrician == city.electrician
    assert patrol.manager == city.manager
    assert patrol.station_area == city.station_area
    told = set(
        Message.objects.filter(template="fieldwork_patrol_extra", channel="inapp").values_list(
            "user_id", flat=True
        )
    )
    assert told == {city.electrician.pk, city.manager.pk}


@pytest.mark.parametrize("who", ["manager_b", "electrician_b", "gridadmin", "resident", "outsider"])
def test_extra_patrol_outside_ones_compounds_is_not_found(city: City, who: str) -> None:
    before = snapshot(Patrol)
    with pytest.raises(OutsideScope):
        patrol_extra_open(compound=city.north, by=getattr(city, who), reason="隐患", now=NOW)
    assert snapshot(Patrol) == before


@pytest.mark.parametrize(
    ("reason", "planned_on", "field"),
    [("  ", None, "reason"), ("隐患", TODAY - datetime.timedelta(days=1), "planned_on")],
)
def test_extra_patrol_refuses_bad_input(
    city: City, reason: str, planned_on: datetime.date | None, field: str
) -> None:
    before = snapshot(Patrol)
    with pytest.raises(BadInput) as refused:
        patrol_extra_open(
            compound=city.north, by=city.manager, reason=reason, planned_on=planned_on, now=NOW
        )
    assert field in refused.value.message_dict
    assert snapshot(Patrol) == before


def test_extra_patrol_keeps_only_a_station_area_of_its_compound(city: City) -> None:
    with pytest.raises(BadInput):
        patrol_extra_open(
            compound=city.south, by=city.admin, reason="线损告警", station_area=city.station_area
        )
