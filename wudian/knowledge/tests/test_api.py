"""Knowledge over the API: reading and searching for the caller, voting once, writing within
one's reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from wudian.conftest import City, api, image_bytes, post, snapshot, stored_files, upload
from wudian.core.photos import MAX_PHOTO_BYTES
from wudian.knowledge.models import Article, ArticleImage
from wudian.knowledge.tests.conftest import city_article, north_article, south_article

pytestmark = pytest.mark.django_db

URL = "/api/v1/knowledge/articles"


def new(city: City, **fields: object) -> dict[str, object]:
    return {
        "title": "智能电表计费说明",
        "body": "智能电表每天自动抄表，电费按阶梯电价结算。",
        "category": "smart_meter",
        "reach": "compounds",
        "compounds": [city.north.code],
        **fields,
    }


def test_the_list_is_the_callers_and_searches_by_words(city: City) -> None:
    everyone = city_article(city, title="如何在网上国网缴费", category="payment")
    north = north_article(city)
    south_article(city)
    rows = api(city.resident).get(URL).json()["items"]
    assert [row["title"] for row in rows] == [north.title, everyone.title]
    assert rows[0]["for_you"] is True
    assert rows[0]["url"] == f"/knowledge/{north.pk}/"
    found = api(city.resident).get(URL, {"q": "网上国网 缴费"}).json()["items"]
    assert [row["title"] for row in found] == [everyone.title]
    assert api(city.resident).get(URL, {"category": "gossip"}).status_code == 422


def test_one_article_counts_a_read_and_a_draft_is_only_its_writers(city: City) -> None:
    article = north_article(city)
    got = api(city.resident_b).get(f"{URL}/{article.pk}")
    assert got.status_code == 200
    assert got.json()["actions"] == []
    assert Article.objects.get(pk=article.pk).views == 1
    api(city.resident_b).get(f"{URL}/{article.pk}")
    api(city.resident).get(f"{URL}/{article.pk}")
    assert Article.objects.get(pk=article.pk).views == 2  # once a reader a day
    draft = north_article(city, publish=False)
    assert api(city.resident).get(f"{URL}/{draft.pk}").status_code == 404
    assert api(city.manager_b).get(f"{URL}/{draft.pk}").status_code == 404
    mine = api(city.manager).get(f"{URL}/{draft.pk}").json()
    assert mine["state"] == "draft"
    assert mine["actions"] == ["publish", "edit", "images"]


def test_a_vote_counts_once(city: City) -> None:
    article = city_article(city)
    first = post(api(city.resident), f"{URL}/{article.pk}/vote", {"useful": True})
    assert first.status_code == 200
    assert first.json()["useful_yes"] == 1
    before = snapshot(article)
    second = post(api(city.resident), f"{URL}/{article.pk}/vote", {"useful": False})
    assert second.status_code == 409
    assert snapshot(article) == before
    draft = city_article(city, publish=False)
    assert post(api(city.resident), f"{URL}/{draft.pk}/vote", {"useful": True}).status_code == 404


def test_a_writer_creates_changes_publishes_and_withdraws(city: City) -> None:
    created = post(api(city.manager), URL, new(city))
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["state"] == "draft"
    assert created.json()["compounds"] == ["NORTH"]
    changed = api(city.manager).patch(
        f"{URL}/{pk}", {"title": "智能电表怎么计费"}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["title"] == "智能电表怎么计费"
    assert changed.json()["body"].startswith("智能电表每天")
    published = post(api(city.manager), f"{URL}/{pk}/publish")
    assert published.json()["state"] == "published"
    assert post(api(city.manager), f"{URL}/{pk}/publish").status_code == 409
    assert post(api(city.manager), f"{URL}/{pk}/withdraw").json()["state"] == "withdrawn"


@pytest.mark.parametrize(
    ("role", "fields", "status"),
    [
        ("resident", {}, 403),
        ("electrician", {}, 403),
        ("manager", {"compounds": ["SOUTH"]}, 403),
        ("manager", {"reach": "all", "compounds": []}, 403),
        ("manager", {"compounds": ["NOWHERE"]}, 422),
        ("manager", {"title": ""}, 422),
        ("manager", {"reach": "district"}, 422),
        ("manager", {"extra": "field"}, 422),
        ("supervisor", {"reach": "district", "district": "D1", "compounds": []}, 201),
        ("admin", {"reach": "all", "compounds": []}, 201),
    ],
)
def test_writing_is_refused_outside_ones_reach_and_for_bad_input(
    city: City, role: str, fields: dict[str, object], status: int
) -> None:
    before = snapshot(Article)
    answer = post(api(getattr(city, role)), URL, new(city, **fields))
    assert answer.status_code == status, answer.json()
    if status != 201:
        assert snapshot(Article) == before
        assert answer.json()["detail"]


def test_changing_or_publishing_another_writers_article_is_not_found(city: City) -> None:
    south = south_article(city, publish=False)
    before = snapshot(south)
    client = api(city.manager)
    assert (
        client.patch(
            f"{URL}/{south.pk}", {"title": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert post(client, f"{URL}/{south.pk}/publish").status_code == 404
    assert snapshot(south) == before


@pytest.mark.usefixtures("media")
def test_images_are_added_checked_and_refused_whole(city: City, media: Path) -> None:
    article = north_article(city, publish=False)
    client = api(city.manager)
    url = f"{URL}/{article.pk}/images"
    added = client.post(
        url,
        {
            "image": [upload("a.png", image_bytes()), upload("b.webp", image_bytes("WEBP"))],
            "cover": upload("c.jpg", image_bytes("JPEG"), "image/jpeg"),
        },
    )
    assert added.status_code == 201, added.json()
    shown = added.json()["images"]
    assert [(i["cover"], i["number"]) for i in shown] == [(True, None), (False, 1), (False, 2)]
    post(client, f"{URL}/{article.pk}/publish")
    assert Client().get(shown[1]["url"]).status_code == 200  # public once published
    before = snapshot(article, ArticleImage)
    files = stored_files(media)
    for bad in (
        {"image": [upload("ok.png", image_bytes()), upload("x.txt", b"hello", "text/plain")]},
        {"cover": upload("big.png", b"0" * (MAX_PHOTO_BYTES + 1))},
        {},
    ):
        refused = client.post(url, bad)
        assert refused.status_code == 422
        assert refused.json()["detail"]
    assert snapshot(article, ArticleImage) == before
    assert stored_files(media) == files
    assert (
        api(city.manager_b).post(url, {"image": [upload("a.png", image_bytes())]}).status_code
        == 404
    )
