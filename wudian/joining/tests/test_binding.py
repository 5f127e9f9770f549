"""Binding a household as its holder with the holder's surname and the last 4 digits of the
holder's phone on record; a wrong check and an unknown account number are refused alike,
every check is recorded and too many wrong ones lock; leaving a household."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from wudian.conftest import City, api, post, snapshot, zh
from wudian.grid.models import HouseholdMembership
from wudian.joining import services
from wudian.joining.models import BindingCheck

pytestmark = pytest.mark.django_db


def bind(client: Client, account_no: str, surname: str = "王", last4: str = "0002") -> Any:
    return client.post(
        "/me/households/bind/",
        {"account_no": account_no, "surname": surname, "phone_last4": last4},
    )


def test_the_holder_binds_a_household_at_once(city: City, login: Any) -> None:
    client = login(city.resident)

    response = bind(client, city.north_home_2.account_no)

    assert response.status_code == 302
    membership = HouseholdMembership.objects.get(user=city.resident, household=city.north_home_2)
    assert membership.relation == HouseholdMembership.Relation.HOLDER
    page = client.get("/me/households/").content.decode()
    assert city.north_home_2.account_no in page
    assert city.north_home.account_no in page
    check = BindingCheck.objects.get()
    assert (check.passed, check.account_no) == (True, city.north_home_2.account_no)


def test_a_wrong_check_and_an_unknown_account_get_the_same_answer_and_bind_nothing(
    city: City, login: Any
) -> None:
    client = login(city.resident_b)
    before = snapshot(HouseholdMembership)

    wrong_surname = bind(client, city.north_home_2.account_no, surname="李")
    wrong_digits = bind(client, city.north_home_2.account_no, last4="9999")
    unknown = bind(client, "3499999999")

    assert wrong_surname.status_code == wrong_digits.status_code == unknown.status_code == 422
    with translation.override("en"):
        expected = zh(str(services.CHECK_FAILED))
    answers = [
        (r.context["refusal"], dict(r.context["bind_form"].errors))
        for r in (wrong_surname, wrong_digits, unknown)
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][1]["__all__"] == [expected]
    assert "不一致" in expected
    assert snapshot(HouseholdMembership) == before
    assert list(BindingCheck.objects.values_list("passed", flat=True)) == [False] * 3


def test_a_household_without_a_phone_on_record_cannot_be_bound_by_check(
    city: City, login: Any
) -> None:
    city.north_home_2.phone = ""
    city.north_home_2.save(update_fields=["phone"])

    response = bind(login(city.resident_b), city.north_home_2.account_no, last4="")

    assert response.status_code == 422
    assert (
        not HouseholdMembership.objects.filter(user=city.resident_b)
        .exclude(household=city.south_home)
        .exists()
    )


def test_five_wrong_checks_lock_that_account_for_the_user(city: City) -> None:
    client = api(city.resident_b)
    account = city.north_home_2.account_no
    for _n in range(services.WRONG_CHECKS_PER_PAIR):
        response = post(
            client,
            "/api/v1/me/households/bind",
            {"account_no": account, "surname": "王", "phone_last4": "1111"},
        )
        assert response.status_code == 422

    # Locked now, even with the right answer, and the refused try is not checked.
    locked = post(
        client,
        "/api/v1/me/households/bind",
        {"account_no": account, "surname": "王", "phone_last4": "0002"},
    )

    assert locked.status_code == 429
    assert 3500 <= int(locked["Retry-After"]) <= 3601
    assert "错误次数过多" in locked.json()["detail"]
    assert not HouseholdMembership.objects.filter(
        user=city.resident_b, household=city.north_home_2
    ).exists()
    assert BindingCheck.objects.count() == services.WRONG_CHECKS_PER_PAIR
    # Another account of the user is still open to one check.
    other = post(
        client,
        "/api/v1/me/households/bind",
        {"account_no": city.north_home.account_no, "surname": "王", "phone_last4": "0001"},
    )
    assert other.status_code == 201


def test_the_lock_ends_an_hour_after_the_wrong_checks(city: City) -> None:
    an_hour_ago = timezone.now() - datetime.timedelta(minutes=61)
    for _n in range(services.WRONG_CHECKS_PER_PAIR):
        BindingCheck.objects.create(
            user=city.resident_b, account_no=city.north_home_2.account_no, at=an_hour_ago
        )

    membership = services.household_bind(
        user=city.resident_b,
        account_no=city.north_home_2.account_no,
        surname="王",
        phone_last4="0002",
    )

    assert membership.household == city.north_home_2


def test_many_wrong_checks_over_many_accounts_lock_the_user(city: City) -> None:
    for n in range(services.WRONG_CHECKS_PER_USER):
        with pytest.raises(services.BadInput):
            services.household_bind(
                user=city.resident_b,
                account_no=f"35000000{n:02d}",
                surname="王",
                phone_last4="0000",
            )

    with pytest.raises(services.Throttled):
        services.household_bind(
            user=city.resident_b,
            account_no=city.north_home_2.account_no,
            surname="王",
            phone_last4="0002",
        )


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("account_no", {"account_no": "12ab", "surname": "王", "phone_last4": "0002"}),
        ("surname", {"account_no": "3400000002", "surname": " ", "phone_last4": "0002"}),
        ("phone_last4", {"account_no": "3400000002", "surname": "王", "phone_last4": "00a2"}),
    ],
)
def test_malformed_input_is_refused_by_field_and_not_counted(
    city: City, field: str, data: dict[str, str]
) -> None:
    response = post(api(city.resident_b), "/api/v1/me/households/bind", data)

    assert response.status_code == 422
    assert field in {error["loc"][-1] for error in response.json()["errors"]}
    assert not BindingCheck.objects.exists()


def test_a_resident_leaves_one_household_and_keeps_the_other(city: City, login: Any) -> None:
    HouseholdMembership.objects.create(user=city.resident, household=city.north_home_2)
    client = login(city.resident)

    response = client.post(f"/me/households/{city.north_home.pk}/leave/")

    assert response.status_code == 302
    assert list(
        HouseholdMembership.objects.filter(user=city.resident).values_list("household", flat=True)
    ) == [city.north_home_2.pk]
    city.north_home.refresh_from_db()
    assert city.north_home.holder_name == "王建国"


def test_leaving_a_household_that_is_not_ones_own_is_404(city: City) -> None:
    before = snapshot(HouseholdMembership)

    response = api(city.resident_b).delete(f"/api/v1/me/households/{city.north_home.pk}")

    assert response.status_code == 404
    assert snapshot(HouseholdMembership) == before


def test_the_binding_page_shows_no_special_group_status_nor_others_contacts(
    city: City, login: Any
) -> None:
    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])

    page = login(city.resident).get("/me/households/").content.decode()

    assert "特殊" not in page
    assert city.north_home_2.phone not in page


def test_the_households_other_members_are_told_when_someone_binds_it(city: City) -> None:
    from wudian.notify.models import Message

    city.resident_b.phone = "13712345678"
    city.resident_b.save(update_fields=["phone"])

    services.household_bind(
        user=city.resident_b,
        account_no=city.north_home.account_no,
        surname="王",
        phone_last4="0001",
    )

    told = Message.objects.get(template="joining_member_added", channel="inapp")
    assert told.user == city.resident
    assert told.context["phone"] == "137****5678"
    assert not Message.objects.filter(
        template="joining_member_added", user=city.resident_b
    ).exists()
