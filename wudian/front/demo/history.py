"""The demo city's past: two years (by default) of resident requests, outages and line loss,
so the service dashboard has a story to tell. Complaints fall by about 55 % year on year,
low-voltage business moves online (from about 55 % to over 90 % of applications), requests are
answered faster and more often on time, residents rate them better, and the meter data gets
more complete and the station areas' line loss better; 燕山新村's high loss and 经二路小区's
negative loss are still there at the end. Compounds and the two customer managers differ.

Everything is done through the services staff and residents use, at its own time (`now=`):
requests are filed, accepted, reached, resolved, reopened, confirmed, rated or closed by the
clocks' sweep; outages are created, published (a few late, with a supervisor's override of
the notice period), restored and acknowledged; the line loss is a collection export of the
days (generated with DuckDB as Parquet) loaded by the same import staff use. Their messages
are recorded through notify_backfill: delivered and read at their time, never sent today.

History ends three weeks before today and its last step (an automatic close) comes before
the present's first (DEMO_REQUESTS, four days ago), so the present stays as it is. Every
item is drawn from a random generator seeded with its month and is keyed by its time and
place (a request by household and time filed, an outage by title and start, line loss by
day), so a re-run adds nothing and a longer history adds only the months before.
"""

from __future__ import annotations

import calendar
import datetime
import itertools
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import duckdb
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from wudian.accounts.models import Role, RoleCode, User
from wudian.analytics.models import StationAreaDay
from wudian.analytics.services import readings_import
from wudian.core.rules import rule_value
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.people import LOGINS, MANAGER1_COMPOUNDS
from wudian.front.demo.places import AREAS
from wudian.front.demo.readings import HIGH_LOSS_AREA, NEGATIVE_LOSS_AREA
from wudian.grid import scope
from wudian.grid.models import Compound, Household, HouseholdMembership, Meter, StationArea
from wudian.notify.services import notify_backfill
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.services import outage_acknowledge, outage_create, outage_restore
from wudian.workorders import services
from wudian.workorders.models import Category, Channel, WorkOrder

T = TypeVar("T")

HISTORY_MONTHS = 24
# The last request of the history is filed this long before today ...
GAP = datetime.timedelta(days=21)
# ... and its last step (the sweep's automatic close) comes before the present's first step.
PRESENT = datetime.timedelta(days=4, hours=2)
# The open311 key of the demo files for this community's compounds only (requests.py).
OPEN311_COMMUNITY = "BS-CHAOYANG"
# Old compounds without a property company call more and wait longer.
OLD_COMPOUNDS = {"chaoyang-xincun", "tianqiao-xiaoqu", "yanshan-xincun", "jinger-lu"}

# Requests of each category a month, before the compound mix; complaints are drawn apart.
MONTHLY = {
    "fault_behind_meter": 5,
    "fault_before_meter": 2,
    "outage_enquiry": 2,
    "billing_enquiry": 3,
    "metering_dispute": 1,
    "business_new": 2,
    "business_capacity": 3,
    "business_transfer": 2,
    "business_relocate": 1,
    "hazard": 1,
    "suggestion": 1,
}
# Complaints a month in the first year, by calendar month (the second year has 45 % of them).
COMPLAINTS_FIRST_YEAR = (6, 9)
COMPLAINTS_FALL = 0.45

