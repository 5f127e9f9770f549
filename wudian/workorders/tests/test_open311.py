"""Open311 GeoReport v2: discovery, services, filing with an API key, following requests."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from wudian.conftest import City, snapshot
from wudian.workorders.models import Category, Channel, Open311Key, WorkOrder
from wudian.workorders.open311 import documents, views
from wudian.workorders.open311.keys import open311_key_issue
from wudian.workorders.services import (
    Location,
    workorder_accept,
    workorder_cancel,
    workorder_create,
    workorder_resolve,
)
from wudian.workorders.tests.conftest import FILED

KEY = "test-open311-key"
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
def api_key(city: City) -> Open311Key:
    key, _secret = open311_key_issue(
        name="演示客户端",
        organisation="涂山社区居委会",
        compounds=[city.north, city.south],
        key=KEY,
    )
    return key


def xml(response: Any) -> Any:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return etree.fromstring(response.content)


def body(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def file(
    client: Client,
    fmt: str = "json",
    *,
    language: str | None = None,
    headers: dict[str, str] | None = None,
    path_query: str = "",
    **fields: Any,
) -> Any:
    data = {
        "api_key": KEY,
        "service_code": "fault_behind_meter",
        "description": "卫生间插座没有电",
        **fields,
    }
    data = {name: value for name, value in data.items() if value is not None}
    headers = {**({"accept-language": language} if language else {}), **(headers or {})}
    return client.post(f"/open311/v2/requests.{fmt}{path_query}", data, headers=headers)


# Discovery -----------------------------------------------------------------------------------


def test_discovery_names_the_v2_endpoint_in_both_formats(
    db: None, client: Client, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["open311.example.cn"]
    response = client.get("/open311/discovery.json", HTTP_HOST="open311.example.cn")
    assert response.status_code == 200
    document = body(response)
    assert list(document) == ["changeset", "contact", "key_service", "endpoints"]
    assert "95598" in document["contact"]
    assert "/admin/workorders/open311key/" in document["key_service"]
    [endpoint] = document["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://open311.example.cn/open311/v2",
        "changeset": document["changeset"],
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }

    root = xml(client.get("/open311/discovery.xml", HTTP_HOST="open311.example.cn"))
    assert root.tag == "discovery"
    assert root.findtext("changeset") == document["changeset"]
    assert root.findtext("endpoints/endpoint/specification") == documents.SPECIFICATION
    assert root.findtext("endpoints/endpoint/url") == "http://open311.example.cn/open311/v2"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_discovery_changeset_follows_category_edits_in_the_admin(city: City) -> None:
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    before = views.changeset()
    LogEntry.objects.create(
        user=city.admin,
        content_type=ContentType.objects.get_for_model(Category),
        object_id="1",
        object_repr="表后故障报修",
        action_flag=CHANGE,
        action_time=timezone.now() + datetime.timedelta(days=400),
    )
    assert views.changeset() > before


def test_unknown_format_and_wrong_method_are_refused(client: Client) -> None:
    response = client.get("/open311/v2/services.html")
    assert response.status_code == 404
    assert xml(response).findtext("error/code") == "404"
    response = client.put("/open311/v2/services.json")
    assert response.status_code == 405
    assert body(response)[0]["code"] == 405
    assert client.get("/open311/v2/services").status_code == 404


# Services ------------------------------------------------------------------------------------


def test_services_are_the_categories_residents_may_report(client: Client, city: City) -> None:
    services = body(client.get("/open311/v2/services.json"))
    codes = [service["service_code"] for service in services]
    assert "fault_behind_meter" in codes
    assert "meter_data_check" not in codes  # staff-only
    fault = services[codes.index("fault_behind_meter")]
    assert list(fault) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert fault["service_name"] == "表后故障报修"
    assert fault["metadata"] is False
    assert fault["type"] == "realtime"
    assert "Fault behind the meter (household wiring)" in fault["keywords"]
    business = services[codes.index("business_new")]
    assert business["metadata"] is True  # its definition lists the documents
    assert "户主身份证件" in business["description"]

    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    assert root.find("service").findtext("metadata") == "false"


def test_service_names_in_english_on_request(client: Client, city: City) -> None:
    by_param = body(client.get("/open311/v2/services.json?locale=en"))
    by_header = body(client.get("/open311/v2/services.json", HTTP_ACCEPT_LANGUAGE="en"))
    for services in (by_param, by_header):
        fault = next(s for s in services if s["service_code"] == "fault_behind_meter")
        assert fault["service_name"] == "Fault behind the meter (household wiring)"
        assert fault["group"] == "Fault repair"
        assert "表后故障报修" in fault["keywords"]
    response = client.get("/open311/v2/services.xml?locale=en")
    assert response["Content-Language"] == "en"
    assert client.get("/open311/v2/services.xml")["Content-Language"] == "zh-hans"


def test_service_definition_lists_documents_as_information(client: Client, city: City) -> None:
    definition = body(client.get("/open311/v2/services/business_new.json"))
    assert definition["service_code"] == "business_new"
    first = definition["attributes"][0]
    assert first["variable"] is False
    assert first["required"] is False
    assert first["datatype"] == "string"
    assert first["order"] == 1
    assert "户主身份证件" in first["description"]

    root = xml(client.get("/open311/v2/services/business_new.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "business_new"
    assert len(root.findall("attributes/attribute")) == len(definition["attributes"]) == 3
    assert root.findtext("attributes/attribute/variable") == "false"

    plain = body(client.get("/open311/v2/services/fault_behind_meter.json"))
    assert plain == {"service_code": "fault_behind_meter", "attributes": []}


@pytest.mark.parametrize("code", ["no_such_service", "meter_data_check"])
def test_unknown_or_staff_only_service_definition_is_404(
    client: Client, city: City, code: str
) -> None:
    response = client.get(f"/open311/v2/services/{code}.json")
    assert response.status_code == 404
    [error] = body(response)
    assert error["code"] == 404
    assert code in error["description"]
    root = xml(client.get(f"/open311/v2/services/{code}.xml"))
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"


# Filing --------------------------------------------------------------------------------------


def test_filing_by_account_number_ties_it_to_the_household(
    client: Client, city: City, api_key: Open311Key
) -> None:
    response = file(
        client,
        address_id=city.north_home.account_no,
        first_name="建国",
        last_name="王",
        phone="13800000009",
        email="wang@example.cn",
        account_id="app-77",
        media_url="https://example.cn/photo.jpg",
    )
    assert response.status_code == 200
    [answer] = body(response)
    # The spec: service_request_id or token, never both.
    assert list(answer) == ["service_request_id", "service_notice", "account_id"]
    assert isinstance(answer["service_request_id"], int)
    assert answer["account_id"] == "app-77"
    wo = WorkOrder.objects.get(pk=answer["service_request_id"])
    assert wo.channel == Channel.OPEN311
    assert wo.household == city.north_home
    assert wo.compound == city.north
    assert wo.assignee == city.electrician  # routed like any behind-the-meter fault
    assert wo.created_by is None  # the key acts for no account
    assert (wo.contact_name, wo.contact_phone, wo.contact_email) == (
        "王建国",
        "13800000009",
        "wang@example.cn",
    )
    assert answer["service_notice"]
    assert not wo.photos.exists()  # media_url is not fetched


def test_filing_by_building_code(client: Client, city: City, api_key: Open311Key) -> None:
    root = xml(file(client, "xml", service_code="hazard", address_id=city.south_building.code))
    assert root.tag == "service_requests"
    pk = int(root.findtext("request/service_request_id"))
    assert root.find("request/token") is None
    assert root.find("request/account_id").text is None
    wo = WorkOrder.objects.get(pk=pk)
    assert wo.household is None
    assert wo.compound == city.south
    assert wo.assignee == city.manager_b
    shown = body(client.get(f"/open311/v2/requests/{pk}.json"))[0]
    assert shown["address"] == "南苑小区1号楼"
    assert shown["address_id"] == "SOUTH"


def test_filing_by_compound_code_with_coordinates(
    client: Client, city: City, api_key: Open311Key
) -> None:
    response = file(
        client, service_code="hazard", address_id="NORTH", lat="32.916512", long="117.389719"
    )
    wo = WorkOrder.objects.get(pk=body(response)[0]["service_request_id"])
    assert wo.compound == city.north
    assert wo.household is None
    shown = body(client.get(f"/open311/v2/requests/{wo.pk}.json"))[0]
    assert shown["lat"] == pytest.approx(32.916512)
    assert shown["long"] == pytest.approx(117.389719)
    assert shown["address"] == "北苑小区"


def test_filing_by_address_string_finds_the_compound_and_building(
    client: Client, city: City, api_key: Open311Key
) -> None:
    response = file(
        client,
        service_code="fault_before_meter",
        address_string="蚌埠市涂山路北苑小区1号楼东侧路灯",
        lat="32.9",
        long="117.3",
    )
    assert response.status_code == 200
    wo = WorkOrder.objects.get(pk=body(response)[0]["service_request_id"])
    assert wo.compound == city.north
    assert wo.assignee == city.manager
    assert wo.address_text == "蚌埠市涂山路北苑小区1号楼东侧路灯"
    shown = body(client.get(f"/open311/v2/requests/{wo.pk}.json"))[0]
    assert shown["address"] == "北苑小区1号楼"


def test_filing_needs_no_csrf_token(city: City, api_key: Open311Key) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = file(strict, address_id="NORTH")
    assert response.status_code == 200


def _refused(response: Any, status: int, fragment: str) -> None:
    assert response.status_code == status
    [error] = body(response)
    assert error["code"] == status
    assert fragment in error["description"]


@pytest.mark.parametrize(
    ("fields", "status", "fragment"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "wrong-key"}, 403, "api_key"),
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "no_such_service"}, 404, "no_such_service"),
        ({"service_code": "meter_data_check"}, 404, "meter_data_check"),
        ({"description": None}, 400, "description"),
        ({"description": "   "}, 400, "description"),
        ({"description": "电" * 4001}, 400, "4000"),
        ({"address_id": None}, 400, "location"),
        ({"address_id": None, "lat": "32.9", "long": "117.3"}, 400, "Cannot locate"),
        ({"address_id": None, "lat": "32.9"}, 400, "lat and long"),
        ({"lat": "north", "long": "117.3"}, 400, "lat"),
        ({"lat": "95", "long": "117.3"}, 400, "lat"),
        ({"address_id": "NOWHERE"}, 400, "NOWHERE"),
        ({"address_id": None, "address_string": "不存在的小区5号楼"}, 400, "Cannot locate"),
        ({"address_id": None, "address_string": "苑" * 201}, 400, "address_string"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"phone": "call me maybe"}, 400, "phone"),
        ({"description": "插座\x00没电"}, 400, "NUL"),
        ({"address_string": "北苑小区\x00"}, 400, "NUL"),
    ],
)
def test_bad_filings_are_refused_and_change_nothing(
    client: Client,
    city: City,
    api_key: Open311Key,
    fields: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    before = snapshot(*FILED)
    fields = {"address_id": "NORTH", **fields}
    _refused(file(client, language="en", **fields), status, fragment)
    assert snapshot(*FILED) == before


def test_a_deactivated_key_is_refused(client: Client, city: City, api_key: Open311Key) -> None:
    Open311Key.objects.filter(pk=api_key.pk).update(active=False)
    before = snapshot(*FILED)
    response = file(client, "xml", address_id="NORTH")
    assert response.status_code == 403
    root = xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "403"
    assert root.findtext("error/description")
    assert snapshot(*FILED) == before


def test_an_address_naming_two_compounds_equally_is_refused(
    client: Client, city: City, api_key: Open311Key
) -> None:
    city.south.name = "北苑小区"
    city.south.save(update_fields=["name"])
    before = snapshot(*FILED)
    response = file(client, address_id=None, address_string="北苑小区1号楼")
    _refused(response, 400, "北苑小区")
    assert snapshot(*FILED) == before


def test_errors_speak_the_clients_language(client: Client, city: City) -> None:
    english = file(client, language="en", address_id="NORTH")
    chinese = file(client, address_id="NORTH")
    assert body(english)[0]["code"] == body(chinese)[0]["code"] == 403
    assert body(english)[0]["description"].startswith("Invalid api_key")
    assert english["Content-Language"] == "en"
    assert chinese["Content-Language"] == "zh-hans"
    response = client.post(
        "/open311/v2/requests.json?locale=en", {"api_key": KEY, "service_code": "x"}
    )
    assert response["Content-Language"] == "en"


# Following requests --------------------------------------------------------------------------


@pytest.fixture
def filed(city: City, file_request: Any) -> dict[str, WorkOrder]:
    """A few requests: an open fault with the resident's phone and name in its text, a
    resolved one, a cancelled one, one 100 days old and a staff-only meter-data check."""
    now = timezone.now()
    fault = file_request(
        description="卫生间插座没电，我是王建国，电话13800000001，户号3400000001",
        channel=Channel.OPEN311,
        now=now - datetime.timedelta(hours=3),
    )
    resolved = file_request(
        "hazard",
        description="楼道电缆外皮破损",
        channel=Channel.OPEN311,
        now=now - datetime.timedelta(hours=2),
    )
    resolved = workorder_accept(workorder=resolved, by=city.manager)
    resolved = workorder_resolve(workorder=resolved, by=city.manager, note="已包扎破损电缆")
    cancelled = file_request(
        "outage_enquiry",
        description="明天停电吗",
        channel=Channel.OPEN311,
        now=now - datetime.timedelta(hours=1),
    )
    cancelled = workorder_cancel(workorder=cancelled, by=city.resident, reason="已看到通知")
    old = file_request(
        "suggestion",
        description="希望多办物电联动日",
        channel=Channel.OPEN311,
        now=now - datetime.timedelta(days=100),
    )
    check = workorder_create(
        category=Category.objects.get(code="meter_data_check"),
        description="台区线损偏高，核查3400000002",
        channel=Channel.METER_DATA,
        by=city.manager,
        location=Location(compound=city.north, station_area=city.station_area),
    )
    return {
        "fault": fault,
        "resolved": resolved,
        "cancelled": cancelled,
        "old": old,
        "check": check,
    }


def test_requests_list_is_the_last_90_days_newest_first(
    client: Client, city: City, filed: dict[str, WorkOrder]
) -> None:
    rows = body(client.get("/open311/v2/requests.json"))
    assert [row["service_request_id"] for row in rows] == [
        filed["cancelled"].pk,
        filed["resolved"].pk,
        filed["fault"].pk,
    ]  # not the 100-day-old one, never the staff-only check
    for row in rows:
        assert list(row) == REQUEST_FIELDS
        assert isinstance(row["service_request_id"], int)
        assert row["status"] in {"open", "closed"}
        assert W3C.match(row["requested_datetime"])
        assert W3C.match(row["updated_datetime"])
        assert row["address_id"] == "NORTH"
        assert row["media_url"] is None
    by_id = {row["service_request_id"]: row for row in rows}
    fault = by_id[filed["fault"].pk]
    assert fault["status"] == "open"
    assert fault["service_code"] == "fault_behind_meter"
    assert fault["service_name"] == "表后故障报修"
    assert fault["address"] == "北苑小区1号楼"
    assert "皖投物业" in fault["agency_responsible"]
    assert W3C.match(fault["expected_datetime"])
    assert fault["requested_datetime"].endswith("+08:00")
    resolved = by_id[filed["resolved"].pk]
    assert resolved["status"] == "open"  # awaiting the resident's confirmation
    assert resolved["status_notes"] == "已处理，待确认"  # the state, never a note staff wrote
    cancelled = by_id[filed["cancelled"].pk]
    assert cancelled["status"] == "closed"
    assert cancelled["status_notes"] == "已取消"
    assert cancelled["updated_datetime"] == documents.w3c(filed["cancelled"].cancelled_at)


def test_public_lists_carry_no_personal_data(
    client: Client, city: City, filed: dict[str, WorkOrder]
) -> None:
    home = city.north_home
    for fmt in ("json", "xml"):
        for url in (
            f"/open311/v2/requests.{fmt}",
            f"/open311/v2/requests/{filed['fault'].pk}.{fmt}",
        ):
            text = client.get(url).content.decode("utf-8")
            for secret in (home.phone, home.holder_name, home.account_no, home.room + "室"):
                assert secret not in text, (url, secret)
            assert "台区线损偏高" not in text
    [fault] = body(client.get(f"/open311/v2/requests/{filed['fault'].pk}.json"))
    assert "卫生间插座没电" in fault["description"]
    assert "138******01" in fault["description"]


def test_what_residents_filed_elsewhere_is_not_public(
    client: Client, city: City, filed: dict[str, WorkOrder], file_request: Any
) -> None:
    """Only requests filed through Open311 are public: a bill or a complaint filed on the
    resident's page or by phone is neither listed nor found by its id."""
    web = file_request("hazard", description="配电箱门坏了，我家老人行动不便")
    billing = file_request("billing_enquiry", description="这个月电费怎么这么高")
    complaint = file_request(
        "complaint", description="投诉客户经理态度差", channel=Channel.PHONE, by=city.manager
    )
    listed = {row["service_request_id"] for row in body(client.get("/open311/v2/requests.json"))}
    for private in (web, billing, complaint):
        assert private.pk not in listed
        assert client.get(f"/open311/v2/requests/{private.pk}.json").status_code == 404
    ids = ",".join(str(wo.pk) for wo in (web, billing, complaint))
    assert body(client.get(f"/open311/v2/requests.json?service_request_id={ids}")) == []
    text = client.get("/open311/v2/requests.xml").content.decode("utf-8")
    for secret in ("行动不便", "电费", "投诉"):
        assert secret not in text


