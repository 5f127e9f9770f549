"""Two members of staff acting on one request at the same moment through the API: the
request is locked while a step is taken, so exactly one of them wins and the other is
refused against the state the winner left."""

from __future__ import annotations

import importlib
import threading
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from wudian.accounts.models import RoleCode, User
from wudian.conftest import City, api, make_user, post
from wudian.workorders.models import WorkOrder, WorkOrderEvent
from wudian.workorders.services import workorder_escalate

URL = "/api/v1/workorders"

# Committed data, so each thread's own connection sees it.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _categories(db: None) -> None:
    """The data migration's categories: an earlier transactional test may have flushed them."""
    migration = importlib.import_module("wudian.workorders.migrations.0002_categories")
    migration.seed(apps, None)


def race(*calls: tuple[User, str, dict[str, Any]], workorder: int) -> list[tuple[str, int]]:
    """Send the actions at once, one thread each; returns (username, status) per call."""
    clients = [(user, api(user), action, data) for user, action, data in calls]
    barrier = threading.Barrier(len(clients))
    results: list[tuple[str, int]] = []

    def send(user: User, client: Client, action: str, data: dict[str, Any]) -> None:
        try:
            barrier.wait(timeout=10)
            response = post(client, f"{URL}/{workorder}/actions/{action}", data)
            results.append((user.username, response.status_code))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=call) for call in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def file_fault(city: City) -> int:
    response = post(
        api(city.resident),
        URL,
        {
            "category": "fault_behind_meter",
            "description": "楼道配电箱冒烟",
            "household_id": city.north_home.pk,
        },
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_two_staff_accepting_at_once_cannot_both_win(city: City) -> None:
    pk = file_fault(city)

    results = race((city.electrician, "accept", {}), (city.manager, "accept", {}), workorder=pk)

    statuses = sorted(status for _name, status in results)
    assert statuses == [200, 409], results
    winner = next(name for name, status in results if status == 200)
    wo = WorkOrder.objects.get(pk=pk)
    assert wo.status == WorkOrder.Status.ACCEPTED
    assert wo.owner is not None
    assert wo.owner.username == winner
    assert wo.assignee == wo.owner
    accepted = WorkOrderEvent.objects.filter(workorder_id=pk, kind="accepted")
    assert accepted.count() == 1
    assert accepted.get().by == wo.owner


def test_accepting_and_transferring_at_once_cannot_both_win(city: City) -> None:
    """Two members of the repair crew hold the request: one accepts it while the other
    passes it back to the customer manager."""
    colleague = make_user("dept_2", RoleCode.DEPARTMENT, department=city.dept.department)
    pk = file_fault(city)
    workorder_escalate(
        workorder=WorkOrder.objects.get(pk=pk),
        by=city.manager,
        reason="需抢修班处理",
        department=city.dept.department,
    )
    before = WorkOrderEvent.objects.filter(workorder_id=pk).count()

    results = race(
        (city.dept, "accept", {}),
        (colleague, "transfer", {"reason": "不归抢修班", "to": "manager"}),
        workorder=pk,
    )

    by_name = dict(results)
    assert sorted(by_name.values())[0] == 200, results
    assert sorted(by_name.values())[1] in (403, 409), results
    wo = WorkOrder.objects.get(pk=pk)
    kinds = list(
        WorkOrderEvent.objects.filter(workorder_id=pk)
        .order_by("pk")
        .values_list("kind", flat=True)[before:]
    )
    if by_name["dept"] == 200:
        assert kinds == ["accepted"]
        assert (wo.status, wo.assignee) == (WorkOrder.Status.ACCEPTED, city.dept)
    else:
        assert kinds == ["transferred"]
        assert (wo.status, wo.assignee) == (WorkOrder.Status.SUBMITTED, city.manager)
        assert wo.department is None
