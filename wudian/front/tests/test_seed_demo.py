"""`wudian seed_demo` builds the demo city and its logins, idempotently, in debug mode only."""

from __future__ import annotations

import datetime
import re
from io import StringIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Model
from django.test import Client
from django.utils import timezone, translation

from wudian.accounts.models import Certificate, Duty, Role, RoleCode, User
from wudian.conftest import snapshot
from wudian.front import demo
from wudian.grid.models import (
    Building,
    Community,
    CommunityAssignment,
    Compound,
    CompoundAssignment,
    District,
    DistrictAssignment,
    DutyShift,
    Feeder,
    Household,
    HouseholdMembership,
    Meter,
    PropertyCompany,
    StationArea,
    Street,
    account_no_validator,
    phone_validator,
)
from wudian.grid.scope import Purpose, compounds_for, own_households
from wudian.notify.models import CircleEndpoint
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.selectors import outages_for_resident

SMALL = 2  # households per building in the fast tests

MODELS: list[type[Model]] = [
    Outage,
    AffectedHousehold,
    District,
    Street,
    Community,
    PropertyCompany,
    Compound,
    Building,
    Household,
    Feeder,
    StationArea,
    StationArea.compounds.through,
    Meter,
    User,
    User.roles.through,
    CompoundAssignment,
    CommunityAssignment,
    DistrictAssignment,
    HouseholdMembership,
    DutyShift,
    Certificate,
    Role,
    Duty,
]
EXPECTED_ROLES = {
    "manager1": {RoleCode.CUSTOMER_MANAGER},
    "manager2": {RoleCode.CUSTOMER_MANAGER},
    "electrician1": {RoleCode.ELECTRICIAN},
    "electrician2": {RoleCode.ELECTRICIAN},
    "electrician3": {RoleCode.ELECTRICIAN},
    "staff1": {RoleCode.PROPERTY_STAFF},
    "gridadmin1": {RoleCode.GRID_ADMIN},
    "dept1": {RoleCode.DEPARTMENT},
    "supervisor1": {RoleCode.SUPERVISOR},
    "resident1": {RoleCode.RESIDENT},
    "resident2": {RoleCode.RESIDENT},
    "admin": set(),
}


