"""The access matrix: every URL pattern and every API operation × every demo role, anonymous,
and a same-role outsider from another compound — allowed, refused, or allowed with the
household's contacts masked. One table (ACCESS) says what each gets; a route added without
its row fails `test_every_route_has_its_row`.

The world: 北苑小区 (north) holds a household with a phone (13800000001), a request filed by its
resident, a planned outage, a failed message and a call task; 南苑小区 (south) is served by
manager_b and electrician_b only, with resident_b. Each role's request runs in a savepoint
that is rolled back, so a write allowed for one role does not change what the next one
meets.

A cell is the status code, followed for a 2xx answer by what it shows of north's household:
"full" (its phone in full), "masked" (its phone masked) or nothing. Refusals keep the statuses
of wudian.core.errors: 403 not allowed, 404 outside the scope; pages send anonymous visitors
to log in (302), the API answers them 401."""

from __future__ import annotations

import datetime
import io
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from wudian.accounts.models import Certificate, User
from wudian.accounts.services import api_token_issue
from wudian.api import api as root_api
from wudian.billing.models import MeterReading, ReminderWalk
from wudian.billing.services.arrears import arrears_import
from wudian.billing.services.usage import month_add
from wudian.billing.tests.factories import arrears_list, example_tariff
from wudian.circles.models import Report
from wudian.circles.services import circle_for_compound, message_write, post_publish
from wudian.civic import services as civic
from wudian.conftest import City, image_bytes
from wudian.core.calendar import is_working_day
from wudian.core.photos import photo_from_bytes
from wudian.fieldwork.models import Patrol
from wudian.fieldwork.services import training
from wudian.fieldwork.services.defects import defect_open
from wudian.fieldwork.services.patrols import AnswerIn as PatrolAnswerIn
from wudian.fieldwork.services.patrols import (
    checklist_default,
    patrol_extra_open,
    patrol_plans_for_month,
    patrol_start,
    patrol_submit,
)
from wudian.joining.links import join_link
from wudian.joining.services import application_file
from wudian.knowledge.models import Reach
from wudian.knowledge.services import (
    Content,
    Season,
    Target,
    article_add_images,
    article_create,
    article_publish,
    reminder_create,
)
from wudian.notify.models import CallTask, Channel, Message
from wudian.outages.models import Outage
from wudian.outages.tests.conftest import make_outage
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.models import Channel as RequestChannel
from wudian.workorders.open311.keys import open311_key_issue
from wudian.workorders.services import (
    Location,
    workorder_add_photos,
    workorder_attach_usage,
    workorder_create,
)

PHONE = "13800000001"
MASKED_PHONE = "138****0001"

ROLES = [
    "anonymous",
    "resident",
    "resident_b",
    "electrician",
    "electrician_b",
    "staff",
    "gridadmin",
    "manager",
    "manager_b",
    "dept",
    "supervisor",
    "outsider",
    "admin",
]


@dataclass
class World:
    city: City
    workorder: WorkOrder
    public_request: WorkOrder
    outage: Outage
    photo_id: int
    call_task: CallTask
    failed: Message
    open311_key: str
    ids: dict[str, Any] = field(default_factory=dict)


def build(city: City) -> World:
    category = Category.objects.get(code="fault_behind_meter")
    workorder = workorder_create(
        category=category,
        description="卫生间插座没有电",
        channel=RequestChannel.WEB,
        by=city.resident,
        household=city.north_home,
    )
    photo = workorder_add_photos(
        workorder=workorder, by=city.resident, photos=[photo_from_bytes(image_bytes())]
    )[0]
    public_request = workorder_create(
        category=Category.objects.get(code="hazard"),
        description="北苑小区1号楼楼道电线裸露",
        channel=RequestChannel.OPEN311,
        by=None,
        location=Location(compound=city.north, address_text="北苑小区1号楼"),
        open311=True,
    )
    outage = make_outage(city)
    outage.compounds.add(city.north)
    outage.affected.create(household=city.north_home)
    call_task = CallTask.objects.create(
        assignee=city.electrician, household=city.north_home, event_key="x", reason="停电通知"
    )
    failed = Message.objects.create(
        household=city.north_home,
        channel=Channel.SMS,
        address=PHONE,
        template="message",
        context={"title": "停电", "body": "停电"},
        event_key="outage:x",
        idempotency_key="outage:x:sms",
        state=Message.State.FAILED,
        next_attempt_at=timezone.now(),
    )
    _item, key = open311_key_issue(name="街道网站", organisation="黄庄街道", compounds=[city.north])
    # resident_b, living in south, applies to join a flat of north as a tenant.
    application = application_file(
        user=city.resident_b,
        compound=city.north,
        account_no=city.north_home_2.account_no,
        relation="tenant",
        name="陈小明",
    )
    circle = circle_for_compound(city.north)
    [circle_post] = post_publish(
        author=city.manager, circles=[circle], kind="safety", title="用电安全", body="勿私拉电线"
    )
    circle_message = message_write(circle=circle, by=city.resident, body="楼道灯不亮")
    report = Report.objects.create(message=circle_message, reporter=city.resident, reason="测试")
    circles = {
        "circle": circle.pk,
        "post": circle_post.pk,
        "message": circle_message.pk,
        "report": report.pk,
    }
    visit = civic.visit_record(
        by=city.gridadmin,
        compound=city.north,
        visited_on=timezone.localdate(),
        people_met=2,
        summary="入户走访",
        appeals=[
            civic.AppealIn(text="插座发烫", kind="electricity"),
            civic.AppealIn(text="希望增加充电桩", kind="civic"),
        ],
        household=city.north_home,
    )
    now = timezone.now()
    activity = civic.activity_create(
        by=city.gridadmin,
        data=civic.ActivityIn(
            title="楼道清理志愿活动",
            description="清理楼道杂物",
            place="北苑小区广场",
            starts_at=now + datetime.timedelta(days=3),
            ends_at=now + datetime.timedelta(days=3, hours=2),
            signup_deadline=now + datetime.timedelta(days=2),
            capacity=5,
            compounds=[city.north],
        ),
        publish=True,
    )
    appeals = list(visit.appeals.order_by("pk"))
    world = World(
        city=city,
        workorder=workorder,
        public_request=public_request,
        outage=outage,
        photo_id=photo.pk,
        call_task=call_task,
        failed=failed,
        open311_key=key,
        ids={
            "application": application.pk,
            **circles,
            "visit": visit.pk,
            "electricity_appeal": appeals[0].pk,
            "civic_appeal": appeals[1].pk,
            "activity": activity.pk,
        },
    )
    knowledge_world(world)
    training_world(world)
    patrols_world(world)
    defects_world(world)
    arrears_world(world)
    billing_world(world)
    usage_world(world)
    reminders_world(world)
    return world


def arrears_world(world: World) -> None:
    """An arrears list with north's household owing and an account number not in Wudian."""
    city = world.city
    due = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    text = (
        f"户号,欠费金额,缴费截止日\n{city.north_home.account_no},88.00,{due}\n3499999999,1,{due}\n"
    )
    run = arrears_import(io.BytesIO(text.encode()), "list.csv")
    world.ids |= {"arrears_import": run.pk}


def billing_world(world: World) -> None:
    """The example tariff and two months of north's household's readings (the bill)."""
    example_tariff()
    for month, kwh in ((datetime.date(2025, 10, 1), "180"), (datetime.date(2025, 11, 1), "210")):
        MeterReading.objects.create(
            household=world.city.north_home,
            month=month,
            kwh=Decimal(kwh),
            source=MeterReading.Source.IMPORT,
            daily=["7.000"] * 30 if month.month == 11 else None,
        )


def reminders_world(world: World) -> None:
    """A later arrears list (superseding arrears_world's) on which north's household owes (due
    five days ago: no message went out) and south's too, with north's building's reminder
    walk."""
    city = world.city
    today = timezone.localdate()
    due = today - datetime.timedelta(days=5)
    run = arrears_list(
        today,
        [
            (city.north_home, "postpaid", Decimal("88.80"), due, None),
            (city.south_home, "postpaid", Decimal("66.60"), due, None),
        ],
    )
    walk = ReminderWalk.objects.get(building=city.north_building, run=run)
    line = city.north_home.arrears.get(current=True)
    world.ids |= {"walk": walk.pk, "arrears_line": line.pk}


def training_world(world: World) -> None:
    """A training of the district by the supervisor that electrician passed, and a scan of
    electrician's certificate."""
    city = world.city
    start = timezone.now() - datetime.timedelta(days=2)
    session = training.training_create(
        by=city.supervisor,
        data=training.TrainingIn(
            topic="低压电工安全规程",
            trainer="王工",
            place="培训室",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=3),
            hours=Decimal(3),
            district_id=city.district.pk,
        ),
    )
    training.attendance_record(
        session=session,
        by=city.supervisor,
        data=training.AttendanceIn(electrician_id=city.electrician.pk, result="passed"),
    )
    certificate = Certificate.objects.get(holder=city.electrician)
    scan = photo_from_bytes(image_bytes())
    certificate.scan.save(scan.filename, scan.content)
    world.ids |= {"training": session.pk, "certificate": certificate.pk}


