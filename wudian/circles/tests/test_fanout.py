"""A post told to its circles' members through notify's broadcast: one in-app row per post,
an entry per member (each with their own read state), written in one statement for all the
circles; the inbox, the header's unread count, marking read and hiding the post agree."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wudian.circles.models import Circle, Delivery, Post
from wudian.circles.services import circle_for_compound, member_choose, post_hide, post_publish
from wudian.conftest import City, api, post
from wudian.grid.models import HouseholdMembership
from wudian.notify.models import Channel, InboxEntry, Message
from wudian.notify.selectors import inbox_for, unread_count
from wudian.notify.services import Audience, inbox_mark_read, notify_publish

pytestmark = pytest.mark.django_db


def told(post_: Post) -> list[str]:
    return sorted(
        InboxEntry.objects.filter(message__event_key=post_.inbox_event_key).values_list(
            "user__username", flat=True
        )
    )


def publish(circles: list[Circle], title: str = "雷雨季节安全用电提醒") -> list[Post]:
    return post_publish(
        author=None, circles=circles, kind=Post.Kind.SAFETY, title=title, body="请拔掉插头。"
    )


def test_a_post_to_several_circles_is_one_row_each_and_an_entry_per_member(city: City) -> None:
    north, south = circle_for_compound(city.north), circle_for_compound(city.south)
    with CaptureQueriesContext(connection) as queries:
        north_post, south_post = publish([north, south])
    entry_writes = [q for q in queries if "INSERT INTO" in q["sql"] and "inboxentry" in q["sql"]]
    # One statement for all the circles' members, whatever their number.
    assert len(entry_writes) == 1
    rows = Message.objects.filter(
        event_key__in=[north_post.inbox_event_key, south_post.inbox_event_key]
    )
    assert rows.count() == 2
    assert set(rows.values_list("user", "channel", "state")) == {
        (None, Channel.INAPP, Message.State.SENT)
    }
    assert told(north_post) == [
        "electrician",
        "electrician_expired",
        "gridadmin",
        "manager",
        "resident",
        "staff",
    ]
    assert told(south_post) == ["electrician_b", "manager_b", "resident_b"]


def test_a_member_of_two_compounds_of_one_circle_is_told_once(city: City) -> None:
    circle = Circle.objects.create(name="涂山联络站")
    circle.compounds.set([city.north, city.south])
    HouseholdMembership.objects.create(user=city.resident, household=city.south_home)
    HouseholdMembership.objects.create(user=city.resident, household=city.north_home_2)
    [only] = publish([circle])
    assert told(only).count("resident") == 1
    assert inbox_for(city.resident).count() == 1
    assert unread_count(city.resident) == 1


def test_who_chose_none_left_or_is_inactive_is_not_told_nor_the_author(city: City) -> None:
    circle = circle_for_compound(city.north)
    member_choose(circle=circle, user=city.staff, delivery=Delivery.NONE)
    member_choose(circle=circle, user=city.resident, leave=True)
    city.electrician_expired.is_active = False
    city.electrician_expired.save(update_fields=["is_active"])
    [post_] = post_publish(
        author=city.manager, circles=[circle], kind="general", title="通知", body="内容"
    )
    assert told(post_) == ["electrician", "gridadmin"]
    assert unread_count(city.resident) == 0
    # Coming back: the next post reaches them.
    member_choose(circle=circle, user=city.resident, leave=False)
    [later] = publish([circle])
    assert "resident" in told(later)


def test_each_member_reads_for_themselves_and_the_count_follows(city: City, login: Any) -> None:
    circle = circle_for_compound(city.north)
    [post_] = publish([circle])
    notify_publish(
        audience=Audience(users=[city.resident]),
        template="message",
        context={"title": "计划停电", "body": "明天停电"},
        event_key="outage:9:published",
    )
    assert unread_count(city.resident) == 2
    assert unread_count(city.electrician) == 1
    broadcast = Message.objects.get(event_key=post_.inbox_event_key)

    client = login(city.resident)
    page = client.get(reverse("notify:inbox"))
    assert page.status_code == 200
    assert "雷雨季节安全用电提醒" in page.text
    assert "计划停电" in page.text
    assert client.post(reverse("notify:inbox"), {"message": broadcast.pk}).status_code == 302

    assert unread_count(city.resident) == 1
    assert unread_count(city.electrician) == 1
    assert InboxEntry.objects.get(user=city.resident, message=broadcast).read_at is not None
    assert InboxEntry.objects.get(user=city.electrician, message=broadcast).read_at is None
    broadcast.refresh_from_db()
    assert broadcast.read_at is None
    # Someone else's broadcast id marks nothing of theirs.
    assert inbox_mark_read(user=city.resident_b, message_ids=[broadcast.pk]) == 0
    # The API shows each reader their own read state.
    mine = api(city.resident).get("/api/v1/me/messages").json()["items"]
    theirs = api(city.electrician).get("/api/v1/me/messages").json()["items"]
    assert [m["read_at"] is None for m in mine if m["id"] == broadcast.pk] == [False]
    assert [m["read_at"] is None for m in theirs if m["id"] == broadcast.pk] == [True]
    assert post(api(city.electrician), "/api/v1/me/messages/read", {}).json() == {"marked": 1}
    assert unread_count(city.electrician) == 0
    # The header counts it too.
    header = login(city.resident).get("/me/")
    assert header.context["inbox_unread"] == 1


def test_hiding_the_post_takes_it_out_of_every_inbox(city: City) -> None:
    circle = circle_for_compound(city.north)
    [kept, hidden] = [publish([circle], "保留")[0], publish([circle], "发错了")[0]]
    assert unread_count(city.resident) == 2
    post_hide(post=hidden, by=city.manager, reason="发错了")
    assert not InboxEntry.objects.filter(message__event_key=hidden.inbox_event_key).exists()
    assert InboxEntry.objects.filter(message__event_key=kept.inbox_event_key).count() == 6
    assert [m.context["title"] for m in inbox_for(city.resident)] == ["保留"]
    assert unread_count(city.resident) == 1


def test_the_inbox_costs_the_same_queries_however_many_posts(city: City, login: Any) -> None:
    circle = circle_for_compound(city.north)
    publish([circle])
    client = login(city.resident)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("notify:inbox")).status_code == 200
            assert api(city.resident).get("/api/v1/me/messages").status_code == 200
        return len(captured)

    queries()  # (a token's first use is written down)
    few = queries()
    for n in range(25):
        publish([circle], f"提醒{n}")
        notify_publish(
            audience=Audience(users=[city.resident]),
            template="message",
            context={"title": f"消息{n}", "body": ""},
            event_key=f"outage:{n}:published",
        )
    assert queries() == few
    assert unread_count(city.resident) == 51
