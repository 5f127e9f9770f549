"""Civic work in the admin: every list opens and searches; nothing is added, changed or
deleted there."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from wudian.civic.models import Activity, Appeal, SignUp, Visit
from wudian.conftest import City

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Visit, Appeal, Activity], ids=lambda m: m.__name__)
def test_the_admin_lists_and_refuses_changes(
    login: Any, city: City, visit: Visit, activity: Activity, model: Any
) -> None:
    client = login(city.admin)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "北苑"}).status_code == 200
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {}).status_code == 403
    assert SignUp.objects.count() == 0
