"""A family member's or tenant's application to join a household: filed whatever the account
number, decided by the compound's property office or customer manager, the applicant told
either way (in the app and by SMS)."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.accounts.models import User
from wudian.conftest import City, api, post, snapshot
from wudian.grid.models import HouseholdMembership
from wudian.joining import services
from wudian.joining.models import Application
from wudian.notify.models import Channel, Message

pytestmark = pytest.mark.django_db


def tenant(phone: str = "13712345678") -> User:
    user = User.objects.create_user(username=f"t{phone}", phone=phone)
    return user


def file(city: City, user: User, account_no: str | None = None, **changes: Any) -> Application:
    fields: dict[str, Any] = {
        "user": user,
        "compound": city.north,
        "account_no": account_no or city.north_home_2.account_no,
        "relation": "tenant",
        "name": "陈小明",
        "note": "租住102室",
    } | changes
    return services.application_file(**fields)


def test_an_application_reaches_the_compounds_manager_and_property_office(city: City) -> None:
    application = file(city, tenant())

    assert application.household == city.north_home_2
    told = set(
        Message.objects.filter(
            template="joining_application_staff", channel=Channel.INAPP
        ).values_list("user__username", flat=True)
    )
    assert told == {"manager", "staff"}


def test_property_staff_approve_and_the_applicant_joins_and_is_told(city: City, login: Any) -> None:
    user = tenant()
    application = file(city, user)
    client = login(city.staff)
    queue = client.get("/desk/joining/").content.decode()
    assert "陈小明" in queue
    assert "租住102室" in queue

    response = client.post(f"/desk/joining/{application.pk}/approve/")

    assert response.status_code == 302
    membership = HouseholdMembership.objects.get(user=user)
    assert (membership.household, membership.relation) == (city.north_home_2, "tenant")
    application.refresh_from_db()
    assert (application.state, application.decided_by) == ("approved", city.staff)
    channels = set(
        Message.objects.filter(template="joining_application_decided").values_list(
            "channel", flat=True
        )
    )
    assert channels == {Channel.INAPP, Channel.SMS}


def test_a_rejection_needs_a_reason_and_the_applicant_reads_it(city: City) -> None:
    user = tenant()
    application = file(city, user)
    empty = post(
        api(city.manager), f"/api/v1/joining/applications/{application.pk}/reject", {"reason": " "}
    )
    assert empty.status_code == 422

    response = post(
        api(city.manager),
        f"/api/v1/joining/applications/{application.pk}/reject",
        {"reason": "请携带租房合同到物业办理"},
    )

    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    mine = api(user).get("/api/v1/me/households/applications").json()
    assert mine["items"][0]["reason"] == "请携带租房合同到物业办理"
    assert not HouseholdMembership.objects.filter(user=user).exists()
    assert Message.objects.filter(
        template="joining_application_decided", user=user, channel=Channel.SMS
    ).exists()


def test_an_unknown_account_is_filed_alike_and_marked_for_the_staff_only(city: City) -> None:
    user = tenant()
    known = post(
        api(user),
        "/api/v1/me/households/applications",
        {
            "compound": "NORTH",
            "account_no": city.north_home_2.account_no,
            "relation": "family",
            "name": "陈小明",
        },
    )
    unknown = post(
        api(user),
        "/api/v1/me/households/applications",
        {
            "compound": "NORTH",
            "account_no": city.south_home.account_no,
            "relation": "family",
            "name": "陈小明",
        },
    )

    assert known.status_code == unknown.status_code == 201
    assert set(known.json()) == set(unknown.json())
    assert "matches" not in known.json()
    staff_view = {
        item["account_no"]: item["matches"]
        for item in api(city.staff).get("/api/v1/joining/applications").json()["items"]
    }
    assert staff_view == {city.north_home_2.account_no: True, city.south_home.account_no: False}
    # It cannot be approved: there is no household to join.
    unknown_id = unknown.json()["id"]
    refused = post(api(city.staff), f"/api/v1/joining/applications/{unknown_id}/approve")
    assert refused.status_code == 409
    assert not HouseholdMembership.objects.filter(user=user).exists()


def test_staff_of_another_compound_neither_see_nor_decide(city: City, login: Any) -> None:
    application = file(city, tenant())
    before = snapshot(application, HouseholdMembership)

    listed = api(city.manager_b).get("/api/v1/joining/applications").json()["items"]
    api_answer = post(api(city.manager_b), f"/api/v1/joining/applications/{application.pk}/approve")
    page_answer = login(city.manager_b).post(f"/desk/joining/{application.pk}/approve/")

    assert listed == []
    assert api_answer.status_code == page_answer.status_code == 404
    assert snapshot(application, HouseholdMembership) == before


@pytest.mark.parametrize("who", ["resident", "electrician", "gridadmin", "supervisor"])
def test_those_who_do_not_edit_households_may_not_decide(city: City, who: str) -> None:
    application = file(city, tenant())
    before = snapshot(application, HouseholdMembership)

    response = post(
        api(getattr(city, who)), f"/api/v1/joining/applications/{application.pk}/approve"
    )

    assert response.status_code == 403
    assert snapshot(application, HouseholdMembership) == before


def test_one_pending_application_per_account(city: City) -> None:
    user = tenant()
    file(city, user)

    with pytest.raises(services.WrongState):
        file(city, user)


def test_the_applicant_withdraws_and_it_can_no_longer_be_approved(city: City, login: Any) -> None:
    user = tenant()
    application = file(city, user)

    assert (
        login(user).post(f"/me/households/applications/{application.pk}/withdraw/").status_code
        == 302
    )
    response = post(api(city.staff), f"/api/v1/joining/applications/{application.pk}/approve")

    assert response.status_code == 409
    assert not HouseholdMembership.objects.filter(user=user).exists()


def test_another_residents_application_cannot_be_withdrawn(city: City, login: Any) -> None:
    application = file(city, tenant())
    before = snapshot(application)

    response = login(city.resident_b).post(
        f"/me/households/applications/{application.pk}/withdraw/"
    )

    assert response.status_code == 404
    assert snapshot(application) == before


def test_the_queue_and_its_api_take_the_same_queries_for_3_or_12_applications(
    city: City, login: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wudian.conftest import queries_of

    def counts() -> tuple[int, int]:
        page = queries_of(login(city.staff), "/desk/joining/")
        client = api(city.staff)
        client.get("/api/v1/me")  # a token's first use is written down
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/joining/applications").status_code == 200
        return page, len(captured)

    for n in range(3):
        file(city, tenant(f"1371234{n:04d}"))
    few = counts()
    for n in range(3, 12):
        file(city, tenant(f"1371234{n:04d}"))

    assert counts() == few


def test_only_assignments_that_count_decide(city: City) -> None:
    from wudian.accounts.models import Role
    from wudian.grid.scope import household_editors_of

    assert set(household_editors_of(city.north.pk)) == {city.manager, city.staff}
    city.staff.is_active = False
    city.staff.save(update_fields=["is_active"])
    city.manager.roles.remove(Role.objects.get(code="customer_manager"))

    assert list(household_editors_of(city.north.pk)) == []
    application = file(city, tenant())
    response = post(api(city.manager), f"/api/v1/joining/applications/{application.pk}/approve")
    assert response.status_code == 403