TEXTS = {
    "fault_behind_meter": [
        "家里卫生间的插座没电了，空开合不上，请师傅来看看。",
        "客厅灯一开就跳闸，其他房间正常。",
        "厨房线路有焦味，已经把总闸拉下了。",
        "热水器一用就跳闸，麻烦上门检查一下线路。",
    ],
    "fault_before_meter": [
        "楼道电表箱里的总开关烧坏了，整个单元没电。",
        "单元进线电缆有异响，电压忽高忽低，灯一直闪。",
        "表箱进线端子发热，表箱外壳烫手。",
    ],
    "outage_enquiry": [
        "我们楼这边没电了，是计划检修吗？大概什么时候来电？",
        "今天上午楼里没电，物业说不清楚，想问一下什么时候恢复。",
    ],
    "billing_enquiry": [
        "想了解一下阶梯电价怎么计算，这个月用电量比去年同期多。",
        "请问怎么在手机上办理峰谷电价？",
        "家里老人不会用手机，想问问有哪些方便的缴纳方式。",
    ],
    "metering_dispute": [
        "家里出门一周没人，电表还走了四十多度，怀疑电表不准，申请校验。",
        "新换的智能电表读数比以前跑得快，想申请现场校验。",
    ],
    "business_new": [
        "新买的车库想单独装一块电表，需要准备什么材料？",
        "新房交付，申请开户装表。",
    ],
    "business_capacity": [
        "家里装了空调和电地暖，想把容量从4千瓦增加到8千瓦。",
        "准备安装充电桩，申请增容。",
    ],
    "business_transfer": [
        "房子已经过户，想把电费户名改成新房主。",
        "房屋买卖后办理户名变更。",
    ],
    "business_relocate": [
        "装修需要把电表位置挪到门口，申请移表。",
    ],
    "hazard": [
        "小区围墙边的电缆井盖破了，小孩经常在旁边玩，很危险。",
        "楼道里的电线老化裸露，晚上能看到打火。",
        "绿化带里的箱变门没锁，门一直开着。",
    ],
    "complaint": [
        "报修后师傅迟迟不来，打了两次电话都说在路上，投诉服务太慢。",
        "电表箱修了三次还是跳闸，问题一直没解决。",
        "营业厅让跑了好几趟，材料一次说不清楚，希望改进。",
        "抢修师傅态度很差，没说清楚原因就走了。",
        "楼道施工后表箱门一直没装回去，反映多次无人处理，再不解决就打12345。",
    ],
    "suggestion": [
        "客户经理上门服务很及时，给你们点个赞！",
        "建议在小区公告栏贴上客户经理的联系方式，方便大家找。",
        "建议线上办电的材料清单再写清楚一点。",
    ],
}
RESOLUTIONS = {
    Category.Kind.FAULT: "已到现场排查处理，恢复正常供电。",
    Category.Kind.ENQUIRY: "已电话答复，居民表示清楚了。",
    Category.Kind.METERING: "已现场校验，电表误差在合格范围内，已向居民解释。",
    Category.Kind.BUSINESS: "已受理并办结，资料齐全，已完成装表接电。",
    Category.Kind.HAZARD: "已到现场处理隐患并加装警示标识。",
    Category.Kind.COMPLAINT: "已上门致歉并说明情况，问题已处理。",
    Category.Kind.SUGGESTION: "感谢您的建议，已记录并反馈。",
}
REOPEN_REASONS = ["问题又出现了，请再来看看。", "还是没有解决，麻烦再处理一下。"]
RATING_COMMENTS = {
    5: ["很满意，处理得很快。", "不用跑营业厅，线上就办好了。", ""],
    4: ["整体满意。", ""],
    3: ["一般，等的时间有点长。", ""],
    2: ["处理太慢了。"],
    1: ["问题反复出现，不满意。"],
}


@dataclass(frozen=True)
class Month:
    first: datetime.date
    index: int  # 0 for the oldest month of the history
    months: int

    @property
    def key(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def progress(self) -> float:
        """0 at the start of the history, 1 at its end: how far the station has come."""
        return self.index / max(1, self.months - 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.first.year, self.first.month)[1]


def months_of(today: datetime.date, months: int) -> list[Month]:
    """The history's months, oldest first, ending with this month."""
    firsts = []
    year, month = today.year, today.month
    for _n in range(months):
        firsts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    return [Month(first, index, months) for index, first in enumerate(firsts)]


def history_seed(summary: DemoSummary, *, months: int) -> None:
    """Add whatever is missing of the last `months` months of the demo city's past."""
    if months <= 0:
        return
    now = timezone.now()
    calendar_months = months_of(timezone.localdate(), months)
    line_loss_seed(summary, calendar_months)
    people = People.load()
    for month in calendar_months:
        with transaction.atomic():
            requests_seed(summary, month, people, now=now)
    # After the requests, which opened the app accounts of the residents who acknowledge.
    with transaction.atomic():
        outages_seed(summary, calendar_months, people)
    summary.created[User.__name__] += people.opened


def at(moment: datetime.datetime, step: Callable[..., T], **kwargs: object) -> T:
    """Take a step at its own time, its messages recorded as delivered at that time."""
    with notify_backfill(at=moment):
        return step(now=moment, **kwargs)


def local(day: datetime.date, hour: float) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min)) + (
        datetime.timedelta(hours=hour)
    )


