"""The demo city's outage notices, created through the services staff use."""

from __future__ import annotations

import datetime

from django.utils import timezone

from wudian.accounts.models import User
from wudian.front.demo.common import DemoSummary
from wudian.outages.models import Outage
from wudian.outages.services import outage_create, outage_restore

# Outage notices: one ahead for each customer manager's resident, and one fault that is over,
# so the window, /me/, the desk and the feeds have something to show. Created once (by title)
# through the same services staff use, so they are notified like real ones.
DEMO_OUTAGES = [
    # username, kind, title, station area, days from today, start hour, hours, reason
    (
        "manager1",
        "planned",
        "锦绣华庭1号台区计划检修停电",
        "TQ-JXHT-1",
        10,
        8,
        9,
        "更换1号台区配电变压器低压出线柜，提升供电可靠性。",
    ),
    (
        "manager2",
        "planned",
        "华府名苑1号台区计划检修停电",
        "TQ-HFMY-1",
        12,
        9,
        6,
        "10kV黄山线华府名苑支线带电作业条件不足，停电检修环网柜。",
    ),
    (
        "manager1",
        "fault",
        "朝阳新村1号台区低压故障停电",
        "TQ-CYXC-1",
        -3,
        19,
        3,
        "低压电缆分支箱进水短路，抢修班已到场处理。",
    ),
]


def outages_seed(summary: DemoSummary) -> None:
    today = timezone.localdate()
    for username, kind, title, area, days, hour, hours, reason in DEMO_OUTAGES:
        if Outage.objects.filter(title=title).exists():
            continue
        by = User.objects.get(username=username)
        start = timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(hour))
        )
        end = start + datetime.timedelta(hours=hours)
        outage = outage_create(
            by=by,
            kind=kind,
            title=title,
            reason=reason,
            start=start,
            end=end,
            station_areas=[area],
            estimated_restoration=end if kind == Outage.Kind.FAULT else None,
        )
        if end < timezone.now():
            outage_restore(outage=outage, by=by, at=end)
        summary.created["Outage"] += 1
