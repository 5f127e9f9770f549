"""Publishing knowledge posts it in the circles of the compounds it is for, once: by hand,
when a scheduled article comes due, and each year's seasonal reminder."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from wudian.circles.models import Post
from wudian.circles.selectors import recent_staff_posts
from wudian.circles.services import circle_for_compound
from wudian.conftest import City
from wudian.core.calendar import CHINA
from wudian.knowledge import services
from wudian.knowledge.models import Article, Reach
from wudian.knowledge.tests.conftest import NOW, city_article, content, for_compounds, write
from wudian.notify.models import InboxEntry

pytestmark = pytest.mark.django_db


def knowledge_posts(compound: Any) -> list[Post]:
    circle = circle_for_compound(compound)
    return list(Post.objects.filter(circle=circle, kind=Post.Kind.KNOWLEDGE).order_by("pk"))


def test_a_managers_article_is_posted_in_its_compounds_circles_only(
    city: City, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        article = write(
            city.manager, title="电动自行车不要飞线充电", target=for_compounds(city.north)
        )
    [post] = knowledge_posts(city.north)
    assert (post.title, post.author, post.link) == (
        article.title,
        city.manager,
        f"/knowledge/{article.pk}/",
    )
    assert post.body == article.summary
    assert knowledge_posts(city.south) == []


def test_a_supervisors_district_article_is_posted_by_the_system_in_every_circle(
    city: City, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        write(
            city.supervisor,
            title="蚌山区迎峰度夏有序用电倡议",
            target=services.Target(reach=Reach.DISTRICT, district=city.district),
        )
    posts = knowledge_posts(city.north) + knowledge_posts(city.south)
    assert [post.author for post in posts] == [None, None]


def test_withdrawing_hides_the_posts_and_publishing_again_posts_it_anew(
    city: City, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        article = city_article(city)
    [posted] = knowledge_posts(city.north)
    assert InboxEntry.objects.filter(message__event_key=posted.inbox_event_key).exists()
    services.article_withdraw(article=article, by=city.admin)
    [north] = knowledge_posts(city.north)
    assert north.hidden_at is not None
    assert north.hidden_by is None
    assert north.hidden_reason == "文章已被撤回。"
    assert not InboxEntry.objects.filter(message__event_key=north.inbox_event_key).exists()
    assert recent_staff_posts(city.north) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.article_publish(article=article, by=city.admin)
    for compound in (city.north, city.south):
        posts = knowledge_posts(compound)
        assert [post.hidden_at is None for post in posts] == [False, True]


def test_a_scheduled_article_is_posted_when_it_comes_due(
    city: City, django_capture_on_commit_callbacks: Any
) -> None:
    at = NOW + datetime.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        write(city.manager, target=for_compounds(city.north), publish_at=at)
    assert knowledge_posts(city.north) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.articles_publish_due(now=at)
    assert len(knowledge_posts(city.north)) == 1


def test_a_seasonal_reminder_is_posted_once_a_year_by_the_system(
    city: City, django_capture_on_commit_callbacks: Any
) -> None:
    services.reminder_create(
        by=city.manager,
        content=content(title="雷雨季节来临，注意用电安全", target=for_compounds(city.north)),
        season=services.Season(month=4, day=1),
    )
    for year, hour in ((2026, 8), (2026, 9), (2027, 8)):
        with django_capture_on_commit_callbacks(execute=True):
            services.reminders_publish_due(now=datetime.datetime(year, 4, 1, hour, tzinfo=CHINA))
    posts = knowledge_posts(city.north)
    assert [post.author for post in posts] == [None, None]
    assert [post.link for post in posts] == [
        f"/knowledge/{a.pk}/" for a in Article.objects.order_by("season")
    ]
    assert knowledge_posts(city.south) == []


def test_a_posting_that_failed_is_tried_again_by_the_task(city: City) -> None:
    # Published without its on-commit posting (as when the posting failed).
    article = write(city.manager, target=for_compounds(city.north))
    assert Article.objects.get(pk=article.pk).announced_at is None
    assert article.published_at is not None
    later = article.published_at + datetime.timedelta(minutes=5)
    assert services.articles_announce_missed(now=later) == 1
    assert services.articles_announce_missed(now=later) == 0
    assert len(knowledge_posts(city.north)) == 1
