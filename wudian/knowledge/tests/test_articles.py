"""Articles: who writes them for whom, whose lists they are in, search, scheduled publishing,
reads and "was this useful"."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from wudian.conftest import City, snapshot
from wudian.core.errors import BadInput, NotAllowed, OutsideScope, WrongState
from wudian.knowledge import services
from wudian.knowledge.models import Article, ArticleVote, Reach
from wudian.knowledge.selectors import (
    article_for_writer,
    articles_for_reader,
    articles_found,
    latest_articles_for,
    public_article,
    search_terms,
    target_compounds,
)
from wudian.knowledge.tasks import publish_due
from wudian.knowledge.tests.conftest import (
    NOW,
    city_article,
    content,
    for_compounds,
    north_article,
    south_article,
    write,
)

pytestmark = pytest.mark.django_db


def titles(articles: object) -> list[str]:
    return [article.title for article in articles]  # type: ignore[attr-defined]


# Targeting ----------------------------------------------------------------------------


def test_a_resident_lists_their_compounds_articles_first_and_never_another_compounds(
    city: City,
) -> None:
    everyone = city_article(city, title="阶梯电价怎么算", category="tariff")
    north = north_article(city)
    south = south_article(city)

    mine = list(articles_for_reader(city.resident))
    assert titles(mine) == [north.title, everyone.title]
    assert [a.for_you for a in mine] == [True, False]  # type: ignore[attr-defined]
    assert south.title not in titles(articles_for_reader(city.resident))
    assert titles(articles_for_reader(city.resident_b)) == [south.title, everyone.title]
    # Staff: the compounds they serve or oversee.
    assert set(titles(articles_for_reader(city.electrician))) == {north.title, everyone.title}
    assert set(titles(articles_for_reader(city.supervisor))) == {
        north.title,
        south.title,
        everyone.title,
    }


def test_the_public_lists_the_citys_articles_and_may_open_any_published_one(city: City) -> None:
    from django.contrib.auth.models import AnonymousUser

    everyone = city_article(city)
    north = north_article(city)
    assert titles(articles_for_reader(AnonymousUser())) == [everyone.title]  # type: ignore[arg-type]
    # Knowledge holds no personal data: the compound's window links to its articles.
    assert public_article(north.pk) == north


@pytest.mark.parametrize("state", ["draft", "scheduled", "withdrawn"])
def test_an_article_not_published_is_not_there_for_readers(city: City, state: str) -> None:
    article = north_article(city, publish=False, publish_at=NOW + datetime.timedelta(days=1))
    if state == "scheduled":
        article = services.article_publish(article=article, by=city.manager, now=NOW)
    elif state == "withdrawn":
        services.article_publish(
            article=article, by=city.manager, now=NOW + datetime.timedelta(days=2)
        )
        services.article_withdraw(article=article, by=city.manager, now=NOW)
    assert Article.objects.get(pk=article.pk).state == state
    with pytest.raises(OutsideScope):
        public_article(article.pk)
    assert article.title not in titles(articles_for_reader(city.resident))
    assert article.title not in titles(latest_articles_for(city.north))


def test_a_district_or_community_article_reaches_their_compounds(city: City) -> None:
    district = write(
        city.supervisor,
        title="蚌山区迎峰度夏有序用电倡议",
        target=services.Target(reach=Reach.DISTRICT, district=city.district),
    )
    community = write(
        city.manager_b,
        title="延安社区电力设施保护告知",
        category="facilities",
        target=services.Target(reach=Reach.COMMUNITY, community=city.other_community),
    )
    assert set(target_compounds(district)) == {city.north, city.south}
    assert list(target_compounds(community)) == [city.south]
    assert titles(latest_articles_for(city.north)) == [district.title]
    assert set(titles(latest_articles_for(city.south))) == {district.title, community.title}
    assert community.title not in titles(articles_for_reader(city.resident))


def test_latest_articles_for_a_compound_are_the_newest_first_and_limited(city: City) -> None:
    for day in range(4):
        city_article(city, title=f"第{day}篇", now=NOW + datetime.timedelta(days=day))
    assert titles(latest_articles_for(city.north, limit=2)) == ["第3篇", "第2篇"]


# Who writes for whom ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["resident", "electrician", "staff", "gridadmin", "dept"])
def test_only_customer_managers_supervisors_and_administrators_write(city: City, role: str) -> None:
    before = snapshot(Article)
    with pytest.raises(NotAllowed):
        services.article_create(
            by=getattr(city, role), content=content(target=for_compounds(city.north))
        )
    assert snapshot(Article) == before


def test_a_manager_may_not_write_for_a_compound_they_do_not_serve_nor_for_the_city(
    city: City,
) -> None:
    before = snapshot(Article)
    with pytest.raises(NotAllowed, match="南苑小区"):
        services.article_create(
            by=city.manager, content=content(target=for_compounds(city.north, city.south))
        )
    with pytest.raises(NotAllowed):
        services.article_create(by=city.manager, content=content())
    # A community with a compound they do not serve: 涂山社区 has north only, so it is theirs.
    with pytest.raises(NotAllowed):
        services.article_create(
            by=city.manager,
            content=content(target=services.Target(reach=Reach.DISTRICT, district=city.district)),
        )
    assert snapshot(Article) == before
    ok = services.article_create(
        by=city.manager,
        content=content(target=services.Target(reach=Reach.COMMUNITY, community=city.community)),
    )
    assert ok.reach == Reach.COMMUNITY


def test_another_writers_article_outside_ones_scope_is_not_found_and_not_changed(
    city: City,
) -> None:
    south = south_article(city, publish=False)
    before = snapshot(south)
    with pytest.raises(OutsideScope):
        article_for_writer(city.manager, south.pk)
    with pytest.raises(NotAllowed):
        services.article_publish(article=south, by=city.manager)
    with pytest.raises(PermissionDenied):
        services.article_update(article=south, by=city.manager, content=content())
    assert snapshot(south) == before
    # The supervisor of the district reaches it, and so does an administrator.
    assert article_for_writer(city.supervisor, south.pk) == south
    assert article_for_writer(city.admin, south.pk) == south


def test_moving_an_article_to_a_target_outside_ones_reach_is_refused(city: City) -> None:
    article = north_article(city, publish=False)
    before = snapshot(article)
    with pytest.raises(NotAllowed):
        services.article_update(
            article=article,
            by=city.manager,
            content=content(title="改了", target=for_compounds(city.south)),
        )
    assert snapshot(article) == before
    assert list(article.compounds.all()) == [city.north]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "长" * 81}, "title"),
        ({"body": ""}, "body"),
        ({"category": "gossip"}, "category"),
        ({"summary": "多" * 201}, "summary"),
        ({"target": services.Target(reach=Reach.COMPOUNDS)}, "compounds"),
        ({"target": services.Target(reach=Reach.DISTRICT)}, "district"),
        ({"target": services.Target(reach=Reach.COMMUNITY)}, "community"),
    ],
)
def test_bad_input_names_its_field_and_saves_nothing(
    city: City, fields: dict[str, object], field: str
) -> None:
    before = snapshot(Article)
    with pytest.raises(BadInput) as caught:
        services.article_create(by=city.admin, content=content(**fields))  # type: ignore[arg-type]
    assert field in caught.value.message_dict
    assert snapshot(Article) == before


def test_an_article_is_scheduled_at_most_a_year_ahead(city: City) -> None:
    with pytest.raises(BadInput) as caught:
        write(city.admin, publish_at=NOW + datetime.timedelta(days=400))
    assert "publish_at" in caught.value.message_dict


# Publishing --------------------------------------------------------------------------


def test_publishing_twice_is_a_wrong_state_and_withdrawing_a_draft_too(city: City) -> None:
    article = city_article(city)
    before = snapshot(article)
    with pytest.raises(WrongState):
        services.article_publish(article=article, by=city.admin)
    assert snapshot(article) == before
    draft = city_article(city, publish=False)
    with pytest.raises(WrongState):
        services.article_withdraw(article=draft, by=city.admin)


def test_a_scheduled_article_is_published_by_the_task_when_its_time_comes(
    city: City, django_capture_on_commit_callbacks: object
) -> None:
    at = NOW + datetime.timedelta(hours=3)
    article = north_article(city, publish_at=at)
    assert article.state == Article.State.SCHEDULED
    assert services.articles_publish_due(now=at - datetime.timedelta(minutes=1)) == []
    assert Article.objects.get(pk=article.pk).state == Article.State.SCHEDULED

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert services.articles_publish_due(now=at) == [article.pk]
    assert services.articles_publish_due(now=at + datetime.timedelta(hours=1)) == []
    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED
    assert article.published_at == at
    assert article.announced_at is not None  # handed to the circles, once


def test_the_periodic_task_publishes_what_is_due(city: City) -> None:
    article = north_article(city, publish_at=NOW + datetime.timedelta(hours=1))
    Article.objects.filter(pk=article.pk).update(
        publish_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    publish_due.call_local()
    assert Article.objects.get(pk=article.pk).state == Article.State.PUBLISHED


def test_an_article_is_announced_once_per_publication(
    city: City, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        article = north_article(city)
    assert Article.objects.get(pk=article.pk).announced_at is not None
    assert services.article_announce(article) == []
    services.article_withdraw(article=article, by=city.manager)
    assert Article.objects.get(pk=article.pk).announced_at is None
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.article_publish(article=article, by=city.manager)
    assert Article.objects.get(pk=article.pk).announced_at is not None
    assert services.article_announce(article) == []


def test_the_announcement_names_the_targeted_compounds_and_links_the_article(city: City) -> None:
    article = north_article(city)
    announcement = services.announcement_of(article)
    assert announcement.kind == "knowledge"
    assert list(announcement.compounds) == [city.north]
    assert announcement.link == f"/knowledge/{article.pk}/"
    assert announcement.author == city.manager


# Search --------------------------------------------------------------------------------


def test_search_keeps_articles_holding_every_word_in_title_summary_or_text(city: City) -> None:
    tariff = city_article(
        city,
        title="阶梯电价怎么算",
        summary="一户一表居民按年用电量分三档。",
        body="第一档2160千瓦时以内，电价0.5653元。",
        category="tariff",
    )
    summer = city_article(city, title="夏季空调省电", body="空调调高1℃省电7%。")
    published = articles_for_reader(city.resident)
    assert titles(articles_found(published, query="电价")) == [tariff.title]
    assert titles(articles_found(published, query="一户一表 2160")) == [tariff.title]
    assert titles(articles_found(published, query="一户一表　空调")) == []  # full-width space
    assert set(titles(articles_found(published, query="省电"))) == {summer.title}
    assert titles(articles_found(published, query="AIR")) == []
    assert titles(articles_found(published, category="tariff")) == [tariff.title]
    assert set(titles(articles_found(published, query=""))) == {tariff.title, summer.title}


def test_search_terms_are_bounded() -> None:
    assert search_terms(" 空调，省电、 空调 ") == ["空调", "省电"]
    assert len(search_terms(" ".join(str(n) for n in range(20)))) == 6
    assert search_terms("长" * 100) == ["长" * 30]


# Reads and votes --------------------------------------------------------------------------


def test_a_read_counts_once_a_reader_a_day(city: City) -> None:
    article = city_article(city)
    assert services.article_read(article=article, reader="u1", now=NOW)
    assert not services.article_read(article=article, reader="u1", now=NOW)
    assert services.article_read(article=article, reader="u2", now=NOW)
    assert services.article_read(article=article, reader="u1", now=NOW + datetime.timedelta(days=1))
    assert Article.objects.get(pk=article.pk).views == 3


def test_a_reader_says_once_whether_it_was_useful(city: City) -> None:
    article = city_article(city)
    services.article_vote(article=article, voter="u7", useful=True, user=city.resident)
    services.article_vote(article=article, voter="sabc", useful=False)
    before = snapshot(article, ArticleVote)
    with pytest.raises(WrongState):
        services.article_vote(article=article, voter="u7", useful=False, user=city.resident)
    assert snapshot(article, ArticleVote) == before
    article.refresh_from_db()
    assert (article.useful_yes, article.useful_no) == (1, 1)
    assert services.vote_of(article, "u7") is True


def test_a_vote_on_an_article_not_published_is_refused(city: City) -> None:
    draft = city_article(city, publish=False)
    with pytest.raises(ValidationError):
        services.article_vote(article=draft, voter="u1", useful=True)
    assert not ArticleVote.objects.exists()


def test_an_unknown_article_is_not_found(city: City) -> None:
    article = north_article(city)
    with pytest.raises(Http404):
        public_article(article.pk + 1000)


def test_a_read_is_not_counted_when_the_cache_is_away(
    city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    article = city_article(city)

    def down(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "add", down)
    assert services.article_read(article=article, reader="u1", now=NOW) is False
    assert Article.objects.get(pk=article.pk).views == 0
