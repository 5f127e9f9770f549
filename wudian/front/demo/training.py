"""The utility's training of the demo city's electricians: two trainings held this year by
supervisor1 for the district (electrician1 and electrician2 passed, electrician3 absent) and
one coming up. Made through the services; seeded once (a training is found by its topic)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from wudian.accounts.models import User
from wudian.fieldwork.models import TrainingSession
from wudian.fieldwork.services import training as services
from wudian.front.demo.common import DemoSummary
from wudian.grid.scope import districts_of

# (days from today, topic, trainer, place, hours, results by electrician: (result, score))
DEMO_TRAININGS: list[tuple[int, str, str, str, str, dict[str, tuple[str, int | None]]]] = [
    (
        -120,
        "低压电工安全操作规程与触电急救",
        "王建华（蚌山供电中心安全员）",
        "蚌山供电中心三楼培训室",
        "4",
        {
            "electrician1": ("passed", 92),
            "electrician2": ("passed", 88),
            "electrician3": ("absent", None),
        },
    ),
    (
        -30,
        "表后线路故障排查与漏电保护器检测",
        "李明（营销部计量班）",
        "涂山社区物电联络站",
        "3",
        {
            "electrician1": ("passed", 95),
            "electrician2": ("passed", 90),
            "electrician3": ("absent", None),
        },
    ),
    (
        12,
        "电动汽车充电桩安全与楼道消防用电",
        "赵工（运检部）",
        "蚌山供电中心三楼培训室",
        "2",
        {"electrician1": ("pending", None), "electrician2": ("pending", None)},
    ),
]


def training_seed(summary: DemoSummary) -> None:
    organiser = User.objects.filter(username="supervisor1").first()
    if organiser is None:
        return
    district = districts_of(organiser).order_by("pk").first()
    if district is None:
        return
    now = timezone.localtime()
    year_start = now.replace(month=1, day=2, hour=9, minute=0, second=0, microsecond=0)
    electricians = {
        user.username: user for user in User.objects.filter(username__startswith="electrician")
    }
    for days, topic, trainer, place, hours, results in DEMO_TRAININGS:
        if TrainingSession.objects.filter(topic=topic, district=district).exists():
            continue
        starts = (now + datetime.timedelta(days=days)).replace(
            hour=9, minute=0, second=0, microsecond=0
        )
        if days < 0:
            # Held this year, even early in January.
            starts = max(starts, year_start)
            if starts >= now:
                starts = now - datetime.timedelta(hours=4)
        session = services.training_create(
            by=organiser,
            data=services.TrainingIn(
                topic=topic,
                trainer=trainer,
                place=place,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=float(hours)),
                hours=Decimal(hours),
                district_id=district.pk,
            ),
        )
        summary.created["TrainingSession"] += 1
        for username, (result, score) in results.items():
            electrician = electricians.get(username)
            if electrician is None:
                continue
            services.attendance_record(
                session=session,
                by=organiser,
                data=services.AttendanceIn(
                    electrician_id=electrician.pk, result=result, score=score
                ),
            )
            summary.created["TrainingAttendance"] += 1