def test_staff_notes_are_never_public(client: Client, city: City, file_request: Any) -> None:
    wo = file_request("hazard", description="配电箱门坏了", channel=Channel.OPEN311)
    wo = workorder_accept(workorder=wo, by=city.manager)
    wo = workorder_resolve(workorder=wo, by=city.manager, note="已更换箱门，张大爷家已告知")
    for fmt in ("json", "xml"):
        text = client.get(f"/open311/v2/requests/{wo.pk}.{fmt}").content.decode("utf-8")
        assert "配电箱门坏了" in text
        assert "张大爷" not in text
        assert "已更换箱门" not in text


def test_special_group_status_cannot_be_told_from_open311(
    client: Client, city: City, file_request: Any
) -> None:
    """A special-group household's request has shorter clocks for its staff; the public sees
    the same fields, the same kind of values and the same deadlines as any other's."""
    from wudian.workorders.open311.filing import service_notice

    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])
    now = timezone.now()
    special, plain = (
        file_request(
            description="插座没电，电话138.1234.5678",
            channel=Channel.OPEN311,
            household=household,
            now=now,
        )
        for household in (city.north_home, city.north_home_2)
    )
    assert special.priority
    assert not plain.priority
    assert special.resolve_due < plain.resolve_due  # staff's clocks do differ
    assert service_notice(special) == service_notice(plain)
    rows = {row["service_request_id"]: row for row in body(client.get("/open311/v2/requests.json"))}
    shown = {name: dict(rows[wo.pk]) for name, wo in (("special", special), ("plain", plain))}
    for row in shown.values():
        del row["service_request_id"]
    assert shown["special"] == shown["plain"]
    assert shown["special"]["description"] == "插座没电，电话138******78"
    assert shown["special"]["expected_datetime"] == documents.w3c(plain.resolve_due)


