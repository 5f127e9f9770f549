"""A request's service clocks: deadlines in minutes or working days, paused while waiting for
the resident, met or late stored per request, and a year the official calendar does not know."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from chinese_calendar import constants
from django.utils import timezone

from wudian.conftest import City
from wudian.core import calendar
from wudian.core.calendar import CHINA
from wudian.notify.models import Message
from wudian.workorders.models import WorkOrder
from wudian.workorders.services import (
    workorder_accept,
    workorder_arrive,
    workorder_reopen,
    workorder_resolve,
    workorder_resume,
    workorder_wait,
    workorders_check_clocks,
    workorders_retry_clocks,
)
from wudian.workorders.tests.conftest import FRIDAY

UNKNOWN_YEAR = max(day.year for day in constants.holidays) + 1
Status = WorkOrder.Status


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def end_of(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, tzinfo=CHINA) + datetime.timedelta(days=1)


def test_a_fault_gets_minute_clocks_from_its_category(city: City, file_request: Any) -> None:
    wo = file_request(now=FRIDAY)

    assert wo.accept_due == FRIDAY + minutes(15)
    assert wo.arrive_due == FRIDAY + minutes(45)  # the city's 45-minute arrival
    assert wo.resolve_due == FRIDAY + minutes(225)
    assert wo.next_due == wo.accept_due
    # Warned when 20% of the first clock remains.
    assert wo.warn_at == FRIDAY + minutes(12)
    assert wo.clock_problem == ""


def test_working_day_clocks_skip_the_weekend(city: City, file_request: Any) -> None:
    wo = file_request("complaint", description="抄表员态度不好", now=FRIDAY)

    assert wo.accept_due == end_of(2026, 11, 30)  # Friday → end of Monday
    assert wo.arrive_due is None  # no one needs to go on site
    assert wo.resolve_due == end_of(2026, 12, 8)  # 7 working days


def test_working_day_clocks_follow_the_spring_festival_and_its_adjusted_saturdays(
    city: City, file_request: Any
) -> None:
    # Friday 13 Feb 2026: Saturday 14 Feb is worked, 15–23 Feb are holidays.
    filed = datetime.datetime(2026, 2, 13, 10, tzinfo=CHINA)

    wo = file_request("metering_dispute", description="电表走得太快", now=filed)

    assert wo.accept_due == end_of(2026, 2, 14)
    assert wo.resolve_due == end_of(2026, 2, 27)  # 14, 24, 25, 26, 27 Feb


def test_working_day_clocks_follow_national_day(city: City, file_request: Any) -> None:
    filed = datetime.datetime(2026, 9, 30, 16, tzinfo=CHINA)

    wo = file_request("complaint", description="营业厅排队太久", now=filed)

    assert wo.accept_due == end_of(2026, 10, 8)
    assert wo.resolve_due == end_of(2026, 10, 15)  # 8, 9, Saturday 10, 12, 13, 14, 15 Oct


def test_each_clock_is_stored_as_met_or_late(city: City, file_request: Any) -> None:
    wo = file_request(now=FRIDAY)

    wo = workorder_accept(workorder=wo, by=city.electrician, now=FRIDAY + minutes(5))
    assert (wo.accept_late, wo.arrive_late, wo.resolve_late) == (False, None, None)
    assert wo.next_due == wo.arrive_due
    wo = workorder_arrive(workorder=wo, by=city.electrician, now=FRIDAY + minutes(50))
    wo = workorder_resolve(
        workorder=wo, by=city.electrician, note="更换空开", now=FRIDAY + minutes(100)
    )

    stored = WorkOrder.objects.get(pk=wo.pk)
    assert (stored.accept_late, stored.arrive_late, stored.resolve_late) == (False, True, False)
    assert stored.accepted_at == FRIDAY + minutes(5)
    assert stored.arrived_at == FRIDAY + minutes(50)
    assert stored.resolved_at == FRIDAY + minutes(100)
    assert stored.next_due is None
    assert stored.warn_at is None


def test_a_clock_found_missed_stays_late_when_met_afterwards(city: City, file_request: Any) -> None:
    wo = file_request(now=FRIDAY)
    workorders_check_clocks(now=FRIDAY + minutes(16))

    wo = workorder_accept(workorder=wo, by=city.electrician, now=FRIDAY + minutes(20))

    assert wo.accept_late is True
    assert wo.accepted_at == FRIDAY + minutes(20)
    assert wo.next_due == wo.arrive_due


def test_clocks_pause_while_waiting_for_the_resident_and_are_extended_on_resume(
    city: City, file_request: Any
) -> None:
    wo = file_request(now=FRIDAY)
    wo = workorder_accept(workorder=wo, by=city.electrician, now=FRIDAY + minutes(5))
    wo = workorder_wait(
        workorder=wo, by=city.electrician, note="家里没人，请约时间", now=FRIDAY + minutes(10)
    )
    assert wo.status == Status.WAITING
    assert wo.next_due is None
    assert wo.warn_at is None

    # An hour later nothing is overdue: the clocks are paused.
    assert workorders_check_clocks(now=FRIDAY + minutes(70)) == {
        "warned": 0,
        "overdue": 0,
        "closed": 0,
    }
    wo = workorder_resume(workorder=wo, by=city.resident, note="下午在家", now=FRIDAY + minutes(70))

    assert wo.status == Status.ACCEPTED
    assert wo.arrive_due == FRIDAY + minutes(45 + 60)
    assert wo.resolve_due == FRIDAY + minutes(225 + 60)
    assert wo.accept_due == FRIDAY + minutes(15)  # met before the pause: unchanged
    assert wo.next_due == wo.arrive_due
    assert wo.events.get(kind="resumed").data == {"paused_minutes": 60}
    # The holder hears the resident answered.
    assert Message.objects.filter(
        user=city.electrician, channel="inapp", context__kind="resumed"
    ).exists()


def test_a_pause_after_arrival_resumes_on_site(city: City, file_request: Any) -> None:
    wo = file_request(now=FRIDAY)
    wo = workorder_accept(workorder=wo, by=city.electrician, now=FRIDAY + minutes(5))
    wo = workorder_arrive(workorder=wo, by=city.electrician, now=FRIDAY + minutes(30))
    wo = workorder_wait(
        workorder=wo, by=city.electrician, note="需要业主买配件", now=FRIDAY + minutes(40)
    )

    wo = workorder_resume(workorder=wo, by=city.electrician, now=FRIDAY + minutes(100))

    assert wo.status == Status.ARRIVED
    assert wo.resolve_due == FRIDAY + minutes(225 + 60)


def test_a_working_day_clock_is_extended_by_the_working_days_of_the_pause(
    city: City, file_request: Any
) -> None:
    wo = file_request("complaint", description="抄表员态度不好", now=FRIDAY)
    wo = workorder_accept(workorder=wo, by=city.manager, now=FRIDAY + minutes(30))
    monday = datetime.datetime(2026, 11, 30, 10, tzinfo=CHINA)
    wednesday = datetime.datetime(2026, 12, 2, 10, tzinfo=CHINA)
    wo = workorder_wait(workorder=wo, by=city.manager, note="请提供抄表照片", now=monday)

    wo = workorder_resume(workorder=wo, by=city.resident, now=wednesday)

    # Tuesday and Wednesday were working days: 8 Dec → 10 Dec.
    assert wo.resolve_due == end_of(2026, 12, 10)


def test_reopening_starts_a_new_resolution_clock(city: City, file_request: Any) -> None:
    wo = file_request(now=FRIDAY)
    wo = workorder_accept(workorder=wo, by=city.electrician, now=FRIDAY + minutes(5))
    wo = workorder_arrive(workorder=wo, by=city.electrician, now=FRIDAY + minutes(20))
    wo = workorder_resolve(
        workorder=wo, by=city.electrician, note="复位空开", now=FRIDAY + minutes(300)
    )
    assert wo.resolve_late is True
    reopened_at = FRIDAY + datetime.timedelta(days=1)

    wo = workorder_reopen(workorder=wo, by=city.resident, reason="又跳闸了", now=reopened_at)

    assert wo.status == Status.ACCEPTED
    assert wo.assignee == city.electrician
    assert wo.resolve_due == reopened_at + minutes(225)
    assert wo.resolved_at is None
    assert wo.resolve_late is None
    assert wo.next_due == wo.resolve_due
    assert wo.arrive_due == FRIDAY + minutes(45)  # met: not restarted
    assert wo.reopen_count == 1


def test_reopening_a_fault_resolved_without_a_visit_restarts_the_arrival_clock(
    city: City, file_request: Any
) -> None:
    wo = file_request(now=FRIDAY)
    wo = workorder_accept(workorder=wo, by=city.electrician, now=FRIDAY + minutes(5))
    wo = workorder_resolve(
        workorder=wo, by=city.electrician, note="电话指导复位", now=FRIDAY + minutes(10)
    )
    reopened_at = FRIDAY + datetime.timedelta(hours=5)

    wo = workorder_reopen(workorder=wo, by=city.resident, reason="还是没电", now=reopened_at)

    assert wo.arrive_due == reopened_at + minutes(45)
    assert wo.next_due == wo.arrive_due
    # So the sweep does not find the old arrival deadline missed at once.
    assert workorders_check_clocks(now=reopened_at + minutes(1))["overdue"] == 0


# A year the official calendar does not know -----------------------------------------------


def unknown_year_morning() -> datetime.datetime:
    return datetime.datetime(UNKNOWN_YEAR, 3, 3, 10, tzinfo=CHINA)


def test_a_request_in_an_unknown_year_is_filed_with_its_clock_problem_and_the_manager_told(
    city: City, file_request: Any
) -> None:
    filed = unknown_year_morning()

    wo = file_request("complaint", description="抄表员态度不好", now=filed)

    stored = WorkOrder.objects.get(pk=wo.pk)
    assert stored.status == Status.SUBMITTED
    assert stored.assignee == city.manager
    assert stored.accept_due is None
    assert stored.resolve_due is None
    assert str(UNKNOWN_YEAR) in stored.clock_problem
    assert stored.next_due is None
    assert Message.objects.filter(user=city.manager, context__kind="submitted").exists()


def test_minute_clocks_need_no_calendar_in_an_unknown_year(city: City, file_request: Any) -> None:
    filed = unknown_year_morning()

    wo = file_request(now=filed)

    assert wo.clock_problem == ""
    assert wo.accept_due == filed + minutes(15)
    assert wo.resolve_due == filed + minutes(225)


def test_the_missing_deadlines_are_filled_in_once_the_calendar_knows_the_year(
    city: City, file_request: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    filed = unknown_year_morning()
    wo = file_request("complaint", description="抄表员态度不好", now=filed)
    assert workorders_retry_clocks(now=filed + minutes(60)) == 0
    assert WorkOrder.objects.get(pk=wo.pk).clock_problem != ""

    # The calendar is updated: this year's weekdays are working days.
    real = calendar.chinese_calendar.is_workday

    def updated(day: datetime.date) -> bool:
        return day.weekday() < 5 if day.year == UNKNOWN_YEAR else bool(real(day))

    monkeypatch.setattr(calendar.chinese_calendar, "is_workday", updated)

    assert workorders_retry_clocks(now=filed + minutes(120)) == 1
    stored = WorkOrder.objects.get(pk=wo.pk)
    first = datetime.date(UNKNOWN_YEAR, 3, 3)
    accept_day = next(
        first + datetime.timedelta(days=n)
        for n in range(1, 5)
        if (first + datetime.timedelta(days=n)).weekday() < 5
    )
    assert stored.accept_due == end_of(accept_day.year, accept_day.month, accept_day.day)
    assert stored.resolve_due is not None
    assert stored.clock_problem == ""
    assert stored.next_due == stored.accept_due
    assert workorders_retry_clocks(now=filed + minutes(180)) == 0


def test_the_retry_leaves_settled_requests_alone(city: City, file_request: Any) -> None:
    wo = file_request("complaint", description="抄表员态度不好", now=unknown_year_morning())
    WorkOrder.objects.filter(pk=wo.pk).update(status=Status.CANCELLED)

    assert workorders_retry_clocks(now=timezone.now()) == 0
