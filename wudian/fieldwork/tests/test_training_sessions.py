"""Training sessions: organising one (and the refusals), the attendance sheet with hours
and results, who sees which training, the pages and the API."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from wudian.conftest import City, api, post, snapshot
from wudian.core.errors import BadInput, NotAllowed, OutsideScope
from wudian.fieldwork.models import TrainingAttendance, TrainingSession
from wudian.fieldwork.policy.training import training_actions
from wudian.fieldwork.selectors.training import trainings_visible_to
from wudian.fieldwork.services.training import (
    AttendanceIn,
    TrainingIn,
    attendance_record,
    training_create,
    training_update,
)
from wudian.grid.models import Community, Compound, CompoundAssignment, District, Street

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def training_in(city: City, **changes: Any) -> TrainingIn:
    fields: dict[str, Any] = {
        "topic": "低压电工安全操作规程",
        "trainer": "王工",
        "place": "蚌山供电中心培训室",
        "starts_at": NOW - 2 * DAY,
        "ends_at": NOW - 2 * DAY + 3 * HOUR,
        "hours": Decimal("3"),
        "district_id": city.district.pk,
    }
    fields.update(changes)
    return TrainingIn(**fields)


@pytest.fixture
def session(city: City) -> TrainingSession:
    return training_create(by=city.supervisor, data=training_in(city))


def test_a_supervisor_organises_a_training_for_their_district(
    city: City, session: TrainingSession
) -> None:
    assert session.district == city.district
    assert training_actions(city.supervisor, session) == ["edit", "attendance"]
    assert training_actions(city.staff, session) == []


def test_an_end_before_the_start_is_refused(city: City, english: None) -> None:
    before = snapshot(TrainingSession)
    with pytest.raises(BadInput) as refused:
        training_create(by=city.supervisor, data=training_in(city, ends_at=NOW - 3 * DAY))
    assert "end after it starts" in refused.value.message_dict["ends_at"][0]
    assert snapshot(TrainingSession) == before


def test_only_an_administrator_organises_for_the_whole_city(city: City) -> None:
    with pytest.raises(BadInput):
        training_create(by=city.supervisor, data=training_in(city, district_id=None))
    city_wide = training_create(by=city.admin, data=training_in(city, district_id=None))
    assert city_wide.district is None


@pytest.mark.parametrize("who", ["resident", "outsider", "electrician", "staff", "manager"])
def test_others_organise_nothing(city: City, who: str) -> None:
    before = snapshot(TrainingSession)
    with pytest.raises(NotAllowed):
        training_create(by=getattr(city, who), data=training_in(city))
    assert snapshot(TrainingSession) == before


def test_the_attendance_sheet_credits_hours_and_results(
    city: City, session: TrainingSession
) -> None:
    attendance_record(
        session=session,
        by=city.supervisor,
        data=AttendanceIn(electrician_id=city.electrician.pk, result="passed", score=92),
    )
    absent = attendance_record(
        session=session,
        by=city.supervisor,
        data=AttendanceIn(electrician_id=city.electrician_b.pk, result="absent"),
    )
    line = TrainingAttendance.objects.get(session=session, electrician=city.electrician)
    assert (line.result, line.hours, line.score) == ("passed", Decimal("3.0"), 92)
    assert absent.hours == 0
    # Changing a line does not add a second one.
    attendance_record(
        session=session,
        by=city.supervisor,
        data=AttendanceIn(electrician_id=city.electrician.pk, result="failed", hours=Decimal(2)),
    )
    assert session.attendances.count() == 2


def test_results_wait_for_the_training_to_start(city: City) -> None:
    upcoming = training_create(
        by=city.supervisor,
        data=training_in(city, starts_at=NOW + DAY, ends_at=NOW + DAY + HOUR),
    )
    before = snapshot(TrainingAttendance)
    with pytest.raises(BadInput) as refused:
        attendance_record(
            session=upcoming,
            by=city.supervisor,
            data=AttendanceIn(electrician_id=city.electrician.pk, result="passed"),
        )
    assert "result" in refused.value.message_dict
    assert snapshot(TrainingAttendance) == before
    attendance_record(
        session=upcoming, by=city.supervisor, data=AttendanceIn(electrician_id=city.electrician.pk)
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"hours": Decimal(5)}, "hours"), ({"score": 101, "result": "passed"}, "score")],
)
def test_bad_lines_are_refused(
    city: City, session: TrainingSession, changes: dict[str, Any], field: str
) -> None:
    before = snapshot(TrainingAttendance)
    with pytest.raises(BadInput) as refused:
        attendance_record(
            session=session,
            by=city.supervisor,
            data=AttendanceIn(electrician_id=city.electrician.pk, **changes),
        )
    assert field in refused.value.message_dict
    assert snapshot(TrainingAttendance) == before


def test_an_electrician_of_another_district_is_not_an_attendee(city: City) -> None:

    other = District.objects.create(code="D2", name="龙子湖区", city="蚌埠市")
    street = Street.objects.create(district=other, code="S2", name="李楼街道")
    community = Community.objects.create(street=street, code="CM3", name="治淮社区")
    compound = Compound.objects.create(community=community, code="EAST", name="东苑小区")
    CompoundAssignment.objects.create(
        user=city.electrician_b, compound=compound, role="electrician"
    )
    CompoundAssignment.objects.filter(user=city.electrician_b, compound=city.south).delete()
    session = training_create(by=city.supervisor, data=training_in(city))
    before = snapshot(TrainingAttendance)
    with pytest.raises(OutsideScope):
        attendance_record(
            session=session,
            by=city.supervisor,
            data=AttendanceIn(electrician_id=city.electrician_b.pk),
        )
    assert snapshot(TrainingAttendance) == before


def test_who_sees_which_training(city: City, session: TrainingSession) -> None:
    attendance_record(
        session=session,
        by=city.supervisor,
        data=AttendanceIn(electrician_id=city.electrician.pk, result="passed"),
    )
    for user, sees in [
        (city.admin, True),
        (city.supervisor, True),
        (city.electrician, True),
        (city.staff, True),
        (city.manager, True),
        (city.electrician_b, False),
        (city.manager_b, False),
        (city.resident, False),
        (city.outsider, False),
    ]:
        assert trainings_visible_to(user).filter(pk=session.pk).exists() is sees, user


def test_editing_keeps_the_rules(city: City, session: TrainingSession) -> None:
    with pytest.raises(NotAllowed):
        training_update(session=session, by=city.staff, data=training_in(city, topic="改"))
    changed = training_update(
        session=session, by=city.supervisor, data=training_in(city, topic="漏电保护器检查")
    )
    assert changed.topic == "漏电保护器检查"


def test_the_pages(city: City, login: Any, session: TrainingSession) -> None:
    client = login(city.supervisor)
    assert client.get("/trainings/").status_code == 200
    assert client.get("/trainings/new/").status_code == 200
    bad = client.post(
        "/trainings/new/",
        {
            "topic": "培训",
            "trainer": "王工",
            "place": "培训室",
            "starts_at": "2026-03-02T09:00",
            "ends_at": "2026-03-02T08:00",
            "hours": "2",
            "district": city.district.pk,
        },
    )
    assert bad.status_code == 422
    assert TrainingSession.objects.count() == 1
    saved = client.post(
        f"/trainings/{session.pk}/attendance/",
        {"electrician": city.electrician.pk, "result": "passed", "score": "88"},
    )
    assert saved.status_code == 302
    detail = client.get(f"/trainings/{session.pk}/").content.decode()
    assert 'data-attendee="electrician"' in detail
    desk = login(city.electrician).get("/desk/").content.decode()
    assert 'id="my-trainings"' in desk
    assert session.topic in desk
    assert login(city.resident).get(f"/trainings/{session.pk}/").status_code == 404
    assert login(city.electrician_b).get(f"/trainings/{session.pk}/").status_code == 404


def test_the_api(city: City, session: TrainingSession) -> None:
    listed = api(city.supervisor).get("/api/v1/fieldwork/trainings").json()["items"]
    assert [row["id"] for row in listed] == [session.pk]
    made = post(
        api(city.supervisor),
        "/api/v1/fieldwork/trainings",
        {
            "topic": "培训",
            "trainer": "王工",
            "place": "培训室",
            "starts_at": NOW - DAY,
            "ends_at": NOW - 2 * DAY,
            "hours": 2,
            "district": "D1",
        },
    )
    assert made.status_code == 422
    line = post(
        api(city.supervisor),
        f"/api/v1/fieldwork/trainings/{session.pk}/attendance",
        {"electrician_id": city.electrician.pk, "result": "passed", "score": 90},
    )
    assert line.status_code == 200
    assert line.json()["attendances"][0]["result"] == "passed"
    assert line.json()["actions"] == ["edit", "attendance"]
    assert (
        api(city.electrician_b).get(f"/api/v1/fieldwork/trainings/{session.pk}").status_code == 404
    )
