"""The role duty catalogue ("one list") comes from a data migration, in both languages."""

from __future__ import annotations

import importlib

from django.apps import apps as django_apps

from wudian.accounts.models import Duty, Role, RoleCode


def test_catalogue_has_all_roles_with_duties_in_both_languages(db: None) -> None:
    roles = {role.code: role for role in Role.objects.prefetch_related("duties")}

    assert set(roles) == set(RoleCode)
    for role in roles.values():
        assert all([role.name, role.name_en, role.summary, role.summary_en]), role.code
        duties = list(role.duties.all())
        assert len(duties) >= 4, role.code
        assert all(duty.text and duty.text_en for duty in duties), role.code
    assert roles[RoleCode.CUSTOMER_MANAGER].name == "网格化供电客户经理"
    assert roles[RoleCode.ELECTRICIAN].name == "小区物业电工"
    assert roles[RoleCode.GRID_ADMIN].name == "社区网格化管理员"


def test_catalogue_migration_fills_gaps_but_keeps_edits(db: None) -> None:
    migration = importlib.import_module("wudian.accounts.migrations.0003_role_catalogue")
    duties_before = Duty.objects.count()
    Role.objects.filter(code=RoleCode.RESIDENT).update(name="住户", summary_en="")
    Role.objects.filter(code=RoleCode.SUPERVISOR).delete()

    migration.load_catalogue(django_apps, None)
    migration.load_catalogue(django_apps, None)

    resident = Role.objects.get(code=RoleCode.RESIDENT)
    assert resident.name == "住户"
    assert resident.summary_en
    assert Role.objects.get(code=RoleCode.SUPERVISOR).duties.count() == 4
    assert Duty.objects.count() == duties_before  # supervisor's 4 came back, none duplicated
    assert Role.objects.count() == len(RoleCode)
