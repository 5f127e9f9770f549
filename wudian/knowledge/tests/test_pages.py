"""The knowledge pages: the public list and article, "was this useful" with htmx, images
checked on upload and served through the article, and the writers' desk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from wudian.conftest import City, image_bytes, queries_of, snapshot, stored_files, upload, zh
from wudian.core.photos import MAX_PHOTO_BYTES, photo_from_bytes
from wudian.knowledge import services
from wudian.knowledge.models import Article, ArticleImage, ArticleVote, SeasonalReminder
from wudian.knowledge.tests.conftest import city_article, north_article, south_article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def form(city: City, **fields: Any) -> dict[str, Any]:
    return {
        "title": "电动自行车不要飞线充电",
        "summary": "楼道飞线充电极易引发火灾。",
        "body": "## 为什么危险\n\n飞线充电线路老化、过载。\n\n- 到集中充电桩充电\n- 充满即断电",
        "category": "safe_use",
        "reach": "compounds",
        "compounds": [city.north.pk],
        **fields,
    }


# Readers ----------------------------------------------------------------------------------


def test_the_list_shows_the_readers_articles_and_searches_them(city: City, client: Client) -> None:
    everyone = city_article(city, title="阶梯电价怎么算", category="tariff")
    north = north_article(city)
    south = south_article(city)
    client.force_login(city.resident)
    page = client.get("/knowledge/").content.decode()
    assert everyone.title in page
    assert north.title in page
    assert south.title not in page
    assert page.index(north.title) < page.index(everyone.title)
    found = client.get("/knowledge/", {"q": "阶梯 电价"}).content.decode()
    assert everyone.title in found
    assert north.title not in found
    by_category = client.get("/knowledge/", {"category": "tariff"}).content.decode()
    assert everyone.title in by_category
    assert north.title not in by_category
    assert client.get("/knowledge/", {"category": "gossip"}).status_code == 400
    assert Client().get("/knowledge/").status_code == 200


def test_the_list_takes_a_bounded_number_of_queries(city: City, client: Client) -> None:
    for n in range(3):
        city_article(city, title=f"文章{n}")
    client.force_login(city.resident)
    few = queries_of(client, "/knowledge/")
    for n in range(3, 12):
        city_article(city, title=f"文章{n}")
    assert queries_of(client, "/knowledge/") == few


def test_the_article_page_escapes_html_and_counts_a_read_once(city: City, client: Client) -> None:
    article = city_article(
        city,
        title="<script>alert(1)</script>用电",
        body="<img src=x onerror=alert(1)>\n\n## <b>小标题</b>\n\n- <i>一</i>",
    )
    client.force_login(city.resident)
    page = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;用电" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<h2>&lt;b&gt;小标题&lt;/b&gt;</h2>" in page
    assert "<li>&lt;i&gt;一&lt;/i&gt;</li>" in page
    client.get(f"/knowledge/{article.pk}/")
    Client().get(f"/knowledge/{article.pk}/")
    assert Article.objects.get(pk=article.pk).views == 2


def test_a_draft_or_withdrawn_article_page_is_404(city: City, client: Client) -> None:
    draft = north_article(city, publish=False)
    assert client.get(f"/knowledge/{draft.pk}/").status_code == 404
    client.force_login(city.manager)
    assert client.get(f"/knowledge/{draft.pk}/").status_code == 404
    published = north_article(city)
    services.article_withdraw(article=published, by=city.manager)
    assert Client().get(f"/knowledge/{published.pk}/").status_code == 404


def test_useful_is_answered_once_with_htmx_and_anonymously_per_session(
    city: City, client: Client
) -> None:
    article = city_article(city)
    url = f"/knowledge/{article.pk}/useful/"
    client.force_login(city.resident)
    answer = client.post(url, {"useful": "yes"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert zh("Thank you for telling us.") in answer.content.decode()
    again = client.post(url, {"useful": "no"}, headers={"HX-Request": "true"})
    assert again.status_code == 409
    anonymous = Client()
    assert anonymous.post(url, {"useful": "no"}, headers={"HX-Request": "true"}).status_code == 200
    assert anonymous.post(url, {"useful": "no"}, headers={"HX-Request": "true"}).status_code == 409
    assert Client().post(url, {"useful": "maybe"}).status_code == 302  # told on the page
    article.refresh_from_db()
    assert (article.useful_yes, article.useful_no) == (1, 1)
    assert ArticleVote.objects.count() == 2
    page = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert zh("You found this useful.") in page


def test_useful_answers_are_throttled(city: City, settings: Any) -> None:
    from wudian.knowledge import views

    article = city_article(city)
    others = [city_article(city, title=f"其他{n}") for n in range(3)]
    settings.DEBUG = False
    limit = views.VOTES_PER_HOUR
    views.VOTES_PER_HOUR = 2
    try:
        anonymous = Client()
        codes = [
            anonymous.post(
                f"/knowledge/{a.pk}/useful/", {"useful": "yes"}, headers={"HX-Request": "true"}
            ).status_code
            for a in [article, *others]
        ]
    finally:
        views.VOTES_PER_HOUR = limit
    assert codes == [200, 200, 429, 429]


# Images -----------------------------------------------------------------------------------


def test_a_writer_uploads_a_cover_and_inline_images_served_through_the_article(
    city: City, client: Client, media: Path
) -> None:
    client.force_login(city.manager)
    answer = client.post(
        "/desk/knowledge/new/",
        form(city, body="看图：\n\n[图1]\n\n说明文字", cover=upload("c.png", image_bytes())),
    )
    assert answer.status_code == 302, answer.content.decode()
    article = Article.objects.get()
    assert article.state == Article.State.DRAFT
    added = client.post(
        f"/desk/knowledge/{article.pk}/images/",
        {"images": [upload("a.jpg", image_bytes("JPEG"), "image/jpeg")]},
    )
    assert added.status_code == 302
    cover, inline = article.images.order_by("-is_cover")
    assert cover.is_cover
    assert inline.position == 1
    assert len(stored_files(media)) == 2
    # A draft's images: its writers only.
    assert client.get(f"/knowledge/{article.pk}/images/{inline.pk}/").status_code == 200
    assert Client().get(f"/knowledge/{article.pk}/images/{inline.pk}/").status_code == 404
    services.article_publish(article=article, by=city.manager)
    image = Client().get(f"/knowledge/{article.pk}/images/{inline.pk}/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    page = Client().get(f"/knowledge/{article.pk}/").content.decode()
    assert f"/knowledge/{article.pk}/images/{inline.pk}/" in page
    assert f"/knowledge/{article.pk}/images/{cover.pk}/" in page


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("notes.txt", b"not an image at all", "text/plain"),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png"),
        ("huge.png", b"0" * (MAX_PHOTO_BYTES + 1), "image/png"),
    ],
)
def test_a_non_image_or_oversize_upload_is_refused_and_nothing_is_saved(
    city: City, client: Client, media: Path, name: str, data: bytes, content_type: str
) -> None:
    client.force_login(city.manager)
    before = snapshot(Article, ArticleImage)
    answer = client.post(
        "/desk/knowledge/new/",
        form(city, images=[upload("ok.png", image_bytes()), upload(name, data, content_type)]),
    )
    assert answer.status_code == 422
    assert name in answer.content.decode()
    assert snapshot(Article, ArticleImage) == before
    assert stored_files(media) == []

    article = north_article(city, publish=False)
    before = snapshot(article, ArticleImage)
    refused = client.post(
        f"/desk/knowledge/{article.pk}/images/", {"cover": upload(name, data, content_type)}
    )
    assert refused.status_code == 422
    assert snapshot(article, ArticleImage) == before
    assert stored_files(media) == []


def test_too_many_images_are_refused_and_none_saved(city: City, media: Path) -> None:
    article = north_article(city, publish=False)
    photos = [photo_from_bytes(image_bytes(color=(n, 0, 0))) for n in range(13)]
    before = snapshot(article, ArticleImage)
    with pytest.raises(services.BadInput):
        services.article_add_images(article=article, by=city.manager, images=photos)
    assert snapshot(article, ArticleImage) == before
    assert stored_files(media) == []


def test_removing_an_image_keeps_the_others_numbers(city: City, client: Client) -> None:
    article = north_article(city, publish=False)
    photos = [photo_from_bytes(image_bytes(color=(n, 0, 0))) for n in range(3)]
    first, _second, third = services.article_add_images(
        article=article, by=city.manager, images=photos
    )
    client.force_login(city.manager)
    assert client.post(f"/desk/knowledge/{article.pk}/images/{first.pk}/remove/").status_code == 302
    assert sorted(article.images.values_list("position", flat=True)) == [2, 3]
    assert third.position == 3
    outsider = Client()
    outsider.force_login(city.manager_b)
    before = snapshot(article, ArticleImage)
    assert (
        outsider.post(f"/desk/knowledge/{article.pk}/images/{third.pk}/remove/").status_code == 404
    )
    assert snapshot(article, ArticleImage) == before


# The desk ------------------------------------------------------------------------------------


def test_the_desk_lists_a_writers_articles_by_state_and_refuses_others(
    city: City, client: Client
) -> None:
    draft = north_article(city, publish=False, title="草稿一篇")
    published = north_article(city, title="已发布一篇")
    south_article(city, publish=False, title="南苑的草稿")
    client.force_login(city.manager)
    drafts = client.get("/desk/knowledge/").content.decode()
    assert draft.title in drafts
    assert "南苑的草稿" not in drafts
    assert published.title not in drafts
    assert published.title in client.get("/desk/knowledge/?tab=published").content.decode()
    assert client.get("/desk/knowledge/?tab=reminders").status_code == 200
    for role in ("resident", "electrician", "gridadmin"):
        other = Client()
        other.force_login(getattr(city, role))
        assert other.get("/desk/knowledge/").status_code == 403
        assert other.get(f"/desk/knowledge/{draft.pk}/").status_code == 403
    assert Client().get("/desk/knowledge/").status_code == 302


def test_the_editor_saves_publishes_and_refuses_bad_input_with_nothing_saved(
    city: City, client: Client
) -> None:
    article = north_article(city, publish=False)
    client.force_login(city.manager)
    assert client.get(f"/desk/knowledge/{article.pk}/").status_code == 200
    before = snapshot(article)
    bad = client.post(f"/desk/knowledge/{article.pk}/", form(city, title="", compounds=[]))
    assert bad.status_code == 422
    assert snapshot(article) == before
    outside = client.post(f"/desk/knowledge/{article.pk}/", form(city, compounds=[city.south.pk]))
    assert outside.status_code == 422  # not a choice offered to this writer
    assert snapshot(article) == before
    saved = client.post(f"/desk/knowledge/{article.pk}/", form(city, title="新标题"))
    assert saved.status_code == 302
    assert Article.objects.get(pk=article.pk).title == "新标题"
    assert client.post(f"/desk/knowledge/{article.pk}/publish/").status_code == 302
    assert Article.objects.get(pk=article.pk).state == Article.State.PUBLISHED
    twice = client.post(f"/desk/knowledge/{article.pk}/publish/")
    assert twice.status_code == 409
    assert client.post(f"/desk/knowledge/{article.pk}/delete/").status_code == 404
    other = Client()
    other.force_login(city.manager_b)
    before = snapshot(article)
    assert other.post(f"/desk/knowledge/{article.pk}/withdraw/").status_code == 404
    assert snapshot(article) == before


def test_a_writer_keeps_seasonal_reminders_on_the_desk(city: City, client: Client) -> None:
    client.force_login(city.manager)
    created = client.post(
        "/desk/knowledge/reminders/new/",
        form(city, title="雷雨季节安全用电", anchor="fixed", month=4, day=1, window_days=14),
    )
    assert created.status_code == 302, created.content.decode()
    reminder = SeasonalReminder.objects.get()
    assert (reminder.month, reminder.day) == (4, 1)
    page = client.get(f"/desk/knowledge/reminders/{reminder.pk}/")
    assert page.status_code == 200
    assert client.post(f"/desk/knowledge/reminders/{reminder.pk}/pause/").status_code == 302
    assert not SeasonalReminder.objects.get().active
    bad_date = client.post(
        f"/desk/knowledge/reminders/{reminder.pk}/date/", {"year": "1999", "date": "2027-04-03"}
    )
    assert bad_date.status_code == 422
    dated = client.post(
        f"/desk/knowledge/reminders/{reminder.pk}/date/", {"year": "2027", "date": "2027-04-03"}
    )
    assert dated.status_code == 302
    assert reminder.dates.get().date.isoformat() == "2027-04-03"
    bad = client.post(
        "/desk/knowledge/reminders/new/",
        form(city, anchor="fixed", month=2, day=30, window_days=14),
    )
    assert bad.status_code == 422
    assert SeasonalReminder.objects.count() == 1
    other = Client()
    other.force_login(city.manager_b)
    assert other.get(f"/desk/knowledge/reminders/{reminder.pk}/").status_code == 404


def test_the_desk_shows_writers_their_drafts_and_scheduled_articles(
    city: City, client: Client
) -> None:
    north_article(city, publish=False)
    north_article(city, publish=False, title="第二篇草稿")
    south_article(city, publish=False)
    client.force_login(city.manager)
    page = client.get("/desk/").content.decode()
    assert 'data-count="knowledge-drafts">2<' in page
    assert 'data-count="knowledge-scheduled">0<' in page
    client.force_login(city.electrician)
    assert 'id="knowledge"' not in client.get("/desk/").content.decode()


def test_the_desk_list_and_an_article_take_a_bounded_number_of_queries(
    city: City, client: Client
) -> None:
    client.force_login(city.manager)
    north_article(city, title="第一篇")
    few = queries_of(client, "/desk/knowledge/?tab=published")
    article = north_article(city, title="第二篇")
    photos = [photo_from_bytes(image_bytes(color=(n, 0, 0))) for n in range(2)]
    services.article_add_images(article=article, by=city.manager, images=photos)
    for n in range(8):
        north_article(city, title=f"更多{n}")
    assert queries_of(client, "/desk/knowledge/?tab=published") == few
    one = queries_of(client, f"/knowledge/{article.pk}/")
    services.article_add_images(
        article=article,
        by=city.manager,
        images=[photo_from_bytes(image_bytes(color=(0, n, 0))) for n in range(3)],
    )
    assert queries_of(client, f"/knowledge/{article.pk}/") <= one


def test_the_admin_lists_and_opens_articles_and_reminders_but_adds_none(
    city: City, client: Client
) -> None:
    article = north_article(city)
    services.reminder_create(
        by=city.admin,
        content=services.Content(title="雷雨季节", body="注意安全。", category="safe_use"),
        season=services.Season(month=4, day=1),
    )
    client.force_login(city.admin)
    for url in (
        "/admin/knowledge/article/",
        f"/admin/knowledge/article/{article.pk}/change/",
        "/admin/knowledge/seasonalreminder/",
        "/admin/knowledge/articlevote/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/knowledge/article/add/").status_code == 403
