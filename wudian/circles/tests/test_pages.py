"""The circles' pages and API: scope (another compound's resident or electrician gets 404),
refusals that save nothing, escaping, hidden messages gone for residents, the feed's pages and
its constant number of queries, reads, and the robots reached through Apprise."""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from wudian.circles.models import Circle, Message, Post, PostRead, Report
from wudian.circles.services import (
    circle_for_compound,
    member_mute,
    message_hide,
    message_reply,
    message_write,
    post_hide,
    post_publish,
)
from wudian.conftest import City, api, post, queries_of, snapshot, zh
from wudian.grid.models import HouseholdMembership
from wudian.notify import tasks as notify_tasks
from wudian.notify.delivery import outbox_deliver
from wudian.notify.models import Channel, CircleEndpoint, DevGatewayMessage
from wudian.notify.models import Message as Outbox

pytestmark = pytest.mark.django_db


def as_user(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


@pytest.fixture
def circle(city: City) -> Circle:
    return circle_for_compound(city.north)


def test_a_resident_sees_only_their_compounds_circles(city: City, circle: Circle) -> None:
    south = circle_for_compound(city.south)
    page = as_user(city.resident).get("/circles/")
    assert page.status_code == 200
    assert "北苑小区" in page.content.decode()
    assert "南苑小区" not in page.content.decode()
    assert as_user(city.resident).get(f"/circles/{south.pk}/").status_code == 404
    assert as_user(city.resident_b).get(f"/circles/{circle.pk}/").status_code == 404
    assert as_user(city.electrician_b).get(f"/circles/{circle.pk}/").status_code == 404
    assert as_user(city.electrician).get(f"/circles/{circle.pk}/").status_code == 200
    listed = api(city.resident_b).get("/api/v1/circles").json()
    assert [item["name"] for item in listed] == ["南苑小区"]


def test_outsiders_posting_are_refused_and_nothing_is_saved(city: City, circle: Circle) -> None:
    before = snapshot(Post, Message, Outbox)
    data = {"kind": "general", "title": "通知", "body": "内容"}
    assert as_user(city.resident_b).post(f"/circles/{circle.pk}/post/", data).status_code == 404
    assert as_user(city.electrician_b).post(f"/circles/{circle.pk}/post/", data).status_code == 404
    assert as_user(city.resident).post(f"/circles/{circle.pk}/post/", data).status_code == 403
    assert as_user(city.supervisor).post(f"/circles/{circle.pk}/post/", data).status_code == 403
    url = f"/circles/{circle.pk}/write/"
    assert as_user(city.resident_b).post(url, {"body": "x"}).status_code == 404
    assert as_user(city.manager).post(url, {"body": "x"}).status_code == 403
    answer = post(api(city.resident_b), f"/api/v1/circles/{circle.pk}/messages", {"body": "x"})
    assert answer.status_code == 404
    answer = post(
        api(city.electrician), f"/api/v1/circles/{circle.pk}/posts", {**data, "kind": "civic"}
    )
    assert answer.status_code == 403
    answer = post(api(city.manager), f"/api/v1/circles/{circle.pk}/posts", {**data, "title": ""})
    assert answer.status_code == 422
    page = as_user(city.resident).post(url, {"body": "长" * 501})
    assert page.status_code == 422
    assert snapshot(Post, Message, Outbox) == before


def test_a_muted_resident_is_told_until_when_and_nothing_is_saved(
    city: City, circle: Circle
) -> None:
    message = message_write(circle=circle, by=city.resident, body="第一条")
    member_mute(message=message, by=city.manager, hours=24, reason="刷屏")
    before = snapshot(Message)
    page = as_user(city.resident).post(f"/circles/{circle.pk}/write/", {"body": "再来"})
    assert page.status_code == 403
    answer = post(api(city.resident), f"/api/v1/circles/{circle.pk}/messages", {"body": "再来"})
    assert answer.status_code == 403
    assert "禁言" in answer.json()["detail"]
    assert snapshot(Message) == before
    shown = as_user(city.resident).get(f"/circles/{circle.pk}/").content.decode()
    assert "禁言" in shown


def test_a_resident_writing_too_much_waits_and_staff_are_not_counted(
    city: City, circle: Circle, settings: Any
) -> None:
    settings.CIRCLE_WORDS_PER_HOUR = 2
    first = message_write(circle=circle, by=city.resident, body="第一条")
    message_reply(message=first, by=city.resident, body="补充一句")
    before = snapshot(Message, Outbox)
    page = as_user(city.resident).post(f"/circles/{circle.pk}/write/", {"body": "第三条"})
    assert page.status_code == 429
    assert int(page["Retry-After"]) > 0
    assert "请在" in page.content.decode()
    page = as_user(city.resident).post(
        f"/circles/messages/{first.pk}/reply/", {"reply-body": "再补充"}
    )
    assert page.status_code == 429
    answer = post(api(city.resident), f"/api/v1/circles/{circle.pk}/messages", {"body": "第三条"})
    assert answer.status_code == 429
    assert answer["Retry-After"]
    assert snapshot(Message, Outbox) == before
    for body in ("收到", "已安排电工", "今天下午上门"):
        message_reply(message=first, by=city.manager, body=body)


def test_html_in_posts_and_messages_is_escaped(city: City, circle: Circle) -> None:
    post_publish(
        author=city.manager,
        circles=[circle],
        kind="general",
        title="<script>alert(1)</script>",
        body="<img src=x onerror=alert(2)>",
    )
    message_write(circle=circle, by=city.resident, body="<b onclick=x>粗体</b>")
    text = as_user(city.resident).get(f"/circles/{circle.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img src=x" not in text
    assert "&lt;b onclick=x&gt;" in text


def test_a_hidden_message_is_gone_for_residents_and_kept_for_staff(
    city: City, circle: Circle
) -> None:
    message = message_write(circle=circle, by=city.resident, body="我的电话13912345678")
    reply = message_reply(message=message, by=city.electrician, body="请不要留电话")
    message_hide(message=message, by=city.manager, reason="含个人电话")
    HouseholdMembership.objects.create(user=city.resident_b, household=city.north_home_2)
    for user in (city.resident, city.resident_b):
        feed = as_user(user).get(f"/circles/{circle.pk}/").content.decode()
        assert "13912345678" not in feed
        assert as_user(user).get(f"/circles/messages/{message.pk}/").status_code == 404
        assert as_user(user).get(f"/circles/messages/{reply.pk}/").status_code == 404
        items = api(user).get(f"/api/v1/circles/{circle.pk}/feed").json()["items"]
        assert all(item["type"] == "post" for item in items)
    staff = as_user(city.manager).get(f"/circles/{circle.pk}/").content.decode()
    assert "13912345678" in staff
    assert "含个人电话" in staff


def test_residents_names_are_masked_to_other_residents(city: City, circle: Circle) -> None:
    city.resident.display_name = "王建国"
    city.resident.save()
    message_write(circle=circle, by=city.resident, body="停电了吗")
    HouseholdMembership.objects.create(user=city.resident_b, household=city.north_home_2)
    neighbour = as_user(city.resident_b).get(f"/circles/{circle.pk}/").content.decode()
    assert "王建国" not in neighbour
    assert "王**" in neighbour
    assert "王建国" in as_user(city.manager).get(f"/circles/{circle.pk}/").content.decode()


def test_the_feed_pages_by_keyset_with_constant_queries(city: City, circle: Circle) -> None:
    client = as_user(city.manager)
    message_write(circle=circle, by=city.resident, body="消息0")
    few = queries_of(client, f"/circles/{circle.pk}/")
    now = timezone.now()
    Message.objects.bulk_create(
        [
            Message(circle=circle, author=city.resident, body=f"消息{n}", created_at=now)
            for n in range(1, 45)
        ]
    )
    roots = list(Message.objects.filter(circle=circle).order_by("pk")[:10])
    Message.objects.bulk_create(
        [
            Message(
                circle=circle, parent=root, author=city.electrician, body="回复", created_at=now
            )
            for root in roots
        ]
    )
    for n in range(5):
        post_publish(
            author=city.manager, circles=[circle], kind="general", title=f"帖{n}", body="x"
        )
    many = queries_of(client, f"/circles/{circle.pk}/")
    assert many == few
    seen: list[str] = []
    url = f"/api/v1/circles/{circle.pk}/feed"
    while url:
        page = api(city.resident).get(url).json()
        seen += [
            item["message"]["body"] if item["message"] else item["post"]["title"]
            for item in page["items"]
        ]
        url = (
            f"/api/v1/circles/{circle.pk}/feed?{urlencode({'before': page['next']})}"
            if page["next"]
            else ""
        )
    assert len(seen) == 50
    assert len(set(seen)) == 50


def test_opening_a_post_records_a_read_and_staff_see_the_count(city: City, circle: Circle) -> None:
    [item] = post_publish(
        author=city.manager, circles=[circle], kind="safety", title="用电安全", body="x"
    )
    as_user(city.resident).get(f"/circles/posts/{item.pk}/")
    as_user(city.resident).get(f"/circles/{circle.pk}/")
    assert PostRead.objects.filter(post=item).count() == 1
    page = as_user(city.manager).get(f"/circles/posts/{item.pk}/").content.decode()
    # The manager's own opening counts too: six members, two have read it.
    assert "6 位成员中 2 位已读" in page


def test_a_report_reaches_the_staffs_queue(city: City, circle: Circle) -> None:
    message = message_write(circle=circle, by=city.resident, body="卖房广告")
    HouseholdMembership.objects.create(user=city.resident_b, household=city.north_home_2)
    client = as_user(city.resident_b)
    page = client.post(f"/circles/messages/{message.pk}/report/", {"report-reason": "广告"})
    assert page.status_code == 302
    assert Report.objects.get().reason == "广告"
    queue = as_user(city.manager).get("/desk/circles/reports/").content.decode()
    assert "卖房广告" in queue
    assert "卖房广告" not in as_user(city.manager_b).get("/desk/circles/reports/").content.decode()
    hidden = as_user(city.manager).post(
        f"/circles/messages/{message.pk}/hide/", {"hide-reason": "广告"}
    )
    assert hidden.status_code == 302
    assert Report.objects.get().handled_by == city.manager


@pytest.mark.django_db(transaction=True)
def test_a_staff_post_reaches_the_robot_through_apprise_and_hiding_cancels_the_rest(
    city: City, circle: Circle, live_server: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.DEBUG = True
    gateway = f"json://{live_server.url.removeprefix('http://')}/dev/gateway/"
    robot = CircleEndpoint.objects.create(
        compound=None, kind="webhook", url=gateway + "circle/north-circle/"
    )
    circle.robots.add(robot)
    # Published at noon yesterday: outside quiet hours, so the mirror is due at once.
    noon = timezone.localtime().replace(hour=12, minute=0) - datetime.timedelta(days=1)
    [first] = post_publish(
        author=city.manager,
        circles=[circle],
        kind="outage",
        title="明天检修",
        body="8点到12点",
        now=noon,
    )
    message_write(circle=circle, by=city.resident, body="居民的话不出圈")
    outbox_deliver()
    received = list(DevGatewayMessage.objects.values_list("address", "title"))
    assert received == [("circle/north-circle", "北苑小区：明天检修")]
    # A post hidden before its mirror went out (the queue has not reached it yet): the
    # mirror is cancelled.
    monkeypatch.setattr(notify_tasks, "enqueue", lambda *args, **kwargs: 0)
    monkeypatch.setattr(notify_tasks, "enqueue_due", lambda *args, **kwargs: 0)
    [second] = post_publish(
        author=city.manager, circles=[circle], kind="general", title="发错了", body="x", now=noon
    )
    post_hide(post=second, by=city.manager, reason="重复")
    outbox_deliver()
    assert DevGatewayMessage.objects.count() == 1
    assert Outbox.objects.get(event_key=second.event_key).state == Outbox.State.CANCELLED
    assert Outbox.objects.filter(event_key=first.inbox_event_key, channel=Channel.INAPP).exists()


def test_the_api_publishes_and_schedules(city: City, circle: Circle) -> None:
    later = (timezone.now() + datetime.timedelta(hours=3)).isoformat()
    answer = post(
        api(city.gridadmin),
        f"/api/v1/circles/{circle.pk}/posts",
        {"kind": "civic", "title": "市民公约", "body": "文明用电", "publish_at": later},
    )
    assert answer.status_code == 201
    assert answer.json()["published_at"] is None
    assert api(city.resident).get(f"/api/v1/circles/{circle.pk}/feed").json()["items"] == []
    detail = api(city.electrician).get(f"/api/v1/circles/{circle.pk}").json()
    assert detail["post_kinds"] == ["outage", "knowledge", "safety", "general"]
    assert detail["may_write"] is False
    assert json.loads(api(city.resident).get(f"/api/v1/circles/{circle.pk}").content)["may_write"]
    assert zh("Circles")


def test_the_admin_configures_compounds_and_robots_and_only_reads_posts(
    city: City, circle: Circle
) -> None:
    post_publish(author=city.manager, circles=[circle], kind="general", title="通知", body="x")
    message_write(circle=circle, by=city.resident, body="你好")
    client = as_user(city.admin)
    for url in [
        "/admin/circles/circle/",
        f"/admin/circles/circle/{circle.pk}/change/",
        "/admin/circles/post/",
        "/admin/circles/message/",
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/circles/post/add/").status_code == 403
