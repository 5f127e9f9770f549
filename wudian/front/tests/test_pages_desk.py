"""/desk/: the staff workbench fits each role and shows only the user's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wudian.conftest import City, make_user, queries_of
from wudian.grid.models import Compound, CompoundAssignment


def desk(login: Any, user: Any) -> str:
    response = login(user).get("/desk/")
    assert response.status_code == 200
    return str(response.content.decode())


def test_anonymous_is_sent_to_login(client: Client, city: City) -> None:
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["resident", "outsider"])
def test_non_staff_are_sent_to_their_home_page(login: Any, city: City, who: str) -> None:
    response = login(getattr(city, who)).get("/desk/")
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_manager_sees_their_compounds_with_counts_and_duties(login: Any, city: City) -> None:
    body = desk(login, city.manager)
    assert "/desk/compounds/NORTH/" in body
    assert "/c/NORTH/" in body
    assert "SOUTH" not in body
    assert "南苑小区" not in body
    assert "<td>2</td>" in body  # households of 北苑小区
    assert 'id="duties"' in body
    assert 'id="certificate"' not in body
    assert 'id="managers"' not in body


def test_property_staff_sees_their_compound(login: Any, city: City) -> None:
    body = desk(login, city.staff)
    assert "/desk/compounds/NORTH/" in body
    assert "南苑小区" not in body


def test_certified_electrician_sees_valid_certificate(login: Any, city: City) -> None:
    body = desk(login, city.electrician)
    assert 'id="certificate"' in body
    assert "T1" in body
    assert "notice-success" in body
    assert "/desk/compounds/NORTH/" in body


def test_electrician_with_expired_certificate_is_warned(login: Any, city: City) -> None:
    body = desk(login, city.electrician_expired)
    assert "T3" in body
    assert "notice-error" in body
    assert "notice-success" not in body


def test_electrician_without_certificate_is_warned(login: Any, city: City) -> None:
    city.electrician.certificates.all().delete()
    body = desk(login, city.electrician)
    assert "notice-error" in body


def test_grid_admin_sees_their_communities_and_compounds(login: Any, city: City) -> None:
    body = desk(login, city.gridadmin)
    assert 'id="communities"' in body
    assert "涂山社区" in body
    assert "/desk/compounds/NORTH/" in body
    assert "/desk/compounds/SOUTH/" not in body


def test_supervisor_sees_every_compound_of_the_district_with_managers(
    login: Any, city: City
) -> None:
    body = desk(login, city.supervisor)
    assert 'id="districts"' in body
    assert "蚌山区" in body
    assert "/desk/compounds/NORTH/" in body
    assert "/desk/compounds/SOUTH/" in body
    assert 'id="managers"' in body
    assert "李经理" in body
    assert "赵经理" in body


def test_department_sees_department_and_district(login: Any, city: City) -> None:
    body = desk(login, city.dept)
    assert 'id="department"' in body
    assert "抢修班" in body
    assert "蚌山区" in body


def test_superuser_sees_admin_link_and_all_compounds(login: Any, city: City) -> None:
    body = desk(login, city.admin)
    assert 'href="/admin/"' in body
    assert "/desk/compounds/NORTH/" in body
    assert "/desk/compounds/SOUTH/" in body


def test_manager_of_many_compounds_is_counted_once_per_compound(login: Any, city: City) -> None:
    for i in range(3):
        compound = Compound.objects.create(
            community=city.community, code=f"EXTRA{i}", name=f"新苑{i}", address="路"
        )
        CompoundAssignment.objects.create(
            user=city.manager, compound=compound, role="customer_manager"
        )
    body = desk(login, city.supervisor)
    assert "<td>李经理</td><td>4</td>" in body


def test_desk_query_count_does_not_grow_with_compounds(login: Any, city: City) -> None:
    client = login(city.supervisor)
    baseline = queries_of(client, "/desk/")
    for i in range(10):
        compound = Compound.objects.create(
            community=city.community, code=f"MORE{i}", name=f"更多{i}", address="路"
        )
        manager = make_user(f"m{i}", "customer_manager")
        CompoundAssignment.objects.create(user=manager, compound=compound, role="customer_manager")
    assert queries_of(client, "/desk/") == baseline