# People --------------------------------------------------------------------------------------


@dataclass
class People:
    """The demo's staff, the compounds' customer managers, and the residents' app accounts."""

    staff: dict[str, User]
    manager_of: dict[int, User]
    residents: dict[int, User]  # household id -> a resident's account
    resident_role: Role
    households: list[Household]
    cum_weights: list[float]
    opened: int = 0  # app accounts opened by this run

    @classmethod
    def load(cls) -> People:
        staff = {
            user.username: user
            for user in User.objects.filter(username__in=[login.username for login in LOGINS])
        }
        compounds = list(Compound.objects.all())
        managers = User.objects.in_bulk(
            [scope.customer_manager_id(compound.pk) for compound in compounds]
        )
        manager_of = {
            compound.pk: managers.get(scope.customer_manager_id(compound.pk) or 0)
            or staff["manager1" if compound.code in MANAGER1_COMPOUNDS else "manager2"]
            for compound in compounds
        }
        households = list(
            Household.objects.select_related("building__compound__community")
            .filter(building__compound__in=compounds)
            .order_by("account_no")
        )
        app_users = User.objects.in_bulk(
            list(
                User.objects.filter(username__startswith=RESIDENT_PREFIX).values_list(
                    "pk", flat=True
                )
            )
        )
        residents = {
            household_id: app_users[user_id]
            for user_id, household_id in scope.household_members([h.pk for h in households])
            if user_id in app_users
        }
        # The demo logins' homes keep only the present's requests (DEMO_REQUESTS).
        reserved = {
            home.pk
            for login in LOGINS
            if login.home and login.username in staff
            for home in scope.own_households(staff[login.username])
        }
        households = [h for h in households if h.pk not in reserved]
        return cls(
            staff=staff,
            manager_of=manager_of,
            residents=residents,
            resident_role=Role.objects.get(code=RoleCode.RESIDENT),
            households=households,
            cum_weights=list(
                itertools.accumulate(compound_weight(h.building.compound) for h in households)
            ),
        )

    def resident(self, household: Household) -> User:
        """The household's account in the residents' app, opened when it first files online."""
        user = self.residents.get(household.pk)
        if user is None:
            user = User.objects.create(
                username=f"{RESIDENT_PREFIX}{household.account_no}",
                password=make_password(None),
                display_name=household.holder_name,
                title="居民",
                phone=household.phone,
            )
            user.roles.add(self.resident_role)
            HouseholdMembership.objects.create(
                user=user, household=household, relation=HouseholdMembership.Relation.HOLDER
            )
            self.residents[household.pk] = user
            self.opened += 1
        return user


RESIDENT_PREFIX = "app-"


# Requests ------------------------------------------------------------------------------------


def complaints_in(month: Month, today: datetime.date) -> int:
    """Complaints in a month: the same calendar month's count in the first year (drawn from the
    calendar month, so both years agree on it), 45 % of it in the last twelve months."""
    low, high = COMPLAINTS_FIRST_YEAR
    base = random.Random(f"complaints:{month.first.month}").randint(low, high)  # noqa: S311
    age = (today.year - month.first.year) * 12 + today.month - month.first.month
    return round(base * COMPLAINTS_FALL) if age < 12 else base


def compound_weight(compound: Compound) -> float:
    return 1.8 if compound.code in OLD_COMPOUNDS else 1.0


