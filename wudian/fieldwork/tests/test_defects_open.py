"""Opening a defect: its deadline by severity, its owner by responsible side, its photos, its
first timeline step, the urgent message of a critical one, and bad input refused whole."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from wudian.conftest import City, image_bytes, make_user, snapshot, stored_files
from wudian.core.errors import BadInput, OutsideScope
from wudian.core.photos import photo_from_bytes
from wudian.fieldwork.models import Defect, DefectEvent, DefectPhoto, Severity
from wudian.fieldwork.services.defects import defect_open
from wudian.notify.models import Message

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)


def opened(city: City, **given: Any) -> Defect:
    fields: dict[str, Any] = {
        "compound": city.north,
        "description": "配电箱门锁损坏",
        "severity": Severity.NORMAL,
        "responsible": Defect.Responsible.PROPERTY,
        "by": city.manager,
        "source": Defect.Source.STAFF,
        "now": NOW,
    }
    fields.update(given)
    return defect_open(**fields)


def test_deadline_by_severity(city: City) -> None:
    normal = opened(city)
    serious = opened(city, severity=Severity.SERIOUS)
    critical = opened(city, severity=Severity.CRITICAL)
    assert normal.deadline == NOW + datetime.timedelta(days=30)
    assert serious.deadline == NOW + datetime.timedelta(days=7)
    assert critical.deadline == NOW + datetime.timedelta(hours=24)
    assert normal.status == Defect.Status.OPEN
    assert normal.escalation == 0
    step = DefectEvent.objects.get(defect=normal)
    assert step.kind == DefectEvent.Kind.OPENED
    assert step.actor == city.manager


def test_property_defect_goes_to_a_certified_electrician(city: City) -> None:
    defect = opened(city)
    assert defect.owner == city.electrician


def test_property_defect_without_electricians_goes_to_the_property_office(city: City) -> None:
    city.electrician.is_active = False
    city.electrician.save()
    city.electrician_expired.is_active = False
    city.electrician_expired.save()
    assert opened(city).owner == city.staff


def test_utility_defect_goes_to_the_manager_or_the_department(city: City) -> None:
    assert opened(city, responsible=Defect.Responsible.UTILITY).owner == city.manager
    department = city.dept.department
    defect = opened(city, responsible=Defect.Responsible.UTILITY, department=department)
    assert defect.owner is None
    assert defect.department == department


def test_critical_defect_tells_manager_and_owner_at_once(city: City) -> None:
    defect = opened(city, severity=Severity.CRITICAL, by=city.electrician_expired)
    told = Message.objects.filter(template="defect_critical", channel="inapp")
    assert set(told.values_list("user_id", flat=True)) == {city.manager.pk, city.electrician.pk}
    assert all(message.urgent for message in told)
    assert told.first().context["id"] == defect.pk  # type: ignore[union-attr]


def test_before_photos_are_kept(city: City, media: Path) -> None:
    photo = photo_from_bytes(image_bytes(), name="a.png")
    defect = opened(city, photos=[photo])
    kept = DefectPhoto.objects.get(defect=defect)
    assert kept.stage == DefectPhoto.Stage.BEFORE
    assert kept.uploaded_by == city.manager
    assert len(stored_files(media)) == 1


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"description": "  "}, "description"),
        ({"severity": "deadly"}, "severity"),
        ({"responsible": "nobody"}, "responsible"),
        ({"source": "rumour"}, "source"),
    ],
)
def test_bad_values_are_refused_per_field(city: City, given: dict[str, Any], field: str) -> None:
    before = snapshot(Defect, DefectEvent)
    with pytest.raises(BadInput) as refused:
        opened(city, **given)
    assert field in refused.value.error_dict
    assert snapshot(Defect, DefectEvent) == before


def test_a_building_of_another_compound_is_refused(city: City, media: Path) -> None:
    photo = photo_from_bytes(image_bytes(), name="a.png")
    before = snapshot(Defect, DefectPhoto)
    with pytest.raises(BadInput) as refused:
        opened(city, building=city.south_building, photos=[photo])
    assert "building" in refused.value.error_dict
    assert snapshot(Defect, DefectPhoto) == before
    assert stored_files(media) == []


@pytest.mark.parametrize("who", ["manager_b", "electrician_b", "resident", "outsider"])
def test_only_staff_reaching_the_compound_may_open(city: City, who: str) -> None:
    before = snapshot(Defect)
    with pytest.raises(OutsideScope):
        opened(city, by=getattr(city, who))
    assert snapshot(Defect) == before


def test_supervisor_and_department_may_open(city: City) -> None:
    assert opened(city, by=city.supervisor).found_by == city.supervisor
    assert opened(city, by=city.dept).found_by == city.dept
    assert opened(city, by=make_user("admin2", is_superuser=True)).pk
    assert Defect.objects.filter(found_at__lte=timezone.now()).count() == 3
