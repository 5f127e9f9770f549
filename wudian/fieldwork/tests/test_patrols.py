"""Joint patrols: checklists in versions, monthly plans on working days, moving a plan,
starting, sending once (findings become defects), the second party's confirmation, and
refusals that change nothing."""

from __future__ import annotations

import datetime
import uuid

import pytest

from wudian.conftest import City, snapshot
from wudian.core.errors import BadInput, NotAllowed, WrongState
from wudian.fieldwork.models import (
    ChecklistItem,
    ChecklistVersion,
    Defect,
    Patrol,
    PatrolAnswer,
)
from wudian.fieldwork.selectors.patrols import (
    latest_published_version,
    months_waiting_for_calendar,
    patrols_visible_to,
)
from wudian.fieldwork.services.patrols import (
    AnswerIn,
    checklist_default,
    checklist_version_editable,
    checklist_version_new_draft,
    checklist_version_publish,
    patrol_cancel,
    patrol_confirm,
    patrol_move,
    patrol_plans_for_month,
    patrol_plans_generate,
    patrol_start,
    patrol_submit,
)
from wudian.fieldwork.tests.patrol_helpers import (
    NOW,
    TODAY,
    all_ok,
    first_working_day_from,
    planned,
    started,
    submitted,
)
from wudian.grid.models import CompoundAssignment

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


# Checklists ---------------------------------------------------------------------------------


def test_default_checklist_is_made_once_with_a_published_version(roles: None) -> None:
    checklist = checklist_default()
    checklist_default()
    versions = ChecklistVersion.objects.filter(checklist=checklist)
    assert versions.count() == 1
    version = versions.get()
    assert version.published_at is not None
    areas = set(ChecklistItem.objects.filter(version=version).values_list("area", flat=True))
    assert {"distribution_room", "cable_shaft", "meter_box", "leakage", "ev_charging"} <= areas


def test_a_published_version_is_frozen_and_a_new_draft_copies_it(roles: None) -> None:
    version = latest_published_version(checklist_default())
    assert version is not None
    with pytest.raises(WrongState):
        checklist_version_editable(version)
    draft = checklist_version_new_draft(version=version)
    assert draft.number == 2
    assert draft.published_at is None
    checklist_version_editable(draft)
    assert draft.items.count() == version.items.count()
    with pytest.raises(WrongState):
        checklist_version_new_draft(version=version)
    checklist_version_publish(version=draft)
    assert latest_published_version() == draft
    with pytest.raises(WrongState):
        checklist_version_publish(version=draft)


# Plans --------------------------------------------------------------------------------------


def test_plans_are_made_once_on_working_days_for_compounds_with_a_manager(city: City) -> None:
    now = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    report = patrol_plans_generate(now=now, months=2)
    assert report.waiting == []
    assert report.total == 6  # north and south, March to May
    again = patrol_plans_generate(now=now, months=2)
    assert again.total == 0
    assert Patrol.objects.count() == 6
    north = Patrol.objects.filter(compound=city.north).order_by("month")
    assert [patrol.month for patrol in north] == [
        datetime.date(2026, 3, 1),
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 1),
    ]
    for patrol in Patrol.objects.all():
        assert patrol.planned_on.month == patrol.month.month
        assert first_working_day_from(patrol.planned_on) == patrol.planned_on
        assert patrol.planned_on >= datetime.date(2026, 3, 2)
    first = north.first()
    assert first is not None
    # The certified electrician, jointly with the customer manager.
    assert (first.electrician, first.manager) == (city.electrician, city.manager)


def test_one_managers_compounds_are_spread_over_the_month(city: City) -> None:
    CompoundAssignment.objects.filter(compound=city.south).update(user=city.manager)
    patrol_plans_for_month(month=datetime.date(2026, 6, 1), today=datetime.date(2026, 5, 1))
    days = set(Patrol.objects.values_list("planned_on", flat=True))
    assert len(days) == 2


def test_months_the_calendar_does_not_know_wait(city: City) -> None:
    now = datetime.datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    report = patrol_plans_generate(now=now, months=3)
    assert datetime.date(2027, 1, 1) in report.waiting
    assert not Patrol.objects.filter(month__year=2027).exists()
    assert Patrol.objects.filter(month=datetime.date(2026, 12, 1)).count() == 2
    assert months_waiting_for_calendar(datetime.date(2026, 11, 20)) == [
        datetime.date(2027, 1, 1),
        datetime.date(2027, 2, 1),
    ]


# Scope --------------------------------------------------------------------------------------


