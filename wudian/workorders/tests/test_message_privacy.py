"""What staff read of a request in their messages: those who serve the household read its
address and that it is a special-group household's; a supervisor or a department reads the
building only, and an ordinary request."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.conftest import City
from wudian.notify.models import Message
from wudian.notify.services import render_message
from wudian.workorders.services import workorder_escalate

pytestmark = pytest.mark.django_db


def read_by(user: Any) -> str:
    message = Message.objects.get(user=user, channel="inapp", template="workorder_staff")
    return "\n".join(render_message(message.template, message.context))


def test_a_supervisor_reads_a_priority_complaint_masked_and_its_manager_in_full(
    city: City, file_request: Any
) -> None:
    city.north_home.special_group = True
    city.north_home.save(update_fields=["special_group"])

    file_request("complaint", description="停电没有通知，我要找记者曝光")

    managers = read_by(city.manager)
    supervisors = read_by(city.supervisor)
    assert city.north_home.address in managers
    assert "优先" in managers
    assert city.north_home.address not in supervisors
    assert "101" not in supervisors
    assert "1号楼" in supervisors
    assert "优先" not in supervisors
    assert "舆情" in supervisors  # the opinion risk is what the supervisor is told for


def test_a_department_holding_a_request_reads_it_masked(city: City, file_request: Any) -> None:
    wo = file_request("fault_before_meter")  # the customer manager's
    workorder_escalate(
        workorder=wo,
        by=city.manager,
        reason="需要抢修班处理",
        department=city.dept.department,
    )

    department = read_by(city.dept)
    assert city.north_home.address not in department
    assert "1号楼" in department
