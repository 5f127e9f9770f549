"""The circles' writes: posts to members by their choice and to robots, scheduled
publishing, messages, moderation, and refusals that save nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wudian.circles.models import Circle, CircleMember, Delivery, Message, Post, PostRead, Report
from wudian.circles.selectors import circles_of_compounds, members_of, recent_staff_posts
from wudian.circles.services import (
    circle_for_compound,
    digest_send,
    member_choose,
    member_mute,
    message_hide,
    message_reply,
    message_report,
    message_write,
    post_hide,
    post_publish,
    posts_publish_due,
    posts_read_record,
)
from wudian.conftest import City, snapshot
from wudian.core.errors import BadInput, NotAllowed, OutsideScope
from wudian.grid.models import Compound, HouseholdMembership
from wudian.notify.models import Channel, CircleEndpoint, InboxEntry
from wudian.notify.models import Message as Outbox
from wudian.notify.selectors import inbox_for

pytestmark = pytest.mark.django_db


def north_circle(city: City) -> Circle:
    return circle_for_compound(city.north)


def test_every_compound_has_its_circle(city: City) -> None:
    north, south = circle_for_compound(city.north), circle_for_compound(city.south)
    assert north != south
    assert north.name == "北苑小区"
    assert list(circles_of_compounds([city.north])) == [north]
    assert Circle.objects.count() == 2
    compound = Compound.objects.create(community=city.community, code="EAST", name="东苑小区")
    assert next(iter(circles_of_compounds([compound]))).name == "东苑小区"


def test_members_are_derived_from_scope_and_homes(city: City) -> None:
    circle = north_circle(city)
    members = set(members_of(circle).values_list("username", flat=True))
    assert members == {
        "manager",
        "electrician",
        "electrician_expired",
        "staff",
        "gridadmin",
        "resident",
    }
    # A household bound today (the joining app's step) makes its resident a member today.
    HouseholdMembership.objects.create(user=city.resident_b, household=city.north_home_2)
    assert members_of(circle).filter(pk=city.resident_b.pk).exists()
    member_choose(circle=circle, user=city.resident, leave=True)
    assert not members_of(circle).filter(pk=city.resident.pk).exists()


def test_a_post_reaches_members_in_the_app_by_their_choice_and_the_robots(city: City) -> None:
    circle = north_circle(city)
    robot = CircleEndpoint.objects.create(
        compound=None, kind=CircleEndpoint.Kind.WEBHOOK, url="json://127.0.0.1/x"
    )
    circle.robots.add(robot)
    member_choose(circle=circle, user=city.staff, delivery=Delivery.NONE)
    [post] = post_publish(
        author=city.manager,
        circles=[circle],
        kind=Post.Kind.SAFETY,
        title="夏季用电安全",
        body="请勿私拉乱接电线。",
    )
    assert post.published_at is not None
    # One in-app broadcast for the post, in each member's inbox by an entry.
    row = Outbox.objects.get(event_key=post.inbox_event_key, channel=Channel.INAPP)
    assert row.user is None
    inapp = set(InboxEntry.objects.filter(message=row).values_list("user__username", flat=True))
    # The author is not told of their own post; staff chose none.
    assert inapp == {"electrician", "electrician_expired", "gridadmin", "resident"}
    mirror = Outbox.objects.get(event_key=post.event_key, channel=Channel.WEBHOOK)
    assert mirror.address == f"endpoint:{robot.pk}"
    assert mirror.compound_id == city.north.pk
    assert row.state == Outbox.State.SENT
    assert row.context["title"] == "夏季用电安全"
    assert inbox_for(city.resident).get().pk == row.pk
    # Published again (a retried task) writes nothing more.
    from wudian.circles.services import _deliver

    assert _deliver([post], now=timezone.now()) == 0


def test_a_scheduled_post_is_published_by_the_task_once(city: City) -> None:
    circle = north_circle(city)
    now = timezone.now()
    later = now + datetime.timedelta(hours=2)
    [post] = post_publish(
        author=None,
        circles=[circle],
        kind=Post.Kind.SAFETY,
        title="雷雨季节提醒",
        body="雷雨天气请拔掉电器插头。",
        publish_at=later,
        now=now,
    )
    assert post.published_at is None
    assert not Outbox.objects.filter(event_key__startswith=post.event_key).exists()
    assert posts_publish_due(now=now + datetime.timedelta(hours=1)) == 0
    assert posts_publish_due(now=later) == 1
    assert posts_publish_due(now=later) == 0
    post.refresh_from_db()
    assert post.published_at == later
    assert (
        InboxEntry.objects.filter(
            message__event_key=post.inbox_event_key, user=city.resident
        ).count()
        == 1
    )
    assert recent_staff_posts(city.north, 5) == [post]


def test_an_outsider_posting_is_refused_and_nothing_is_saved(city: City) -> None:
    circle = north_circle(city)
    before = snapshot(Post, Outbox)
    for user, refusal in [
        (city.manager_b, OutsideScope),
        (city.resident_b, OutsideScope),
        (city.resident, NotAllowed),
        (city.supervisor, NotAllowed),
        (city.electrician, NotAllowed),  # civic posts are the grid admins' and managers'
    ]:
        kind = Post.Kind.CIVIC if user == city.electrician else Post.Kind.GENERAL
        with pytest.raises(refusal):
            post_publish(author=user, circles=[circle], kind=kind, title="x", body="y")
    with pytest.raises(BadInput):
        post_publish(author=city.manager, circles=[circle], kind="gossip", title="x", body="y")
    with pytest.raises(BadInput):
        post_publish(
            author=city.manager, circles=[circle], kind="general", title="x" * 81, body="y"
        )
    with pytest.raises(BadInput):
        post_publish(
            author=city.manager,
            circles=[circle],
            kind="general",
            title="x",
            body="y",
            link="javascript:alert(1)",
        )
    assert snapshot(Post, Outbox) == before
    [post] = post_publish(
        author=city.gridadmin, circles=[circle], kind=Post.Kind.CIVIC, title="市民公约", body="文明"
    )
    assert post.author == city.gridadmin


def test_residents_write_reply_and_report_staff_hide_and_mute(city: City) -> None:
    circle = north_circle(city)
    message = message_write(circle=circle, by=city.resident, body="<b>楼道灯</b>不亮了")
    reply = message_reply(message=message, by=city.electrician, body="明天上午去修")
    assert reply.parent == message
    with pytest.raises(OutsideScope):
        message_write(circle=circle, by=city.resident_b, body="x")
    with pytest.raises(NotAllowed):
        message_write(circle=circle, by=city.manager, body="staff post, not messages")
    with pytest.raises(BadInput):
        message_write(circle=circle, by=city.resident, body="长" * 501)
    with pytest.raises(BadInput):
        message_write(circle=circle, by=city.resident, body="   ")
    HouseholdMembership.objects.create(user=city.resident_b, household=city.north_home_2)
    report = message_report(message=message, by=city.resident_b, reason="广告")
    with pytest.raises(NotAllowed):
        message_report(message=message, by=city.resident, reason="own")
    member = member_mute(message=message, by=city.manager, hours=24, reason="刷屏")
    assert member.muted_until is not None
    before = snapshot(Message)
    with pytest.raises(NotAllowed) as refused:
        message_write(circle=circle, by=city.resident, body="again")
    assert (
        "until" in str(refused.value)
        or "直到" in str(refused.value)
        or "禁言" in str(refused.value)
    )
    assert snapshot(Message) == before
    with pytest.raises(NotAllowed):
        member_mute(message=reply, by=city.manager, hours=1, reason="staff")
    with pytest.raises(PermissionDenied):
        message_hide(message=message, by=city.resident_b, reason="x")
    message_hide(message=message, by=city.manager, reason="含个人电话")
    report.refresh_from_db()
    assert report.handled_by == city.manager


def test_a_hidden_post_cancels_unsent_mirrors_and_leaves_the_inboxes(city: City) -> None:
    circle = north_circle(city)
    robot = CircleEndpoint.objects.create(
        compound=city.north, kind=CircleEndpoint.Kind.WEBHOOK, url="json://127.0.0.1/x"
    )
    circle.robots.add(robot)
    [post] = post_publish(
        author=city.manager, circles=[circle], kind="general", title="通知", body="内容"
    )
    with pytest.raises(ValidationError):
        post_hide(post=post, by=city.manager, reason="")
    post_hide(post=post, by=city.manager, reason="发错了")
    assert Outbox.objects.get(event_key=post.event_key).state == Outbox.State.CANCELLED
    assert not Outbox.objects.filter(event_key=post.inbox_event_key, channel=Channel.INAPP).exists()
    assert not InboxEntry.objects.exists()
    assert recent_staff_posts(city.north, 5) == []


def test_reads_and_the_daily_digest(city: City) -> None:
    circle = north_circle(city)
    city.resident.phone = "13700000009"
    city.resident.save()
    member_choose(circle=circle, user=city.resident, delivery=Delivery.DIGEST)
    now = timezone.now()
    posts = [
        post_publish(
            author=city.manager,
            circles=[circle],
            kind="general",
            title=f"通知{n}",
            body="内容",
            now=now,
        )[0]
        for n in range(4)
    ]
    posts_read_record(user=city.resident, posts=posts[:1])
    posts_read_record(user=city.resident, posts=posts[:2])
    assert PostRead.objects.filter(user=city.resident).count() == 2
    assert digest_send(now=now + datetime.timedelta(minutes=5)) == 1
    sms = Outbox.objects.get(template="circle_digest")
    assert sms.address == "13700000009"
    assert sms.context["count"] == 2
    assert sms.context["titles"] == ["通知3", "通知2"]
    # The same day again: nothing more.
    assert CircleMember.objects.get(user=city.resident).digest_sent_at is not None
    digest_send(now=now + datetime.timedelta(minutes=6))
    assert Outbox.objects.filter(template="circle_digest").count() == 1
    assert Report.objects.count() == 0


def test_the_digest_waits_for_the_end_of_the_members_quiet_hours(city: City) -> None:
    from zoneinfo import ZoneInfo

    from wudian.notify.models import Preference

    circle = north_circle(city)
    city.resident.phone = "13700000009"
    city.resident.save()
    Preference.objects.create(user=city.resident, sms=True, quiet_start_hour=21, quiet_end_hour=8)
    member_choose(circle=circle, user=city.resident, delivery=Delivery.DIGEST)
    late = datetime.datetime(2026, 6, 1, 22, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    post_publish(
        author=city.manager,
        circles=[circle],
        kind="general",
        title="通知",
        body="内容",
        now=late - datetime.timedelta(hours=1),
    )
    assert digest_send(now=late) == 1
    sms = Outbox.objects.get(template="circle_digest")
    assert sms.state == Outbox.State.PENDING
    assert timezone.localtime(sms.next_attempt_at).hour == 8
    # Members who chose the app only, or nothing, get no SMS.
    assert not Outbox.objects.filter(template="circle_digest", user=city.electrician).exists()


def test_staff_hear_of_messages_and_the_asker_of_replies_in_the_app(city: City) -> None:
    circle = north_circle(city)
    member_choose(circle=circle, user=city.staff, delivery=Delivery.NONE)
    message = message_write(circle=circle, by=city.resident, body="楼道灯不亮" * 20)
    told = set(
        Outbox.objects.filter(template="circle_message").values_list("user__username", flat=True)
    )
    assert told == {"manager", "electrician", "electrician_expired", "gridadmin"}
    row = Outbox.objects.filter(template="circle_message").first()
    assert row is not None
    assert row.channel == Channel.INAPP
    assert len(row.context["excerpt"]) == 60
    message_reply(message=message, by=city.electrician, body="下午来修")
    reply_rows = Outbox.objects.filter(template="circle_reply")
    assert list(reply_rows.values_list("user__username", "channel")) == [("resident", "inapp")]
    # Their own reply tells nobody.
    message_reply(message=message, by=city.resident, body="谢谢")
    assert reply_rows.count() == 1


def test_a_service_points_circle_over_two_compounds(city: City) -> None:
    circle = Circle.objects.create(name="涂山服务点")
    circle.compounds.add(city.north, city.south)
    members = set(members_of(circle).values_list("username", flat=True))
    assert {"resident", "resident_b", "manager", "manager_b", "electrician_b"} <= members
    assert set(circles_of_compounds([city.south])) == {circle_for_compound(city.south), circle}
    # Staff of either compound post there; residents of either write there.
    post_publish(author=city.manager_b, circles=[circle], kind="general", title="通知", body="x")
    message_write(circle=circle, by=city.resident_b, body="南苑的问题")
    message_write(circle=circle, by=city.resident, body="北苑的问题")
    assert Message.objects.filter(circle=circle).count() == 2