def requests_seed(
    summary: DemoSummary, month: Month, people: People, *, now: datetime.datetime
) -> None:
    """The month's requests up to three weeks before today. The whole month is drawn from its
    own generator whatever today is, so a day that was drawn once is drawn the same again;
    a request is known by the moment it was filed (to the microsecond), which is drawn before
    and apart from its household, so a re-run, later or on a larger city, adds nothing."""
    today = timezone.localdate()
    last_day = min(month.first + datetime.timedelta(days=month.days - 1), today - GAP)
    if last_day < month.first:
        return
    rng = random.Random(f"history:{month.key}")  # noqa: S311  demo data
    categories = {category.code: category for category in Category.objects.all()}
    codes = [code for code, count in MONTHLY.items() for _n in range(count)]
    codes += ["complaint"] * complaints_in(month, today)
    # Low-voltage business applications come online at the month's rate exactly: a handful a
    # month drawn one by one would hide the trend in noise.
    business = [code for code in codes if categories[code].is_business]
    online = round(online_business_rate(month.progress) * len(business))
    online_flags = [True] * online + [False] * (len(business) - online)
    rng.shuffle(online_flags)
    plans = []
    for code in codes:
        day = month.first + datetime.timedelta(days=rng.randrange(month.days))
        created = local(day, rng.uniform(7.5, 21.5))
        plan_rng = random.Random(rng.random())  # noqa: S311
        flag = online_flags.pop() if categories[code].is_business else None
        if day <= last_day:
            plans.append((created, categories[code], plan_rng, flag))
    plans.sort(key=lambda plan: plan[0])
    known = set(
        WorkOrder.objects.filter(created_at__in=[plan[0] for plan in plans]).values_list(
            "created_at", flat=True
        )
    )
    autoclose = datetime.timedelta(days=int(rule_value("workorder.autoclose_days")) + 1)
    deadline = now - PRESENT - autoclose
    done = 0
    for created, category, plan_rng, flag in plans:
        if created in known:
            continue
        household = plan_rng.choices(people.households, cum_weights=people.cum_weights)[0]
        Request(
            people,
            month,
            household,
            category,
            created,
            plan_rng,
            limit=now - PRESENT,
            deadline=deadline,
            online=flag,
        ).work()
        done += 1
    if done:
        summary.created["WorkOrder"] += done
        # The clocks' sweep of the month closes what residents left resolved (autoclose_days).
        sweep = min(local(last_day, 23) + datetime.timedelta(days=17), now - PRESENT)
        at(sweep, services.workorders_check_clocks)


def online_business_rate(progress: float) -> float:
    return 0.56 + 0.4 * progress


def channel_for(
    kind: str,
    household: Household,
    progress: float,
    rng: random.Random,
    *,
    online: bool | None = None,
) -> str:
    """How the request came in: more and more online, low-voltage business above all
    (`online` says whether it is, when the caller decided)."""
    share = {
        Category.Kind.BUSINESS: online_business_rate(progress),
        Category.Kind.FAULT: 0.35 + 0.3 * progress,
        Category.Kind.ENQUIRY: 0.45 + 0.3 * progress,
        Category.Kind.METERING: 0.4 + 0.3 * progress,
        Category.Kind.HAZARD: 0.3 + 0.2 * progress,
        Category.Kind.COMPLAINT: 0.35 + 0.2 * progress,
        Category.Kind.SUGGESTION: 0.8,
    }[kind]  # type: ignore[index]
    if online is None:
        online = rng.random() < share
    if online:
        open311 = household.building.compound.community.code == OPEN311_COMMUNITY
        choices = [Channel.WEB, Channel.API, Channel.CIRCLE] + (
            [Channel.OPEN311] if open311 else []
        )
        return rng.choices(choices, [6, 2, 2, 1][: len(choices)])[0]
    if kind == Category.Kind.BUSINESS:
        return rng.choices([Channel.VISIT, Channel.PHONE, Channel.LINK_DAY], [6, 2, 2])[0]
    if kind == Category.Kind.HAZARD:
        return rng.choice([Channel.PATROL, Channel.PHONE])
    return rng.choices([Channel.PHONE, Channel.VISIT, Channel.LINK_DAY], [7, 2, 1])[0]


