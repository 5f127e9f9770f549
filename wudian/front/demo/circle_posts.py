"""The circles' life in the demo city: every compound's circle mirrors to its robot on the
development gateway; resident1's circle has staff posts of each kind (one pinned, one
scheduled, a seasonal reminder from the station), residents' messages with replies, one
message already a request, a message hidden with its reason and a report waiting in the
queue. Two neighbours of resident1 (no login) write and report there."""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from wudian.accounts.models import Role, RoleCode, User
from wudian.circles.models import Circle, Message, Post, Report
from wudian.circles.services import (
    circle_for_compound,
    message_hide,
    message_reply,
    message_report,
    message_write,
    post_publish,
)
from wudian.front.demo.common import DemoSummary
from wudian.grid import scope
from wudian.grid.models import Compound, Household, HouseholdMembership
from wudian.notify.models import CircleEndpoint
from wudian.notify.services import notify_backfill
from wudian.workorders.services import request_from_circle_message

MARKER = "夏季用电高峰安全提示"

NEIGHBOURS = [("circle_neighbour1", "刘桂兰"), ("circle_neighbour2", "陈志强")]

POSTS = [
    # (days ago, author, kind, title, body, pinned)
    (
        20,
        "manager1",
        Post.Kind.SAFETY,
        MARKER,
        "夏季空调用电集中，请勿私拉乱接电线，不要在楼道给电动车“飞线”充电。"
        "家中跳闸请先断开大功率电器再合闸，反复跳闸请联系物业电工。",
        True,
    ),
    (
        12,
        "manager1",
        Post.Kind.KNOWLEDGE,
        "阶梯电价怎么算？",
        "居民阶梯电价按年度累计用电量分档：第一档0～2160千瓦时，第二档2161～4200千瓦时，"
        "第三档4200千瓦时以上。具体电价以省发改委文件为准。",
        False,
    ),
    (
        6,
        "gridadmin1",
        Post.Kind.CIVIC,
        "文明创建：电动车不进楼道",
        "为了大家的安全，请把电动车停到小区集中充电棚充电，不进楼道、不进家门。谢谢配合！",
        False,
    ),
    (
        3,
        "electrician1",
        Post.Kind.GENERAL,
        "3单元楼道灯已更换",
        "3单元1至6层楼道灯已全部换成声控LED灯，如还有不亮的请在圈里留言。",
        False,
    ),
    (
        1,
        "manager1",
        Post.Kind.OUTAGE,
        "配电房检修，周六上午短时停电",
        "因配电房设备检修，本周六8:00至10:00小区部分楼栋停电，详见停电通知。请提前做好准备。",
        False,
    ),
]


def _neighbours(home_compound: Compound, resident1_home: Household) -> list[User]:
    """Two residents of resident1's compound without a login (an unusable password)."""
    role = Role.objects.get(code=RoleCode.RESIDENT)
    homes = list(
        Household.objects.filter(building__compound=home_compound)
        .exclude(pk=resident1_home.pk)
        .order_by("account_no")[1:3]
    )
    users = []
    for (username, name), home in zip(NEIGHBOURS, homes, strict=False):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"display_name": name, "password": make_password(None)},
        )
        if created:
            user.roles.add(role)
        HouseholdMembership.objects.get_or_create(user=user, household=home)
        users.append(user)
    return users


def circle_posts_seed(summary: DemoSummary, compounds: list[Compound]) -> None:
    """Give each compound's circle its robot; then, once, the life of resident1's circle."""
    for place in compounds:
        circle_for_compound(place).robots.add(*CircleEndpoint.objects.filter(compound=place))
    if Post.objects.filter(title=MARKER).exists():
        return
    users = {
        user.username: user
        for user in User.objects.filter(
            username__in=["manager1", "gridadmin1", "electrician1", "resident1"]
        )
    }
    resident1 = users["resident1"]
    home = scope.own_households(resident1).select_related("building__compound").get()
    compound = home.building.compound
    circle: Circle = circle_for_compound(compound)
    liu, chen = _neighbours(compound, home)
    now = timezone.now()
    for days, author, kind, title, body, pinned in POSTS:
        at = now - datetime.timedelta(days=days, hours=2)
        # What the circle was told in the past is recorded as delivered and read.
        with notify_backfill(at=at):
            post_publish(
                author=users[author],
                circles=[circle],
                kind=kind,
                title=title,
                body=body,
                pinned=pinned,
                now=at,
            )
    with notify_backfill(at=now - datetime.timedelta(days=30)):
        post_publish(
            author=None,
            circles=Circle.objects.filter(compounds__in=compounds).distinct(),
            kind=Post.Kind.SAFETY,
            title="冬季取暖用电提醒",
            body="使用电暖器请远离窗帘、被褥等易燃物，人走断电；不要多个大功率电器共用一个插线板。",
            now=now - datetime.timedelta(days=30),
        )
    post_publish(
        author=users["manager1"],
        circles=[circle],
        kind=Post.Kind.KNOWLEDGE,
        title="春节期间安全用电提醒",
        body="春节期间走亲访友，外出前请关闭不用的电器电源；燃放烟花爆竹请远离电力线路。",
        publish_at=now + datetime.timedelta(days=3),
        now=now,
    )
    ago = now - datetime.timedelta(days=2)
    lamp = message_write(
        circle=circle, by=resident1, body="2号楼2单元5楼楼道灯不亮好几天了", now=ago
    )
    message_reply(
        message=lamp,
        by=users["electrician1"],
        body="收到，今天下午去看。",
        now=ago + datetime.timedelta(hours=1),
    )
    message_reply(message=lamp, by=liu, body="4楼的也不亮。", now=ago + datetime.timedelta(hours=2))
    socket = message_write(
        circle=circle,
        by=resident1,
        body="家里卫生间插座有焦味，一用热水器就跳闸，能来看看吗？",
        now=now - datetime.timedelta(hours=20),
    )
    request_from_circle_message(
        message=socket,
        by=users["manager1"],
        category="fault_behind_meter",
        now=now - datetime.timedelta(hours=19),
    )
    message_reply(
        message=socket,
        by=users["manager1"],
        body="已为您登记报修，电工会联系您上门。",
        now=now - datetime.timedelta(hours=19),
    )
    advert = message_write(
        circle=circle,
        by=chen,
        body="出售二手电动车电池，价格优惠，有意请打13912345678",
        now=now - datetime.timedelta(hours=10),
    )
    message_report(
        message=advert, by=liu, reason="广告，还留了电话", now=now - datetime.timedelta(hours=9)
    )
    message_hide(
        message=advert,
        by=users["manager1"],
        reason="含个人电话和广告",
        now=now - datetime.timedelta(hours=8),
    )
    message_write(
        circle=circle,
        by=liu,
        body="请问峰谷电价怎么申请？",
        now=now - datetime.timedelta(hours=5),
    )
    message_report(
        message=message_write(
            circle=circle,
            by=chen,
            body="物业什么时候修电梯？天天坏！！！",
            now=now - datetime.timedelta(hours=3),
        ),
        by=liu,
        reason="语气不好，和用电无关",
        now=now - datetime.timedelta(hours=2),
    )
    for model, rows in [
        (Post, Post.objects.filter(circle=circle)),
        (Message, Message.objects.filter(circle=circle)),
        (Report, Report.objects.filter(message__circle=circle)),
    ]:
        summary.created[str(model._meta.verbose_name_plural)] += rows.count()
