"""A defect's steps to closure: fixed with after-photos, checked by the other side, failed
back to open on the same deadline; reassignment; escalation of overdue defects."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from wudian.conftest import City, image_bytes, snapshot, stored_files
from wudian.core.errors import BadInput, NotAllowed, WrongState
from wudian.core.photos import PhotoUpload, photo_from_bytes
from wudian.fieldwork.models import Defect, DefectEvent, DefectPhoto, Severity
from wudian.fieldwork.services.defects import (
    defect_check,
    defect_comment,
    defect_fix,
    defect_open,
    defect_reassign,
    defects_escalate,
    defects_warn,
)
from wudian.notify.models import Message

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def photo() -> list[PhotoUpload]:
    return [photo_from_bytes(image_bytes(color="green"), name="after.png")]


def found(city: City, **given: Any) -> Defect:
    fields: dict[str, Any] = {
        "compound": city.north,
        "description": "楼道电缆井进水",
        "severity": Severity.SERIOUS,
        "responsible": Defect.Responsible.PROPERTY,
        "by": city.manager,
        "source": Defect.Source.PATROL,
        "now": NOW,
    }
    fields.update(given)
    return defect_open(**fields)


def kinds(defect: Defect) -> list[str]:
    return list(defect.events.order_by("at", "pk").values_list("kind", flat=True))


def test_fixed_then_checked_closes(city: City, media: Path) -> None:
    defect = found(city)
    defect = defect_fix(
        defect=defect, by=city.electrician, note="已封堵", photos=photo(), now=NOW + HOUR
    )
    assert defect.status == Defect.Status.FIXED
    assert defect.photos.filter(stage=DefectPhoto.Stage.AFTER).count() == 1
    assert Message.objects.filter(
        user=city.manager, template="defect_fixed", channel="inapp"
    ).exists()
    defect = defect_check(defect=defect, by=city.manager, passed=True, now=NOW + 2 * HOUR)
    assert defect.status == Defect.Status.CLOSED
    assert defect.closed_at == NOW + 2 * HOUR
    assert defect.checked_by == city.manager
    assert kinds(defect) == ["opened", "fixed", "check_passed"]


def test_fix_without_after_photo_is_refused(city: City, media: Path) -> None:
    defect = found(city)
    before = snapshot(defect, DefectPhoto)
    with pytest.raises(BadInput) as refused:
        defect_fix(defect=defect, by=city.electrician, note="已封堵", photos=[])
    assert "photos" in refused.value.error_dict
    with pytest.raises(BadInput) as refused:
        defect_fix(defect=defect, by=city.electrician, note=" ", photos=photo())
    assert "note" in refused.value.error_dict
    assert snapshot(defect, DefectPhoto) == before
    assert stored_files(media) == []


def test_only_the_responsible_side_fixes(city: City, media: Path) -> None:
    defect = found(city)
    before = snapshot(defect, DefectPhoto)
    with pytest.raises(NotAllowed):
        defect_fix(defect=defect, by=city.manager, note="x", photos=photo())
    assert snapshot(defect, DefectPhoto) == before
    assert stored_files(media) == []


def test_closing_needs_the_other_party(city: City, media: Path) -> None:
    defect = found(city)
    with pytest.raises(WrongState):
        defect_check(defect=defect, by=city.manager, passed=True)
    defect = defect_fix(defect=defect, by=city.electrician, note="已封堵", photos=photo())
    before = snapshot(defect)
    with pytest.raises(NotAllowed):
        defect_check(defect=defect, by=city.electrician, passed=True)
    with pytest.raises(NotAllowed):
        defect_check(defect=defect, by=city.staff, passed=True)
    with pytest.raises(NotAllowed):
        defect_check(defect=defect, by=city.supervisor, passed=True)
    assert snapshot(defect) == before


def test_failed_check_reopens_on_the_same_deadline(city: City, media: Path) -> None:
    defect = found(city)
    deadline = defect.deadline
    defect = defect_fix(defect=defect, by=city.electrician, note="已封堵", photos=photo())
    before = snapshot(defect)
    with pytest.raises(BadInput) as refused:
        defect_check(defect=defect, by=city.manager, passed=False, reason="")
    assert "reason" in refused.value.error_dict
    assert snapshot(defect) == before
    defect = defect_check(defect=defect, by=city.manager, passed=False, reason="仍有渗水")
    assert defect.status == Defect.Status.OPEN
    assert defect.deadline == deadline
    assert defect.closed_at is None
    assert kinds(defect)[-1] == DefectEvent.Kind.CHECK_FAILED
    assert Message.objects.filter(
        user=city.electrician, template="defect_check_failed", channel="inapp"
    ).exists()
    # Fixed again, now accepted.
    defect = defect_fix(defect=defect, by=city.electrician, note="重新封堵", photos=photo())
    assert defect_check(defect=defect, by=city.manager, passed=True).status == "closed"


def test_utility_defect_is_checked_by_the_property_side(city: City, media: Path) -> None:
    defect = found(city, responsible=Defect.Responsible.UTILITY)
    defect = defect_fix(defect=defect, by=city.manager, note="更换表箱", photos=photo())
    with pytest.raises(NotAllowed):
        defect_check(defect=defect, by=city.manager, passed=True)
    assert defect_check(defect=defect, by=city.staff, passed=True).status == "closed"


def test_reassign(city: City) -> None:
    defect = found(city)
    assert defect.owner == city.electrician
    defect = defect_reassign(defect=defect, by=city.manager, owner=city.staff, note="电工休假")
    assert defect.owner == city.staff
    assert kinds(defect)[-1] == DefectEvent.Kind.ASSIGNED
    before = snapshot(defect)
    with pytest.raises(BadInput):
        defect_reassign(defect=defect, by=city.manager, owner=city.electrician_b)
    with pytest.raises(NotAllowed):
        defect_reassign(defect=defect, by=city.electrician, owner=city.electrician)
    assert snapshot(defect) == before


def test_comment(city: City) -> None:
    defect = found(city)
    defect_comment(defect=defect, by=city.gridadmin, note="居民再次反映")
    with pytest.raises(NotAllowed):
        defect_comment(defect=defect, by=city.resident, note="x")
    assert kinds(defect) == ["opened", "note"]


def test_the_owner_is_warned_once_when_a_fifth_of_the_time_remains(city: City, media: Path) -> None:
    defect = found(city)  # the property side's: its electrician owns it
    assert defect.owner == city.electrician
    assert defect.warn_at == defect.deadline - (defect.deadline - defect.found_at) / 5
    warned = {"user": city.electrician, "template": "defect_deadline_near"}
    assert defects_warn(now=defect.warn_at - HOUR) == 0
    assert not Message.objects.filter(**warned).exists()
    assert defects_warn(now=defect.warn_at + HOUR) == 1
    assert Message.objects.filter(**warned).count() == 1
    assert defects_warn(now=defect.warn_at + 2 * HOUR) == 0
    assert Message.objects.filter(**warned).count() == 1
    # A defect fixed in time, or already past its deadline, is not warned.
    fixed, late = found(city), found(city)
    defect_fix(defect=fixed, by=city.electrician, note="已修", photos=photo(), now=NOW)
    assert defects_warn(now=late.deadline + HOUR) == 0
    assert Message.objects.filter(**warned).count() == 1


def test_escalation_manager_then_supervisors(city: City) -> None:
    defect = found(city, severity=Severity.CRITICAL)
    deadline = defect.deadline
    assert defects_escalate(now=deadline - HOUR) == {"manager": 0, "supervisors": 0}
    assert defects_escalate(now=deadline + HOUR) == {"manager": 1, "supervisors": 0}
    defect.refresh_from_db()
    assert defect.escalation == 1
    assert defect.owner == city.manager
    assert Message.objects.filter(user=city.manager, template="defect_escalated").exists()
    # Again at once: nothing more; the rule's 24 hours later: the supervisors.
    assert defects_escalate(now=deadline + 2 * HOUR) == {"manager": 0, "supervisors": 0}
    assert defects_escalate(now=deadline + 26 * HOUR) == {"manager": 0, "supervisors": 1}
    assert defects_escalate(now=deadline + 27 * HOUR) == {"manager": 0, "supervisors": 0}
    defect.refresh_from_db()
    assert defect.escalation == 2
    assert Message.objects.filter(
        user=city.supervisor, template="defect_escalated", urgent=True
    ).exists()
    assert kinds(defect) == ["opened", "escalated", "escalated"]


def test_fixed_defects_do_not_escalate(city: City, media: Path) -> None:
    defect = found(city)
    defect_fix(defect=defect, by=city.electrician, note="已修", photos=photo(), now=NOW)
    assert defects_escalate(now=defect.deadline + HOUR) == {"manager": 0, "supervisors": 0}
