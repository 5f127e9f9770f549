"""Targets are edited in the admin: a target that cannot be used is refused with a message
and nothing is saved."""

from __future__ import annotations

import pytest
from django.test import Client

from wudian.conftest import City, snapshot
from wudian.metrics.models import Target

ADD = "/admin/metrics/target/add/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"metric": "business.online_rate", "value": "九十"}, "value"),
        ({"metric": "business.online_rate", "value": "120"}, "value"),
        ({"metric": "requests.rating_mean", "value": "7"}, "value"),
        ({"metric": "structure.compounds_per_manager", "value": "5"}, "metric"),
        ({"metric": "requests.nothing", "value": "5"}, "metric"),
    ],
)
def test_a_target_that_cannot_be_used_is_refused(
    client: Client, city: City, data: dict[str, str], field: str
) -> None:
    client.force_login(city.admin)
    before = snapshot(Target)
    answer = client.post(ADD, {**data, "note": ""})
    assert answer.status_code == 200  # the form again, with its errors
    assert field in answer.context["adminform"].form.errors
    assert snapshot(Target) == before


@pytest.mark.django_db
def test_one_scope_at_a_time_and_once_per_scope(client: Client, city: City) -> None:
    client.force_login(city.admin)
    before = snapshot(Target)
    both = {"metric": "business.online_rate", "value": "80", "note": ""}
    answer = client.post(ADD, {**both, "district": city.district.pk, "compound": city.north.pk})
    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors
    assert snapshot(Target) == before
    # The city-wide online-rate target is installed: a second one is refused.
    answer = client.post(ADD, both)
    assert answer.status_code == 200
    assert snapshot(Target) == before
    answer = client.post(ADD, {**both, "compound": city.north.pk})
    assert answer.status_code == 302
    assert Target.objects.get(metric="business.online_rate", compound=city.north).value == 80