def usage_world(world: World) -> None:
    """North's household's metering dispute, filed by its resident, with a year of readings and
    a usage analysis its customer manager attached."""
    city = world.city
    until = timezone.localdate().replace(day=1)
    MeterReading.objects.bulk_create(
        MeterReading(
            household=city.north_home,
            month=month_add(until, -k),
            kwh=Decimal(200),
            source=MeterReading.Source.IMPORT,
        )
        for k in range(13)
    )
    dispute = workorder_create(
        category=Category.objects.get(code="metering_dispute"),
        description="电表走得太快",
        channel=RequestChannel.WEB,
        by=city.resident,
        household=city.north_home,
    )
    report = workorder_attach_usage(workorder=dispute, by=city.manager)
    world.ids |= {"dispute": dispute.pk, "usage_report": report.pk}


def usage_path(w: World, side: str, end: str = "/") -> str:
    return f"/{side}/requests/{w.ids['dispute']}/usage/{w.ids['usage_report']}{end}"


def defects_world(world: World) -> None:
    """North's open property defect, with a photo as found, opened by its customer manager."""
    city = world.city
    defect = defect_open(
        compound=city.north,
        description="配电箱门锁损坏",
        severity="serious",
        responsible="property",
        by=city.manager,
        source="staff",
        photos=[photo_from_bytes(image_bytes())],
    )
    world.ids |= {"defect": defect.pk, "defect_photo": defect.photos.get().pk}


def knowledge_world(world: World) -> None:
    """North's published article, a draft with an image, and a seasonal reminder (manager's)."""
    city = world.city
    north = Target(reach=Reach.COMPOUNDS, compounds=(city.north,))
    text = Content(title="夏季空调省电", body="空调温度设在26℃。", category="saving", target=north)
    published = article_create(by=city.manager, content=text)
    article_publish(article=published, by=city.manager)
    draft = article_create(by=city.manager, content=text)
    image = article_add_images(
        article=draft, by=city.manager, images=[photo_from_bytes(image_bytes())]
    )[0]
    reminder = reminder_create(by=city.manager, content=text, season=Season(month=6, day=15))
    world.ids |= {
        "article": published.pk,
        "draft": draft.pk,
        "image": image.pk,
        "reminder": reminder.pk,
    }


def patrols_world(world: World) -> None:
    """North's monthly patrol planned this month, an extra patrol in progress (the
    electrician's) and one sent by the electrician, awaiting the manager."""
    city = world.city
    today = timezone.localdate()
    checklist_default()
    patrol_plans_for_month(month=today, today=today)
    monthly = Patrol.objects.get(compound=city.north, kind=Patrol.Kind.MONTHLY)
    day = monthly.planned_on + datetime.timedelta(days=1)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    extra = patrol_extra_open(compound=city.north, by=city.manager, reason="楼道冒烟")
    in_progress = patrol_start(patrol=extra, by=city.electrician)
    sent = patrol_start(
        patrol=patrol_extra_open(compound=city.north, by=city.manager, reason="线损告警"),
        by=city.electrician,
    )
    items = list(sent.checklist_version.items.order_by("position"))  # type: ignore[union-attr]
    patrol_submit(
        patrol=sent,
        by=city.electrician,
        submission_key=uuid.uuid4(),
        version_id=sent.checklist_version_id or 0,
        answers=[PatrolAnswerIn(item=item.pk, result="ok") for item in items],
    )
    world.ids |= {
        "patrol_planned": monthly.pk,
        "patrol_move_to": day.isoformat(),
        "patrol": in_progress.pk,
        "patrol_items": [item.pk for item in items],
        "patrol_version": in_progress.checklist_version_id,
        "patrol_sent": sent.pk,
    }


def patrol_answers(world: World) -> dict[str, Any]:
    return {
        "submission_key": str(uuid.uuid4()),
        "checklist_version": world.ids["patrol_version"],
        "answers": [{"item": pk, "result": "ok"} for pk in world.ids["patrol_items"]],
    }


def patrol_form(world: World) -> dict[str, Any]:
    return {
        "submission_key": str(uuid.uuid4()),
        "version": world.ids["patrol_version"],
        **{f"result-{pk}": "ok" for pk in world.ids["patrol_items"]},
    }


# What each route is asked --------------------------------------------------------------


Payload = dict[str, Any] | Callable[["World"], dict[str, Any]] | None


@dataclass(frozen=True)
class Ask:
    """One request to a route: method, path (a function of the world) and what it sends
    (a dict, or a function of the world). A public document, the same for everyone and slow
    to make (a PDF), is asked as `only` some roles; the others' cells read "-"."""

    method: str
    path: Callable[[World], str]
    data: Payload = None
    api: bool = False
    only: tuple[str, ...] = ()
    # Sends the role's own username with a wrong password (a login).
    wrong_password: bool = False

    def payload(self, world: World) -> dict[str, Any] | None:
        return self.data(world) if callable(self.data) else self.data


def get(path: Callable[[World], str], *, only: tuple[str, ...] = ()) -> Ask:
    return Ask("GET", path, only=only)


def post(path: Callable[[World], str], data: Payload = None) -> Ask:
    return Ask("POST", path, data)


def api_get(path: Callable[[World], str]) -> Ask:
    return Ask("GET", path, api=True)


def api_send(method: str, path: Callable[[World], str], data: Payload = None) -> Ask:
    return Ask(method, path, data, api=True)


def outage_action(name: str, data: Payload) -> Ask:
    return api_send("POST", lambda w: f"/api/v1/outages/{w.outage.pk}/actions/{name}", data)


def request_action(name: str, data: Payload) -> Ask:
    return api_send("POST", lambda w: f"{WO}/{w.workorder.pk}/actions/{name}", data)


WO = "/api/v1/workorders"

OUTAGE_ACTIONS: list[tuple[str, Payload]] = [
    ("publish", {}),
    (
        "postpone",
        lambda w: {
            "start": (w.outage.start + datetime.timedelta(days=1)).isoformat(),
            "end": (w.outage.end + datetime.timedelta(days=1)).isoformat(),
            "note": "天气原因延期",
        },
    ),
    ("change", {"title": "北苑小区检修", "note": "改标题"}),
    ("cancel", {"note": "取消"}),
    ("estimate", lambda w: {"estimated_restoration": w.outage.end.isoformat()}),
    ("restore", {}),
]

REQUEST_ACTIONS: list[tuple[str, Payload]] = [
    ("accept", {}),
    ("arrive", {"note": ""}),
    ("resolve", {"note": "换了插座"}),
    ("escalate", {"reason": "处理不了"}),
    ("transfer", {"reason": "换人", "to": "manager"}),
    ("reopen", {"reason": "没修好"}),
    ("cancel", {"reason": "重复"}),
    ("rate", {"rating": 5, "comment": "", "visited_hall": False}),
    ("confirm", {}),
    ("wait", {"note": "请提供照片"}),
    ("resume", {"note": ""}),
    ("comment", {"note": "请尽快"}),
]