def test_requests_list_in_xml(client: Client, city: City, filed: dict[str, WorkOrder]) -> None:
    root = xml(client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 3
    for request in requests:
        assert [child.tag for child in request] == REQUEST_FIELDS
    first = requests[0]
    assert first.findtext("status") == "closed"
    assert W3C.match(first.findtext("requested_datetime"))
    assert first.find("lat").text is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["resolved", "fault"]),
        ("status=closed", ["cancelled"]),
        ("status=open,closed", ["cancelled", "resolved", "fault"]),
        ("service_code=hazard,outage_enquiry", ["cancelled", "resolved"]),
        ("service_code=hazard&status=closed", []),
    ],
)
def test_requests_filters(
    client: Client, filed: dict[str, WorkOrder], query: str, expected: list[str]
) -> None:
    rows = body(client.get(f"/open311/v2/requests.json?{query}"))
    assert [row["service_request_id"] for row in rows] == [filed[name].pk for name in expected]


def test_requests_by_id_override_other_filters(client: Client, filed: dict[str, WorkOrder]) -> None:
    ids = f"{filed['old'].pk},{filed['fault'].pk},{filed['check'].pk}"
    rows = body(client.get(f"/open311/v2/requests.json?service_request_id={ids}&status=closed"))
    assert {row["service_request_id"] for row in rows} == {filed["old"].pk, filed["fault"].pk}


