"""Open311 under odd input, property-based: whatever dates, sizes and characters a client sends,
the answer is a 4xx or a 200, never a 5xx; it is well-formed XML or JSON; and nothing public
carries a household's phone, account number or holder's name."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from wudian.conftest import City
from wudian.workorders.models import Channel, WorkOrder
from wudian.workorders.open311 import documents
from wudian.workorders.open311.keys import open311_key_issue

KEY = "property-test-key"
BOUNDED = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as clients send it: any printable character, control and format characters, CJK,
# full-width forms, emoji.
ODD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=300,
)
SEPARATORS = [
    "",
    " ",
    "-",
    ".",
    "/",
    " - ",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u3000",
    "．",
    "／",
    "－",
]


def parsed(response: Any, fmt: str) -> Any:
    assert response.status_code < 500, response.content[:500]
    if fmt == "xml":
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        return etree.fromstring(response.content)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def no_personal_data(text: str, city: City) -> None:
    for home in (city.north_home, city.north_home_2, city.south_home):
        for secret in (home.phone, home.account_no, home.holder_name):
            assert not secret or secret not in text, secret


@pytest.fixture
def key(city: City) -> str:
    open311_key_issue(name="性质测试", compounds=[city.north, city.south], key=KEY)
    return KEY


def w3c_texts() -> st.SearchStrategy[str]:
    """Date-times at any point of the calendar, in any offset and precision, and junk."""
    aware = st.datetimes(
        min_value=datetime.datetime(1, 1, 1),
        max_value=datetime.datetime(9999, 12, 31, 23, 59, 59),
        timezones=st.sampled_from(
            [
                datetime.UTC,
                datetime.timezone(datetime.timedelta(hours=14)),
                datetime.timezone(datetime.timedelta(hours=-12)),
                datetime.timezone(datetime.timedelta(hours=8)),
            ]
        ),
    )
    return st.one_of(
        aware.map(lambda at: at.isoformat()),
        aware.map(lambda at: at.date().isoformat()),
        aware.map(lambda at: at.strftime("%Y-%m")),
        aware.map(lambda at: at.replace(tzinfo=None).isoformat(timespec="seconds")),
        st.text(max_size=40),
    )


# The ends of the calendar, which once answered 500, are always among the examples.
@example(fmt="json", start="0001-01-01", end=None, status=None, codes=None, ids=None)
@example(fmt="xml", start="9999-12-31", end=None, status=None, codes=None, ids=None)
@example(fmt="json", start=None, end="0001-01-01T00:00:00+14:00", status=None, codes=None, ids=None)
@BOUNDED
@given(
    fmt=st.sampled_from(["json", "xml"]),
    start=st.one_of(st.none(), w3c_texts()),
    end=st.one_of(st.none(), w3c_texts()),
    status=st.one_of(st.none(), st.sampled_from(["open", "closed", "open,closed"]), ODD_TEXT),
    codes=st.one_of(st.none(), ODD_TEXT),
    ids=st.one_of(st.none(), st.text(alphabet="0123456789,- x", max_size=60)),
)
def test_any_request_filters_answer_a_document(
    client: Client,
    city: City,
    file_request: Any,
    fmt: str,
    start: str | None,
    end: str | None,
    status: str | None,
    codes: str | None,
    ids: str | None,
) -> None:
    if not WorkOrder.objects.exists():
        file_request(description=f"插座没电，电话{city.north_home.phone}", channel=Channel.OPEN311)
        file_request("billing_enquiry", description=f"户号{city.north_home.account_no}电费")
    query = {
        name: value.replace("\x00", "")
        for name, value in {
            "start_date": start,
            "end_date": end,
            "status": status,
            "service_code": codes,
            "service_request_id": ids,
        }.items()
        if value is not None
    }
    response = client.get(f"/open311/v2/requests.{fmt}", query)
    document = parsed(response, fmt)
    if response.status_code == 200:
        assert (document.tag if fmt == "xml" else "service_requests") == "service_requests"
    no_personal_data(response.content.decode("utf-8"), city)


@BOUNDED
@given(
    fmt=st.sampled_from(["json", "xml"]),
    description=ODD_TEXT,
    address_string=st.one_of(st.none(), ODD_TEXT),
    first_name=ODD_TEXT.map(lambda text: text[:40]),
    phone=st.one_of(st.none(), ODD_TEXT.map(lambda text: text[:30])),
    lat=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True).map(str)),
)
def test_any_filing_answers_a_document_and_publishes_nothing_personal(
    client: Client,
    city: City,
    key: str,
    fmt: str,
    description: str,
    address_string: str | None,
    first_name: str,
    phone: str | None,
    lat: str | None,
) -> None:
    data = {
        "api_key": key,
        "service_code": "hazard",
        "address_id": "NORTH" if address_string is None else "",
        "address_string": address_string or "",
        "description": f"{description}，联系{city.north_home.phone}",
        "first_name": first_name,
        "phone": phone or "",
        **({"lat": lat, "long": "117.3"} if lat is not None else {}),
    }
    data = {name: value.replace("\x00", "") for name, value in data.items()}
    response = client.post(f"/open311/v2/requests.{fmt}", data)
    document = parsed(response, fmt)
    if response.status_code != 200:
        return
    pk = (
        document[0]["service_request_id"]
        if fmt == "json"
        else int(document.findtext(".//service_request_id"))
    )
    for shown in ("json", "xml"):
        answer = client.get(f"/open311/v2/requests/{pk}.{shown}")
        parsed(answer, shown)
        no_personal_data(answer.content.decode("utf-8"), city)


@example(before="", after="", digits="13812345678", separators=["."] * 10, full_width=False)
@example(before="", after="", digits="13812345678", separators=["\u200b"] * 10, full_width=True)
@BOUNDED
@given(
    before=st.text(alphabet=st.characters(blacklist_categories=["Nd", "Cs"]), max_size=30),
    after=st.text(alphabet=st.characters(blacklist_categories=["Nd", "Cs"]), max_size=30),
    digits=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    separators=st.lists(st.sampled_from(SEPARATORS), min_size=10, max_size=10),
    full_width=st.booleans(),
)
def test_a_phone_number_is_masked_however_it_is_split(
    before: str, after: str, digits: str, separators: list[str], full_width: bool
) -> None:
    if full_width:
        digits = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    written = "".join(d + s for d, s in zip(digits, [*separators, ""], strict=True))
    masked = documents.redact(f"{before}{written}{after}")
    assert digits not in re.sub(r"\D", "", masked)
    assert digits[-9:-2] not in re.sub(r"\D", "", masked)