class Request:
    """One request of the past, from filing to its close."""

    def __init__(
        self,
        people: People,
        month: Month,
        household: Household,
        category: Category,
        created: datetime.datetime,
        rng: random.Random,
        *,
        limit: datetime.datetime,
        deadline: datetime.datetime,
        online: bool | None = None,
    ) -> None:
        self.people, self.household, self.category, self.created = (
            people,
            household,
            category,
            created,
        )
        self.rng = rng
        self.progress = month.progress
        # The last moment of the history, and the last resolution its final sweep closes.
        self.limit, self.deadline = limit, deadline
        compound = household.building.compound
        self.manager = people.manager_of[compound.pk]
        # How often a clock is missed: manager1's seven compounds start worse, the old
        # compounds are harder, and both managers improve over the years.
        base = 0.2 if self.manager.username == "manager1" else 0.12
        base += 0.06 if compound.code in OLD_COMPOUNDS else 0
        self.late = base * (1 - 0.75 * self.progress)
        # How fast a clock is met, as a share of its allowance: faster over the years.
        self.pace = 0.75 - 0.4 * self.progress
        self.channel = channel_for(category.kind, household, self.progress, rng, online=online)

    def clock_time(
        self, start: datetime.datetime, due: datetime.datetime | None
    ) -> datetime.datetime:
        """When a clock running from `start` to `due` is met: in time, or late now and then."""
        if due is None:
            return self.bounded(start, start + datetime.timedelta(hours=self.rng.uniform(1, 20)))
        allowance = min(due - start, datetime.timedelta(days=4))
        if self.rng.random() < self.late:
            over = min(allowance, datetime.timedelta(days=1)) * self.rng.uniform(0.05, 1.0)
            return self.bounded(start, due + max(over, datetime.timedelta(minutes=10)))
        share = min(0.95, self.rng.uniform(0.1, 1.0) * self.pace * 1.4)
        return self.bounded(start, start + max(allowance * share, datetime.timedelta(minutes=3)))

    def bounded(self, start: datetime.datetime, when: datetime.datetime) -> datetime.datetime:
        """A step of the staff no later than the last resolution the final sweep can close
        (the present must find the history over), and after the step before it."""
        return max(start + datetime.timedelta(minutes=1), min(when, self.deadline))

    def filer(self) -> tuple[User | None, bool]:
        """Who files it, and whether it comes through the Open311 key."""
        if self.channel in (Channel.WEB, Channel.API):
            return self.people.resident(self.household), False
        if self.channel == Channel.OPEN311:
            return None, True
        return self.manager, False

    def work(self) -> None:
        by, open311 = self.filer()
        rng = self.rng
        wo = at(
            self.created,
            services.workorder_create,
            category=self.category,
            description=rng.choice(TEXTS[self.category.code]),
            channel=self.channel,
            by=by,
            household=self.household,
            open311=open311,
        )
        resident = self.people.residents.get(self.household.pk)
        if resident is not None and by == resident and rng.random() < 0.015:
            at(
                self.created + datetime.timedelta(minutes=rng.uniform(3, 25)),
                services.workorder_cancel,
                workorder=wo,
                by=resident,
                reason="",
            )
            return
        worker = wo.assignee or self.manager
        when = self.clock_time(self.created, wo.accept_due)
        wo = at(when, services.workorder_accept, workorder=wo, by=worker)
        if self.category.arrive_target:
            when = self.clock_time(when, wo.arrive_due)
            wo = at(when, services.workorder_arrive, workorder=wo, by=worker)
        when = self.clock_time(when, wo.resolve_due)
        note = RESOLUTIONS[self.category.kind]  # type: ignore[index]
        wo = at(when, services.workorder_resolve, workorder=wo, by=worker, note=note)
        if resident is None:
            return  # the household has no app account: the sweep closes it after a week
        reopened = rng.random() < 0.09 - 0.06 * self.progress
        if reopened:
            when = self.bounded(when, when + datetime.timedelta(hours=rng.uniform(2, 30)))
            wo = at(
                when,
                services.workorder_reopen,
                workorder=wo,
                by=resident,
                reason=rng.choice(REOPEN_REASONS),
            )
            when = self.bounded(when, when + datetime.timedelta(hours=rng.uniform(3, 30)))
            wo = at(when, services.workorder_resolve, workorder=wo, by=worker, note=note)
        when = min(when + datetime.timedelta(hours=rng.uniform(1, 40)), self.limit)
        choice = rng.random()
        if choice < 0.8:
            late = any((wo.accept_late, wo.arrive_late, wo.resolve_late))
            rating = self.rating(late=late, reopened=reopened)
            at(
                when,
                services.workorder_rate,
                workorder=wo,
                by=resident,
                rating=rating,
                comment=rng.choice(RATING_COMMENTS[rating]),
                visited_hall=self.visited_hall(),
            )
        elif choice < 0.9:
            at(when, services.workorder_confirm, workorder=wo, by=resident)

    def rating(self, *, late: bool, reopened: bool) -> int:
        score = 0.6 + 0.3 * self.progress - 0.25 * late - 0.2 * reopened
        score += 0.04 if self.manager.username == "manager2" else -0.04
        score += self.rng.gauss(0, 0.2)
        for rating, threshold in ((5, 0.7), (4, 0.45), (3, 0.28), (2, 0.12)):
            if score >= threshold:
                return rating
        return 1

    def visited_hall(self) -> bool:
        if self.channel in (Channel.VISIT, Channel.LINK_DAY):
            return self.rng.random() < 0.7
        if self.category.kind == Category.Kind.BUSINESS:
            return self.rng.random() < 0.3 * (1 - self.progress)
        return self.rng.random() < 0.12 * (1 - self.progress)