def test_electricians_see_only_their_compounds_patrols(city: City) -> None:
    patrol_plans_for_month(month=datetime.date(2026, 6, 1), today=datetime.date(2026, 5, 1))
    north = set(Patrol.objects.filter(compound=city.north).values_list("pk", flat=True))
    south = set(Patrol.objects.filter(compound=city.south).values_list("pk", flat=True))

    def seen(user: object) -> set[int]:
        return set(patrols_visible_to(user).values_list("pk", flat=True))  # type: ignore[arg-type]

    assert seen(city.electrician) == north
    assert seen(city.electrician_b) == south
    assert seen(city.manager) == north
    assert seen(city.supervisor) == north | south
    for user in (city.resident, city.gridadmin, city.staff, city.dept, city.outsider):
        assert seen(user) == set()


# Moving -------------------------------------------------------------------------------------


def _june(city: City) -> Patrol:
    patrol_plans_for_month(month=datetime.date(2026, 6, 1), today=datetime.date(2026, 5, 1))
    return Patrol.objects.get(compound=city.north)


MAY = datetime.datetime(2026, 5, 20, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("who", ["electrician", "manager"])
def test_either_party_moves_a_plan_within_its_month(city: City, who: str) -> None:
    patrol = _june(city)
    day = (
        datetime.date(2026, 6, 26)
        if patrol.planned_on != datetime.date(2026, 6, 26)
        else datetime.date(2026, 6, 25)
    )
    moved = patrol_move(
        patrol=patrol, by=getattr(city, who), planned_on=day, reason="物业停电检修", now=MAY
    )
    assert moved.planned_on == day
    assert moved.moved_reason == "物业停电检修"


@pytest.mark.parametrize(
    ("day", "reason", "code"),
    [
        (datetime.date(2026, 7, 1), "下月", "other_month"),
        (datetime.date(2026, 6, 20), "周六", "not_working_day"),  # a Saturday
        (datetime.date(2026, 6, 19), "端午", "not_working_day"),  # Dragon Boat Festival
        (datetime.date(2026, 6, 24), " ", "required"),
    ],
)
def test_a_wrong_move_is_refused_and_changes_nothing(
    city: City, day: datetime.date, reason: str, code: str
) -> None:
    patrol = _june(city)
    before = snapshot(patrol)
    with pytest.raises(BadInput) as refused:
        patrol_move(patrol=patrol, by=city.manager, planned_on=day, reason=reason, now=MAY)
    codes = {error.code for errors in refused.value.error_dict.values() for error in errors}
    assert code in codes
    assert snapshot(patrol) == before


def test_a_move_into_the_past_is_refused(city: City) -> None:
    patrol = _june(city)
    late = datetime.datetime(2026, 6, 29, 2, 0, tzinfo=UTC)
    with pytest.raises(BadInput):
        patrol_move(
            patrol=patrol,
            by=city.manager,
            planned_on=datetime.date(2026, 6, 2),
            reason="x",
            now=late,
        )


@pytest.mark.parametrize("who", ["electrician_b", "manager_b", "staff", "supervisor", "resident"])
def test_others_may_not_move_a_plan(city: City, who: str) -> None:
    patrol = _june(city)
    before = snapshot(patrol)
    with pytest.raises(NotAllowed):
        patrol_move(
            patrol=patrol,
            by=getattr(city, who),
            planned_on=datetime.date(2026, 6, 24),
            reason="x",
            now=MAY,
        )
    assert snapshot(patrol) == before


# Starting, sending, confirming ----------------------------------------------------------------


def test_starting_binds_the_latest_published_version(city: City) -> None:
    patrol = started(city)
    assert patrol.status == Patrol.Status.IN_PROGRESS
    assert patrol.checklist_version == latest_published_version()
    # A new version published later does not change the open patrol.
    draft = checklist_version_new_draft(version=patrol.checklist_version)  # type: ignore[arg-type]
    checklist_version_publish(version=draft)
    patrol.refresh_from_db()
    assert patrol.checklist_version != draft


def test_sending_records_answers_signs_and_turns_findings_into_defects(city: City) -> None:
    patrol = submitted(city)
    assert patrol.status == Patrol.Status.SIGNED
    assert patrol.electrician_signed_at is not None
    assert patrol.manager_signed_at is None
    assert (
        PatrolAnswer.objects.filter(patrol=patrol).count()
        == ChecklistItem.objects.filter(version=patrol.checklist_version).count()
    )
    defect = Defect.objects.get(patrol=patrol)
    assert defect.source == Defect.Source.PATROL
    assert defect.severity == "serious"
    assert defect.patrol_answer is not None
    assert defect.patrol_answer.result == "finding"
    assert "挡板缺失" in defect.description


def test_the_same_submission_sent_twice_is_recorded_once(city: City) -> None:
    patrol = started(city)
    key = uuid.uuid4()
    answers = all_ok(patrol, note="表箱门缺失", severity="normal", responsible="property")
    version = patrol.checklist_version_id or 0
    first = patrol_submit(
        patrol=patrol,
        by=city.electrician,
        submission_key=key,
        version_id=version,
        answers=answers,
        now=NOW,
    )
    again = patrol_submit(
        patrol=patrol,
        by=city.electrician,
        submission_key=key,
        version_id=version,
        answers=answers,
        now=NOW,
    )
    assert first.recorded
    assert not again.recorded
    assert again.patrol.pk == patrol.pk
    assert PatrolAnswer.objects.filter(patrol=patrol).count() == len(answers)
    assert Defect.objects.filter(patrol=patrol).count() == 1


def test_answers_for_another_checklist_version_are_a_conflict(city: City) -> None:
    patrol = started(city)
    draft = checklist_version_new_draft(version=patrol.checklist_version)  # type: ignore[arg-type]
    checklist_version_publish(version=draft)
    before = snapshot(patrol, PatrolAnswer, Defect)
    other = [AnswerIn(item=item.pk, result="ok") for item in draft.items.all()]
    with pytest.raises(WrongState):
        patrol_submit(
            patrol=patrol,
            by=city.electrician,
            submission_key=uuid.uuid4(),
            version_id=draft.pk,
            answers=other,
            now=NOW,
        )
    mixed = all_ok(patrol)
    mixed[0] = other[0]
    with pytest.raises(WrongState):
        patrol_submit(
            patrol=patrol,
            by=city.electrician,
            submission_key=uuid.uuid4(),
            version_id=patrol.checklist_version_id or 0,
            answers=mixed,
            now=NOW,
        )
    assert snapshot(patrol, PatrolAnswer, Defect) == before


@pytest.mark.parametrize(
    "finding",
    [
        {"note": "", "severity": "normal", "responsible": "property"},
        {"note": "x", "severity": "", "responsible": "property"},
        {"note": "x", "severity": "normal", "responsible": "nobody"},
    ],
)
def test_an_incomplete_finding_is_refused(city: City, finding: dict[str, str]) -> None:
    patrol = started(city)
    before = snapshot(patrol, PatrolAnswer, Defect)
    with pytest.raises(BadInput):
        patrol_submit(
            patrol=patrol,
            by=city.electrician,
            submission_key=uuid.uuid4(),
            version_id=patrol.checklist_version_id or 0,
            answers=all_ok(patrol, **finding),
            now=NOW,
        )
    assert snapshot(patrol, PatrolAnswer, Defect) == before


def test_every_item_must_be_answered(city: City) -> None:
    patrol = started(city)
    with pytest.raises(BadInput):
        patrol_submit(
            patrol=patrol,
            by=city.electrician,
            submission_key=uuid.uuid4(),
            version_id=patrol.checklist_version_id or 0,
            answers=all_ok(patrol)[1:],
            now=NOW,
        )


def test_the_other_party_confirms_and_the_patrol_is_done(city: City) -> None:
    patrol = submitted(city)
    with pytest.raises(NotAllowed):
        patrol_confirm(patrol=patrol, by=city.electrician, now=NOW)
    done = patrol_confirm(patrol=patrol, by=city.manager, now=NOW)
    assert done.status == Patrol.Status.DONE
    assert done.manager_signed_at is not None
    assert done.done_at is not None


def test_a_done_patrol_cannot_be_sent_again(city: City) -> None:
    patrol = patrol_confirm(patrol=submitted(city), by=city.manager, now=NOW)
    before = snapshot(patrol, PatrolAnswer, Defect)
    with pytest.raises(WrongState):
        patrol_submit(
            patrol=patrol,
            by=city.electrician,
            submission_key=uuid.uuid4(),
            version_id=patrol.checklist_version_id or 0,
            answers=[],
            now=NOW,
        )
    assert snapshot(patrol, PatrolAnswer, Defect) == before


def test_only_the_customer_manager_cancels(city: City) -> None:
    patrol = planned(city)
    with pytest.raises(NotAllowed):
        patrol_cancel(patrol=patrol, by=city.electrician, reason="小区封闭")
    with pytest.raises(BadInput):
        patrol_cancel(patrol=patrol, by=city.manager, reason="")
    assert patrol_cancel(patrol=patrol, by=city.manager, reason="小区封闭").status == "cancelled"


def test_a_patrol_cannot_start_without_a_published_checklist(city: City) -> None:
    patrol_plans_for_month(month=TODAY, today=TODAY)
    patrol = Patrol.objects.get(compound=city.north)
    with pytest.raises(WrongState):
        patrol_start(patrol=patrol, by=city.manager, now=NOW)
