"""The admin of the grid and of certificates: every page opens, search and filters work."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from wudian.accounts.models import Certificate
from wudian.conftest import City
from wudian.grid import models as grid

GRID_MODELS = [
    grid.District,
    grid.Street,
    grid.Community,
    grid.PropertyCompany,
    grid.Compound,
    grid.Building,
    grid.Household,
    grid.Feeder,
    grid.StationArea,
    grid.Meter,
    grid.CompoundAssignment,
    grid.CommunityAssignment,
    grid.DistrictAssignment,
    grid.HouseholdMembership,
    grid.DutyShift,
    Certificate,
]


@pytest.mark.parametrize("model", GRID_MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_searchable_admin(login: Any, city: City, model: Any) -> None:
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields
    assert model_admin.list_display
    opts = model._meta
    client = login(city.admin)
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "北苑"}).status_code == 200
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200


def test_compound_change_page_has_inlines(login: Any, city: City) -> None:
    response = login(city.admin).get(reverse("admin:grid_compound_change", args=[city.north.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "buildings-TOTAL_FORMS" in body
    assert "assignments-TOTAL_FORMS" in body
    assert "duty_shifts-TOTAL_FORMS" in body


def test_household_search_by_account_number(login: Any, city: City) -> None:
    response = login(city.admin).get(
        reverse("admin:grid_household_changelist"), {"q": city.south_home.account_no}
    )
    body = response.content.decode()
    assert city.south_home.account_no in body
    assert city.north_home.account_no not in body


@pytest.mark.parametrize(
    ("validity", "shown", "hidden"), [("valid", "T1", "T3"), ("expired", "T3", "T1")]
)
def test_certificate_validity_filter(
    login: Any, city: City, validity: str, shown: str, hidden: str
) -> None:
    response = login(city.admin).get(
        reverse("admin:accounts_certificate_changelist"), {"validity": validity}
    )
    body = response.content.decode()
    assert f">{shown}<" in body
    assert f">{hidden}<" not in body


def test_staff_without_superuser_cannot_open_the_grid_admin(login: Any, city: City) -> None:
    response = login(city.manager).get(reverse("admin:grid_household_changelist"))
    assert response.status_code == 302