def test_requests_by_date_range(client: Client, filed: dict[str, WorkOrder]) -> None:
    old = filed["old"].created_at
    start = (old - datetime.timedelta(days=1)).isoformat()
    end = (old + datetime.timedelta(days=1)).isoformat()
    rows = body(client.get("/open311/v2/requests.json", {"start_date": start, "end_date": end}))
    assert [row["service_request_id"] for row in rows] == [filed["old"].pk]
    # Only a start: the 90 days that follow it.
    rows = body(client.get("/open311/v2/requests.json", {"start_date": start}))
    assert [row["service_request_id"] for row in rows] == [filed["old"].pk]
    # A "+08:00" the client forgot to encode arrives as a space and still reads.
    local = timezone.localtime(old - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    rows = body(client.get(f"/open311/v2/requests.json?start_date={local}+08:00&end_date={end}"))
    assert [row["service_request_id"] for row in rows] == [filed["old"].pk]
    # A date alone is local midnight.
    day = timezone.localdate(old).isoformat()
    rows = body(client.get("/open311/v2/requests.json", {"start_date": day, "end_date": end}))
    assert [row["service_request_id"] for row in rows] == [filed["old"].pk]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("start_date=yesterday", "start_date"),
        ("end_date=2026-13-40", "end_date"),
        ("start_date=2026-01-01&end_date=2026-06-01", "90"),
        ("start_date=2026-06-01&end_date=2026-01-01", "start_date"),
        ("status=pending", "pending"),
        ("service_request_id=1,abc", "service_request_id"),
        ("service_code=hazard%00", "NUL"),
    ],
)
def test_bad_request_filters_are_400(
    client: Client, filed: dict[str, WorkOrder], query: str, fragment: str
) -> None:
    response = client.get(f"/open311/v2/requests.json?{query}", HTTP_ACCEPT_LANGUAGE="en")
    _refused(response, 400, fragment)


