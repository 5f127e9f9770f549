"""The whole way through the API, as a phone app would go: a code, a token, a household bound
as its holder, another joined as a tenant on the property office's approval, and one left."""

from __future__ import annotations

import pytest
from django.test import Client

from wudian.conftest import City, api, post
from wudian.grid.models import HouseholdMembership
from wudian.joining.tests.conftest import code_sent_to
from wudian.notify.models import Channel, Message

pytestmark = pytest.mark.django_db
MOBILE = "15912345678"


def test_a_resident_registers_binds_applies_is_approved_and_leaves(city: City) -> None:
    anonymous = Client()
    assert post(anonymous, "/api/v1/join/code", {"phone": MOBILE}).status_code == 202
    token = post(
        anonymous, "/api/v1/join/token", {"phone": MOBILE, "code": code_sent_to(MOBILE)}
    ).json()["token"]
    me = Client(headers={"Authorization": f"Bearer {token}"})

    bound = post(
        me,
        "/api/v1/me/households/bind",
        {"account_no": city.north_home_2.account_no, "surname": "王", "phone_last4": "0002"},
    )
    assert bound.status_code == 201
    assert bound.json()["relation"] == "holder"

    filed = post(
        me,
        "/api/v1/me/households/applications",
        {
            "compound": "NORTH",
            "account_no": city.north_home.account_no,
            "relation": "tenant",
            "name": "赵小满",
            "note": "合租",
        },
    )
    assert filed.status_code == 201
    assert filed.json()["actions"] == ["withdraw"]
    queue = api(city.staff).get("/api/v1/joining/applications?state=pending").json()["items"]
    assert [(item["name"], item["matches"], item["actions"]) for item in queue] == [
        ("赵小满", True, ["approve", "reject"])
    ]
    approved = post(api(city.staff), f"/api/v1/joining/applications/{filed.json()['id']}/approve")
    assert approved.status_code == 200

    homes = {item["account_no"] for item in me.get("/api/v1/me/households").json()}
    assert homes == {city.north_home.account_no, city.north_home_2.account_no}
    assert Message.objects.filter(
        template="joining_application_decided", channel=Channel.SMS, address=MOBILE
    ).exists()
    # The holder of north_home was told that someone joined it.
    assert Message.objects.filter(template="joining_member_added", user=city.resident).exists()

    left = me.delete(f"/api/v1/me/households/{city.north_home_2.pk}")
    assert left.status_code == 204
    homes = {item["account_no"] for item in me.get("/api/v1/me/households").json()}
    assert homes == {city.north_home.account_no}
    relation = HouseholdMembership.objects.get(
        user__phone=MOBILE, household=city.north_home
    ).relation
    assert relation == "tenant"