# Outages -------------------------------------------------------------------------------------

PLANNED_REASONS = [
    "配电变压器例行检修，更换低压出线开关。",
    "低压线路改造，更换老化电缆。",
    "10kV线路带电作业条件不足，停电检修环网柜。",
]
TEMPORARY_REASONS = ["低压分支箱发热，需临时停电处理。", "配合小区道路施工，临时迁移低压电缆。"]
FAULT_REASONS = ["低压电缆分支箱进水短路。", "配电变压器低压桩头烧损。", "雷击造成低压线路故障。"]
LATE_REASONS = [
    "隐患发现较晚，如不尽快处理可能引发故障停电，经主任批准缩短通知期。",
    "配合市政抢修工期，经与社区协商后提前实施。",
]


def outages_seed(summary: DemoSummary, months: list[Month], people: People) -> None:
    """A planned outage most months, a temporary one now and then, and faults (fewer as the
    network is renewed); a few planned ones published late, with the supervisor's override."""
    today = timezone.localdate()
    areas = list(StationArea.objects.filter(code__in=[a.code for a in AREAS]).order_by("code"))
    manager_of_area = {
        area.pk: people.manager_of[area.compounds.order_by("code").first().pk]  # type: ignore[union-attr]
        for area in areas
    }
    supervisor = people.staff["supervisor1"]
    existing = set(Outage.objects.values_list("title", "start"))
    for month in months:
        last_day = min(month.first + datetime.timedelta(days=month.days - 1), today - GAP)
        rng = random.Random(f"outages:{month.key}")  # noqa: S311  demo data
        # Everything is drawn before deciding what happens: the same month draws the same
        # outages whatever today is and however long the history.
        chances = [0.75, 0.3, 0.8 - 0.5 * month.progress]
        kinds = [Outage.Kind.PLANNED, Outage.Kind.TEMPORARY, Outage.Kind.FAULT]
        draws = [rng.random() for _kind in kinds]
        places = rng.sample(areas, len(kinds))
        plans = [random.Random(rng.random()) for _kind in kinds]  # noqa: S311
        for kind, chance, draw, area, plan in zip(
            kinds, chances, draws, places, plans, strict=True
        ):
            if draw >= chance:
                continue
            day = month.first + datetime.timedelta(days=plan.randrange(month.days))
            if kind == Outage.Kind.FAULT:
                start = local(day, plan.uniform(0, 23))
                end = start + datetime.timedelta(hours=plan.uniform(1, 4))
            else:
                start = local(day, plan.choice([8, 9, 14]))
                end = start + datetime.timedelta(hours=plan.choice([3, 4, 6, 8]))
            title = f"{area.name}{OUTAGE_TITLES[kind]}"
            if day > last_day or (title, start) in existing:
                continue
            history_outage(
                Outage.Kind(kind),
                area=area,
                start=start,
                end=end,
                title=title,
                manager=manager_of_area[area.pk],
                supervisor=supervisor,
                people=people,
                progress=month.progress,
                rng=plan,
            )
            summary.created["Outage"] += 1


