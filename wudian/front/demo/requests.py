"""The demo city's resident requests, filed and worked through the services staff use."""

from __future__ import annotations

import datetime

from django.utils import timezone

from wudian.accounts.models import Department, RoleCode, User
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.people import LOGINS
from wudian.grid import scope
from wudian.grid.models import Compound, Household
from wudian.workorders import services
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.open311.keys import open311_key_issue

# Requests in every state a desk shows: a fault waiting for electrician1, one resolved and
# awaiting resident1's confirmation, one closed and rated, a phone call whose arrival is
# already overdue, a priority complaint phoned in for a special-group household and waiting for
# the caller, a fault escalated to the repair crew, and resident2's enquiry with manager2.
# (minutes ago filed, username filing, home, category, channel, description, steps)
DEMO_REQUESTS: list[tuple[int, str, str, str, str, str, list[tuple[int, str, str, str]]]] = [
    (
        20,
        "resident1",
        "resident1",
        "fault_behind_meter",
        "web",
        "厨房插座没电了，家里空开合上又跳，麻烦师傅来看看。",
        [],
    ),
    (
        60 * 26,
        "resident1",
        "resident1",
        "billing_enquiry",
        "web",
        "这个月的电费比上个月多了一倍，想了解一下阶梯电价是怎么算的。",
        [
            (60 * 25, "manager1", "accept", ""),
            (
                60 * 22,
                "manager1",
                "resolve",
                "已电话解释年度阶梯电价：本年用电已超过第一档 2160 度。",
            ),
        ],
    ),
    (
        60 * 24 * 4,
        "resident1",
        "resident1",
        "business_new",
        "web",
        "新买的车库想单独装一块电表，请问需要准备什么材料？",
        [
            (60 * 24 * 4 - 30, "manager1", "accept", ""),
            (60 * 24 * 2, "manager1", "resolve", "已现场勘查并完成装表接电。"),
            (60 * 24 * 2 - 60, "resident1", "rate", "客户经理上门服务，不用跑营业厅，很满意。"),
        ],
    ),
    (
        120,
        "manager1",
        "neighbour",
        "fault_before_meter",
        "phone",
        "电话报修：1号楼1单元楼道总闸冒烟，整个单元没电。",
        [(110, "manager1", "accept", "")],
    ),
    (
        60 * 5,
        "manager1",
        "special",
        "complaint",
        "phone",
        "来电：家里有卧床老人，上周停电没有提前通知，电费也不知道怎么交，希望有人上门说明。",
        [
            (60 * 4, "manager1", "accept", ""),
            (60 * 3, "manager1", "wait", "已约上门，请告知方便的时间。"),
        ],
    ),
    (
        90,
        "electrician1",
        "neighbour",
        "fault_behind_meter",
        "visit",
        "巡查发现住户电表箱内进线端子烧蚀，需要停电更换。",
        [
            (80, "electrician1", "accept", ""),
            (70, "electrician1", "escalate", "端子在表前，需供电公司处理。"),
            (60, "manager1", "escalate", "表前进线需停电更换，转抢修班。"),
        ],
    ),
    (
        45,
        "resident2",
        "resident2",
        "outage_enquiry",
        "web",
        "今天下午小区停电了吗？什么时候恢复？",
        [(40, "manager2", "accept", "")],
    ),
]


# The demo Open311 key: the 朝阳 community's residents' committee app, for its own compounds.
DEMO_OPEN311_ORGANISATION = "朝阳社区居委会"
DEMO_OPEN311_COMMUNITY = "BS-CHAOYANG"


def requests_seed(summary: DemoSummary) -> None:
    open311_key_issue(
        name="演示客户端",
        organisation=DEMO_OPEN311_ORGANISATION,
        compounds=Compound.objects.filter(community__code=DEMO_OPEN311_COMMUNITY),
        key="demo-open311-key",
    )
    if WorkOrder.objects.filter(description=DEMO_REQUESTS[0][5]).exists():
        return
    users = {
        user.username: user
        for user in User.objects.filter(username__in=[login.username for login in LOGINS])
    }
    resident1_home = scope.own_households(users["resident1"]).get()
    others = (
        Household.objects.filter(building__compound=resident1_home.building.compound)
        .exclude(pk=resident1_home.pk)
        .select_related("building__compound", "station_area")
    )
    homes = {
        "resident1": resident1_home,
        "resident2": scope.own_households(users["resident2"]).get(),
        "neighbour": others.order_by("account_no")[0],
        "special": others.order_by("-account_no")[0],
    }
    if not homes["special"].special_group:
        homes["special"].special_group = True
        homes["special"].save(update_fields=["special_group"])
    repair_crew = Department.objects.filter(code="REPAIR-BS").first()
    now = timezone.now()
    for ago, username, home, code, channel, text, steps in DEMO_REQUESTS:
        workorder = services.workorder_create(
            category=Category.objects.get(code=code),
            description=text,
            channel=channel,
            by=users[username],
            household=homes[home],
            now=now - datetime.timedelta(minutes=ago),
        )
        for step_ago, actor, action, note in steps:
            at = now - datetime.timedelta(minutes=step_ago)
            by = users[actor]
            if action == "accept":
                services.workorder_accept(workorder=workorder, by=by, now=at)
            elif action == "resolve":
                services.workorder_resolve(workorder=workorder, by=by, note=note, now=at)
            elif action == "wait":
                services.workorder_wait(workorder=workorder, by=by, note=note, now=at)
            elif action == "rate":
                services.workorder_rate(
                    workorder=workorder, by=by, rating=5, comment=note, visited_hall=False, now=at
                )
            elif action == "escalate":
                department = repair_crew if by.has_role(RoleCode.CUSTOMER_MANAGER) else None
                services.workorder_escalate(
                    workorder=workorder, by=by, reason=note, department=department, now=at
                )
        summary.created["WorkOrder"] += 1
