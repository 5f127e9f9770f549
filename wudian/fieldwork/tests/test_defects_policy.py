"""The defect table: who may do what, in which state — party × state → actions, for a property
defect and a utility defect given to a department."""

from __future__ import annotations

import datetime

import pytest

from wudian.conftest import City
from wudian.fieldwork.models import Defect, Severity
from wudian.fieldwork.policy.defects import DEFECTS, defect_actions, defect_parties

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)

OPEN, FIXED, CLOSED = Defect.Status.OPEN, Defect.Status.FIXED, Defect.Status.CLOSED
FOUND = ["add_photos", "comment"]
CHECK = ["check_pass", "check_fail", "comment"]


def defect(city: City, responsible: str, status: str, fixed_by: str) -> Defect:
    return Defect(
        pk=1,
        compound=city.north,
        description="x",
        severity=Severity.NORMAL,
        source=Defect.Source.STAFF,
        responsible=responsible,
        department=city.dept.department if responsible == Defect.Responsible.UTILITY else None,
        status=status,
        deadline=NOW,
        found_at=NOW,
        fixed_by=getattr(city, fixed_by) if status != OPEN else None,
    )


PROPERTY_TABLE: dict[str, dict[str, list[str]]] = {
    # who: {state: actions}
    "electrician": {OPEN: ["fix", *FOUND], FIXED: ["comment"], CLOSED: ["comment"]},
    "staff": {OPEN: ["fix", *FOUND], FIXED: ["comment"], CLOSED: ["comment"]},
    "manager": {OPEN: ["reassign", *FOUND], FIXED: CHECK, CLOSED: ["comment"]},
    "supervisor": {OPEN: ["reassign", *FOUND], FIXED: ["comment"], CLOSED: ["comment"]},
    "gridadmin": {OPEN: FOUND, FIXED: ["comment"], CLOSED: ["comment"]},
    "dept": {OPEN: [], FIXED: [], CLOSED: []},
    "manager_b": {OPEN: [], FIXED: [], CLOSED: []},
    "electrician_b": {OPEN: [], FIXED: [], CLOSED: []},
    "resident": {OPEN: [], FIXED: [], CLOSED: []},
    "outsider": {OPEN: [], FIXED: [], CLOSED: []},
}

UTILITY_TABLE: dict[str, dict[str, list[str]]] = {
    "manager": {OPEN: ["fix", "reassign", *FOUND], FIXED: ["comment"], CLOSED: ["comment"]},
    "dept": {OPEN: ["fix", *FOUND], FIXED: ["comment"], CLOSED: ["comment"]},
    "electrician": {OPEN: FOUND, FIXED: CHECK, CLOSED: ["comment"]},
    "staff": {OPEN: FOUND, FIXED: CHECK, CLOSED: ["comment"]},
    "supervisor": {OPEN: ["reassign", *FOUND], FIXED: ["comment"], CLOSED: ["comment"]},
    "gridadmin": {OPEN: FOUND, FIXED: ["comment"], CLOSED: ["comment"]},
    "electrician_b": {OPEN: [], FIXED: [], CLOSED: []},
    "resident": {OPEN: [], FIXED: [], CLOSED: []},
    "outsider": {OPEN: [], FIXED: [], CLOSED: []},
}


@pytest.mark.parametrize("who", list(PROPERTY_TABLE))
def test_property_defect(city: City, who: str) -> None:
    for status, expected in PROPERTY_TABLE[who].items():
        found = defect_actions(
            getattr(city, who), defect(city, Defect.Responsible.PROPERTY, status, "electrician")
        )
        assert found == expected, (who, status)


@pytest.mark.parametrize("who", list(UTILITY_TABLE))
def test_utility_defect(city: City, who: str) -> None:
    for status, expected in UTILITY_TABLE[who].items():
        found = defect_actions(
            getattr(city, who), defect(city, Defect.Responsible.UTILITY, status, "manager")
        )
        assert found == expected, (who, status)


def test_nobody_checks_their_own_fix(city: City) -> None:
    # The customer manager fixed a property defect (no electrician was left): they cannot
    # also accept it.
    fixed = defect(city, Defect.Responsible.PROPERTY, FIXED, "manager")
    refusal = DEFECTS.refusal("check_pass", fixed, defect_parties(city.manager, fixed))
    assert refusal is not None
    assert "check_pass" not in defect_actions(city.manager, fixed)


def test_an_inactive_user_is_no_party(city: City) -> None:
    city.electrician.is_active = False
    assert (
        defect_actions(
            city.electrician, defect(city, Defect.Responsible.PROPERTY, OPEN, "electrician")
        )
        == []
    )
