"""A metering dispute's usage analysis: attached by the staff working it (on the timeline, the
resident told), shown as a page and a PDF to staff and to the resident, listed and attached
through the API; and the meter test raised from it, handed to the metering centre."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from wudian.accounts.models import Department, User
from wudian.billing.models import MeterReading
from wudian.billing.services.usage import month_add
from wudian.conftest import City, api, post, snapshot, told, zh
from wudian.core.errors import NotAllowed, WrongState
from wudian.workorders.models import UsageReport, WorkOrder, WorkOrderEvent
from wudian.workorders.services import (
    workorder_accept,
    workorder_attach_usage,
    workorder_cancel,
    workorder_request_meter_test,
)

Event = WorkOrderEvent.Kind
UNTIL = datetime.date(2026, 10, 1)


@pytest.fixture
def readings(city: City) -> None:
    """Two years of north_home at 200 kWh with a jump in the last month, and neighbours."""
    rows = []
    for k in range(24):
        month = month_add(UNTIL, -k)
        rows.append(
            MeterReading(
                household=city.north_home,
                month=month,
                kwh=Decimal(520 if k == 0 else 200),
                source=MeterReading.Source.IMPORT,
                daily=["16.8"] * 30 + ["0"] if k == 0 else None,
            )
        )
        rows.append(
            MeterReading(
                household=city.north_home_2,
                month=month,
                kwh=Decimal(180),
                source=MeterReading.Source.IMPORT,
            )
        )
    MeterReading.objects.bulk_create(rows)


@pytest.fixture
def dispute(city: City, readings: None, file_request: Any) -> WorkOrder:
    workorder: WorkOrder = file_request(
        "metering_dispute", description="这个月电费突然翻了一倍多，怀疑电表走快了。"
    )
    return workorder


@pytest.fixture
def metering(city: City) -> Department:
    return Department.objects.create(
        code="METER", name="计量中心", kind=Department.Kind.METERING, district=city.district
    )


def attach(dispute: WorkOrder, by: User) -> UsageReport:
    return workorder_attach_usage(workorder=dispute, by=by, until=UNTIL)


# Attaching ----------------------------------------------------------------------------------


def test_the_customer_manager_attaches_an_analysis_on_the_timeline(
    city: City, dispute: WorkOrder
) -> None:
    report = attach(dispute, city.manager)

    assert report.household == city.north_home
    assert report.until == UNTIL
    assert report.months == 12
    assert report.made_by == city.manager
    assert report.data["meter_test_warranted"] is True
    assert report.data["answer_working_days"] == 5
    event = dispute.events.get(kind=Event.USAGE_REPORT)
    assert event.by == city.manager
    assert event.data["report"] == report.pk
    assert told(city.resident, Event.USAGE_REPORT, "workorder_resident") == 1


def test_the_department_holding_it_and_a_supervisor_may_attach_too(
    city: City, dispute: WorkOrder
) -> None:
    attach(dispute, city.supervisor)
    dispute.department, dispute.assignee = city.dept.department, None
    dispute.save(update_fields=["department", "assignee"])
    attach(dispute, city.dept)
    assert dispute.usage_reports.count() == 2


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("resident", NotAllowed),
        ("electrician", NotAllowed),
        ("gridadmin", NotAllowed),
        ("manager_b", NotAllowed),
        ("dept", NotAllowed),
    ],
)
def test_others_may_not_attach_and_nothing_changes(
    city: City, dispute: WorkOrder, who: str, refusal: type[Exception]
) -> None:
    before = snapshot(dispute, UsageReport)
    with pytest.raises(refusal):
        attach(dispute, getattr(city, who))
    assert snapshot(dispute, UsageReport) == before


def test_only_a_metering_dispute_about_a_household_gets_an_analysis(
    city: City, readings: None, file_request: Any
) -> None:
    fault = file_request("fault_before_meter")
    before = snapshot(fault, UsageReport)
    with pytest.raises(WrongState):
        attach(fault, city.manager)
    assert snapshot(fault, UsageReport) == before


def test_a_closed_dispute_gets_no_analysis(city: City, dispute: WorkOrder) -> None:
    workorder_cancel(workorder=dispute, by=city.resident, reason="")
    before = snapshot(dispute, UsageReport)
    with pytest.raises(WrongState):
        attach(dispute, city.manager)
    assert snapshot(dispute, UsageReport) == before


# Pages and PDF --------------------------------------------------------------------------------


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_the_desk_offers_the_analysis_and_shows_it(
    city: City, dispute: WorkOrder, login: Any
) -> None:
    client = login(city.manager)
    page = client.get(f"/desk/requests/{dispute.pk}/")
    assert b'id="action-attach_usage"' in page.content
    assert b'id="action-request_meter_test"' not in page.content  # no analysis yet

    done = client.post(
        f"/desk/requests/{dispute.pk}/attach_usage/",
        {"attach_usage-until": "2026-10", "attach_usage-months": "12"},
    )
    assert done.status_code == 302
    report = dispute.usage_reports.get()
    page = client.get(f"/desk/requests/{dispute.pk}/")
    text = page.content.decode()
    assert f"/desk/requests/{dispute.pk}/usage/{report.pk}/" in text
    assert b'id="action-request_meter_test"' in page.content
    analysis_page = client.get(f"/desk/requests/{dispute.pk}/usage/{report.pk}/").content
    assert b'id="action-request_meter_test"' in analysis_page

    shown = client.get(f"/desk/requests/{dispute.pk}/usage/{report.pk}/").content.decode()
    assert "<svg" in shown
    assert "bar-jump" in shown
    assert "chart-median" in shown
    assert zh("Likely causes") in shown
    assert zh("Saving tips") in shown
    assert " style=" not in shown.split("<main", 1)[1]  # the CSP allows no inline style


def test_a_bad_month_is_refused_on_the_form(city: City, dispute: WorkOrder, login: Any) -> None:
    before = snapshot(dispute, UsageReport)
    answer = login(city.manager).post(
        f"/desk/requests/{dispute.pk}/attach_usage/",
        {"attach_usage-until": "2999-01", "attach_usage-months": "12"},
    )
    assert answer.status_code == 422
    assert snapshot(dispute, UsageReport) == before


def test_the_resident_reads_the_analysis_and_downloads_the_pdf(
    city: City, dispute: WorkOrder, login: Any
) -> None:
    report = attach(dispute, city.manager)
    client = login(city.resident)
    page = client.get(f"/me/requests/{dispute.pk}/").content.decode()
    assert f"/me/requests/{dispute.pk}/usage/{report.pk}/" in page
    assert f"/me/requests/{dispute.pk}/usage/{report.pk}.pdf" in page

    shown = client.get(f"/me/requests/{dispute.pk}/usage/{report.pk}/")
    assert shown.status_code == 200
    assert zh("Usage analysis") in shown.content.decode()

    pdf = client.get(f"/me/requests/{dispute.pk}/usage/{report.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for words in ("用电分析", "月度用电", "同类住户", "节约用电", "工作日", "北苑小区"):
        assert words in text, words


@pytest.mark.parametrize("who", ["resident_b", "manager_b", "outsider", "electrician"])
def test_others_do_not_find_the_analysis(
    city: City, dispute: WorkOrder, login: Any, who: str
) -> None:
    report = attach(dispute, city.manager)
    client = Client()
    client.force_login(getattr(city, who))
    for path in (
        f"/me/requests/{dispute.pk}/usage/{report.pk}/",
        f"/me/requests/{dispute.pk}/usage/{report.pk}.pdf",
        f"/desk/requests/{dispute.pk}/usage/{report.pk}/",
        f"/desk/requests/{dispute.pk}/usage/{report.pk}.pdf",
    ):
        assert client.get(path).status_code == 404, path


def test_an_analysis_of_another_request_is_not_found(
    city: City, dispute: WorkOrder, file_request: Any, login: Any
) -> None:
    report = attach(dispute, city.manager)
    other = file_request("metering_dispute", description="电表读数不对")
    client = login(city.manager)
    assert client.get(f"/desk/requests/{other.pk}/usage/{report.pk}/").status_code == 404


# The meter test ---------------------------------------------------------------------------------


def test_a_meter_test_is_raised_linked_and_handed_to_the_metering_centre(
    city: City, dispute: WorkOrder, metering: Department, login: Any
) -> None:
    attach(dispute, city.manager)
    test = workorder_request_meter_test(workorder=dispute, by=city.manager, note="请现场校验")

    assert test.category.code == "meter_test"
    assert test.category.kind == "metering"
    assert test.household == city.north_home
    assert test.raised_from == dispute
    assert test.department == metering
    assert test.assignee is None
    assert test.status == WorkOrder.Status.SUBMITTED
    assert test.events.filter(kind=Event.TRANSFERRED, to_department=metering).exists()
    [event] = dispute.events.filter(kind=Event.METER_TEST)
    assert event.data == {"meter_test": test.pk}
    assert event.to_department == metering
    assert told(city.resident, Event.METER_TEST, "workorder_resident") == 1
    # The metering centre's member sees it in their queue; the resident sees it on the dispute.
    metering_member = User.objects.create_user("meter1", department=metering)
    metering_member.roles.set(city.dept.roles.all())
    assert login(metering_member).get(f"/desk/requests/{test.pk}/").status_code == 200
    page = login(city.resident).get(f"/me/requests/{dispute.pk}/").content.decode()
    assert f"/me/requests/{test.pk}/" in page
    test_page = login(city.manager).get(f"/desk/requests/{test.pk}/").content.decode()
    assert f"/desk/requests/{dispute.pk}/" in test_page


def test_without_a_metering_centre_the_meter_test_is_refused(
    city: City, dispute: WorkOrder
) -> None:
    attach(dispute, city.manager)
    before = snapshot(dispute, WorkOrder, WorkOrderEvent)
    with pytest.raises(WrongState) as refused:
        workorder_request_meter_test(workorder=dispute, by=city.manager)
    assert "计量中心" in str(refused.value.message)
    assert snapshot(dispute, WorkOrder, WorkOrderEvent) == before


def test_a_meter_test_needs_an_analysis_and_only_one_at_a_time(
    city: City, dispute: WorkOrder, metering: Department
) -> None:
    with pytest.raises(WrongState):
        workorder_request_meter_test(workorder=dispute, by=city.manager)
    attach(dispute, city.manager)
    workorder_request_meter_test(workorder=dispute, by=city.manager)
    before = snapshot(dispute, WorkOrder)
    with pytest.raises(WrongState):
        workorder_request_meter_test(workorder=dispute, by=city.manager)
    assert snapshot(dispute, WorkOrder) == before


@pytest.mark.parametrize("who", ["supervisor", "resident", "electrician"])
def test_only_the_customer_manager_requests_a_meter_test(
    city: City, dispute: WorkOrder, metering: Department, who: str
) -> None:
    attach(dispute, city.manager)
    before = snapshot(dispute, WorkOrder)
    with pytest.raises(NotAllowed):
        workorder_request_meter_test(workorder=dispute, by=getattr(city, who))
    assert snapshot(dispute, WorkOrder) == before


def test_the_meter_test_is_not_offered_to_residents(city: City, login: Any) -> None:
    page = login(city.resident).get("/me/requests/new/").content.decode()
    assert "meter_test" not in page


def test_the_desk_requests_the_meter_test(
    city: City, dispute: WorkOrder, metering: Department, login: Any
) -> None:
    attach(dispute, city.manager)
    workorder_accept(workorder=dispute, by=city.manager)
    answer = login(city.manager).post(
        f"/desk/requests/{dispute.pk}/request_meter_test/", {"request_meter_test-note": ""}
    )
    assert answer.status_code == 302
    assert dispute.raised.get().department == metering


def test_the_desk_tells_why_without_a_metering_centre(
    city: City, dispute: WorkOrder, login: Any
) -> None:
    attach(dispute, city.manager)
    answer = login(city.manager).post(
        f"/desk/requests/{dispute.pk}/request_meter_test/", {"request_meter_test-note": ""}
    )
    assert answer.status_code == 409
    assert zh("Refused:") in answer.content.decode()


# The API ------------------------------------------------------------------------------------


def test_the_api_attaches_and_lists_analyses(city: City, dispute: WorkOrder) -> None:
    answer = post(api(city.manager), f"/api/v1/workorders/{dispute.pk}/usage", {"until": UNTIL})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["until"] == "2026-10-01"
    assert body["months"] == 12
    assert body["analysis"]["series"][-1]["kwh"] == "520.000"
    assert body["pdf"].endswith(f"/usage/{body['id']}.pdf")
    assert any("工作日" in text for text in body["advice_text"])

    listed = api(city.resident).get(f"/api/v1/workorders/{dispute.pk}/usage")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [body["id"]]
    assert listed.json()[0]["pdf"].startswith("/me/")
    detail = api(city.manager).get(f"/api/v1/workorders/{dispute.pk}").json()
    assert "request_meter_test" in detail["actions"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("resident", 403), ("resident_b", 404), ("manager_b", 404), ("electrician", 404)],
)
def test_the_api_refuses_others(city: City, dispute: WorkOrder, who: str, status: int) -> None:
    before = snapshot(dispute, UsageReport)
    answer = post(api(getattr(city, who)), f"/api/v1/workorders/{dispute.pk}/usage", {})
    assert answer.status_code == status
    assert snapshot(dispute, UsageReport) == before


def test_the_api_refuses_a_bad_period(city: City, dispute: WorkOrder) -> None:
    before = snapshot(dispute, UsageReport)
    answer = post(api(city.manager), f"/api/v1/workorders/{dispute.pk}/usage", {"months": 99})
    assert answer.status_code == 422
    assert [error["loc"][-1] for error in answer.json()["errors"]] == ["months"]
    assert snapshot(dispute, UsageReport) == before
