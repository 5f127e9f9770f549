"""Open311 as a GeoReport v2 client from PyPI (georeport) sees it, against the live server:
discovery, services, a service definition, filing (the spec's POST, which that client does not
implement) and following requests, in JSON and XML, with this server's jurisdiction_id."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
import requests
from georeport import GeoReport

from wudian.conftest import City
from wudian.workorders.open311.keys import open311_key_issue

KEY = "client-check-key"


@pytest.fixture
def endpoint(live_server: Any, world: City) -> str:
    """The live server's Open311 root, with the categories and service rules that migrations
    seed (a committed test's flush removes them) and a key for the north compound."""
    from django.apps import apps

    import_module("wudian.workorders.migrations.0002_categories").seed(apps, None)
    import_module("wudian.core.migrations.0003_service_rule_defaults").seed_rules(apps, None)
    open311_key_issue(
        name="GeoReport client", organisation="北苑物业", compounds=[world.north], key=KEY
    )
    return f"{live_server.url}/open311/v2"


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_a_georeport_client_files_and_follows_a_request(
    endpoint: str, world: City, output_format: str
) -> None:
    client = GeoReport(endpoint, jurisdiction="wudian", output_format=output_format)

    services = client.get_service_list()
    codes = [service["service_code"] for service in services]
    assert "fault_behind_meter" in codes
    assert "meter_data_check" not in codes
    definition = client.get_service_definition("metering_dispute")
    assert definition["service_code"] == "metering_dispute"

    filed = requests.post(
        f"{endpoint}/requests.{output_format}",
        data={
            "jurisdiction_id": "wudian",
            "service_code": "fault_behind_meter",
            "address_id": world.north_home.account_no,
            "description": "卫生间插座没电，回电138.1234.5678",
            "first_name": "建国",
            "last_name": "王",
        },
        headers={"X-API-Key": KEY},
        timeout=30,
    )
    assert filed.status_code == 200, filed.text
    if output_format == "json":
        [answer] = filed.json()
    else:
        import xmltodict

        answer = xmltodict.parse(filed.content)["service_requests"]["request"]
    assert "token" not in answer
    pk = str(answer["service_request_id"])

    found = client.get_service_request(pk)
    assert str(found["service_request_id"]) == pk
    assert found["status"] == "open"
    assert found["description"] == "卫生间插座没电，回电138******78"
    listed = client.get_service_requests(service_code="fault_behind_meter", status="open")
    rows = listed if isinstance(listed, list) else [listed]  # xmltodict: one child, no list
    assert pk in [str(row["service_request_id"]) for row in rows]
    for row in rows:
        text = str(row)
        for secret in (world.north_home.account_no, world.north_home.phone, "王建国"):
            assert secret not in text


def test_a_georeport_client_for_another_jurisdiction_gets_404(endpoint: str) -> None:
    client = GeoReport(endpoint, jurisdiction="springfield.gov")
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_list()
    response = raised.value.response
    assert response is not None
    assert response.status_code == 404


def test_discovery_for_a_georeport_client(endpoint: str) -> None:
    document = requests.get(endpoint.replace("/v2", "/discovery.json"), timeout=30).json()
    [listed] = document["endpoints"]
    assert listed["url"] == endpoint
    assert listed["specification"] == "http://wiki.open311.org/GeoReport_v2"
