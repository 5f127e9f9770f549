"""The scope module: role × purpose → compounds on the demo city, and who serves a compound.
One table says what every demo login reaches for every purpose; the tests around it pin the
rules that make an assignment count."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from wudian.accounts.models import Role, RoleCode, User
from wudian.conftest import City
from wudian.front import demo
from wudian.grid import scope
from wudian.grid.models import Compound, CompoundAssignment, Household
from wudian.grid.scope import Purpose

P = Purpose
ALL = frozenset(spec.code for spec in demo.COMPOUNDS)
M1 = frozenset(demo.MANAGER1_COMPOUNDS)
M2 = frozenset(demo.MANAGER2_COMPOUNDS)
E1 = frozenset({"jinxiu-huating", "chaoyang-xincun", "tianqiao-xiaoqu", "dongfang-mingzhu"})
E2 = frozenset({"feicui-wan", "huafu-mingyuan", "xiangzhang-yuan", "jinse-gangwan"})
E3 = frozenset({"dongfang-mingzhu"})
S1 = frozenset({"jinxiu-huating", "chaoyang-xincun"})
# gridadmin1's communities: 朝阳社区 and 南山社区.
GA = frozenset(
    spec.code for spec in demo.COMPOUNDS if spec.community in {"BS-CHAOYANG", "BS-NANSHAN"}
)
NONE: frozenset[str] = frozenset()

# What each demo login reaches, purpose by purpose.
EXPECTED: dict[str, dict[Purpose, frozenset[str]]] = {
    "manager1": {
        P.SERVE: M1,
        P.OVERSEE: M1,
        P.WORK_REQUESTS: M1,
        P.WORK_PROPERTY_REQUESTS: NONE,
        P.PUBLISH_OUTAGES: M1,
        P.OVERRIDE_NOTICE: NONE,
        P.EDIT_HOUSEHOLDS: M1,
        P.HOME: NONE,
        P.MEASURE: M1,
        P.PUBLISH_KNOWLEDGE: M1,
        P.CIVIC: M1,
        P.PATROL: M1,
        P.REMIND: M1,
    },
    "manager2": {
        P.SERVE: M2,
        P.OVERSEE: M2,
        P.WORK_REQUESTS: M2,
        P.WORK_PROPERTY_REQUESTS: NONE,
        P.PUBLISH_OUTAGES: M2,
        P.OVERRIDE_NOTICE: NONE,
        P.EDIT_HOUSEHOLDS: M2,
        P.HOME: NONE,
        P.MEASURE: M2,
        P.PUBLISH_KNOWLEDGE: M2,
        P.CIVIC: M2,
        P.PATROL: M2,
        P.REMIND: M2,
    },
    "electrician1": {
        P.SERVE: E1,
        P.OVERSEE: E1,
        P.WORK_REQUESTS: NONE,
        P.WORK_PROPERTY_REQUESTS: E1,
        P.PUBLISH_OUTAGES: NONE,
        P.OVERRIDE_NOTICE: NONE,
        P.EDIT_HOUSEHOLDS: NONE,
        P.HOME: NONE,
        P.MEASURE: NONE,
        P.PUBLISH_KNOWLEDGE: NONE,
        P.CIVIC: NONE,
        P.PATROL: E1,
        P.REMIND: E1,
    },
    "electrician2": {
        P.SERVE: E2,
        P.OVERSEE: E2,
        P.WORK_REQUESTS: NONE,
        P.WORK_PROPERTY_REQUESTS: E2,
        P.PUBLISH_OUTAGES: NONE,
        P.OVERRIDE_NOTICE: NONE,
        P.EDIT_HOUSEHOLDS: NONE,
        P.HOME: NONE,
        P.MEASURE: NONE,
        P.PUBLISH_KNOWLEDGE: NONE,
        P.CIVIC: NONE,
        P.PATROL: E2,
        P.REMIND: E2,
    },
    # Its certificate expired: scope does not care, the request's policy does.
    "electrician3": {
        P.SERVE: E3,
        P.OVERSEE: E3,
        P.WORK_REQUESTS: NONE,
        P.WORK_PROPERTY_REQUESTS: E3,
        P.PUBLISH_OUTAGES: NONE,
        P.OVERRIDE_NOTICE: NONE,
        P.EDIT_HOUSEHOLDS: NONE,
        P.HOME: NONE,
        P.MEASURE: NONE,
        P.PUBLISH_KNOWLEDGE: NONE,
        P.CIVIC: NONE,
        P.PATROL: E3,
        P.REMIND: E3,
    },
    "staff1": {
        P.SERVE: S1,
        P.OVERSEE: S1,
        P.WORK_REQUESTS: NONE,
        P.WORK_PROPERTY_REQUESTS: S1,
        P.PUBLISH_OUTAGES: NONE,
        P.OVERRIDE_NOTICE: NONE,
        P.EDIT_HOUSEHOLDS: S1,
        P.HOME: NONE,
        P.MEASURE: NONE,
        P.PUBLISH_KNOWLEDGE: NONE,
        P.CIVIC: NONE,
        P.PATROL: NONE,
        P.REMIND: S1,
    },
    "gridadmin1": {
        P.SERVE: GA,
        P.OVERSEE: GA,
        P.WORK_REQUESTS: GA,
        P.WORK_PROPERTY_REQUESTS: NONE,
        P.PUBLISH_OUTAGES: NONE,
        P.OVERRIDE_NOTICE: NONE,
        P.EDIT_HOUSEHOLDS: NONE,
        P.HOME: NONE,
        P.MEASURE: NONE,
        P.PUBLISH_KNOWLEDGE: NONE,
        P.CIVIC: GA,
        P.PATROL: NONE,
        P.REMIND: NONE,
    },
    "dept1": {
        P.SERVE: NONE,
        P.OVERSEE: ALL,
        P.WORK_REQUESTS: NONE,
        P.WORK_PROPERTY_REQUESTS: NONE,
        P.PUBLISH_OUTAGES: NONE,
        P.OVERRIDE_NOTICE: NONE,
        P.EDIT_HOUSEHOLDS: NONE,
        P.HOME: NONE,
        P.MEASURE: NONE,
        P.PUBLISH_KNOWLEDGE: NONE,
        P.CIVIC: NONE,
        P.PATROL: NONE,
        P.REMIND: NONE,
    },
    "supervisor1": {
        P.SERVE: NONE,
        P.OVERSEE: ALL,
        P.WORK_REQUESTS: ALL,
        P.WORK_PROPERTY_REQUESTS: NONE,
        P.PUBLISH_OUTAGES: ALL,
        P.OVERRIDE_NOTICE: ALL,
        P.EDIT_HOUSEHOLDS: NONE,
        P.HOME: NONE,
        P.MEASURE: ALL,
        P.PUBLISH_KNOWLEDGE: ALL,
        P.CIVIC: NONE,
        P.PATROL: NONE,
        P.REMIND: NONE,
    },
    "resident1": dict.fromkeys(P, NONE) | {P.HOME: frozenset({"jinxiu-huating"})},
    "resident2": dict.fromkeys(P, NONE) | {P.HOME: frozenset({"huafu-mingyuan"})},
    "admin": dict.fromkeys(P, ALL),
}


@pytest.fixture
def demo_city(db: None, settings: Any) -> None:
    settings.DEBUG = True
    demo.demo_city_seed(households_per_building=1)


def reached(user: User, purpose: Purpose) -> frozenset[str]:
    return frozenset(scope.compounds_for(user, purpose).values_list("code", flat=True))


def test_every_demo_login_reaches_the_compounds_its_table_row_says(demo_city: None) -> None:
    assert set(EXPECTED) == {login.username for login in demo.LOGINS}
    wrong: dict[tuple[str, str], object] = {}
    for username, row in EXPECTED.items():
        user = User.objects.get(username=username)
        assert set(row) == set(Purpose), username
        for purpose, expected in row.items():
            got = reached(user, purpose)
            if got != expected:
                wrong[(username, purpose.value)] = (sorted(got - expected), sorted(expected - got))
            households = scope.households_for(user, purpose)
            own = set(scope.own_households(user).values_list("pk", flat=True))
            codes = set(households.values_list("building__compound__code", flat=True))
            if purpose != Purpose.HOME and codes - expected - set(
                Household.objects.filter(pk__in=own).values_list(
                    "building__compound__code", flat=True
                )
            ):
                wrong[(username, f"{purpose.value} households")] = sorted(codes - expected)
    assert not wrong, wrong


def test_who_serves_each_demo_compound(demo_city: None) -> None:
    today = datetime.date(2026, 12, 7)  # a Monday
    compounds = list(Compound.objects.filter(code__in=ALL))
    managers = scope.customer_managers_of([c.pk for c in compounds])
    for compound in compounds:
        expected = "manager1" if compound.code in M1 else "manager2"
        assert managers[compound.pk].username == expected
    contacts = scope.compound_contacts(compounds, on=today)
    by_code = {c.code: contacts[c.pk] for c in compounds}
    # 东方明珠花园: electrician1 is on the Monday roster, electrician3 (expired) is not.
    dongfang = by_code["dongfang-mingzhu"]
    assert [(e.user.username, e.certified) for e in dongfang.electricians] == [
        ("electrician1", True)
    ]
    assert dongfang.caller is not None
    assert dongfang.caller.username == "electrician1"
    # 经二路小区 has no electrician: its customer manager takes the calls.
    assert by_code["jinger-lu"].caller is not None
    assert by_code["jinger-lu"].caller.username == "manager2"
    serving = set(
        scope.people_serving([Compound.objects.get(code="jinxiu-huating").pk]).values_list(
            "username", flat=True
        )
    )
    assert serving == {"manager1", "electrician1", "staff1", "gridadmin1"}


def test_serving_among_agrees_with_people_serving_for_every_demo_compound(
    demo_city: None,
) -> None:
    everyone = list(User.objects.values_list("pk", flat=True))
    # A manager who lost the role, and an inactive electrician, serve nowhere any more.
    User.objects.get(username="manager2").roles.remove(
        Role.objects.get(code=RoleCode.CUSTOMER_MANAGER)
    )
    User.objects.filter(username="electrician1").update(is_active=False)
    for compound in Compound.objects.filter(code__in=ALL):
        expected = set(scope.people_serving([compound.pk]).values_list("pk", flat=True))
        assert scope.serving_among(compound.pk, everyone) == expected, compound.code
    assert scope.serving_among(compound.pk, []) == set()


def test_everyone_by_compound_agrees_with_everyone_of_for_each_compound(city: City) -> None:
    # Staff, a grid admin over a community, and residents: (user, compound) in one query.
    ids = [city.north.pk, city.south.pk]
    pairs = set(scope.everyone_by_compound(ids).values_list("user_id", "compound_id"))
    for compound_id in ids:
        expected = set(scope.everyone_of([compound_id]).values_list("user_id", flat=True))
        assert {user for user, compound in pairs if compound == compound_id} == expected
    assert (city.gridadmin.pk, city.north.pk) in pairs
    assert (city.resident_b.pk, city.south.pk) in pairs
    assert (city.resident.pk, city.south.pk) not in pairs


@pytest.mark.django_db
def test_an_assignment_counts_only_while_its_user_holds_the_role(city: City) -> None:
    assert scope.customer_manager_of(city.north) == city.manager
    assert city.north in scope.compounds_for(city.manager, Purpose.PUBLISH_OUTAGES)

    city.manager.roles.remove(Role.objects.get(code=RoleCode.CUSTOMER_MANAGER))
    demoted = User.objects.get(pk=city.manager.pk)  # role_codes are read once per instance

    assert scope.customer_manager_of(city.north) is None
    for purpose in Purpose:
        assert not scope.compounds_for(demoted, purpose).exists(), purpose
    assert not scope.is_customer_manager_of(demoted, city.north.pk)


@pytest.mark.django_db
def test_an_inactive_user_reaches_nothing_and_serves_nothing(city: City) -> None:
    User.objects.filter(pk=city.manager.pk).update(is_active=False)
    manager = User.objects.get(pk=city.manager.pk)

    for purpose in Purpose:
        assert not scope.compounds_for(manager, purpose).exists()
    assert scope.customer_manager_of(city.north) is None
    assert city.manager.pk not in set(
        scope.people_serving([city.north.pk]).values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_anonymous_reaches_nothing_and_a_superuser_everything(city: City) -> None:
    anonymous: Any = AnonymousUser()
    for purpose in Purpose:
        assert not scope.compounds_for(anonymous, purpose).exists()
        assert not scope.households_for(anonymous, purpose).exists()
        assert scope.compounds_for(city.admin, purpose).count() == Compound.objects.count()


@pytest.mark.django_db
def test_everyone_reaches_their_own_household_whatever_the_purpose(city: City) -> None:
    # resident_b lives in 南苑小区, which the manager of 北苑小区 does not serve.
    city.resident_b.roles.add(Role.objects.get(code=RoleCode.CUSTOMER_MANAGER))
    CompoundAssignment.objects.filter(compound=city.north, role=RoleCode.CUSTOMER_MANAGER).delete()
    CompoundAssignment.objects.create(
        user=city.resident_b, compound=city.north, role=RoleCode.CUSTOMER_MANAGER
    )
    user = User.objects.get(pk=city.resident_b.pk)

    for purpose in Purpose:
        assert scope.reaches_household(user, purpose, city.south_home.pk), purpose
    assert scope.households_reached(user, Purpose.SERVE, [city.north_home.pk]) == {
        city.north_home.pk
    }
    assert not scope.reaches_household(user, Purpose.HOME, city.north_home.pk)