def seed(*args: str, **options: Any) -> str:
    """Run seed_demo; without its past unless asked (test_demo_history.py seeds a short one)."""
    out = StringIO()
    options.setdefault("history_months", 0)
    call_command("seed_demo", *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def debug(settings: Any) -> None:
    settings.DEBUG = True


@pytest.fixture
def small_city(db: None, debug: None) -> str:
    return seed(households_per_building=SMALL)


def home_compound(username: str) -> Compound:
    return Compound.objects.get(buildings__households__memberships__user__username=username)


def test_seed_demo_is_idempotent(small_city: str) -> None:
    first = snapshot(*MODELS)
    with translation.override("en"):
        output = seed(households_per_building=SMALL)

    assert snapshot(*MODELS) == first
    assert first["grid.Compound"] == 12
    assert first["grid.Community"] == 3
    assert first["grid.District"] == 1
    assert "nothing, all there" in output


def test_seed_demo_prints_every_login_and_the_password(small_city: str) -> None:
    for username in EXPECTED_ROLES:
        assert f"\n{username} " in small_city
    assert django_settings.DEMO_PASSWORD in small_city


def test_each_demo_login_has_its_roles_profile_and_demo_password(small_city: str) -> None:
    users = User.objects.in_bulk(list(EXPECTED_ROLES), field_name="username")

    assert set(users) == set(EXPECTED_ROLES)
    for username, roles in EXPECTED_ROLES.items():
        user = users[username]
        assert user.role_codes == roles, username
        assert user.display_name, username
        assert user.title, username
        phone_validator(user.phone)
        assert user.check_password(django_settings.DEMO_PASSWORD), username
    assert users["admin"].is_superuser
    assert users["admin"].is_staff
    assert not any(user.is_superuser for name, user in users.items() if name != "admin")
    assert users["dept1"].department is not None
    assert users["dept1"].department.code == "REPAIR-BS"
    assert users["dept1"].department.kind == "repair_crew"


def test_resident1_lives_where_manager1_and_electrician1_serve(small_city: str) -> None:
    compound = home_compound("resident1")
    manager1 = User.objects.get(username="manager1")
    electrician1 = User.objects.get(username="electrician1")

    assert compounds_for(manager1, Purpose.SERVE).filter(pk=compound.pk).exists()
    assert compounds_for(electrician1, Purpose.SERVE).filter(pk=compound.pk).exists()
    assert compound.duty_shifts.filter(electrician=electrician1).count() == 5


def test_resident2_lives_where_only_manager2_and_electrician2_serve(small_city: str) -> None:
    compound = home_compound("resident2")
    servers = set(compound.assignments.values_list("user__username", "role"))

    assert servers == {
        ("manager2", RoleCode.CUSTOMER_MANAGER),
        ("electrician2", RoleCode.ELECTRICIAN),
    }
    for username in ["manager1", "electrician1", "electrician3", "staff1", "gridadmin1"]:
        user = User.objects.get(username=username)
        assert not compounds_for(user, Purpose.SERVE).filter(pk=compound.pk).exists(), username
    resident1 = User.objects.get(username="resident1")
    assert not own_households(resident1).filter(building__compound=compound).exists()


def test_manager1_serves_several_compounds_and_every_compound_has_one_manager(
    small_city: str,
) -> None:
    managers = (
        Compound.objects.filter(assignments__role=RoleCode.CUSTOMER_MANAGER)
        .annotate(managers=Count("assignments"))
        .values_list("code", "managers")
    )
    assert sorted(code for code, _n in managers) == sorted(c.code for c in Compound.objects.all())
    assert all(count == 1 for _code, count in managers)
    served = CompoundAssignment.objects.filter(role=RoleCode.CUSTOMER_MANAGER)
    assert served.filter(user__username="manager1").count() > 1
    assert served.filter(user__username="manager2").count() > 1
    assert served.count() == served.filter(user__username__in=["manager1", "manager2"]).count()


def test_electrician3_has_an_expired_certificate_the_others_valid_ones(small_city: str) -> None:
    today = timezone.localdate()

    def valid(username: str) -> bool:
        return any(
            c.is_valid_on(today) for c in Certificate.objects.filter(holder__username=username)
        )

    assert valid("electrician1")
    assert valid("electrician2")
    assert not valid("electrician3")
    assert Certificate.objects.filter(holder__username="electrician3").exists()
    electrician3 = User.objects.get(username="electrician3")
    manager1 = User.objects.get(username="manager1")
    assert (
        compounds_for(electrician3, Purpose.SERVE)
        .filter(pk__in=compounds_for(manager1, Purpose.SERVE))
        .exists()
    )


def test_scope_logins_gridadmin_supervisor(small_city: str) -> None:
    gridadmin = User.objects.get(username="gridadmin1")
    supervisor = User.objects.get(username="supervisor1")

    assert CommunityAssignment.objects.filter(user=gridadmin).count() == 2
    assert Community.objects.exclude(assignments__user=gridadmin).exists()
    assert DistrictAssignment.objects.get(user=supervisor).district.name == "蚌山区"


def test_duty_roster_covers_weekdays_of_each_compound_with_electricians(small_city: str) -> None:
    for compound in Compound.objects.filter(assignments__role=RoleCode.ELECTRICIAN).distinct():
        weekdays = set(compound.duty_shifts.values_list("weekday", flat=True))
        assert weekdays == {1, 2, 3, 4, 5}, compound.code
        on_duty = set(compound.duty_shifts.values_list("electrician_id", flat=True))
        assigned = set(
            compound.assignments.filter(role=RoleCode.ELECTRICIAN).values_list("user_id", flat=True)
        )
        assert on_duty == assigned, compound.code


def test_rerun_keeps_a_changed_password_unless_asked_to_reset(small_city: str) -> None:
    user = User.objects.get(username="manager1")
    user.set_password("a-new-secret-of-mine")
    user.save(update_fields=["password"])

    seed(households_per_building=SMALL)
    user.refresh_from_db()
    assert user.check_password("a-new-secret-of-mine")

    seed("--reset-passwords", households_per_building=SMALL)
    user.refresh_from_db()
    assert user.check_password(django_settings.DEMO_PASSWORD)


def test_rerun_restores_a_removed_assignment_but_keeps_edits(small_city: str) -> None:
    compound = home_compound("resident1")
    compound.name = "锦绣华庭（一期）"
    compound.save(update_fields=["name"])
    CompoundAssignment.objects.filter(compound=compound, user__username="electrician1").delete()

    seed(households_per_building=SMALL)

    compound.refresh_from_db()
    assert compound.name == "锦绣华庭（一期）"
    assert compound.assignments.filter(user__username="electrician1").exists()


def test_refused_when_debug_is_off(db: None, settings: Any) -> None:
    settings.DEBUG = False
    before = snapshot(*MODELS)

    with pytest.raises(CommandError, match="WUDIAN_DEBUG"):
        seed(households_per_building=SMALL)

    assert snapshot(*MODELS) == before
    assert not User.objects.filter(username__in=list(EXPECTED_ROLES)).exists()


def test_refuses_a_scale_below_one(db: None, debug: None) -> None:
    with pytest.raises(CommandError):
        seed("--households-per-building", "0")
    assert not Household.objects.exists()


def test_full_scale_city_is_realistic(db: None, debug: None) -> None:
    seed(households_per_building=SMALL)  # a smaller city grows into the full one
    seed()

    households = list(Household.objects.select_related("meter"))
    assert 2000 <= len(households) <= 5000
    assert len(households) == sum(spec.households for spec in demo.COMPOUNDS)
    assert len({h.account_no for h in households}) == len(households)
    for household in households:
        account_no_validator(household.account_no)
        assert len(household.account_no) == 10
        if household.phone:
            phone_validator(household.phone)
        assert household.meter.station_area_id == household.station_area_id
        assert household.address.startswith("蚌埠市蚌山区")
        assert 2 <= len(household.holder_name) <= 4
    assert sum(1 for h in households if h.phone) > 0.9 * len(households)
    assert len({h.holder_name for h in households}) > 500
    for area in StationArea.objects.prefetch_related("meters", "compounds"):
        supply = [m for m in area.meters.all() if m.role == Meter.Role.SUPPLY]
        assert len(supply) == 1, area.code
        assert supply[0].multiplier in {40, 80, 120, 160}
        assert area.compounds.exists()
    for compound in Compound.objects.all():
        compound.full_clean()
    assert Building.objects.filter(households__isnull=True).count() == 0


def test_seeded_certificates_follow_today(small_city: str) -> None:
    expired = Certificate.objects.get(holder__username="electrician3")
    assert expired.expires_on < timezone.localdate()
    assert expired.expires_on > timezone.localdate() - datetime.timedelta(days=365)


def test_demo_outages_reach_the_residents_of_their_compounds(small_city: str) -> None:
    resident1 = User.objects.get(username="resident1")
    resident2 = User.objects.get(username="resident2")

    mine = [outage.title for outage in outages_for_resident(resident1)]
    theirs = [outage.title for outage in outages_for_resident(resident2)]

    assert mine == ["锦绣华庭1号台区计划检修停电"]
    assert theirs == ["华府名苑1号台区计划检修停电"]
    restored = Outage.objects.get(kind=Outage.Kind.FAULT)
    assert restored.state == Outage.State.RESTORED


def test_the_seed_is_logged_as_the_system_and_a_rerun_logs_nothing(small_city: str) -> None:
    """The demo seed runs with the audit log on: what it sets is written down with no actor
    (the system), and a second run, changing nothing, writes nothing."""
    from auditlog.models import LogEntry

    special = LogEntry.objects.filter(
        content_type__app_label="grid", content_type__model="household"
    )
    assert special.count() == 1
    assert special.get().changes_dict == {"special_group": ["False", "True"]}
    assert LogEntry.objects.filter(content_type__model="user", changes__has_key="roles").exists()
    assert not LogEntry.objects.exclude(actor=None).exists()
    count = LogEntry.objects.count()
    seed(households_per_building=SMALL)
    assert LogEntry.objects.count() == count


def test_the_search_examples_find_something_in_the_demo(small_city: str) -> None:
    for username in (None, "resident1", "manager1"):
        client = Client()
        if username is not None:
            client.force_login(User.objects.get(username=username))
        body = client.get("/").content.decode()
        placeholder = body.split('placeholder="', 1)[1].split('"', 1)[0]
        examples = placeholder.removeprefix("例如：").split(" 或 ")
        assert len(examples) == (1 if username is None else 2)
        for example in examples:
            found = client.get("/", {"q": example}).content.decode()
            assert 'class="result-link"' in found, (username, example)


def test_seed_demo_prints_its_summary_in_the_users_language(small_city: str) -> None:
    # The first run, in the default language (zh-hans): what it created is named in Chinese.
    summary = small_city.splitlines()[0]
    assert summary.startswith("演示城市：12 个小区")
    assert "小区 12、" in summary
    assert "群通知端点 12" in summary
    assert not re.search(r"\b(Compound|Household|CircleEndpoint|User)\b", summary)


def test_seed_demo_gives_each_compound_a_circle_robot_on_the_development_gateway(
    small_city: str, settings: Any
) -> None:
    endpoints = CircleEndpoint.objects.select_related("compound")
    assert endpoints.count() == 12
    for endpoint in endpoints:
        assert endpoint.compound is not None
        assert endpoint.url == (
            f"{settings.DEV_GATEWAY_URL}circle/{endpoint.compound.code.lower()}/"
        )
