"""/c/<code>/: the compound's public power service window."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wudian.accounts.models import Certificate, Duty, Role, RoleCode
from wudian.accounts.selectors import valid_certificate_holders
from wudian.circles.services import circle_for_compound, message_write, post_hide, post_publish
from wudian.conftest import City, make_user, queries_of
from wudian.grid.models import CompoundAssignment, DutyShift
from wudian.knowledge.models import Reach
from wudian.knowledge.services import Content, Target, article_create, article_publish


def test_window_shows_the_manager_with_phone_and_duties(client: Client, city: City) -> None:
    role = Role.objects.get(code=RoleCode.CUSTOMER_MANAGER)
    Duty.objects.create(role=role, text="巡视供电设备测试", text_en="Patrol test")
    response = client.get("/c/NORTH/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "北苑小区" in body
    assert "李经理" in body
    assert 'href="tel:13900000001"' in body
    assert "巡视供电设备测试" in body
    assert "涂山社区物电联络站" in body
    assert "皖投物业" in body
    assert 'href="tel:0552-3012345"' in body
    assert 'href="tel:95598"' in body
    assert "/accounts/login/?next=/me/" in body
    # No photo: an initials avatar stands in for it.
    assert '<span class="avatar" aria-hidden="true">李</span>' in body


def test_window_shows_no_household_data(client: Client, city: City) -> None:
    body = client.get("/c/NORTH/").content.decode()
    for home in (city.north_home, city.north_home_2):
        for secret in (home.account_no, home.holder_name, home.phone, home.address):
            assert secret not in body


def test_window_without_roster_lists_all_electricians_with_certificates(
    client: Client, city: City
) -> None:
    body = client.get("/c/NORTH/").content.decode()
    assert "张电工" in body
    assert "electrician_expired" in body
    assert body.count("badge-ok") == 1
    assert body.count("badge-warn") == 1
    assert "electrician_b" not in body


def test_window_shows_only_the_electrician_on_duty_today(client: Client, city: City) -> None:
    today = timezone.localdate()
    DutyShift.objects.create(
        compound=city.north, electrician=city.electrician_expired, weekday=today.isoweekday()
    )
    tomorrow = (today + datetime.timedelta(days=1)).isoweekday()
    DutyShift.objects.create(compound=city.north, electrician=city.electrician, weekday=tomorrow)
    body = client.get("/c/NORTH/").content.decode()
    assert "electrician_expired" in body
    assert "张电工" not in body
    assert "badge-warn" in body
    assert "badge-ok" not in body


def test_window_of_unknown_compound_is_404(client: Client, city: City) -> None:
    assert client.get("/c/NOPE/").status_code == 404
    assert client.get("/c/%00bad/").status_code == 404


def test_window_without_manager_points_to_95598(client: Client, city: City) -> None:
    CompoundAssignment.objects.filter(compound=city.north, role="customer_manager").delete()
    response = client.get("/c/NORTH/")
    assert response.status_code == 200
    assert "李经理" not in response.content.decode()


def test_window_query_count_is_constant(client: Client, city: City) -> None:
    baseline = queries_of(client, "/c/NORTH/")
    today = timezone.localdate()
    for i in range(5):
        user = make_user(f"extra{i}", RoleCode.ELECTRICIAN)
        CompoundAssignment.objects.create(user=user, compound=city.north, role="electrician")
        DutyShift.objects.create(compound=city.north, electrician=user, weekday=today.isoweekday())
        Certificate.objects.create(
            holder=user,
            number=f"X{i}",
            issued_on=today - datetime.timedelta(days=10),
            expires_on=today + datetime.timedelta(days=10),
        )
    assert queries_of(client, "/c/NORTH/") == baseline
    # Two of them read the knowledge and the circle's posts.
    assert baseline <= 8


def test_valid_certificate_holders_reads_once(city: City, django_assert_num_queries: Any) -> None:
    users = [city.electrician, city.electrician_b, city.electrician_expired, city.manager]
    with django_assert_num_queries(1):
        holders = valid_certificate_holders(users, on=timezone.localdate())
    assert holders == {city.electrician.pk, city.electrician_b.pk}


@pytest.mark.parametrize(("days_after_expiry", "valid"), [(0, True), (1, False)])
def test_certificate_is_valid_through_its_expiry_day(
    city: City, days_after_expiry: int, valid: bool
) -> None:
    expires = city.electrician_expired.certificates.get().expires_on
    on = expires + datetime.timedelta(days=days_after_expiry)
    held = valid_certificate_holders([city.electrician_expired.pk], on=on)
    assert held == ({city.electrician_expired.pk} if valid else set())


def test_window_shows_its_circle_news_and_knowledge_for_it(client: Client, city: City) -> None:
    north_circle = circle_for_compound(city.north)
    south_circle = circle_for_compound(city.south)
    post_publish(
        author=city.manager,
        circles=[north_circle],
        kind="safety",
        title="楼道私拉电线整治",
        body="请勿飞线充电",
    )
    [hidden] = post_publish(
        author=city.manager, circles=[north_circle], kind="general", title="已撤回的通知", body="x"
    )
    post_hide(post=hidden, by=city.manager, reason="发错了")
    post_publish(
        author=city.manager_b, circles=[south_circle], kind="general", title="南苑通知", body="y"
    )
    message_write(circle=north_circle, by=city.resident, body="三单元楼道灯不亮")
    north = Target(reach=Reach.COMPOUNDS, compounds=(city.north,))
    south = Target(reach=Reach.COMPOUNDS, compounds=(city.south,))
    for by, title, target, publish in (
        (city.manager, "夏季空调省电", north, True),
        (city.manager, "还在起草的文章", north, False),
        (city.manager_b, "南苑专属文章", south, True),
    ):
        article = article_create(
            by=by, content=Content(title=title, body="正文", category="saving", target=target)
        )
        if publish:
            article_publish(article=article, by=by)

    body = client.get("/c/NORTH/").content.decode()

    assert "楼道私拉电线整治" in body
    # Published, the article is posted in north's circle too; the window lists it once.
    assert body.count("夏季空调省电") == 1
    for absent in (
        "已撤回的通知",
        "南苑通知",
        "三单元楼道灯不亮",
        "还在起草的文章",
        "南苑专属文章",
    ):
        assert absent not in body