def test_requests_list_runs_a_constant_number_of_queries(
    client: Client,
    city: City,
    file_request: Any,
    filed: dict[str, WorkOrder],
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(2):
        assert len(body(client.get("/open311/v2/requests.json"))) == 3
    for n in range(4):
        file_request(
            "hazard",
            household=city.north_home_2,
            description=f"路灯不亮{n}",
            channel=Channel.OPEN311,
        )
        workorder_create(
            category=filed["resolved"].category,
            description="井盖松动",
            channel=Channel.OPEN311,
            by=None,
            location=Location(compound=city.south, address_text="南苑小区1号楼"),
        )
    # The rows, and the building names of the compounds of rows filed without a household.
    with django_assert_num_queries(2):
        assert len(body(client.get("/open311/v2/requests.json"))) == 11


def test_one_request_and_its_token(client: Client, city: City, api_key: Open311Key) -> None:
    [answer] = body(file(client, address_id=city.north_home.account_no))
    pk = answer["service_request_id"]
    token = WorkOrder.objects.get(pk=pk).open311_token
    [row] = body(client.get(f"/open311/v2/requests/{pk}.json"))
    assert row["service_request_id"] == pk
    assert row["status"] == "open"
    root = xml(client.get(f"/open311/v2/requests/{pk}.xml"))
    assert root.findtext("request/service_request_id") == str(pk)

    assert body(client.get(f"/open311/v2/tokens/{token}.json")) == [
        {"service_request_id": pk, "token": token}
    ]
    root = xml(client.get(f"/open311/v2/tokens/{token}.xml"))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == str(pk)
    assert root.findtext("request/token") == token


@pytest.mark.parametrize(
    "url",
    [
        "/open311/v2/requests/999999.json",
        "/open311/v2/requests/abc.json",
        "/open311/v2/requests/999999999999999999.json",
        "/open311/v2/requests/99999999999999999999999.json",
        "/open311/v2/requests/１２.json",
        "/open311/v2/tokens/nope.json",
    ],
)
def test_unknown_request_or_token_is_404(client: Client, city: City, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert body(response)[0]["code"] == 404


def test_nul_characters_in_a_path_are_refused(client: Client, city: City) -> None:
    response = client.get("/open311/v2/tokens/ab%00cd.json")
    assert response.status_code == 400
    assert body(response)[0]["code"] == 400


def test_a_staff_only_request_does_not_exist_publicly(
    client: Client, filed: dict[str, WorkOrder]
) -> None:
    assert client.get(f"/open311/v2/requests/{filed['check'].pk}.json").status_code == 404


def test_redaction_masks_numbers_mail_and_names() -> None:
    text = "王建国，13800000001，0552-3012345，138 0000 0002，wang@example.cn，3400000001，于2026年"
    masked = documents.redact(text, ["王建国", "x"])
    assert masked == "王**，138******01，055******45，138******02，***，340*****01，于2026年"


@pytest.mark.parametrize(
    "written",
    [
        "138.1234.5678",
        "138/1234/5678",
        "138 - 1234 - 5678",
        "1\u200b3\u200b8\u200b1234\u200c5678",
        "138\u20601234\ufeff5678",
        "138\u00ad1234\u200d5678",
        "１３８．１２３４．５６７８",
        "1\ufe0f38 1234 5678",
    ],
)
def test_redaction_masks_phone_numbers_however_written(written: str) -> None:
    masked = documents.redact(f"请打{written}联系")
    assert re.sub(r"\D", "", masked) in {"13878", "１３８７８"}, masked


def test_building_names_are_matched_whole() -> None:
    names = ["11号楼", "1号楼"]
    assert documents.building_named_in("北苑小区11号楼", names) == "11号楼"
    assert documents.building_named_in("北苑小区1号楼", names) == "1号楼"
    assert documents.building_named_in("北苑小区21号楼", ["1号楼"]) == ""


# Keys are scoped to their organisation's compounds -------------------------------------------


@pytest.fixture
def north_key(city: City) -> Open311Key:
    key, _secret = open311_key_issue(
        name="北苑业主小程序", organisation="皖投物业北苑项目部", compounds=[city.north], key=KEY
    )
    return key


def test_a_key_files_for_its_own_compounds(
    client: Client, city: City, north_key: Open311Key
) -> None:
    response = file(client, address_id=city.north_home.account_no)
    assert response.status_code == 200
    wo = WorkOrder.objects.get(pk=body(response)[0]["service_request_id"])
    assert wo.household == city.north_home


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("where", ["account", "building", "compound"])
def test_outside_its_compounds_an_address_is_as_unknown_as_a_made_up_one(
    client: Client, city: City, north_key: Open311Key, fmt: str, where: str
) -> None:
    """No account-number oracle: an address the key may not file for is answered byte for byte
    like the same address_id once nothing has it."""
    thing: Any = {
        "account": city.south_home,
        "building": city.south_building,
        "compound": city.south,
    }[where]
    field = "account_no" if where == "account" else "code"
    address_id = getattr(thing, field)
    before = snapshot(*FILED)
    outside = file(client, fmt, address_id=address_id, first_name="三", last_name="张")
    assert snapshot(*FILED) == before
    setattr(thing, field, "GONE-" + address_id[:30])
    thing.save(update_fields=[field])
    unknown = file(client, fmt, address_id=address_id, first_name="三", last_name="张")
    assert outside.status_code == unknown.status_code == 400
    assert outside.content == unknown.content
    assert outside.headers == unknown.headers


def test_outside_its_compounds_an_address_string_cannot_be_located(
    client: Client, city: City, north_key: Open311Key
) -> None:
    text = f"{city.south.name}1号楼门口"
    before = snapshot(*FILED)
    outside = file(client, address_id=None, address_string=text)
    assert snapshot(*FILED) == before
    city.south.name = "改名小区"
    city.south.save(update_fields=["name"])
    unknown = file(client, address_id=None, address_string=text)
    assert outside.status_code == unknown.status_code == 400
    assert outside.content == unknown.content


def test_a_key_without_compounds_files_nowhere(client: Client, city: City) -> None:
    open311_key_issue(name="未配置的客户端", key=KEY)
    before = snapshot(*FILED)
    _refused(file(client, address_id=city.north_home.account_no), 400, "address_id")
    assert snapshot(*FILED) == before


def test_the_admin_edits_a_keys_organisation_and_compounds(
    client: Client, city: City, api_key: Open311Key
) -> None:
    client.force_login(city.admin)
    url = f"/admin/workorders/open311key/{api_key.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="organisation"' in page.content.decode()
    assert 'name="compounds"' in page.content.decode()
    response = client.post(
        url,
        {
            "name": api_key.name,
            "organisation": "南苑物业",
            "compounds": [city.south.pk],
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    api_key.refresh_from_db()
    assert api_key.organisation == "南苑物业"
    assert list(api_key.compounds.all()) == [city.south]
    added = client.post(
        "/admin/workorders/open311key/add/",
        {
            "name": "新客户端",
            "organisation": "北苑物业",
            "compounds": [city.north.pk],
            "active": "on",
        },
    )
    assert added.status_code == 302
    new = Open311Key.objects.get(name="新客户端")
    assert new.organisation == "北苑物业"
    assert list(new.compounds.all()) == [city.north]


# The key in the body or a header, never in the URL ------------------------------------------


def test_the_key_in_a_header_files(client: Client, city: City, api_key: Open311Key) -> None:
    response = file(client, api_key=None, address_id="NORTH", headers={"X-API-Key": KEY})
    assert response.status_code == 200


def test_a_key_in_the_query_string_is_refused(
    client: Client, city: City, api_key: Open311Key
) -> None:
    before = snapshot(*FILED)
    response = client.post(
        f"/open311/v2/requests.json?api_key={KEY}",
        {"service_code": "hazard", "description": "路灯不亮", "address_id": "NORTH"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    _refused(response, 400, "X-API-Key")
    assert snapshot(*FILED) == before
    # Even with a key in the body as well, and on a read.
    response = file(client, path_query=f"?api_key={KEY}", address_id="NORTH")
    assert response.status_code == 400
    assert snapshot(*FILED) == before
    assert client.get(f"/open311/v2/requests.json?api_key={KEY}").status_code == 400


# Jurisdictions, dates, discovery -------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", ["wudian", "WUDIAN", "testserver", ""])
def test_this_servers_jurisdiction_is_answered(
    client: Client, city: City, jurisdiction: str
) -> None:
    for url in ("/open311/v2/services.json", "/open311/v2/requests.json"):
        assert client.get(url, {"jurisdiction_id": jurisdiction}).status_code == 200


def test_an_unknown_jurisdiction_is_404(client: Client, city: City, api_key: Open311Key) -> None:
    for url in ("/open311/v2/services.json", "/open311/v2/requests.xml", "/open311/discovery.json"):
        response = client.get(url, {"jurisdiction_id": "springfield.gov"})
        assert response.status_code == 404
    assert body(client.get("/open311/v2/services.json", {"jurisdiction_id": "x"}))[0]["code"] == 404
    before = snapshot(*FILED)
    assert file(client, jurisdiction_id="springfield.gov", address_id="NORTH").status_code == 404
    assert snapshot(*FILED) == before


@pytest.mark.parametrize(
    "query",
    [
        "start_date=9999-12-31",
        "start_date=0001-01-01",
        "end_date=0001-01-01",
        "end_date=9999-12-31T23:59:59-12:00",
        "start_date=9999-12-31T23:59:59%2B14:00&end_date=9999-12-31T23:59:59Z",
        "start_date=0001-01-01T00:00:00%2B14:00",
        "start_date=9999",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_answered(
    client: Client, filed: dict[str, WorkOrder], query: str
) -> None:
    for fmt in ("json", "xml"):
        response = client.get(f"/open311/v2/requests.{fmt}?{query}")
        assert response.status_code == 200, response.content
    assert body(client.get(f"/open311/v2/requests.json?{query}")) == []


def test_discovery_changeset_is_a_w3c_date_time(db: None, client: Client) -> None:
    document = body(client.get("/open311/discovery.json"))
    assert W3C.match(document["changeset"])
    assert document["changeset"] == "2026-11-27T08:00:00+08:00"
    assert document["endpoints"][0]["changeset"] == document["changeset"]
