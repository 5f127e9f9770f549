"""/duties/: the one list of every role's duties, in both languages."""

from __future__ import annotations

from django.test import Client

from wudian.accounts.models import Duty, Role, RoleCode
from wudian.conftest import City


def test_duties_lists_every_role_with_its_duties(client: Client, city: City) -> None:
    role = Role.objects.get(code=RoleCode.CUSTOMER_MANAGER)
    Duty.objects.create(role=role, text="发布停电信息测试", text_en="Publish outage test")
    response = client.get("/duties/")
    assert response.status_code == 200
    body = response.content.decode()
    for each in Role.objects.all():
        assert f'id="role-{each.code}"' in body
    assert "发布停电信息测试" in body


def test_duties_switch_language(client: Client, city: City) -> None:
    role = Role.objects.get(code=RoleCode.ELECTRICIAN)
    role.name, role.name_en = "小区物业电工", "Property electrician"
    role.save(update_fields=["name", "name_en"])
    Duty.objects.create(role=role, text="持证处理表后故障测试", text_en="Fix faults test")
    client.cookies["django_language"] = "en"
    body = client.get("/duties/").content.decode()
    assert "Fix faults test" in body
    assert "持证处理表后故障测试" not in body


def test_duties_query_count_does_not_grow_with_roles(
    client: Client, city: City, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(2):  # type: ignore[operator]
        client.get("/duties/")
