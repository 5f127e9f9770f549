"""Routing and escalation: whose hands a request goes to, every hop recorded, the first
responsible kept and told, special-group priority and opinion risk."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wudian.accounts.models import Certificate, Department, RoleCode
from wudian.conftest import City, make_user, snapshot, told
from wudian.core.calendar import china_date
from wudian.core.errors import WrongState
from wudian.core.models import ServiceRule
from wudian.grid.models import CompoundAssignment, District, DutyShift
from wudian.notify.models import Message
from wudian.workorders.models import WorkOrder
from wudian.workorders.services import (
    certified_electricians,
    route,
    workorder_accept,
    workorder_comment,
    workorder_confirm,
    workorder_escalate,
    workorder_resolve,
    workorder_transfer,
    workorder_wait,
)
from wudian.workorders.tests.conftest import FRIDAY

Status = WorkOrder.Status


def certified(city: City, username: str) -> Any:
    """A second certified electrician of the north compound."""
    user = make_user(username, RoleCode.ELECTRICIAN)
    CompoundAssignment.objects.create(user=user, compound=city.north, role=RoleCode.ELECTRICIAN)
    today = datetime.date.today()
    Certificate.objects.create(
        holder=user,
        number=f"T-{username}",
        issuer="蚌埠市应急管理局",
        issued_on=today - datetime.timedelta(days=30),
        expires_on=today + datetime.timedelta(days=365),
    )
    return user


def on_duty_today(city: City, user: Any) -> None:
    DutyShift.objects.create(
        compound=city.north, electrician=user, weekday=china_date(timezone.now()).isoweekday()
    )


# Where a new request goes ------------------------------------------------------------------


def test_a_fault_behind_the_meter_goes_to_the_certified_electrician(
    city: City, file_request: Any
) -> None:
    wo = file_request()

    assert wo.assignee == city.electrician
    assert wo.status == Status.SUBMITTED
    assert wo.owner is None
    event = wo.events.get()
    assert (event.kind, event.to_user, event.by) == ("submitted", city.electrician, city.resident)
    assert told(city.electrician, "submitted") == 1
    assert told(city.manager, "submitted") == 0


def test_an_expired_certificate_never_receives_a_fault_even_on_duty_and_idle(
    city: City, file_request: Any
) -> None:
    on_duty_today(city, city.electrician_expired)
    file_request(description="厨房插座冒火花")
    file_request(description="客厅灯不亮")

    wo = file_request()

    assert wo.assignee == city.electrician
    assert not WorkOrder.objects.filter(assignee=city.electrician_expired).exists()
    assert city.electrician_expired.pk not in certified_electricians(
        city.north, on=china_date(timezone.now())
    )


def test_the_electrician_on_the_roster_of_the_day_comes_first(
    city: City, file_request: Any
) -> None:
    second = certified(city, "electrician2")
    on_duty_today(city, second)
    file_request(description="插座没电")  # the one on duty now has a request in hand

    wo = file_request()

    assert wo.assignee == second
    on = china_date(timezone.now())
    assert certified_electricians(city.north, on=on) == [second.pk, city.electrician.pk]
    tomorrow = on + datetime.timedelta(days=1)
    assert certified_electricians(city.north, on=tomorrow)[0] == city.electrician.pk


def test_without_a_roster_the_least_loaded_certified_electrician_gets_it(
    city: City, file_request: Any
) -> None:
    second = certified(city, "electrician2")

    first = file_request(description="插座没电")
    then = file_request(description="空开跳闸")
    third = file_request(description="灯不亮")

    assert first.assignee == city.electrician  # both idle: the lower id
    assert then.assignee == second
    assert third.assignee == city.electrician
    # Requests no longer in hand (resolved) do not count as load.
    workorder_accept(workorder=third, by=city.electrician)
    workorder_resolve(workorder=third, by=city.electrician, note="换了灯泡")
    workorder_accept(workorder=first, by=city.electrician)
    workorder_resolve(workorder=first, by=city.electrician, note="复位")
    assert file_request(description="又跳闸").assignee == city.electrician


def test_with_no_certified_electrician_a_fault_goes_to_the_customer_manager(
    city: City, file_request: Any
) -> None:
    Certificate.objects.filter(holder=city.electrician).update(
        expires_on=datetime.date.today() - datetime.timedelta(days=1)
    )

    wo = file_request()

    assert wo.assignee == city.manager
    assert told(city.manager, "submitted") == 1
    assert route(wo.category, city.north, on=china_date(timezone.now())) == city.manager.pk


@pytest.mark.parametrize(
    "code",
    [
        "fault_before_meter",
        "outage_enquiry",
        "billing_enquiry",
        "metering_dispute",
        "business_new",
        "hazard",
        "complaint",
        "suggestion",
    ],
)
def test_other_categories_go_to_the_customer_manager(
    city: City, file_request: Any, code: str
) -> None:
    wo = file_request(code, description="请处理")

    assert wo.assignee == city.manager
    assert told(city.electrician, "submitted") == 0


def test_a_compound_without_staff_still_files_the_request_for_someone_to_assign(
    city: City, file_request: Any
) -> None:
    CompoundAssignment.objects.filter(compound=city.north).delete()

    wo = file_request()

    assert wo.assignee is None
    assert wo.events.get().kind == "submitted"


# Every hop, and the first responsible ------------------------------------------------------


def test_electrician_escalates_to_manager_who_passes_to_the_department_and_a_member_accepts(
    city: City, file_request: Any
) -> None:
    wo = file_request()
    wo = workorder_accept(workorder=wo, by=city.electrician)
    assert wo.owner == city.electrician

    wo = workorder_escalate(workorder=wo, by=city.electrician, reason="进户线老化，需供电公司处理")
    assert (wo.assignee, wo.department, wo.status) == (city.manager, None, Status.SUBMITTED)
    assert told(city.manager, "escalated") == 1

    department = city.dept.department
    wo = workorder_escalate(
        workorder=wo, by=city.manager, reason="需抢修班带电作业", department=department
    )
    assert (wo.assignee, wo.department, wo.status) == (None, department, Status.SUBMITTED)
    assert told(city.dept, "escalated") == 1

    wo = workorder_accept(workorder=wo, by=city.dept)
    wo = workorder_resolve(workorder=wo, by=city.dept, note="更换进户线")
    wo = workorder_confirm(workorder=wo, by=city.resident)

    hops = list(
        wo.events.filter(kind__in=["escalated", "transferred"]).values_list(
            "by__username", "to_user__username", "to_department__code", "note"
        )
    )
    assert hops == [
        ("electrician", "manager", None, "进户线老化，需供电公司处理"),
        ("manager", None, "REPAIR", "需抢修班带电作业"),
    ]
    assert list(wo.events.values_list("kind", flat=True)) == [
        "submitted",
        "accepted",
        "escalated",
        "escalated",
        "accepted",
        "resolved",
        "confirmed",
    ]
    # First responsible: the electrician who accepted first, told of every later change
    # (not of their own step) until the resident confirmed.
    assert wo.owner == city.electrician
    assert wo.assignee == city.dept
    for kind in ["escalated", "accepted", "resolved", "confirmed"]:
        assert told(city.electrician, kind) == 1, kind
    assert wo.accepted_at is not None
    assert wo.accept_late is False


def test_a_transfer_is_recorded_and_the_owner_keeps_being_told(
    city: City, file_request: Any
) -> None:
    wo = file_request("complaint", description="抄表不准")
    wo = workorder_accept(workorder=wo, by=city.manager)

    wo = workorder_transfer(
        workorder=wo, by=city.manager, reason="请营业厅核实", department=city.dept.department
    )
    wo = workorder_transfer(workorder=wo, by=city.dept, reason="交回经理", to_user=city.manager)

    assert list(
        wo.events.filter(kind="transferred").values_list(
            "by__username", "to_user__username", "to_department__code"
        )
    ) == [("manager", None, "REPAIR"), ("dept", "manager", None)]
    assert wo.owner == city.manager
    assert told(city.manager, "transferred") == 1  # the one by the department
    assert told(city.dept, "transferred") == 1  # the one that reached the department


def test_another_departments_member_cannot_accept(city: City, file_request: Any) -> None:
    hall = Department.objects.create(
        code="HALL", name="营业厅", kind=Department.Kind.BUSINESS_HALL, district=city.district
    )
    clerk = make_user("clerk", RoleCode.DEPARTMENT, department=hall)
    wo = file_request("complaint", description="抄表不准")
    wo = workorder_escalate(
        workorder=wo, by=city.manager, reason="需抢修班", department=city.dept.department
    )
    before = snapshot(wo)

    with pytest.raises(PermissionDenied):
        workorder_accept(workorder=wo, by=clerk)

    assert snapshot(wo) == before


@pytest.mark.parametrize(
    ("actor", "kwargs", "error"),
    [
        # A property electrician escalates to the manager, never straight to a department.
        ("electrician", {"department": "REPAIR"}, PermissionDenied),
        # Nobody but the holder or the compound's manager escalates.
        ("electrician_expired", {}, PermissionDenied),
        ("manager_b", {}, PermissionDenied),
        ("resident", {}, PermissionDenied),
        ("supervisor", {}, PermissionDenied),
    ],
)
def test_refused_escalations_change_nothing(
    city: City, file_request: Any, actor: str, kwargs: dict[str, Any], error: type
) -> None:
    wo = workorder_accept(workorder=file_request(), by=city.electrician)
    if "department" in kwargs:
        kwargs = {"department": Department.objects.get(code=kwargs["department"])}
    before = snapshot(wo)

    with pytest.raises(error):
        workorder_escalate(workorder=wo, by=getattr(city, actor), reason="处理不了", **kwargs)

    assert snapshot(wo) == before


def test_the_manager_escalates_only_to_a_department_of_the_district(
    city: City, file_request: Any
) -> None:
    wo = file_request("complaint", description="抄表不准")
    elsewhere = District.objects.create(code="D2", name="龙子湖区", city="蚌埠市")
    far = Department.objects.create(
        code="FAR", name="龙子湖抢修班", kind=Department.Kind.REPAIR_CREW, district=elsewhere
    )
    before = snapshot(wo)

    with pytest.raises(ValidationError) as no_department:
        workorder_escalate(workorder=wo, by=city.manager, reason="需要处理")
    with pytest.raises(ValidationError) as wrong_district:
        workorder_escalate(workorder=wo, by=city.manager, reason="需要处理", department=far)
    with pytest.raises(ValidationError):
        workorder_escalate(workorder=wo, by=city.manager, reason="  ", department=far)

    assert "department" in no_department.value.message_dict
    assert "department" in wrong_district.value.message_dict
    assert snapshot(wo) == before


@pytest.mark.parametrize(
    ("code", "actor", "target", "error"),
    [
        ("fault_behind_meter", "manager", "electrician_expired", ValidationError),
        ("fault_behind_meter", "manager", "electrician_b", ValidationError),  # other compound
        ("fault_behind_meter", "manager", "staff", ValidationError),
        ("complaint", "manager", "electrician", ValidationError),  # not an electrician's job
        ("fault_behind_meter", "electrician", "electrician", ValidationError),  # same hands
        ("fault_behind_meter", "outsider", "manager", PermissionDenied),
        ("fault_behind_meter", "gridadmin", "manager", PermissionDenied),
        ("fault_behind_meter", "electrician", "REPAIR", PermissionDenied),
    ],
)
def test_refused_transfers_change_nothing(
    city: City, file_request: Any, code: str, actor: str, target: str, error: type
) -> None:
    wo = file_request(code, description="请处理")
    department = Department.objects.filter(code=target).first()
    to_user = None if department else getattr(city, target)
    before = snapshot(wo)

    with pytest.raises(error):
        workorder_transfer(
            workorder=wo,
            by=getattr(city, actor),
            reason="换人处理",
            to_user=to_user,
            department=department,
        )

    assert snapshot(wo) == before


def test_a_supervisor_may_transfer_but_not_while_it_waits_for_the_resident(
    city: City, file_request: Any
) -> None:
    wo = workorder_accept(workorder=file_request(), by=city.electrician)
    wo = workorder_wait(workorder=wo, by=city.electrician, note="请告知上门时间")
    before = snapshot(wo)

    with pytest.raises(WrongState):
        workorder_transfer(workorder=wo, by=city.supervisor, reason="转经理", to_user=city.manager)
    assert snapshot(wo) == before

    other = file_request(description="又坏了")
    moved = workorder_transfer(
        workorder=other, by=city.supervisor, reason="转经理", to_user=city.manager
    )
    assert moved.assignee == city.manager


def test_a_department_already_holding_it_cannot_be_given_it_again(
    city: City, file_request: Any
) -> None:
    wo = file_request("complaint", description="抄表不准")
    repair = city.dept.department
    wo = workorder_transfer(workorder=wo, by=city.manager, reason="抢修班", department=repair)
    before = snapshot(wo)

    with pytest.raises(ValidationError):
        workorder_transfer(workorder=wo, by=city.manager, reason="再给一次", department=repair)

    assert snapshot(wo) == before


# Special-group households ------------------------------------------------------------------


def test_a_special_group_household_gets_priority_shorter_clocks_and_the_manager_at_once(
    city: City, file_request: Any
) -> None:
    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])

    wo = file_request(now=FRIDAY)

    assert wo.priority
    assert wo.assignee == city.electrician
    # 50% of 15 / 45 / 225 minutes, rounded up.
    assert wo.accept_due == FRIDAY + datetime.timedelta(minutes=8)
    assert wo.arrive_due == FRIDAY + datetime.timedelta(minutes=23)
    assert wo.resolve_due == FRIDAY + datetime.timedelta(minutes=113)
    message = Message.objects.get(user=city.manager, channel="inapp", context__kind="submitted")
    assert message.context["priority"] is True
    assert message.urgent
    assert Message.objects.filter(user=city.electrician, urgent=True).exists()


def test_an_ordinary_household_is_not_priority_and_the_manager_is_not_told(
    city: City, file_request: Any
) -> None:
    wo = file_request(now=FRIDAY)

    assert not wo.priority
    assert wo.accept_due == FRIDAY + datetime.timedelta(minutes=15)
    assert told(city.manager, "submitted") == 0


def test_the_priority_share_is_a_rule_and_working_day_clocks_round_up(
    city: City, file_request: Any
) -> None:
    ServiceRule.objects.update_or_create(
        key="workorder.priority_percent", defaults={"value": Decimal(25)}
    )
    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])

    fault = file_request(now=FRIDAY)
    # Complaint: 1 and 7 working days → 1 (cannot get shorter) and 2 (7 × 25% rounded up).
    complaint = file_request("complaint", description="抄表员态度差", now=FRIDAY)

    assert fault.accept_due == FRIDAY + datetime.timedelta(minutes=4)
    assert complaint.accept_due == datetime.datetime(2026, 11, 30, 16, tzinfo=datetime.UTC)
    assert complaint.resolve_due == datetime.datetime(2026, 12, 1, 16, tzinfo=datetime.UTC)


# Opinion risk ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "topics"),
    [
        ("outage_enquiry", "小区又停电了，什么时候来电？", ["outage"]),
        ("billing_enquiry", "这个月电费多扣了两百元", ["payment"]),
        ("suggestion", "小区电力移交什么时候完成？", ["handover"]),
        ("fault_before_meter", "再不修我就找记者曝光", ["media"]),
        ("complaint", "抄表员态度不好", ["complaint"]),
        ("complaint", "停电不通知，我要打12345", ["complaint", "outage", "media"]),
    ],
)
def test_sensitive_texts_and_complaints_are_an_opinion_risk_for_the_supervisors(
    city: City, file_request: Any, code: str, text: str, topics: list[str]
) -> None:
    wo = file_request(code, description=text)

    assert wo.opinion_risk
    assert wo.risk_topics == topics
    message = Message.objects.get(user=city.supervisor, channel="inapp")
    assert message.context["opinion_risk"] is True
    assert message.context["kind"] == "submitted"


def test_an_ordinary_request_is_no_risk_and_the_supervisor_is_not_told(
    city: City, file_request: Any
) -> None:
    wo = file_request()

    assert not wo.opinion_risk
    assert wo.risk_topics == []
    assert not Message.objects.filter(user=city.supervisor).exists()


def test_a_residents_later_words_raise_the_risk_but_staffs_do_not(
    city: City, file_request: Any
) -> None:
    wo = file_request()

    wo = workorder_comment(workorder=wo, by=city.electrician, note="媒体报道过类似问题，注意")
    assert not wo.opinion_risk
    wo = workorder_comment(workorder=wo, by=city.resident, note="今天再不来我就找电视台")

    assert wo.opinion_risk
    assert wo.risk_topics == ["media"]
    assert told(city.supervisor, "commented") == 1
    assert WorkOrder.objects.get(pk=wo.pk).risk_topics == ["media"]


def test_someone_who_cannot_see_the_request_cannot_comment(city: City, file_request: Any) -> None:
    wo = file_request()
    before = snapshot(wo)

    for user in (city.outsider, city.resident_b, city.manager_b):
        with pytest.raises(PermissionDenied):
            workorder_comment(workorder=wo, by=user, note="路过看看")

    assert snapshot(wo) == before
