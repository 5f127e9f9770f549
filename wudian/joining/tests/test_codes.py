"""Logging in and registering with a phone and a one-time code: the code goes through the
outbox as an urgent SMS, only its digest is kept, it expires and dies after a few wrong
attempts; sending and checking are throttled (429 with Retry-After); the first good code
makes the resident's account."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wudian.accounts.models import RoleCode, User
from wudian.conftest import City, post, snapshot
from wudian.joining import services
from wudian.joining.models import PhoneCode
from wudian.joining.tests.conftest import code_sent_to, codes_sent_to, log_in_with_code
from wudian.notify.models import Channel, Message

PHONE = "13912345678"
pytestmark = pytest.mark.django_db


def test_a_code_is_an_urgent_sms_through_the_outbox_and_only_its_digest_is_kept(
    city: City,
) -> None:
    services.code_send(phone="139 1234 5678", client="10.0.0.1")

    message = Message.objects.get(template="joining_code")
    assert (message.channel, message.address, message.urgent) == (Channel.SMS, PHONE, True)
    assert message.user_id is None
    code = message.context["code"]
    assert len(code) == 6
    assert code.isdigit()
    row = PhoneCode.objects.get(phone=PHONE)
    assert code not in row.digest
    assert len(row.digest) == 64
    assert row.expires_at - row.sent_at == datetime.timedelta(minutes=10)


def test_first_good_code_makes_a_resident_account_and_logs_in(city: City, client: Client) -> None:
    assert client.post("/join/", {"phone": PHONE}).status_code == 302
    code = code_sent_to(PHONE)
    response = client.post("/join/code/", {"code": code}, follow=True)

    assert response.redirect_chain[-1][0] == "/me/households/"
    user = User.objects.get(phone=PHONE)
    assert user.role_codes == {RoleCode.RESIDENT}
    assert not user.has_usable_password()
    assert response.context["user"] == user
    assert PHONE not in user.username
    # Without a password, the menu offers none to change.
    assert "/accounts/password/" not in response.content.decode()
    # The code is used: entering it again is refused.
    client.logout()
    with pytest.raises(services.BadInput):
        services.code_verify(phone=PHONE, code=code, client="x")
    # And the outbox no longer holds it.
    assert code_sent_to(PHONE) == "******"


def test_a_replaced_codes_message_is_cancelled_if_unsent_and_forgotten(city: City) -> None:
    services.code_send(phone=PHONE, client="10.0.0.1")
    first = Message.objects.get(template="joining_code")
    Message.objects.filter(pk=first.pk).update(state=Message.State.PENDING)
    from django.core.cache import cache

    cache.clear()  # past the one-a-minute gap

    services.code_send(phone=PHONE, client="10.0.0.1")

    first.refresh_from_db()
    assert first.state == Message.State.CANCELLED
    assert first.context["code"] == "******"
    assert code_sent_to(PHONE) != "******"


def test_a_known_resident_logs_in_with_a_code_and_no_second_account_is_made(
    city: City, client: Client
) -> None:
    city.resident.phone = PHONE
    city.resident.save(update_fields=["phone"])

    response = log_in_with_code(client, PHONE)

    assert response.context["user"] == city.resident
    assert User.objects.filter(phone=PHONE).count() == 1


def test_a_staff_member_with_the_same_work_phone_is_not_logged_in_by_code(
    city: City, client: Client
) -> None:
    response = log_in_with_code(client, city.manager.phone)

    assert response.context["user"] != city.manager
    assert response.context["user"].role_codes == {RoleCode.RESIDENT}


def test_sending_says_the_same_for_a_known_and_an_unknown_phone(city: City) -> None:
    city.resident.phone = PHONE
    city.resident.save(update_fields=["phone"])
    known = post(Client(), "/api/v1/join/code", {"phone": PHONE})
    unknown = post(Client(REMOTE_ADDR="10.0.0.2"), "/api/v1/join/code", {"phone": "13700000000"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()


@pytest.mark.parametrize(
    "phone", ["1381234567", "12812345678", "138123456789", "0552-3012345", "abc"]
)
def test_a_number_that_is_not_a_mainland_mobile_is_refused(
    city: City, client: Client, phone: str
) -> None:
    before = snapshot(PhoneCode)

    response = client.post("/join/", {"phone": phone})

    assert response.status_code == 422
    assert "11" in response.content.decode()
    assert snapshot(PhoneCode) == before


def test_a_wrong_code_is_refused_and_counted_until_the_code_dies(
    city: City, client: Client
) -> None:
    client.post("/join/", {"phone": PHONE})
    good = code_sent_to(PHONE)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        response = client.post("/join/code/", {"code": wrong})
        assert response.status_code == 422
        assert f"还可以尝试 {left} 次" in response.content.decode()
    response = client.post("/join/code/", {"code": wrong})
    assert "不能再使用" in response.content.decode()

    # Even the right code no longer works: a new one must be asked for.
    response = client.post("/join/code/", {"code": good})
    assert response.status_code == 422
    assert "尝试次数过多" in response.content.decode()
    assert not User.objects.filter(phone=PHONE).exists()
    assert "_auth_user_id" not in client.session


def test_an_expired_code_is_refused(city: City) -> None:
    sent = timezone.now() - datetime.timedelta(minutes=11)
    services.code_send(phone=PHONE, client="10.0.0.1", now=sent)

    with pytest.raises(services.BadInput) as refused:
        services.code_verify(phone=PHONE, code=code_sent_to(PHONE), client="10.0.0.1")

    assert "过期" in " ".join(refused.value.messages)
    assert not User.objects.filter(phone=PHONE).exists()


def test_a_new_code_replaces_the_old_one(city: City, settings: Any) -> None:
    services.code_send(phone=PHONE, client="10.0.0.1")
    first = code_sent_to(PHONE)
    PhoneCode.objects.filter(phone=PHONE).update(sent_at=timezone.now())
    # Past the one-a-minute gap.
    from django.core.cache import cache

    cache.clear()
    services.code_send(phone=PHONE, client="10.0.0.1")
    second = code_sent_to(PHONE)

    if first != second:
        with pytest.raises(services.BadInput):
            services.code_verify(phone=PHONE, code=first, client="10.0.0.1")
    assert services.code_verify(phone=PHONE, code=second, client="10.0.0.1").created


def test_asking_for_codes_too_often_is_429_with_retry_after(city: City, client: Client) -> None:
    assert client.post("/join/", {"phone": PHONE}).status_code == 302

    again = client.post("/join/", {"phone": PHONE})

    assert again.status_code == 429
    assert 1 <= int(again["Retry-After"]) <= 60
    assert "验证码刚刚已发送" in again.content.decode()
    assert codes_sent_to(PHONE) == 1


def test_one_client_asking_codes_for_many_phones_is_throttled(city: City) -> None:
    client = Client(REMOTE_ADDR="10.9.9.9")
    statuses = [
        post(client, "/api/v1/join/code", {"phone": f"1370000{n:04d}"}).status_code
        for n in range(services.CODES_PER_CLIENT_PER_HOUR + 1)
    ]

    assert statuses[:-1] == [202] * services.CODES_PER_CLIENT_PER_HOUR
    assert statuses[-1] == 429
    assert Message.objects.filter(template="joining_code").count() == (
        services.CODES_PER_CLIENT_PER_HOUR
    )


def test_one_client_trying_codes_too_often_is_throttled(city: City) -> None:
    client = Client(REMOTE_ADDR="10.8.8.8")
    statuses = {
        post(client, "/api/v1/join/token", {"phone": PHONE, "code": "000000"}).status_code
        for _n in range(services.VERIFIES_PER_CLIENT_PER_HOUR)
    }
    last = post(client, "/api/v1/join/token", {"phone": PHONE, "code": "000000"})

    assert statuses == {422}
    assert last.status_code == 429
    assert int(last["Retry-After"]) > 0
    assert "尝试验证码次数过多" in last.json()["detail"]


def test_the_api_gives_a_bearer_token_for_a_good_code(city: City) -> None:
    client = Client()
    assert post(client, "/api/v1/join/code", {"phone": PHONE}).status_code == 202

    response = post(
        client, "/api/v1/join/token", {"phone": PHONE, "code": code_sent_to(PHONE), "name": "手机"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["created"] is True
    me = Client(headers={"Authorization": f"Bearer {body['token']}"}).get("/api/v1/me")
    assert me.status_code == 200
    assert json.loads(me.content)["username"] == User.objects.get(phone=PHONE).username


def test_the_login_page_offers_the_code_to_residents(city: City, client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()

    assert 'href="/join/"' in page
