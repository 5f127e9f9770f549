"""What the JSON API does with input it cannot use: pages and offsets beyond the ceiling are
refused with 422; a body that is not usable JSON (invalid, NaN or Infinity, an unpaired
surrogate) with 400; text holding a NUL character with 422, on SQLite as on PostgreSQL.
Never a 500, and nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wudian.conftest import City, api, post, snapshot, zh
from wudian.core.api import MAX_OFFSET, MAX_PAGE
from wudian.workorders.models import Category, Channel, WorkOrder
from wudian.workorders.services import workorder_create

HUGE = "99999999999999999999999"


@pytest.fixture
def workorder(city: City) -> WorkOrder:
    return workorder_create(
        category=Category.objects.get(code="fault_behind_meter"),
        description="卫生间插座没有电",
        channel=Channel.WEB,
        by=city.resident,
        household=city.north_home,
    )


def refused_fields(response: Any) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["errors"]]


# Pagination ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/households", "/api/v1/workorders", "/api/v1/outages"])
@pytest.mark.parametrize("page", [HUGE, str(MAX_PAGE + 1)])
def test_a_page_beyond_the_ceiling_is_refused_with_422(city: City, path: str, page: str) -> None:
    response = api(city.manager).get(path, {"page": page})
    assert response.status_code == 422
    assert response.json()["detail"] == zh("The request is not valid.")
    assert ["query", "page"] in refused_fields(response)


@pytest.mark.parametrize("path", ["/api/v1/households", "/api/v1/workorders", "/api/v1/outages"])
def test_the_last_page_allowed_answers_an_empty_page(city: City, path: str) -> None:
    response = api(city.manager).get(path, {"page": MAX_PAGE})
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    "query",
    [{"offset": HUGE}, {"offset": MAX_OFFSET + 1}, {"limit": HUGE}, {"limit": 101}],
)
def test_an_offset_or_limit_beyond_the_ceiling_is_refused_with_422(
    city: City, query: dict[str, Any]
) -> None:
    response = api(city.resident).get("/api/v1/me/messages", query)
    assert response.status_code == 422
    assert [["query", *query]] == refused_fields(response)


def test_the_largest_offset_allowed_answers_an_empty_list(city: City) -> None:
    response = api(city.resident).get("/api/v1/me/messages", {"offset": MAX_OFFSET})
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("ids", [[2**63], [-(2**100)], [0], list(range(1, 502))])
def test_ids_beyond_what_a_row_can_have_are_refused_with_422(city: City, ids: list[int]) -> None:
    response = post(api(city.resident), "/api/v1/me/messages/read", {"ids": ids})
    assert response.status_code == 422
    assert refused_fields(response)[0][:2] == ["body", "ids"]


# Bodies -------------------------------------------------------------------------------------


def send_raw(client: Client, url: str, body: str | bytes) -> Any:
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"note": ', "The request body is not valid JSON."),
        ("note=x", "The request body is not valid JSON."),
        (b'{"note": "\xff"}', "The request body is not UTF-8 text."),
        ('{"note": "\\ud800"}', "The request body contains an unpaired surrogate"),
        ('{"note": "a\\udfffb"}', "The request body contains an unpaired surrogate"),
        ('{"note": "x", "n": NaN}', "The request body contains NaN, which JSON does not allow."),
        ('{"note": "x", "n": -Infinity}', "-Infinity, which JSON does not allow."),
        ('{"note": "x", "n": 1e400}', "The request body contains a number too large to use"),
        ('{"note": ' + "[" * 900 + "]" * 900 + "}", "The request body is nested too deeply."),
        ('{"note": ' + "[" * 5000 + "]" * 5000 + "}", "The request body is nested too deeply."),
    ],
)
def test_a_body_that_is_not_usable_json_is_refused_with_400(
    city: City, workorder: WorkOrder, body: str | bytes, message: str
) -> None:
    before = snapshot(workorder)
    url = f"/api/v1/workorders/{workorder.pk}/actions/comment"
    response = send_raw(api(city.resident), url, body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    # The message is said in Simplified Chinese (the English msgid is not what is shown).
    assert message not in detail
    with_english = send_raw(api(city.resident, "en"), url, body).json()["detail"]
    assert message in with_english
    assert snapshot(workorder) == before


def test_a_lone_surrogate_in_a_new_request_saves_nothing(city: City) -> None:
    before = snapshot(WorkOrder)
    body = (
        f'{{"category": "fault_behind_meter", "household_id": {city.north_home.pk}, '
        '"description": "\\ud800"}'
    )
    assert send_raw(api(city.resident), "/api/v1/workorders", body).status_code == 400
    assert snapshot(WorkOrder) == before


@pytest.mark.parametrize(
    ("url", "data", "loc"),
    [
        ("comment", {"note": "插座\x00没电"}, ["body", "note"]),
        ("cancel", {"reason": "\x00"}, ["body", "reason"]),
    ],
)
def test_a_nul_character_in_text_is_refused_with_422(
    city: City, workorder: WorkOrder, url: str, data: dict[str, Any], loc: list[str]
) -> None:
    before = snapshot(workorder)
    response = post(api(city.resident), f"/api/v1/workorders/{workorder.pk}/actions/{url}", data)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc
    assert response.json()["errors"][0]["type"] == "string_nul"
    assert snapshot(workorder) == before


def test_a_nul_character_in_a_nested_field_names_where(city: City) -> None:
    response = post(
        api(city.manager), "/api/v1/outages/preview", {"compounds": ["NORTH", "SO\x00UTH"]}
    )
    assert response.status_code == 422
    assert refused_fields(response) == [["body", "compounds", 1]]


def test_a_nul_character_in_a_household_phone_is_refused(city: City) -> None:
    before = snapshot(city.north_home)
    response = api(city.manager).patch(
        f"/api/v1/households/{city.north_home.pk}",
        '{"holder_name": "王\\u0000建国"}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert snapshot(city.north_home) == before


@pytest.mark.parametrize(
    "path",
    ["/api/v1/households?q=10%00", "/api/v1/workorders?compound=%00", "/api/v1/outages?kind=%00"],
)
def test_a_nul_character_in_a_query_is_refused_with_422(city: City, path: str) -> None:
    response = api(city.manager).get(path)
    assert response.status_code == 422
    assert refused_fields(response)[0][0] == "query"


def test_a_refused_field_does_not_echo_what_was_sent(db: None, client: Client) -> None:
    """A 422 names the field and why, never its value (here, a password)."""
    secret = "x" * 5000
    response = post(client, "/api/v1/auth/token", {"username": "a", "password": secret})
    assert response.status_code == 422
    assert secret not in response.content.decode()
    assert set(response.json()["errors"][0]) == {"loc", "msg", "type"}


# Authentication -----------------------------------------------------------------------------


def test_401_carries_a_bearer_challenge(db: None, client: Client) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    refused = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
