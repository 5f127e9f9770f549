"""Filing a request (services.workorder_create): what it records, what it refuses, and how
few queries it takes (it is benchmarked at 150 submissions per second)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from wudian.conftest import City, snapshot
from wudian.core import kept
from wudian.grid.models import Household
from wudian.notify.models import Message
from wudian.workorders.models import Category, Channel, WorkOrder
from wudian.workorders.services import (
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    Location,
    category_for_intake,
    workorder_create,
)
from wudian.workorders.tests.conftest import FILED, FRIDAY

# Queries of one filing inside a transaction (2 of them the savepoint): routing (1: the
# certified electricians with roster and load, or the manager), the request, its event,
# which of the staff told serve the household, the supervisors when they must be told, and
# the notification outbox's 2 (recipients, the insert) for those who serve it and 2 more for
# those who do not (the supervisors: they read it masked). The service rules are read once
# per process, not per filing (the complaint is the test's first filing, so it reads them).
FAULT_QUERIES = 8
COMPLAINT_QUERIES = 11 + 1


def loaded(household: Household) -> Household:
    """The household as the API loads it."""
    return Household.objects.select_related("building__compound").get(pk=household.pk)


def test_a_filed_request_records_where_who_and_through_which_channel(
    city: City, file_request: Any
) -> None:
    wo = file_request(now=FRIDAY, channel=Channel.API)

    stored = WorkOrder.objects.get(pk=wo.pk)
    assert (stored.compound, stored.household, stored.station_area) == (
        city.north,
        city.north_home,
        city.station_area,
    )
    assert stored.address_text == city.north_home.address
    assert (stored.channel, stored.created_by, stored.created_at) == (
        Channel.API,
        city.resident,
        FRIDAY,
    )
    assert stored.events.get().data == {"channel": "api"}
    assert stored.open311_token is None


def test_a_request_without_a_household_is_filed_at_a_location(city: City, category: Any) -> None:
    wo = workorder_create(
        category=category("fault_before_meter"),
        description="小区路灯杆倾斜",
        channel=Channel.OPEN311,
        by=None,
        location=Location(
            compound=city.north,
            station_area=city.station_area,
            address_text="北苑小区东门",
            lat=Decimal("32.916"),
            long=Decimal("117.389"),
        ),
        open311=True,
        now=FRIDAY,
    )

    assert (wo.compound, wo.household, wo.assignee) == (city.north, None, city.manager)
    assert wo.address_text == "北苑小区东门"
    assert wo.station_area_id == city.station_area.pk
    assert wo.open311_token
    assert len(wo.open311_token) == 16


def test_a_call_typed_in_by_staff_tells_the_household_by_sms(city: City, file_request: Any) -> None:
    wo = file_request(
        "outage_enquiry",
        by=city.manager,
        channel=Channel.PHONE,
        description="问计划检修什么时候结束",
        contact_name="王先生",
        contact_phone="13800000001",
    )

    assert (wo.contact_name, wo.contact_phone) == ("王先生", "13800000001")
    sms = Message.objects.get(channel="sms", template="workorder_resident")
    assert (sms.household, sms.address) == (city.north_home, city.north_home.phone)
    # The manager filed it and holds it: nobody on staff needs telling.
    assert not Message.objects.filter(template="workorder_staff").exists()


def test_a_resident_filing_is_not_echoed_back_to_them(city: City, file_request: Any) -> None:
    file_request()

    assert not Message.objects.filter(user=city.resident).exists()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"description": ""}, "description", "required"),
        ({"description": "   \n "}, "description", "required"),
        ({"description": "电" * (MAX_DESCRIPTION + 1)}, "description", "max_length"),
        ({"channel": "carrier_pigeon"}, "channel", "channel"),
        ({"household": None}, "household_id", "required"),
        ({"photos": ["x"] * (MAX_PHOTOS + 1)}, "photos", "too_many"),
    ],
)
def test_bad_filings_are_refused_and_save_nothing(
    city: City, category: Any, change: dict[str, Any], field: str, code: str
) -> None:
    arguments: dict[str, Any] = {
        "category": category("fault_behind_meter"),
        "description": "插座没电",
        "channel": Channel.WEB,
        "by": city.resident,
        "household": city.north_home,
        **change,
    }

    before = snapshot(*FILED)

    with pytest.raises(ValidationError) as caught:
        workorder_create(**arguments)

    assert caught.value.error_dict[field][0].code == code
    assert snapshot(*FILED) == before


def test_a_description_of_exactly_the_limit_is_accepted(city: City, file_request: Any) -> None:
    wo = file_request(description="电" * MAX_DESCRIPTION)

    assert len(wo.description) == MAX_DESCRIPTION


def test_category_for_intake_refuses_unknown_inactive_and_staff_only_categories(
    city: City,
) -> None:
    Category.objects.filter(code="suggestion").update(active=False)

    for code, by in [
        ("no_such_thing", city.resident),
        ("suggestion", city.resident),
        ("meter_data_check", city.resident),
        ("meter_data_check", None),
    ]:
        with pytest.raises(ValidationError):
            category_for_intake(code, by=by)

    assert category_for_intake("meter_data_check", by=city.manager).code == "meter_data_check"
    assert category_for_intake("complaint", by=city.resident).code == "complaint"


def new_category(code: str, name: str) -> Category:
    """A category an administrator adds (saved through the model, as the admin saves it)."""
    return Category.objects.create(
        code=code,
        name=name,
        name_en=code,
        kind=Category.Kind.HAZARD,
        routing=Category.Routing.CUSTOMER_MANAGER,
        accept_target=60,
        resolve_target=2,
    )


def test_the_active_categories_are_read_once_and_then_kept(
    city: City, django_assert_num_queries: Any
) -> None:
    city.resident.role_codes  # noqa: B018 - the API has read them to authorise the caller
    with django_assert_num_queries(1):
        category_for_intake("complaint", by=city.resident)
        category_for_intake("fault_behind_meter", by=city.resident)
    with django_assert_num_queries(0):
        category_for_intake("complaint", by=city.resident)


def test_a_changed_category_counts_at_once_in_the_process_that_changed_it(city: City) -> None:
    assert category_for_intake("suggestion", by=city.resident).active
    suggestion = Category.objects.get(code="suggestion")

    suggestion.active = False
    suggestion.save(update_fields=["active"])
    with pytest.raises(ValidationError):
        category_for_intake("suggestion", by=city.resident)

    new = new_category("meter_box_door", "表箱门损坏")
    assert category_for_intake("meter_box_door", by=city.resident).name == "表箱门损坏"
    new.delete()
    with pytest.raises(ValidationError):
        category_for_intake("meter_box_door", by=city.resident)


def test_a_change_made_elsewhere_counts_once_the_kept_categories_are_old(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock[0])
    category_for_intake("suggestion", by=city.resident)

    # Another process's change: a plain UPDATE this process is not told of.
    Category.objects.filter(code="suggestion").update(active=False)
    clock[0] += kept.CACHE_SECONDS - 1
    category_for_intake("suggestion", by=city.resident)

    clock[0] += 2
    with pytest.raises(ValidationError):
        category_for_intake("suggestion", by=city.resident)


def test_the_admin_bulk_delete_of_categories_counts_at_once(login: Any, city: City) -> None:
    unused = new_category("unused", "未用")
    assert category_for_intake("unused", by=city.resident) == unused

    response = login(city.admin).post(
        reverse("admin:workorders_category_changelist"),
        {"action": "delete_selected", "_selected_action": [unused.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Category.objects.filter(code="unused").exists()
    with pytest.raises(ValidationError):
        category_for_intake("unused", by=city.resident)


def test_filing_a_fault_takes_a_fixed_small_number_of_queries(
    city: City, category: Any, django_assert_max_num_queries: Any
) -> None:
    fault = category("fault_behind_meter")
    household = loaded(city.north_home)
    city.resident.role_codes  # noqa: B018 - the API has read them to authorise the caller
    workorder_create(
        category=fault,
        description="第一单",
        channel=Channel.API,
        by=city.resident,
        household=household,
    )

    with django_assert_max_num_queries(FAULT_QUERIES):
        workorder_create(
            category=fault,
            description="卫生间插座没电",
            channel=Channel.API,
            by=city.resident,
            household=household,
        )


def test_filing_a_complaint_for_the_supervisors_takes_a_fixed_small_number_of_queries(
    city: City, category: Any, django_assert_max_num_queries: Any
) -> None:
    complaint = category("complaint")
    household = loaded(city.north_home)
    city.resident.role_codes  # noqa: B018

    with django_assert_max_num_queries(COMPLAINT_QUERIES):
        wo = workorder_create(
            category=complaint,
            description="抄表员态度不好",
            channel=Channel.API,
            by=city.resident,
            household=household,
        )

    assert wo.opinion_risk
    assert Message.objects.filter(user=city.supervisor).exists()
