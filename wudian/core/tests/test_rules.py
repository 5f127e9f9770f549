"""Service rules: defaults, the administrator's values, and how long a process keeps them."""

from __future__ import annotations

from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse

from wudian.conftest import City
from wudian.core import kept
from wudian.core.models import ServiceRule
from wudian.core.rule_catalogue import RULES
from wudian.core.rules import rule_value

KEY = "workorder.autoclose_days"

pytestmark = pytest.mark.django_db


def test_the_data_migration_gives_every_rule_a_row_at_its_default() -> None:
    ServiceRule.objects.all().delete()

    for migration in (
        "0003_service_rule_defaults",
        "0004_fieldwork_rule_defaults",
        "0005_arrears_rule_default",
    ):
        import_module(f"wudian.core.migrations.{migration}").seed_rules(apps, None)

    stored = dict(ServiceRule.objects.values_list("key", "value"))
    assert stored == {key: rule.default for key, rule in RULES.items()}


def test_a_rule_without_a_row_has_its_default() -> None:
    ServiceRule.objects.filter(key=KEY).delete()
    assert rule_value(KEY) == RULES[KEY].default


def test_the_rules_are_read_once_and_then_kept(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        rule_value(KEY)
        rule_value("notify.quiet_start_hour")
    with django_assert_num_queries(0):
        rule_value(KEY)


def test_a_saved_rule_counts_at_once_in_the_process_that_saved_it() -> None:
    ServiceRule.objects.filter(key=KEY).delete()
    rule_value(KEY)

    rule = ServiceRule.objects.create(key=KEY, value=Decimal(3))
    assert rule_value(KEY) == 3

    rule.value = Decimal(4)
    rule.save(update_fields=["value"])
    assert rule_value(KEY) == 4

    rule.delete()
    assert rule_value(KEY) == RULES[KEY].default


def test_a_change_made_elsewhere_counts_once_the_kept_copy_is_old(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock[0])
    assert rule_value(KEY) == RULES[KEY].default

    # Another process's change: a plain UPDATE this process is not told of.
    ServiceRule.objects.filter(key=KEY).update(value=Decimal(2))
    clock[0] += kept.CACHE_SECONDS - 1
    assert rule_value(KEY) == RULES[KEY].default

    clock[0] += 2
    assert rule_value(KEY) == 2


def test_the_admin_bulk_delete_restores_the_default(login: Any, city: City) -> None:
    rule, _created = ServiceRule.objects.update_or_create(key=KEY, defaults={"value": 3})
    assert rule_value(KEY) == 3

    response = login(city.admin).post(
        reverse("admin:core_servicerule_changelist"),
        {"action": "delete_selected", "_selected_action": [rule.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not ServiceRule.objects.filter(key=KEY).exists()
    assert rule_value(KEY) == RULES[KEY].default
