"""gridadmin1's civic work in the demo city: door-to-door visits over the last months with
the appeals raised (one turned into a request, one answered and closed, others still open),
and two volunteer activities — one coming up with sign-ups (resident1 among them), one past
with its attendance marked. Made through the services, at their own times; seeded once."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from wudian.accounts.models import User
from wudian.civic import services
from wudian.civic.models import Activity, Appeal, Visit
from wudian.front.demo.common import DemoSummary
from wudian.grid.models import Compound, Household
from wudian.notify.services import notify_backfill
from wudian.workorders.models import Category
from wudian.workorders.services import workorder_accept, workorder_arrive, workorder_resolve

# (days ago, compound, with manager1, people met, summary, appeals: (kind, text, what happens))
DEMO_VISITS: list[tuple[int, str, bool, int, str, list[tuple[str, str, str]]]] = [
    (
        74,
        "chaoyang-xincun",
        False,
        6,
        "走访朝阳新村3号楼、5号楼，了解老旧小区用电和环境情况，宣传文明养犬公约。",
        [
            ("civic", "希望小区增设垃圾分类投放点。", "answer"),
            ("property", "5号楼单元门禁损坏一个月未修。", ""),
        ],
    ),
    (
        46,
        "nanshan-yuan",
        False,
        4,
        "南山苑入户走访独居老人，讲解冬季取暖用电安全。",
        [("civic", "老人希望社区定期上门测血压。", "close")],
    ),
    (
        21,
        "jinxiu-huating",
        True,
        3,
        "与客户经理一起走访锦绣华庭3号楼住户，收集夏季用电诉求。",
        [
            ("electricity", "3号楼楼道照明线路老化，灯经常闪，担心漏电。", "request"),
            ("property", "地下车库积水，希望物业尽快处理。", ""),
        ],
    ),
    (
        9,
        "tianqiao-xiaoqu",
        False,
        5,
        "天桥小区民意走访：电动车充电和消防通道情况。",
        [
            ("electricity", "希望在非机动车棚加装充电桩，杜绝飞线充电。", ""),
            ("civic", "消防通道被私家车占用。", ""),
        ],
    ),
    (
        2,
        "tushan-huayuan",
        False,
        2,
        "涂山花园入户走访，宣传市民公约和节约用电。",
        [],
    ),
]
DEMO_MARKER = DEMO_VISITS[0][4]

UPCOMING_TITLE = "锦绣华庭安全用电志愿宣传"
PAST_TITLE = "楼道飞线充电清理行动"


def civic_seed(summary: DemoSummary) -> None:
    if Visit.objects.filter(summary=DEMO_MARKER).exists():
        return
    users = {
        user.username: user
        for user in User.objects.filter(
            username__in=["gridadmin1", "manager1", "resident1", "electrician1", "staff1"]
        )
    }
    gridadmin = users["gridadmin1"]
    compounds = {compound.code: compound for compound in Compound.objects.all()}
    now = timezone.now()
    for days, code, together, met, text, appeals in DEMO_VISITS:
        at = now - datetime.timedelta(days=days)
        _visit(summary, users, compounds[code], at, together, met, text, appeals)
    _activities(summary, users, compounds, gridadmin, now)


def _visit(
    summary: DemoSummary,
    users: dict[str, User],
    compound: Compound,
    at: datetime.datetime,
    together: bool,
    met: int,
    text: str,
    appeals: list[tuple[str, str, str]],
) -> None:
    gridadmin = users["gridadmin1"]
    household = (
        Household.objects.filter(building__compound=compound).order_by("account_no").first()
        if any(kind == "electricity" for kind, _text, _then in appeals)
        else None
    )
    with notify_backfill(at=at):
        visit = services.visit_record(
            by=gridadmin,
            compound=compound,
            visited_on=timezone.localdate(at),
            people_met=met,
            summary=text,
            appeals=[services.AppealIn(text=words, kind=kind) for kind, words, _then in appeals],
            household=household,
            companions=[users["manager1"]] if together else [],
            now=at,
        )
    summary.created["Visit"] += 1
    later = at + datetime.timedelta(hours=3)
    for appeal, (_kind, _words, then) in zip(visit.appeals.order_by("pk"), appeals, strict=True):
        with notify_backfill(at=later):
            if then == "request":
                appeal = services.appeal_to_request(
                    appeal=appeal,
                    by=gridadmin,
                    category=Category.objects.get(code="fault_before_meter"),
                    now=later,
                )
                _work_through(appeal, users["manager1"], later)
            elif then in ("answer", "close"):
                services.appeal_answer(
                    appeal=appeal,
                    by=gridadmin,
                    answer="已转社区居委会，下月起每周二上午由社区医生上门服务。"
                    if then == "close"
                    else "已向街道反映，计划年内在小区东门增设分类投放点。",
                    close=then == "close",
                    now=later,
                )


def _work_through(appeal: Appeal, manager: User, filed: datetime.datetime) -> None:
    """The customer manager takes the request the appeal became and settles it."""
    workorder = appeal.work_order
    assert workorder is not None
    steps = [
        (datetime.timedelta(minutes=10), "accept", ""),
        (datetime.timedelta(minutes=40), "arrive", ""),
        (datetime.timedelta(hours=2), "resolve", "已更换3号楼楼道照明线路和灯具，检测无漏电。"),
    ]
    for delay, action, note in steps:
        at = filed + delay
        with notify_backfill(at=at):
            if action == "accept":
                workorder_accept(workorder=workorder, by=manager, now=at)
            elif action == "arrive":
                workorder_arrive(workorder=workorder, by=manager, note=note, now=at)
            else:
                workorder_resolve(workorder=workorder, by=manager, note=note, now=at)


def _activities(
    summary: DemoSummary,
    users: dict[str, User],
    compounds: dict[str, Compound],
    gridadmin: User,
    now: datetime.datetime,
) -> None:
    local = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    start = (local + datetime.timedelta(days=5)).replace(hour=9)
    announced = now - datetime.timedelta(days=2)
    # Published in the past: its circle posts are recorded as delivered then.
    with notify_backfill(at=announced):
        upcoming = services.activity_create(
            by=gridadmin,
            data=services.ActivityIn(
                title=UPCOMING_TITLE,
                description="在小区广场设点讲解安全用电、节约用电和智能缴费，入户为独居老人检查插座和电热毯。"
                "志愿者请穿红马甲，提前10分钟到场签到。",
                place="锦绣华庭中心广场（3号楼南侧）",
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=3),
                signup_deadline=start - datetime.timedelta(days=1),
                capacity=15,
                compounds=[compounds["jinxiu-huating"], compounds["chaoyang-xincun"]],
            ),
            publish=True,
            now=announced,
        )
    for offset, username in enumerate(["resident1", "electrician1", "staff1"]):
        services.activity_signup(
            activity=upcoming,
            by=users[username],
            now=now - datetime.timedelta(days=1, hours=offset),
        )
    past_start = (local - datetime.timedelta(days=18)).replace(hour=14)
    organised = past_start - datetime.timedelta(days=10)
    with notify_backfill(at=organised):
        past = services.activity_create(
            by=gridadmin,
            data=services.ActivityIn(
                title=PAST_TITLE,
                description="清理楼道杂物和飞线充电，张贴安全用电提示，登记需要加装充电桩的住户。",
                place="天桥小区物业服务中心门前集合",
                starts_at=past_start,
                ends_at=past_start + datetime.timedelta(hours=2),
                signup_deadline=past_start - datetime.timedelta(hours=12),
                capacity=10,
                compounds=[compounds["jinxiu-huating"], compounds["tianqiao-xiaoqu"]],
            ),
            publish=True,
            now=organised,
        )
    signups = {
        username: services.activity_signup(
            activity=past, by=users[username], now=organised + datetime.timedelta(days=1)
        )
        for username in ("resident1", "electrician1", "manager1")
    }
    services.activity_attendance(
        activity=past,
        by=gridadmin,
        marks={
            signups["resident1"].pk: services.Mark("attended", Decimal("2")),
            signups["electrician1"].pk: services.Mark("attended", Decimal("2.5")),
            signups["manager1"].pk: services.Mark("absent"),
        },
        now=past_start + datetime.timedelta(hours=3),
    )
    summary.created["Activity"] += Activity.objects.filter(pk__in=[upcoming.pk, past.pk]).count()
