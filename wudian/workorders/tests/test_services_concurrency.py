"""Two people acting on one request at the same moment: exactly one wins, on SQLite and on
PostgreSQL. Real threads with their own connections, so these tests commit (transactional)."""

from __future__ import annotations

import datetime
import importlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from wudian.conftest import City
from wudian.notify.models import Message
from wudian.workorders.models import Category, Channel, WorkOrder, WorkOrderEvent
from wudian.workorders.services import (
    workorder_accept,
    workorder_create,
    workorder_transfer,
    workorders_check_clocks,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _categories(db: None) -> None:
    """The data migration's categories: an earlier transactional test may have flushed them
    (serialized_rollback clashes with content types recreated by such a flush)."""
    migration = importlib.import_module("wudian.workorders.migrations.0002_categories")
    migration.seed(apps, None)


def at_once(*actions: Callable[[], Any]) -> list[str]:
    """Run the actions in threads released together; "won" or "refused" for each."""
    barrier = threading.Barrier(len(actions))
    results: list[str] = []

    def run(action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            action()
            results.append("won")
        except (ValidationError, PermissionDenied):
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


def fault(city: City) -> WorkOrder:
    return workorder_create(
        category=Category.objects.get(code="fault_behind_meter"),
        description="卫生间插座没有电",
        channel=Channel.WEB,
        by=city.resident,
        household=city.north_home,
    )


def test_two_staff_accepting_at_once_cannot_both_win(city: City) -> None:
    wo = fault(city)

    results = at_once(
        lambda: workorder_accept(workorder=wo, by=city.electrician),
        lambda: workorder_accept(workorder=wo, by=city.manager),
    )

    assert results == ["refused", "won"]
    stored = WorkOrder.objects.get(pk=wo.pk)
    accepted = WorkOrderEvent.objects.get(workorder=wo, kind="accepted")
    assert stored.owner == stored.assignee == accepted.by
    assert stored.status == WorkOrder.Status.ACCEPTED


def test_two_staff_passing_it_on_at_once_cannot_both_win(city: City) -> None:
    wo = fault(city)
    repair = city.dept.department

    results = at_once(
        lambda: workorder_transfer(
            workorder=wo, by=city.manager, reason="交抢修班", department=repair
        ),
        lambda: workorder_transfer(
            workorder=wo, by=city.supervisor, reason="交抢修班处理", department=repair
        ),
    )

    assert results == ["refused", "won"]
    assert WorkOrderEvent.objects.filter(workorder=wo, kind="transferred").count() == 1
    assert WorkOrder.objects.get(pk=wo.pk).department == repair


def test_two_sweeps_at_once_escalate_a_missed_deadline_once(city: City) -> None:
    wo = fault(city)
    later = timezone.now() + datetime.timedelta(minutes=16)
    counts: list[dict[str, int]] = []

    results = at_once(
        lambda: counts.append(workorders_check_clocks(now=later)),
        lambda: counts.append(workorders_check_clocks(now=later)),
    )

    assert results == ["won", "won"]
    assert sorted(c["overdue"] for c in counts) == [0, 1]
    assert WorkOrderEvent.objects.filter(workorder=wo, kind="overdue").count() == 1
    assert (
        Message.objects.filter(user=city.manager, channel="inapp", context__kind="overdue").count()
        == 1
    )
