"""Browser journey in a real Chromium: a resident on a phone finds an article by searching,
reads it with its cover and inline image, and says it was useful (htmx, no reload).

Each page is saved under var/screenshots/ to be looked at."""

from __future__ import annotations

from typing import Any

import pytest

from wudian.conftest import PHONE, City, image_bytes, image_loaded, log_in, screenshot
from wudian.core.photos import photo_from_bytes
from wudian.knowledge import services
from wudian.knowledge.models import Article
from wudian.knowledge.tests.conftest import for_compounds

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media")]


def fits(page: Any, width: int) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def test_a_resident_finds_reads_and_rates_an_article_on_a_phone(
    live_server: Any, world: City, browser: Any
) -> None:
    article = services.article_create(
        by=world.manager,
        content=services.Content(
            title="电动自行车不要飞线充电",
            summary="楼道、室内飞线充电极易引发火灾。",
            body="## 请不要这样做\n\n- 从窗户拉电线到楼下充电\n- 把电池带回家过夜充电\n\n[图1]\n\n"
            "到小区集中充电桩扫码充电，充满后及时断电。",
            category="safe_use",
            target=for_compounds(world.north),
        ),
        cover=photo_from_bytes(image_bytes(color=(185, 28, 28), size=(960, 540))),
        images=[photo_from_bytes(image_bytes("JPEG", color=(20, 90, 160), size=(800, 600)))],
    )
    services.article_publish(article=article, by=world.manager)
    base = live_server.url
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    log_in(page, base, world.resident.username)
    page.goto(f"{base}/knowledge/")
    page.fill("input[name=q]", "飞线 充电")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url("**/knowledge/?q=*")
    assert page.locator(".kn-card").count() == 1
    assert "本小区" in page.locator(".kn-card").inner_text()
    assert fits(page, PHONE["width"])
    screenshot(page, "knowledge-list-phone")

    page.locator(".kn-card h2 a").click()
    page.wait_for_url(f"**/knowledge/{article.pk}/")
    assert page.locator("h1").inner_text() == "电动自行车不要飞线充电"
    assert page.locator(".kn-body h2").inner_text() == "请不要这样做"
    images = page.locator("article img")
    assert images.count() == 2
    assert all(image_loaded(images.nth(n)) for n in range(2))
    assert fits(page, PHONE["width"])
    screenshot(page, "knowledge-article-phone")

    page.locator("#useful button[value=yes]").click()
    page.locator("#useful").get_by_text("感谢您的反馈").wait_for()
    assert page.url.endswith(f"/knowledge/{article.pk}/")
    screenshot(page, "knowledge-article-voted-phone")
    article.refresh_from_db()
    assert (article.useful_yes, article.views) == (1, 1)
    assert Article.objects.get(pk=article.pk).votes.get().user == world.resident
    phone.close()