# Every route, by its URL name (pages) or its API operation ("METHOD /path" as in the
# OpenAPI document).
ASKS: dict[str, Ask] = {
    # Front
    "front:index": get(lambda w: "/?q=北苑"),
    "front:home_for_user": get(lambda w: "/home/"),
    "front:desk": get(lambda w: "/desk/"),
    "front:me": get(lambda w: "/me/"),
    "front:duties": get(lambda w: "/duties/"),
    "front:compound_window": get(lambda w: f"/c/{w.city.north.code}/"),
    "core:healthz": get(lambda w: "/healthz"),
    "core:security_txt": get(lambda w: "/.well-known/security.txt"),
    "set_language": post(lambda w: "/i18n/setlang/", lambda w: {"language": "en"}),
    # Accounts
    "accounts:login": get(lambda w: "/accounts/login/"),
    "accounts:logout": post(lambda w: "/accounts/logout/"),
    "accounts:password_change": get(lambda w: "/accounts/password/"),
    "accounts:password_change_done": get(lambda w: "/accounts/password/done/"),
    # A member of staff's portrait (public on the compound window): the manager has none.
    "accounts:photo": get(lambda w: f"/people/{w.city.manager.pk}/photo/"),
    # Grid
    "grid:compound_households": get(lambda w: f"/desk/compounds/{w.city.north.code}/"),
    # Outages
    "outages:list": get(lambda w: "/desk/outages/"),
    "outages:new": get(lambda w: "/desk/outages/new/"),
    "outages:preview": post(
        lambda w: "/desk/outages/preview/", lambda w: {"compounds": [w.city.north.pk]}
    ),
    "outages:notice_check": post(
        lambda w: "/desk/outages/notice-check/",
        lambda w: {
            "kind": "planned",
            "start": timezone.localtime(timezone.now() + datetime.timedelta(days=2)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "compounds": [w.city.north.pk],
        },
    ),
    "outages:detail": get(lambda w: f"/desk/outages/{w.outage.pk}/"),
    "outages:action": post(
        lambda w: f"/desk/outages/{w.outage.pk}/cancel/", lambda w: {"cancel-note": "天气原因取消"}
    ),
    "outages:acknowledge": post(
        lambda w: f"/me/outages/{w.outage.pk}/acknowledge/",
        lambda w: {"household": w.city.north_home.pk},
    ),
    # Notify
    "notify:inbox": get(lambda w: "/me/inbox/"),
    "notify:preferences": get(lambda w: "/me/notifications/"),
    "notify:calls": get(lambda w: "/desk/calls/"),
    "notify:call_done": post(
        lambda w: f"/desk/calls/{w.call_task.pk}/done/", lambda w: {"outcome": "reached"}
    ),
    "notify:failed": get(lambda w: "/desk/notifications/failed/"),
    # The development gateway: debug mode only, so 404 for everyone here (debug off).
    "notify:dev_gateway": get(lambda w: "/dev/gateway/"),
    "notify:dev_gateway_receive": post(
        lambda w: "/dev/gateway/sms/", {"to": "13800000001", "message": "x"}
    ),
    "notify:dev_gateway_receive_circle": post(
        lambda w: "/dev/gateway/circle/north/", {"message": "x"}
    ),
    "notify:failed_retry": post(lambda w: f"/desk/notifications/failed/{w.failed.pk}/retry/"),
    "notify:failed_retry_all": post(lambda w: "/desk/notifications/failed/retry/"),
    # The audit log
    "audit:entries": get(lambda w: "/desk/audit/"),
    "metrics:dashboard": get(lambda w: f"/desk/dashboard/?scope=compound:{w.city.north.pk}"),
    # Line loss
    "analytics:lineloss": get(lambda w: "/desk/lineloss/"),
    "analytics:lineloss_station_area": get(lambda w: f"/desk/lineloss/{w.city.station_area.code}/"),
    "analytics:lineloss_check": post(lambda w: f"/desk/lineloss/{w.city.station_area.code}/check/"),
    # The service dashboard and the lists behind its figures
    "metrics:drill_requests": get(
        lambda w: f"/desk/dashboard/requests/?period=year_to_date&scope=compound:{w.city.north.pk}"
    ),
    "metrics:drill_outages": get(
        lambda w: f"/desk/dashboard/outages/?period=year_to_date&scope=compound:{w.city.north.pk}"
    ),
    "metrics:drill_areas": get(
        lambda w: f"/desk/dashboard/areas/?period=year_to_date&scope=compound:{w.city.north.pk}"
    ),
    # The dashboard's exports; the report is a PDF, slow to make, asked of a few roles.
    "metrics:export_xlsx": get(
        lambda w: f"/desk/dashboard/export.xlsx?scope=compound:{w.city.north.pk}"
    ),
    "metrics:requests_xlsx": get(
        lambda w: f"/desk/dashboard/requests.xlsx?scope=compound:{w.city.north.pk}"
    ),
    "metrics:outages_xlsx": get(
        lambda w: f"/desk/dashboard/outages.xlsx?scope=compound:{w.city.north.pk}"
    ),
    "metrics:areas_xlsx": get(
        lambda w: f"/desk/dashboard/areas.xlsx?scope=compound:{w.city.north.pk}"
    ),
    "metrics:report_pdf": get(
        lambda w: f"/desk/dashboard/report.pdf?scope=compound:{w.city.north.pk}",
        only=("anonymous", "resident", "electrician", "manager", "supervisor"),
    ),
    # Requests
    "workorders:my_list": get(lambda w: "/me/requests/"),
    "workorders:my_new": get(lambda w: "/me/requests/new/"),
    "workorders:my_detail": get(lambda w: f"/me/requests/{w.workorder.pk}/"),
    "workorders:my_action": post(
        lambda w: f"/me/requests/{w.workorder.pk}/comment/", lambda w: {"comment-note": "谢谢"}
    ),
    "workorders:photo": get(lambda w: f"/requests/{w.workorder.pk}/photos/{w.photo_id}/"),
    "workorders:desk_list": get(lambda w: "/desk/requests/?tab=all"),
    "workorders:desk_new": get(lambda w: "/desk/requests/new/"),
    "workorders:desk_usage": get(lambda w: usage_path(w, "desk")),
    "workorders:desk_usage_pdf": get(lambda w: usage_path(w, "desk", ".pdf")),
    "workorders:my_usage": get(lambda w: usage_path(w, "me")),
    "workorders:my_usage_pdf": get(lambda w: usage_path(w, "me", ".pdf")),
    "workorders:desk_counts": get(lambda w: "/desk/requests/counts/"),
    "workorders:desk_detail": get(lambda w: f"/desk/requests/{w.workorder.pk}/"),
    "workorders:desk_action": post(
        lambda w: f"/desk/requests/{w.workorder.pk}/accept/", lambda w: {}
    ),
    "workorders:from_circle_message": get(
        lambda w: f"/desk/circle-messages/{w.ids['message']}/request/"
    ),
    # Circles
    "circles:list": get(lambda w: "/circles/"),
    "circles:detail": get(lambda w: f"/circles/{w.ids['circle']}/"),
    "circles:post_new": post(
        lambda w: f"/circles/{w.ids['circle']}/post/",
        {"kind": "general", "title": "停车场施工", "body": "请绕行"},
    ),
    "circles:message_new": post(lambda w: f"/circles/{w.ids['circle']}/write/", {"body": "你好"}),
    "circles:settings": post(
        lambda w: f"/circles/{w.ids['circle']}/settings/", {"delivery": "none"}
    ),
    "circles:post": get(lambda w: f"/circles/posts/{w.ids['post']}/"),
    "circles:post_action": post(lambda w: f"/circles/posts/{w.ids['post']}/pin/"),
    "circles:message": get(lambda w: f"/circles/messages/{w.ids['message']}/"),
    "circles:message_action": post(
        lambda w: f"/circles/messages/{w.ids['message']}/reply/", {"reply-body": "明天来修"}
    ),
    "circles:reports": get(lambda w: "/desk/circles/reports/"),
    "circles:report_dismiss": post(lambda w: f"/desk/circles/reports/{w.ids['report']}/dismiss/"),
    "GET /api/v1/circles": api_get(lambda w: "/api/v1/circles"),
    "GET /api/v1/circles/{circle_id}": api_get(lambda w: f"/api/v1/circles/{w.ids['circle']}"),
    "GET /api/v1/circles/{circle_id}/feed": api_get(
        lambda w: f"/api/v1/circles/{w.ids['circle']}/feed"
    ),
    "POST /api/v1/circles/{circle_id}/messages": api_send(
        "POST", lambda w: f"/api/v1/circles/{w.ids['circle']}/messages", {"body": "电梯停了"}
    ),
    "POST /api/v1/circles/{circle_id}/posts": api_send(
        "POST",
        lambda w: f"/api/v1/circles/{w.ids['circle']}/posts",
        {"kind": "civic", "title": "文明创建", "body": "垃圾分类"},
    ),
    # Billing: the readings imports (business hall, administrators); north's bill
    "billing:readings_imports": get(lambda w: "/desk/readings/"),
    "billing:my_bill": get(lambda w: "/me/bill/"),
    "billing:household_bill": get(
        lambda w: f"/desk/households/{w.city.north_home.account_no}/bill/?month=2025-11"
    ),
    "GET /api/v1/billing/households/{account_no}/bill": api_get(
        lambda w: f"/api/v1/billing/households/{w.city.north_home.account_no}/bill"
    ),
    # JSON, not multipart: no file arrives, so an importer is told to attach one (422).
    "POST /api/v1/billing/readings/imports": api_send(
        "POST", lambda w: "/api/v1/billing/readings/imports", {}
    ),
    # Open311 (public reads; filing with a key)
    "open311:discovery": get(lambda w: "/open311/discovery.json"),
    "open311:services": get(lambda w: "/open311/v2/services.json"),
    "open311:service": get(lambda w: "/open311/v2/services/hazard.json"),
    "open311:requests": get(lambda w: "/open311/v2/requests.json"),
    "open311:request": get(lambda w: f"/open311/v2/requests/{w.public_request.pk}.json"),
    "open311:token": get(lambda w: f"/open311/v2/tokens/{w.public_request.open311_token}.json"),
    # Feeds (public)
    "feeds:compound_calendar": get(lambda w: f"/feeds/outages/{w.city.north.code}.ics"),
    "feeds:cap_alert": get(lambda w: f"/feeds/cap/{w.outage.pk}.xml"),
    "feeds:cap_index": get(lambda w: "/feeds/cap.atom"),
    "feeds:notice_pdf": get(
        lambda w: f"/feeds/outages/{w.outage.pk}/notice.pdf", only=("anonymous", "manager")
    ),
    "feeds:compound_notice_pdf": get(
        lambda w: f"/feeds/outages/{w.outage.pk}/notice/{w.city.north.code}.pdf",
        only=("anonymous", "manager"),
    ),
    # Residents joining by themselves, and the window's poster (public, slow: a few roles)
    "front:compound_poster": get(
        lambda w: f"/c/{w.city.north.code}/poster.pdf", only=("anonymous", "manager")
    ),
    "joining:join_start": get(lambda w: "/join/"),
    "joining:join_code": get(lambda w: "/join/code/"),
    "joining:join_link": get(lambda w: join_link(w.city.north).path),
    "joining:my_households": get(lambda w: "/me/households/"),
    "joining:bind": post(
        lambda w: "/me/households/bind/",
        lambda w: {
            "account_no": w.city.north_home_2.account_no,
            "surname": "王",
            "phone_last4": "0002",
        },
    ),
    "joining:apply": post(
        lambda w: "/me/households/apply/",
        {"compound": "NORTH", "account_no": "3400000002", "relation": "family", "name": "王小明"},
    ),
    "joining:leave": post(lambda w: f"/me/households/{w.city.north_home.pk}/leave/"),
    "joining:withdraw": post(
        lambda w: f"/me/households/applications/{w.ids['application']}/withdraw/"
    ),
    "joining:desk_list": get(lambda w: "/desk/joining/"),
    "joining:desk_approve": post(lambda w: f"/desk/joining/{w.ids['application']}/approve/"),
    "joining:desk_reject": post(
        lambda w: f"/desk/joining/{w.ids['application']}/reject/", {"reason": "请到物业核实身份"}
    ),
    # Knowledge: north's published article; a draft with an image; a reminder (manager's)
    "knowledge:list": get(lambda w: "/knowledge/?q=空调"),
    "knowledge:detail": get(lambda w: f"/knowledge/{w.ids['article']}/"),
    "knowledge:useful": post(lambda w: f"/knowledge/{w.ids['article']}/useful/", {"useful": "yes"}),
    "knowledge:image": get(lambda w: f"/knowledge/{w.ids['draft']}/images/{w.ids['image']}/"),
    "knowledge:desk_list": get(lambda w: "/desk/knowledge/?tab=published"),
    "knowledge:desk_new": get(lambda w: "/desk/knowledge/new/"),
    "knowledge:desk_detail": get(lambda w: f"/desk/knowledge/{w.ids['draft']}/"),
    "knowledge:desk_images": post(lambda w: f"/desk/knowledge/{w.ids['draft']}/images/"),
    "knowledge:desk_image_remove": post(
        lambda w: f"/desk/knowledge/{w.ids['draft']}/images/{w.ids['image']}/remove/"
    ),
    "knowledge:desk_action": post(lambda w: f"/desk/knowledge/{w.ids['draft']}/publish/"),
    "knowledge:reminder_new": get(lambda w: "/desk/knowledge/reminders/new/"),
    "knowledge:reminder_detail": get(lambda w: f"/desk/knowledge/reminders/{w.ids['reminder']}/"),
    "knowledge:reminder_action": post(
        lambda w: f"/desk/knowledge/reminders/{w.ids['reminder']}/pause/"
    ),
    "GET /api/v1/knowledge/articles": api_get(lambda w: "/api/v1/knowledge/articles?q=空调"),
    "GET /api/v1/knowledge/articles/{article_id}": api_get(
        lambda w: f"/api/v1/knowledge/articles/{w.ids['draft']}"
    ),
    "POST /api/v1/knowledge/articles/{article_id}/vote": api_send(
        "POST", lambda w: f"/api/v1/knowledge/articles/{w.ids['article']}/vote", {"useful": True}
    ),
    "POST /api/v1/knowledge/articles": api_send(
        "POST",
        lambda w: "/api/v1/knowledge/articles",
        lambda w: {
            "title": "雷雨天气安全用电",
            "body": "雷雨天拔掉电器插头。",
            "category": "safe_use",
            "reach": "compounds",
            "compounds": [w.city.north.code],
        },
    ),
    "PATCH /api/v1/knowledge/articles/{article_id}": api_send(
        "PATCH", lambda w: f"/api/v1/knowledge/articles/{w.ids['draft']}", {"title": "改标题"}
    ),
    "POST /api/v1/knowledge/articles/{article_id}/publish": api_send(
        "POST", lambda w: f"/api/v1/knowledge/articles/{w.ids['draft']}/publish"
    ),
    # JSON, not multipart: no file arrives, so a writer is told to attach one (422).
    "POST /api/v1/knowledge/articles/{article_id}/images": api_send(
        "POST", lambda w: f"/api/v1/knowledge/articles/{w.ids['draft']}/images"
    ),
    "POST /api/v1/knowledge/articles/{article_id}/withdraw": api_send(
        "POST", lambda w: f"/api/v1/knowledge/articles/{w.ids['article']}/withdraw"
    ),
    # The API's own pages
    "api:openapi-json": get(lambda w: "/api/v1/openapi.json"),
    "api:openapi-view": get(lambda w: "/api/v1/docs"),
    "api:api-root": get(lambda w: "/api/v1/"),
    # API operations
    # A wrong password, each role under its own name: the login throttle counts per name (and
    # more loosely per address), and the Redis cache is not rolled back between roles.
    "POST /api/v1/auth/token": Ask(
        "POST", lambda w: "/api/v1/auth/token", api=True, wrong_password=True
    ),
    "DELETE /api/v1/auth/token": api_send("DELETE", lambda w: "/api/v1/auth/token"),
    "GET /api/v1/me": api_get(lambda w: "/api/v1/me"),
    "GET /api/v1/me/households": api_get(lambda w: "/api/v1/me/households"),
    "GET /api/v1/households": api_get(lambda w: f"/api/v1/households?compound={w.city.north.code}"),
    "GET /api/v1/households/{household_id}": api_get(
        lambda w: f"/api/v1/households/{w.city.north_home.pk}"
    ),
    "PATCH /api/v1/households/{household_id}": api_send(
        "PATCH",
        lambda w: f"/api/v1/households/{w.city.north_home.pk}",
        lambda w: {"holder_name": "王建华"},
    ),
    "GET /api/v1/outages": api_get(lambda w: "/api/v1/outages"),
    "POST /api/v1/outages": api_send(
        "POST",
        lambda w: "/api/v1/outages",
        lambda w: {
            "kind": "fault",
            "title": "北苑小区故障停电",
            "reason": "电缆故障",
            "start": timezone.now().isoformat(),
            "end": (timezone.now() + datetime.timedelta(hours=3)).isoformat(),
            "compounds": [w.city.north.code],
        },
    ),
    "POST /api/v1/outages/preview": api_send(
        "POST", lambda w: "/api/v1/outages/preview", lambda w: {"compounds": [w.city.north.code]}
    ),
    "GET /api/v1/me/outages": api_get(lambda w: "/api/v1/me/outages"),
    "GET /api/v1/outages/{outage_id}": api_get(lambda w: f"/api/v1/outages/{w.outage.pk}"),
    **{
        f"POST /api/v1/outages/{{outage_id}}/actions/{name}": outage_action(name, data)
        for name, data in OUTAGE_ACTIONS
    },
    "POST /api/v1/outages/{outage_id}/acknowledge": api_send(
        "POST", lambda w: f"/api/v1/outages/{w.outage.pk}/acknowledge", lambda w: {}
    ),
    "GET /api/v1/me/messages": api_get(lambda w: "/api/v1/me/messages"),
    "POST /api/v1/me/messages/read": api_send(
        "POST", lambda w: "/api/v1/me/messages/read", lambda w: {"ids": []}
    ),
    "GET /api/v1/workorders/categories": api_get(lambda w: f"{WO}/categories"),
    # Codes are asked with a number that is not a mobile one: a good one would be throttled
    # per phone across roles where the cache (Redis) is not rolled back.
    "POST /api/v1/join/code": api_send("POST", lambda w: "/api/v1/join/code", {"phone": "12345"}),
    "POST /api/v1/join/token": api_send(
        "POST", lambda w: "/api/v1/join/token", {"phone": "13912345678", "code": "123456"}
    ),
    "POST /api/v1/me/households/bind": api_send(
        "POST",
        lambda w: "/api/v1/me/households/bind",
        lambda w: {
            "account_no": w.city.north_home_2.account_no,
            "surname": "王",
            "phone_last4": "0002",
        },
    ),
    "DELETE /api/v1/me/households/{household_id}": api_send(
        "DELETE", lambda w: f"/api/v1/me/households/{w.city.north_home.pk}"
    ),
    "GET /api/v1/me/households/applications": api_get(
        lambda w: "/api/v1/me/households/applications"
    ),
    "POST /api/v1/me/households/applications": api_send(
        "POST",
        lambda w: "/api/v1/me/households/applications",
        {"compound": "NORTH", "account_no": "3400000002", "relation": "family", "name": "王小明"},
    ),
    "POST /api/v1/me/households/applications/{application_id}/withdraw": api_send(
        "POST", lambda w: f"/api/v1/me/households/applications/{w.ids['application']}/withdraw"
    ),
    "GET /api/v1/joining/applications": api_get(lambda w: "/api/v1/joining/applications"),
    "POST /api/v1/joining/applications/{application_id}/approve": api_send(
        "POST", lambda w: f"/api/v1/joining/applications/{w.ids['application']}/approve"
    ),
    "POST /api/v1/joining/applications/{application_id}/reject": api_send(
        "POST",
        lambda w: f"/api/v1/joining/applications/{w.ids['application']}/reject",
        {"reason": "请到物业核实身份"},
    ),
    "GET /api/v1/metrics": api_get(lambda w: f"/api/v1/metrics?scope=compound:{w.city.north.pk}"),
    "GET /api/v1/workorders": api_get(lambda w: WO),
    "POST /api/v1/workorders": api_send(
        "POST",
        lambda w: WO,
        lambda w: {
            "category": "fault_behind_meter",
            "description": "插座没电",
            "household_id": w.city.north_home.pk,
        },
    ),
    "GET /api/v1/workorders/{workorder_id}/usage": api_get(
        lambda w: f"{WO}/{w.ids['dispute']}/usage"
    ),
    "POST /api/v1/workorders/{workorder_id}/usage": api_send(
        "POST", lambda w: f"{WO}/{w.ids['dispute']}/usage", {"months": 12}
    ),
    "POST /api/v1/workorders/{workorder_id}/photos": api_send(
        "POST", lambda w: f"{WO}/{w.workorder.pk}/photos", None
    ),
    "GET /api/v1/workorders/{workorder_id}/photos/{photo_id}": api_get(
        lambda w: f"{WO}/{w.workorder.pk}/photos/{w.photo_id}"
    ),
    "GET /api/v1/workorders/{workorder_id}": api_get(lambda w: f"{WO}/{w.workorder.pk}"),
    **{
        f"POST /api/v1/workorders/{{workorder_id}}/actions/{name}": request_action(name, data)
        for name, data in REQUEST_ACTIONS
    },
    "POST /api/v1/workorders/{workorder_id}/actions/{action}": api_send(
        "POST", lambda w: f"{WO}/{w.workorder.pk}/actions/dance", lambda w: {}
    ),
    # Civic work: visits and appeals, volunteer activities
    "fieldwork:patrol_list": get(lambda w: "/patrols/"),
    "fieldwork:patrol_detail": get(lambda w: f"/patrols/{w.ids['patrol']}/"),
    "fieldwork:patrol_start": post(lambda w: f"/patrols/{w.ids['patrol_planned']}/start/"),
    "fieldwork:patrol_submit": post(lambda w: f"/patrols/{w.ids['patrol']}/submit/", patrol_form),
    "fieldwork:patrol_confirm": post(lambda w: f"/patrols/{w.ids['patrol_sent']}/confirm/"),
    "fieldwork:patrol_move": post(
        lambda w: f"/patrols/{w.ids['patrol_planned']}/move/",
        lambda w: {"planned_on": w.ids["patrol_move_to"], "reason": "物业停电检修"},
    ),
    "fieldwork:patrol_cancel": post(
        lambda w: f"/patrols/{w.ids['patrol_planned']}/cancel/", {"reason": "小区封闭"}
    ),
    "fieldwork:compound_field": get(lambda w: "/desk/compounds/NORTH/field/"),
    "GET /api/v1/fieldwork/patrols": api_get(lambda w: "/api/v1/fieldwork/patrols"),
    "GET /api/v1/fieldwork/patrols/{patrol_id}": api_get(
        lambda w: f"/api/v1/fieldwork/patrols/{w.ids['patrol']}"
    ),
    "POST /api/v1/fieldwork/patrols/{patrol_id}/submit": api_send(
        "POST", lambda w: f"/api/v1/fieldwork/patrols/{w.ids['patrol']}/submit", patrol_answers
    ),
    "POST /api/v1/fieldwork/patrols/{patrol_id}/confirm": api_send(
        "POST", lambda w: f"/api/v1/fieldwork/patrols/{w.ids['patrol_sent']}/confirm"
    ),
    "POST /api/v1/fieldwork/patrols/{patrol_id}/move": api_send(
        "POST",
        lambda w: f"/api/v1/fieldwork/patrols/{w.ids['patrol_planned']}/move",
        lambda w: {"planned_on": w.ids["patrol_move_to"], "reason": "物业停电检修"},
    ),
    "civic:visit_list": get(lambda w: "/desk/visits/"),
    "civic:visit_new": get(lambda w: "/desk/visits/new/"),
    "civic:visit_detail": get(lambda w: f"/desk/visits/{w.ids['visit']}/"),
    "civic:appeal_action": post(
        lambda w: f"/desk/appeals/{w.ids['civic_appeal']}/answer/",
        lambda w: {f"answer-{w.ids['civic_appeal']}-answer": "已向物业反映"},
    ),
    "civic:activity_list": get(lambda w: "/activities/"),
    "civic:activity_new": get(lambda w: "/activities/new/"),
    "civic:activity_detail": get(lambda w: f"/activities/{w.ids['activity']}/"),
    "civic:activity_edit": get(lambda w: f"/activities/{w.ids['activity']}/edit/"),
    "civic:activity_action": post(lambda w: f"/activities/{w.ids['activity']}/signup/"),
    # Fieldwork: training and certificates
    "fieldwork:training_list": get(lambda w: "/trainings/"),
    "fieldwork:training_new": get(lambda w: "/trainings/new/"),
    "fieldwork:training_detail": get(lambda w: f"/trainings/{w.ids['training']}/"),
    "fieldwork:training_edit": get(lambda w: f"/trainings/{w.ids['training']}/edit/"),
    "fieldwork:training_attendance": post(
        lambda w: f"/trainings/{w.ids['training']}/attendance/",
        lambda w: {"electrician": w.city.electrician.pk, "result": "failed", "score": "50"},
    ),
    "fieldwork:certificate_registry": get(lambda w: "/certificates/"),
    "fieldwork:certificate_new": get(lambda w: "/certificates/new/"),
    "fieldwork:certificate_scan": get(lambda w: f"/certificates/{w.ids['certificate']}/scan/"),
    "GET /api/v1/fieldwork/certificates": api_get(lambda w: "/api/v1/fieldwork/certificates"),
    "POST /api/v1/fieldwork/certificates": api_send(
        "POST",
        lambda w: "/api/v1/fieldwork/certificates",
        lambda w: {
            "electrician_id": w.city.electrician_expired.pk,
            "number": "T3-2",
            "issued_on": timezone.localdate().isoformat(),
            "expires_on": (timezone.localdate() + datetime.timedelta(days=2000)).isoformat(),
        },
    ),
    "GET /api/v1/fieldwork/trainings": api_get(lambda w: "/api/v1/fieldwork/trainings"),
    "GET /api/v1/fieldwork/trainings/{training_id}": api_get(
        lambda w: f"/api/v1/fieldwork/trainings/{w.ids['training']}"
    ),
    "POST /api/v1/fieldwork/trainings": api_send(
        "POST",
        lambda w: "/api/v1/fieldwork/trainings",
        lambda w: {
            "topic": "漏电保护器",
            "trainer": "王工",
            "place": "培训室",
            "starts_at": (timezone.now() + datetime.timedelta(days=3)).isoformat(),
            "ends_at": (timezone.now() + datetime.timedelta(days=3, hours=2)).isoformat(),
            "hours": "2",
            "district": "D1",
        },
    ),
    "POST /api/v1/fieldwork/trainings/{training_id}/attendance": api_send(
        "POST",
        lambda w: f"/api/v1/fieldwork/trainings/{w.ids['training']}/attendance",
        lambda w: {"electrician_id": w.city.electrician.pk, "result": "failed", "score": 50},
    ),
    "GET /api/v1/civic/visits": api_get(lambda w: "/api/v1/civic/visits"),
    # Defects (消缺)
    "fieldwork:defect_list": get(lambda w: "/defects/"),
    # Billing: payment reminders
    "billing:reminder_walks": get(lambda w: "/reminders/"),
    "billing:reminder_walk": get(lambda w: f"/reminders/walks/{w.ids['walk']}/"),
    "billing:reminder_walk_record": post(
        lambda w: f"/reminders/walks/{w.ids['walk']}/lines/{w.ids['arrears_line']}/",
        {"outcome": "in_person", "note": "已告知"},
    ),
    "GET /api/v1/billing/reminders/walks": api_get(lambda w: "/api/v1/billing/reminders/walks"),
    "GET /api/v1/billing/reminders/walks/{walk_id}": api_get(
        lambda w: f"/api/v1/billing/reminders/walks/{w.ids['walk']}"
    ),
    "POST /api/v1/billing/reminders": api_send(
        "POST",
        lambda w: "/api/v1/billing/reminders",
        lambda w: {"line": w.ids["arrears_line"], "outcome": "phone_call"},
    ),
    "fieldwork:defect_new": get(lambda w: "/defects/new/"),
    "fieldwork:defect_detail": get(lambda w: f"/defects/{w.ids['defect']}/"),
    "fieldwork:defect_photo": get(
        lambda w: f"/defects/{w.ids['defect']}/photos/{w.ids['defect_photo']}/"
    ),
    "fieldwork:defect_action": post(
        lambda w: f"/defects/{w.ids['defect']}/comment/", {"comment-note": "已通知物业"}
    ),
    "fieldwork:defect_from_request": get(
        lambda w: f"/defects/from-request/{w.public_request.pk}/defect/"
    ),
    "fieldwork:defect_from_station_area": get(
        lambda w: f"/defects/from-station-area/{w.city.station_area.code}/patrol/"
    ),
    "GET /api/v1/fieldwork/defects": api_get(lambda w: "/api/v1/fieldwork/defects"),
    "GET /api/v1/fieldwork/defects/{defect_id}": api_get(
        lambda w: f"/api/v1/fieldwork/defects/{w.ids['defect']}"
    ),
    "POST /api/v1/fieldwork/defects": api_send(
        "POST",
        lambda w: "/api/v1/fieldwork/defects",
        {
            "compound": "NORTH",
            "description": "楼道灯线老化",
            "severity": "normal",
            "responsible": "property",
        },
    ),
    "POST /api/v1/fieldwork/defects/{defect_id}/fix": api_send(
        "POST", lambda w: f"/api/v1/fieldwork/defects/{w.ids['defect']}/fix", {"note": "已修"}
    ),
    "POST /api/v1/fieldwork/defects/{defect_id}/check": api_send(
        "POST", lambda w: f"/api/v1/fieldwork/defects/{w.ids['defect']}/check", {"passed": True}
    ),
    "POST /api/v1/civic/visits": api_send(
        "POST",
        lambda w: "/api/v1/civic/visits",
        lambda w: {
            "compound": w.city.north.code,
            "household_id": w.city.north_home.pk,
            "visited_on": timezone.localdate().isoformat(),
            "people_met": 1,
            "summary": "入户走访",
        },
    ),
    "GET /api/v1/civic/visits/{visit_id}": api_get(
        lambda w: f"/api/v1/civic/visits/{w.ids['visit']}"
    ),
    "POST /api/v1/civic/appeals/{appeal_id}/request": api_send(
        "POST",
        lambda w: f"/api/v1/civic/appeals/{w.ids['electricity_appeal']}/request",
        {"category": "hazard"},
    ),
    "GET /api/v1/civic/activities": api_get(lambda w: "/api/v1/civic/activities"),
    "GET /api/v1/civic/activities/{activity_id}": api_get(
        lambda w: f"/api/v1/civic/activities/{w.ids['activity']}"
    ),
    "POST /api/v1/civic/activities/{activity_id}/signup": api_send(
        "POST", lambda w: f"/api/v1/civic/activities/{w.ids['activity']}/signup"
    ),
    "DELETE /api/v1/civic/activities/{activity_id}/signup": api_send(
        "DELETE", lambda w: f"/api/v1/civic/activities/{w.ids['activity']}/signup"
    ),
    # Billing: the arrears list (the business hall's and administrators'); one household's
    # arrears for those who remind it. Without a file the import is refused (422).
    "billing:arrears_imports": get(lambda w: "/desk/arrears/"),
    "billing:arrears_template": get(lambda w: "/desk/arrears/template.xlsx"),
    "billing:arrears_import": get(lambda w: f"/desk/arrears/imports/{w.ids['arrears_import']}/"),
    "billing:household_arrears": get(
        lambda w: f"/desk/households/{w.city.north_home.account_no}/arrears/"
    ),
    "GET /api/v1/billing/arrears/imports": api_get(lambda w: "/api/v1/billing/arrears/imports"),
    "POST /api/v1/billing/arrears/imports": api_send(
        "POST", lambda w: "/api/v1/billing/arrears/imports", {}
    ),
}


# The routes there are ------------------------------------------------------------------


def page_routes() -> set[str]:
    def walk(patterns: list[Any], namespace: str | None) -> set[str]:
        names: set[str] = set()
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django's own, behind is_staff; not the project's routes
                names |= walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                names.add(name)
        return names

    routes = walk(get_resolver().url_patterns, None)
    # The API's operations are listed one by one below, not by their URL names.
    return {name for name in routes if not name.startswith("api:")} | {
        "api:openapi-json",
        "api:openapi-view",
        "api:api-root",
    }


def api_operations() -> set[str]:
    schema = root_api.get_openapi_schema()
    return {
        f"{method.upper()} {'/api/v1' + path if not path.startswith('/api') else path}"
        for path, operations in schema["paths"].items()
        for method in operations
    } | {"POST /api/v1/workorders/{workorder_id}/actions/{action}"}


def test_every_route_has_its_row() -> None:
    routes = page_routes() | api_operations()
    assert routes - set(ACCESS) == set(), "routes without a row in ACCESS"
    assert set(ACCESS) - routes == set(), "rows of routes that no longer exist"
    assert set(ACCESS) == set(ASKS)


# Asking -------------------------------------------------------------------------------


def client_for(world: World, role: str, ask: Ask) -> Client:
    if role == "anonymous":
        return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    user: User = getattr(world.city, role)
    if ask.api:
        token = world.ids.setdefault(f"token:{role}", api_token_issue(user=user).token)
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def cell(response: Any) -> str:
    status = response.status_code
    if not 200 <= status < 300 or response.get("Content-Type", "").startswith(
        ("application/pdf", "image/")
    ):
        return str(status)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode(errors="replace")
    if PHONE in text:
        return f"{status}F"
    if MASKED_PHONE in text:
        return f"{status}M"
    return str(status)


def ask_as(world: World, role: str, ask: Ask) -> str:
    client = client_for(world, role, ask)
    if ask.only and role not in ask.only:
        return "-"
    path = ask.path(world)
    data = ask.payload(world)
    if ask.wrong_password:
        data = {"username": role, "password": "not-the-password"}
    with transaction.atomic():
        if ask.api:
            response = client.generic(
                ask.method, path, json.dumps(data) if data is not None else "", "application/json"
            )
        elif ask.method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data or {})
        transaction.set_rollback(True)
    return cell(response)