OUTAGE_TITLES = {
    Outage.Kind.PLANNED: "计划检修停电",
    Outage.Kind.TEMPORARY: "临时检修停电",
    Outage.Kind.FAULT: "故障停电",
}


def history_outage(
    kind: Outage.Kind,
    *,
    area: StationArea,
    start: datetime.datetime,
    end: datetime.datetime,
    title: str,
    manager: User,
    supervisor: User,
    people: People,
    progress: float,
    rng: random.Random,
) -> None:
    """Publish (late now and then, the supervisor overriding the notice period with a
    reason), let residents acknowledge, and restore."""
    by, override, late = manager, "", False
    if kind == Outage.Kind.PLANNED:
        late = rng.random() < 0.3 - 0.25 * progress
        ahead = datetime.timedelta(days=rng.uniform(3, 5) if late else rng.uniform(8, 12))
        reason = rng.choice(PLANNED_REASONS)
    elif kind == Outage.Kind.TEMPORARY:
        late = rng.random() < 0.3
        ahead = datetime.timedelta(hours=rng.uniform(6, 20) if late else rng.uniform(30, 50))
        reason = rng.choice(TEMPORARY_REASONS)
    else:
        # A fault is published once someone reports it.
        ahead = -datetime.timedelta(minutes=rng.uniform(10, 30))
        reason = rng.choice(FAULT_REASONS)
    if late:
        by, override = supervisor, rng.choice(LATE_REASONS)
    published = start - ahead
    outage = at(
        published,
        outage_create,
        by=by,
        kind=kind,
        title=title,
        reason=reason,
        start=start,
        end=end,
        station_areas=[area],
        override_reason=override,
    )
    if kind != Outage.Kind.FAULT:
        affected = AffectedHousehold.objects.filter(outage=outage).values_list(
            "household_id", flat=True
        )
        for household_id in sorted(set(affected) & set(people.residents)):
            if rng.random() < 0.4 + 0.45 * progress:
                at(
                    published + (start - published) * rng.uniform(0.05, 0.8),
                    outage_acknowledge,
                    outage=outage,
                    household=Household(pk=household_id),
                    by=people.residents[household_id],
                )
    restored = max(
        end + datetime.timedelta(minutes=rng.uniform(-40, 15)),
        start + datetime.timedelta(minutes=30),
    )
    at(restored, outage_restore, outage=outage, by=manager, at=restored)


# Line loss -----------------------------------------------------------------------------------

# Station areas whose loss was high at the start and was brought down (month of the fix).
FIXED_AREAS = {"TQ-CYXC-2": 8, "TQ-TSHY-1": 14}
# 经二路小区's supply meter got its wrong multiplier on record this many months before the end.
NEGATIVE_SINCE = 7


def line_loss_seed(summary: DemoSummary, months: list[Month]) -> None:
    """Collection data of the history's days not imported yet, loaded through the import.
    Collection improves (fewer meters miss a day, concentrators fail less often), and so does
    the loss of most areas; the high-loss and negative-loss areas are there at the end."""
    codes = [area.code for area in AREAS]
    first = months[0].first
    loaded = StationAreaDay.objects.filter(station_area__code__in=codes, date__gte=first)
    earliest = loaded.order_by("date").values_list("date", flat=True).first()
    last = (earliest or timezone.localdate()) - datetime.timedelta(days=1)
    if last <= first:
        return
    meters = list(
        Meter.objects.filter(station_area__code__in=codes).values_list(
            "meter_no", "role", "multiplier", "station_area__code"
        )
    )
    folder = Path(tempfile.mkdtemp(prefix="wudian-history-"))
    path = folder / "history-readings.parquet"
    try:
        readings_write(path, meters, first=first, last=last, months=len(months))
        result = readings_import(readings_path=path, date_from=first, date_to=last)
    finally:
        path.unlink(missing_ok=True)
        (folder / "meters.csv").unlink(missing_ok=True)
        folder.rmdir()
    summary.created[StationAreaDay.__name__] += result.run.rows