# One row a route: a cell a role, in the order of ROLES (anonymous, resident, resident_b,
# electrician, electrician_b, staff, gridadmin, manager, manager_b, dept, supervisor,
# outsider, admin). "200F": north's household shown in full; "200M": masked.
ROWS: dict[str, str] = {
    "GET /api/v1/billing/households/{account_no}/bill": "401  200  404  200  404  200  404  200  404  404  404  404  200",
    "POST /api/v1/billing/readings/imports": "401  403  403  403  403  403  403  403  403  403  403  403  422",
    "billing:household_bill": "302  200  404  200  404  200  404  200  404  404  404  404  200",
    "billing:my_bill": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "billing:readings_imports": "302  403  403  403  403  403  403  403  403  403  403  403  200",
    "GET /api/v1/billing/reminders/walks": "401  403  403  200  200  200  403  200  200  403  403  403  200",
    "GET /api/v1/billing/reminders/walks/{walk_id}": "401  403  403  200F 404  200F 403  200F 404  403  403  403  200F",
    "POST /api/v1/billing/reminders": "401  403  403  201  404  201  403  201  404  403  403  403  201",
    "billing:reminder_walk": "302  403  403  200F 404  200F 403  200F 404  403  403  403  200F",
    "billing:reminder_walk_record": "302  403  403  302  404  302  403  302  404  403  403  403  302",
    "billing:reminder_walks": "302  403  403  200  200  200  403  200  200  403  403  403  200",
    "GET /api/v1/fieldwork/certificates": "401  403  403  403  403  200  403  200  200  403  200  403  200",
    "GET /api/v1/fieldwork/trainings": "401  403  403  200  200  200  403  200  200  403  200  403  200",
    "GET /api/v1/fieldwork/trainings/{training_id}": "401  404  404  200  404  200  404  200  404  404  200  404  200",
    "POST /api/v1/fieldwork/certificates": "401  403  403  403  403  201  403  403  403  403  201  403  201",
    "POST /api/v1/fieldwork/trainings": "401  403  403  403  403  403  403  403  403  403  201  403  201",
    "POST /api/v1/fieldwork/trainings/{training_id}/attendance": "401  404  404  403  404  403  404  403  404  404  200  404  200",
    "fieldwork:certificate_new": "302  403  403  403  403  200  403  403  403  403  200  403  200",
    "fieldwork:certificate_registry": "302  403  403  403  403  200  403  200  200  403  200  403  200",
    "fieldwork:certificate_scan": "302  404  404  200  404  200  200  200  404  200  200  404  200",
    "fieldwork:training_attendance": "302  404  404  403  404  403  404  403  404  404  302  404  302",
    "fieldwork:training_detail": "302  404  404  200  404  200  404  200  404  404  200  404  200",
    "fieldwork:training_edit": "302  404  404  403  404  403  404  403  404  404  200  404  200",
    "fieldwork:training_list": "302  403  403  200  200  200  403  200  200  403  200  403  200",
    "fieldwork:training_new": "302  403  403  403  403  403  403  403  403  403  200  403  200",
    "GET /api/v1/fieldwork/defects": "401  403  403  200  200  200  200  200  200  200  200  403  200",
    "GET /api/v1/fieldwork/defects/{defect_id}": "401  403  403  200  404  200  200  200  404  404  200  403  200",
    "POST /api/v1/fieldwork/defects": "401  403  403  201  404  201  201  201  404  404  201  403  201",
    "POST /api/v1/fieldwork/defects/{defect_id}/check": "401  403  403  409  404  409  409  409  404  404  409  403  409",
    "POST /api/v1/fieldwork/defects/{defect_id}/fix": "401  403  403  422  404  422  403  403  404  404  403  403  403",
    "fieldwork:defect_action": "302  403  403  302  404  302  302  302  404  404  302  403  302",
    "fieldwork:defect_detail": "302  403  403  200  404  200  200  200  404  404  200  403  200",
    "fieldwork:defect_from_request": "302  403  403  404  404  404  200  200  404  404  200  403  200",
    "fieldwork:defect_from_station_area": "302  403  403  200  404  200  200  200  404  200  200  403  200",
    "fieldwork:defect_list": "302  403  403  200  200  200  200  200  200  200  200  403  200",
    "fieldwork:defect_new": "302  403  403  200  200  200  200  200  200  200  200  403  200",
    "fieldwork:defect_photo": "302  403  403  200  404  200  200  200  404  404  200  403  200",
    "DELETE /api/v1/auth/token": "401  204  204  204  204  204  204  204  204  204  204  204  204",
    "GET /api/v1/metrics": "401  403  403  403  403  403  403  200  404  403  200  403  200",
    "GET /api/v1/households": "401  200F 200  200F 200  200F 200F 200F 200  200M 200M 200  200F",
    "GET /api/v1/households/{household_id}": "401  200F 404  200F 404  200F 200F 200F 404  200M 200M 404  200F",
    "GET /api/v1/me": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/me/households": "401  200F 200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/me/messages": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/me/outages": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/outages": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/outages/{outage_id}": "401  200  404  200  404  200  200  200  404  200  200  404  200",
    "GET /api/v1/workorders": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/workorders/categories": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/workorders/{workorder_id}": "401  200  404  200  404  200  200  200  404  404  200  404  200",
    "GET /api/v1/workorders/{workorder_id}/photos/{photo_id}": "401  200  404  200  404  200  200  200  404  404  200  404  200",
    "PATCH /api/v1/households/{household_id}": "401  200F 404  403  404  200F 403  200F 404  403  403  404  200F",
    "POST /api/v1/auth/token": "401  401  401  401  401  401  401  401  401  401  401  401  401",
    "POST /api/v1/me/messages/read": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "POST /api/v1/outages": "401  403  403  403  403  403  403  201  403  403  201  403  201",
    "POST /api/v1/outages/preview": "401  403  403  403  403  403  403  200  403  403  200  403  200",
    "POST /api/v1/outages/{outage_id}/acknowledge": "401  200  404  422  404  422  422  422  404  422  422  404  422",
    "POST /api/v1/outages/{outage_id}/actions/cancel": "401  403  404  403  404  403  403  200  404  403  200  404  200",
    "POST /api/v1/outages/{outage_id}/actions/change": "401  403  404  403  404  403  403  200  404  403  200  404  200",
    "POST /api/v1/outages/{outage_id}/actions/estimate": "401  409  404  409  404  409  409  409  404  409  409  404  409",
    "POST /api/v1/outages/{outage_id}/actions/postpone": "401  403  404  403  404  403  403  200  404  403  200  404  200",
    "POST /api/v1/outages/{outage_id}/actions/publish": "401  409  404  409  404  409  409  409  404  409  409  404  409",
    "POST /api/v1/outages/{outage_id}/actions/restore": "401  409  404  409  404  409  409  409  404  409  409  404  409",
    "POST /api/v1/workorders": "401  201  403  201  403  201  201  201  403  403  403  403  201",
    "POST /api/v1/workorders/{workorder_id}/actions/accept": "401  403  404  200  404  403  403  200  404  404  403  404  200",
    "POST /api/v1/workorders/{workorder_id}/actions/arrive": "401  409  404  409  404  409  409  409  404  404  409  404  409",
    "POST /api/v1/workorders/{workorder_id}/actions/cancel": "401  200  404  403  404  403  403  200  404  404  403  404  200",
    "POST /api/v1/workorders/{workorder_id}/actions/comment": "401  200  404  200  404  200  200  200  404  404  200  404  200",
    "POST /api/v1/workorders/{workorder_id}/actions/confirm": "401  409  404  409  404  409  409  409  404  404  409  404  409",
    "POST /api/v1/workorders/{workorder_id}/actions/escalate": "401  403  404  200  404  403  403  422  404  404  403  404  200",
    "POST /api/v1/workorders/{workorder_id}/actions/rate": "401  409  404  409  404  409  409  409  404  404  409  404  409",
    "POST /api/v1/workorders/{workorder_id}/actions/reopen": "401  409  404  409  404  409  409  409  404  404  409  404  409",
    "POST /api/v1/workorders/{workorder_id}/actions/resolve": "401  409  404  409  404  409  409  409  404  404  409  404  409",
    "POST /api/v1/workorders/{workorder_id}/actions/resume": "401  409  404  409  404  409  409  409  404  404  409  404  409",
    "POST /api/v1/workorders/{workorder_id}/actions/transfer": "401  403  404  200  404  403  403  200  404  404  200  404  200",
    "POST /api/v1/workorders/{workorder_id}/actions/wait": "401  409  404  409  404  409  409  409  404  404  409  404  409",
    "POST /api/v1/workorders/{workorder_id}/actions/{action}": "401  404  404  404  404  404  404  404  404  404  404  404  404",
    "POST /api/v1/workorders/{workorder_id}/photos": "401  422  404  422  404  422  422  422  404  404  422  404  422",
    "accounts:login": "200  302  302  302  302  302  302  302  302  302  302  302  302",
    "accounts:logout": "302  302  302  302  302  302  302  302  302  302  302  302  302",
    "accounts:password_change": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "accounts:photo": "404  404  404  404  404  404  404  404  404  404  404  404  404",
    "accounts:password_change_done": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "analytics:lineloss": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "analytics:lineloss_check": "302  404  404  403  404  403  403  409  404  403  409  404  409",
    "analytics:lineloss_station_area": "302  404  404  200  404  200  200  200  404  200  200  404  200",
    "api:api-root": "404  404  404  404  404  404  404  404  404  404  404  404  404",
    "api:openapi-json": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "api:openapi-view": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "core:security_txt": "404  404  404  404  404  404  404  404  404  404  404  404  404",
    "core:healthz": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "feeds:cap_alert": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "feeds:cap_index": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "feeds:compound_calendar": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "feeds:compound_notice_pdf": "200  -    -    -    -    -    -    200  -    -    -    -    -",
    "feeds:notice_pdf": "200  -    -    -    -    -    -    200  -    -    -    -    -",
    "front:compound_window": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "front:desk": "302  302  302  200  200  200  200  200  200  200  200  302  200",
    "front:duties": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "front:home_for_user": "302  302  302  302  302  302  302  302  302  302  302  302  302",
    "front:index": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "front:me": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "grid:compound_households": "302  404  404  200F 404  200F 200F 200F 404  200M 200M 404  200F",
    "metrics:drill_areas": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "metrics:drill_outages": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "metrics:drill_requests": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "metrics:areas_xlsx": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "metrics:export_xlsx": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "metrics:outages_xlsx": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "metrics:report_pdf": "302  403  -    403  -    -    -    200  -    -    200  -    -",
    "metrics:requests_xlsx": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "notify:call_done": "302  404  404  302  404  404  404  404  404  404  404  404  404",
    "notify:calls": "302  200  200  200F 200  200  200  200  200  200  200  200  200",
    "notify:dev_gateway": "404  404  404  404  404  404  404  404  404  404  404  404  404",
    "notify:dev_gateway_receive": "404  404  404  404  404  404  404  404  404  404  404  404  404",
    "notify:dev_gateway_receive_circle": "404  404  404  404  404  404  404  404  404  404  404  404  404",
    "notify:failed": "302  403  403  403  403  403  403  200F 200  403  200M 403  200F",
    "notify:failed_retry": "302  403  403  403  403  403  403  302  404  403  302  403  302",
    "notify:failed_retry_all": "302  403  403  403  403  403  403  302  302  403  302  403  302",
    "audit:entries": "302  403  403  403  403  403  403  403  403  403  200  403  200",
    "metrics:dashboard": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "notify:inbox": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "notify:preferences": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "open311:discovery": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "open311:request": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "open311:requests": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "open311:service": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "open311:services": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "open311:token": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "outages:acknowledge": "302  302  404  404  404  404  404  404  404  404  404  404  404",
    "outages:action": "302  403  403  403  404  403  403  302  404  403  302  403  302",
    "outages:detail": "302  403  403  200  404  200  200  200  404  200  200  403  200",
    "outages:list": "302  403  403  200  200  200  200  200  200  200  200  403  200",
    "outages:new": "302  403  403  403  403  403  403  200  200  403  200  403  200",
    "outages:preview": "302  403  403  403  403  403  403  200  422  403  200  403  200",
    "outages:notice_check": "302  403  403  403  403  403  403  200  422  403  200  403  200",
    "set_language": "302  302  302  302  302  302  302  302  302  302  302  302  302",
    "workorders:desk_action": "302  403  404  302  404  403  403  302  404  404  403  404  302",
    "workorders:desk_counts": "302  403  403  200  200  200  200  200  200  200  200  403  200",
    "workorders:desk_detail": "302  302  404  200F 404  200F 200F 200F 404  404  200M 404  200F",
    "workorders:desk_list": "302  403  403  200  200  200  200  200  200  200  200  403  200",
    "workorders:desk_new": "302  403  403  200  200  200  200  200  200  200  200  403  200",
    "workorders:my_action": "302  302  404  404  404  404  404  404  404  404  404  404  404",
    "workorders:my_detail": "302  200  404  302  404  302  302  302  404  404  302  404  302",
    "workorders:my_list": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "workorders:my_new": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "workorders:photo": "302  200  404  200  404  200  200  200  404  404  200  404  200",
    "workorders:desk_usage": "302  302  404  404  404  404  200  200  404  404  200  404  200",
    "workorders:desk_usage_pdf": "302  403  404  404  404  404  200  200  404  404  200  404  200",
    "workorders:my_usage": "302  200  404  404  404  404  302  302  404  404  302  404  302",
    "workorders:my_usage_pdf": "302  200  404  404  404  404  404  404  404  404  404  404  404",
    "GET /api/v1/workorders/{workorder_id}/usage": "401  200  404  404  404  404  200  200  404  404  200  404  200",
    "POST /api/v1/workorders/{workorder_id}/usage": "401  403  404  404  404  404  403  201  404  404  201  404  201",
    # Residents joining by themselves and the poster
    "POST /api/v1/join/code": "422  422  422  422  422  422  422  422  422  422  422  422  422",
    "POST /api/v1/join/token": "422  422  422  422  422  422  422  422  422  422  422  422  422",
    "GET /api/v1/joining/applications": "401  403  403  403  403  200  403  200  200  403  403  403  200",
    "POST /api/v1/joining/applications/{application_id}/approve": "401  403  403  403  403  200  403  200  404  403  403  403  200",
    "POST /api/v1/joining/applications/{application_id}/reject": "401  403  403  403  403  200  403  200  404  403  403  403  200",
    "DELETE /api/v1/me/households/{household_id}": "401  204  404  404  404  404  404  404  404  404  404  404  404",
    "GET /api/v1/me/households/applications": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "POST /api/v1/me/households/applications": "401  201  409  201  201  201  201  201  201  201  201  201  201",
    "POST /api/v1/me/households/applications/{application_id}/withdraw": "401  404  200  404  404  404  404  404  404  404  404  404  404",
    "POST /api/v1/me/households/bind": "401  201  201  201  201  201  201  201  201  201  201  201  201",
    "front:compound_poster": "200  -    -    -    -    -    -    200  -    -    -    -    -",
    "joining:apply": "302  302  422  422  422  422  422  422  422  422  422  422  422",
    "joining:bind": "302  302  302  302  302  302  302  302  302  302  302  302  302",
    "joining:desk_approve": "302  403  403  403  403  302  403  302  404  403  403  403  302",
    "joining:desk_list": "302  403  403  403  403  200  403  200  200  403  403  403  200",
    "joining:desk_reject": "302  403  403  403  403  302  403  302  404  403  403  403  302",
    "joining:join_code": "302  302  302  302  302  302  302  302  302  302  302  302  302",
    "joining:join_link": "200  302  302  302  302  302  302  302  302  302  302  302  302",
    "joining:join_start": "200  302  302  302  302  302  302  302  302  302  302  302  302",
    "joining:leave": "302  302  404  404  404  404  404  404  404  404  404  404  404",
    "joining:my_households": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "joining:withdraw": "302  404  302  404  404  404  404  404  404  404  404  404  404",
    "GET /api/v1/knowledge/articles": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/knowledge/articles/{article_id}": "401  404  404  404  404  404  404  200  404  404  200  404  200",
    "PATCH /api/v1/knowledge/articles/{article_id}": "401  404  404  404  404  404  404  200  404  404  200  404  200",
    "POST /api/v1/knowledge/articles": "401  403  403  403  403  403  403  201  403  403  201  403  201",
    "POST /api/v1/knowledge/articles/{article_id}/images": "401  404  404  404  404  404  404  422  404  404  422  404  422",
    "POST /api/v1/knowledge/articles/{article_id}/publish": "401  404  404  404  404  404  404  200  404  404  200  404  200",
    "POST /api/v1/knowledge/articles/{article_id}/vote": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "POST /api/v1/knowledge/articles/{article_id}/withdraw": "401  404  404  404  404  404  404  200  404  404  200  404  200",
    "knowledge:desk_action": "302  403  403  403  403  403  403  302  404  403  302  403  302",
    "knowledge:desk_detail": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "knowledge:desk_image_remove": "302  403  403  403  403  403  403  302  404  403  302  403  302",
    "knowledge:desk_images": "302  403  403  403  403  403  403  422  404  403  422  403  422",
    "knowledge:desk_list": "302  403  403  403  403  403  403  200  200  403  200  403  200",
    "knowledge:desk_new": "302  403  403  403  403  403  403  200  200  403  200  403  200",
    "knowledge:detail": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "knowledge:image": "404  404  404  404  404  404  404  200  404  404  200  404  200",
    "knowledge:list": "200  200  200  200  200  200  200  200  200  200  200  200  200",
    "knowledge:reminder_action": "302  403  403  403  403  403  403  302  404  403  302  403  302",
    "knowledge:reminder_detail": "302  403  403  403  403  403  403  200  404  403  200  403  200",
    "knowledge:reminder_new": "302  403  403  403  403  403  403  200  200  403  200  403  200",
    "knowledge:useful": "302  302  302  302  302  302  302  302  302  302  302  302  302",
    "GET /api/v1/circles": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/circles/{circle_id}": "401  200  404  200  404  200  200  200  404  200  200  404  200",
    "GET /api/v1/circles/{circle_id}/feed": "401  200  404  200  404  200  200  200  404  200  200  404  200",
    "POST /api/v1/circles/{circle_id}/messages": "401  201  404  403  404  403  403  403  404  403  403  404  403",
    "POST /api/v1/circles/{circle_id}/posts": "401  403  404  403  404  403  201  201  404  403  403  404  201",
    "circles:detail": "302  200  404  200  404  200  200  200  404  200  200  404  200",
    "circles:list": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "circles:message": "302  200  404  200  404  200  200  200  404  200  200  404  200",
    "circles:message_action": "302  302  404  302  404  302  302  302  404  403  403  404  302",
    "circles:message_new": "302  302  404  403  404  403  403  403  404  403  403  404  403",
    "circles:post": "302  200  404  200  404  200  200  200  404  200  200  404  200",
    "circles:post_action": "302  403  404  302  404  302  302  302  404  403  403  404  302",
    "circles:post_new": "302  403  404  302  404  302  302  302  404  403  403  404  302",
    "circles:report_dismiss": "302  404  404  302  404  302  302  302  404  404  404  404  302",
    "circles:reports": "302  403  403  200  200  200  200  200  200  200  200  403  200",
    "circles:settings": "302  302  404  302  404  302  302  302  404  403  403  404  302",
    "workorders:from_circle_message": "302  403  403  200  404  200  200  200  404  403  403  403  200",
    "DELETE /api/v1/civic/activities/{activity_id}/signup": "401  403  404  403  404  403  403  403  404  403  403  404  403",
    "GET /api/v1/civic/activities": "401  200  200  200  200  200  200  200  200  200  200  200  200",
    "GET /api/v1/civic/activities/{activity_id}": "401  200  404  200  404  200  200  200  404  200  200  404  200",
    "GET /api/v1/civic/visits": "401  403  403  403  403  403  200  200  200  403  200  403  200",
    "GET /api/v1/civic/visits/{visit_id}": "401  403  403  403  403  403  200F 200F 404  403  200M 403  200F",
    "POST /api/v1/civic/activities/{activity_id}/signup": "401  200  404  200  404  200  200  200  404  403  403  404  200",
    "POST /api/v1/civic/appeals/{appeal_id}/request": "401  403  403  403  403  403  200  200  404  403  403  403  200",
    "POST /api/v1/civic/visits": "401  403  403  403  403  403  201F 201F 404  403  403  403  201F",
    "civic:activity_action": "302  302  404  302  404  302  302  302  404  403  403  404  302",
    "civic:activity_detail": "302  200  404  200  404  200  200  200  404  200  200  404  200",
    "civic:activity_edit": "302  403  404  403  404  403  200  200  404  403  403  404  200",
    "civic:activity_list": "302  200  200  200  200  200  200  200  200  200  200  200  200",
    "civic:activity_new": "302  403  403  403  403  403  200  200  200  403  403  403  200",
    "civic:appeal_action": "302  403  403  403  403  403  302  302  404  403  403  403  302",
    "civic:visit_detail": "302  403  403  403  403  403  200F 200F 404  403  200M 403  200F",
    "civic:visit_list": "302  403  403  403  403  403  200  200  200  403  200  403  200",
    "civic:visit_new": "302  403  403  403  403  403  200  200  200  403  403  403  200",
    "GET /api/v1/fieldwork/patrols": "401  403  403  200  200  403  403  200  200  403  200  403  200",
    "GET /api/v1/fieldwork/patrols/{patrol_id}": "401  404  404  200  404  404  404  200  404  404  200  404  200",
    "POST /api/v1/fieldwork/patrols/{patrol_id}/confirm": "401  404  404  403  404  404  404  200  404  404  403  404  200",
    "POST /api/v1/fieldwork/patrols/{patrol_id}/move": "401  404  404  200  404  404  404  200  404  404  403  404  200",
    "POST /api/v1/fieldwork/patrols/{patrol_id}/submit": "401  404  404  200  404  404  404  200  404  404  403  404  200",
    "fieldwork:compound_field": "302  404  404  200  404  404  404  200  404  404  200  404  200",
    "fieldwork:patrol_cancel": "302  404  404  403  404  404  404  302  404  404  403  404  302",
    "fieldwork:patrol_confirm": "302  404  404  403  404  404  404  302  404  404  403  404  302",
    "fieldwork:patrol_detail": "302  404  404  200  404  404  404  200  404  404  200  404  200",
    "fieldwork:patrol_list": "302  403  403  200  200  403  403  200  200  403  200  403  200",
    "fieldwork:patrol_move": "302  404  404  302  404  404  404  302  404  404  403  404  302",
    "fieldwork:patrol_start": "302  404  404  302  404  404  404  302  404  404  403  404  302",
    "fieldwork:patrol_submit": "302  404  404  302  404  404  404  302  404  404  403  404  302",
    # Billing: the arrears list and a household's arrears
    "GET /api/v1/billing/arrears/imports": "401  403  403  403  403  403  403  403  403  403  403  403  200",
    "POST /api/v1/billing/arrears/imports": "401  403  403  403  403  403  403  403  403  403  403  403  422",
    "billing:arrears_imports": "302  403  403  403  403  403  403  403  403  403  403  403  200",
    "billing:arrears_template": "302  403  403  403  403  403  403  403  403  403  403  403  200",
    "billing:arrears_import": "302  403  403  403  403  403  403  403  403  403  403  403  200",
    "billing:household_arrears": "302  200  404  200  404  200  404  200  404  404  404  404  200",
}
ACCESS = {route: dict(zip(ROLES, cells.split(), strict=True)) for route, cells in ROWS.items()}
# WUDIAN_RECORD_ACCESS=1 prints what each role gets instead of checking it (pytest -s), for a
# new route's row.
RECORD = os.environ.get("WUDIAN_RECORD_ACCESS") == "1"


def group_of(route: str) -> str:
    """Routes are checked in a few groups, each on one world, so the groups run in parallel."""
    if " " in route:
        return "api " + route.split(" ", 1)[1].split("/")[3]
    return route.split(":")[0]


GROUPS = sorted({group_of(route) for route in ASKS})


@pytest.mark.django_db
@pytest.mark.parametrize("group", GROUPS)
def test_each_role_gets_what_its_row_says(city: City, group: str) -> None:
    world = build(city)
    wrong = {}
    for route in sorted(route for route in ASKS if group_of(route) == group):
        got = {role: ask_as(world, role, ASKS[route]) for role in ROLES}
        if RECORD:
            print(f"ACCESS-ROW {json.dumps({route: got}, ensure_ascii=False)}")
        elif got != ACCESS[route]:
            wrong[route] = {
                role: f"{ACCESS[route][role]} → {cell}"
                for role, cell in got.items()
                if cell != ACCESS[route][role]
            }
    assert not wrong, wrong