def area_loss(code: str, month: str, months: int) -> str:
    """The SQL expression of an area's loss rate in month number `month` (a column)."""
    span = max(1, months - 1)
    if code == HIGH_LOSS_AREA:
        return "0.16"
    if code == NEGATIVE_LOSS_AREA:
        return f"CASE WHEN {month} >= {months - NEGATIVE_SINCE} THEN -0.03 ELSE 0.05 END"
    seed = random.Random(code).uniform(0.035, 0.06)  # noqa: S311  demo data
    if code in FIXED_AREAS:
        return f"CASE WHEN {month} < {FIXED_AREAS[code] * months // 24} THEN 0.13 ELSE {seed} END"
    return f"({seed} + 0.03 * (1 - {month} / {span}))"


def readings_write(
    path: Path,
    meters: list[tuple[str, str, Decimal, str]],
    *,
    first: datetime.date,
    last: datetime.date,
    months: int,
) -> None:
    """Every meter's register on every day from `first` to the day after `last`, as Parquet.
    User meters use 3-14 kWh a day (more in summer and winter); a supply meter registers its
    area's use plus the area's loss, divided by its multiplier. Some user meters miss a day
    (never two running, so no check request is opened for history), more at the start."""
    meters_csv = path.parent / "meters.csv"
    with meters_csv.open("w", encoding="utf-8") as handle:
        handle.write("meter_no,role,multiplier,area\n")
        handle.writelines(f"{no},{role},{mult},{area}\n" for no, role, mult, area in meters)
    days = (last - first).days + 2
    span_days = max(1, days - 1)
    loss = (
        "CASE area "
        + " ".join(
            f"WHEN '{area.code}' THEN {area_loss(area.code, 'month_no', months)}" for area in AREAS
        )
        + " ELSE 0.05 END"
    )
    day_of_year = first.timetuple().tm_yday
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"""
            CREATE TABLE meters AS SELECT * FROM read_csv('{meters_csv}', header = true,
                columns = {{'meter_no': 'VARCHAR', 'role': 'VARCHAR', 'multiplier': 'DECIMAL(18,6)',
                            'area': 'VARCHAR'}})
        """)  # noqa: S608  our own temporary file
        con.execute(f"""
            CREATE TABLE use AS
            SELECT m.meter_no, m.area, d.n,
                   DATE '{first.isoformat()}' + d.n::INTEGER AS read_date,
                   (3 + 11 * (hash(m.meter_no, d.n, 'use') % 10000) / 10000.0)
                     * (1 + 0.35 * cos(2 * pi() * (d.n + {day_of_year} - 200) / 182.5))
                     AS kwh,
                   hash(m.meter_no, 'base') % 8000 + 500 AS base,
                   d.n * {months} // {days} AS month_no,
                   d.n::DOUBLE / {span_days} AS progress
            FROM meters m, range({days}) AS d(n)
            WHERE m.role = 'user'
        """)  # noqa: S608
        con.execute("""
            CREATE TABLE area_use AS
            SELECT area, n, read_date, month_no, sum(kwh) AS kwh FROM use GROUP BY ALL
        """)
        con.execute(f"""
            COPY (
                SELECT meter_no AS meter_id, read_date,
                       round(base + coalesce(sum(kwh) OVER (PARTITION BY meter_no ORDER BY n
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 3)
                         AS register_kwh
                FROM use
                WHERE NOT (n % 3 = 1 AND (
                    (hash(meter_no, n, 'miss') % 100000) / 100000.0
                        < 0.0045 * (1 - progress) + 0.0002
                    OR ((hash(area, n, 'concentrator') % 10000) / 10000.0
                        < 0.02 * (1 - progress) AND hash(meter_no, 'bus') % 10 < 3)))
                UNION ALL
                SELECT m.meter_no, a.read_date,
                       round(hash(m.meter_no, 'base') % 4000 + 1000
                             + coalesce(sum(a.kwh * (1 + {loss}
                                  + ((hash(a.area, a.n, 'loss') % 2400) / 100000.0 - 0.012))
                                  / m.multiplier)
                               OVER (PARTITION BY m.meter_no ORDER BY a.n
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 6)
                FROM meters m JOIN area_use a USING (area)
                WHERE m.role = 'supply'
            ) TO '{path}' (FORMAT parquet)
        """)  # noqa: S608
    finally:
        con.close()
