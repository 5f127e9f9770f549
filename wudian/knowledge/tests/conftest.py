"""Knowledge built through the services: articles for the city, for north (北苑) or for
south (南苑), and a fixed clock."""

from __future__ import annotations

import datetime
from typing import Any

from wudian.accounts.models import User
from wudian.conftest import City
from wudian.core.calendar import CHINA
from wudian.knowledge import services
from wudian.knowledge.models import Article, Reach

NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=CHINA)


def content(title: str = "夏季空调省电小窍门", **fields: Any) -> services.Content:
    target = fields.pop("target", services.Target(reach=Reach.ALL))
    return services.Content(
        title=title,
        summary=fields.pop("summary", "空调温度设在26℃，既舒适又省电。"),
        body=fields.pop("body", "空调温度每调高1℃，可省电约7%。\n\n出门前半小时关空调。"),
        category=fields.pop("category", "saving"),
        target=target,
    )


def for_compounds(*compounds: Any) -> services.Target:
    return services.Target(reach=Reach.COMPOUNDS, compounds=tuple(compounds))


def write(
    by: User, *, publish: bool = True, now: datetime.datetime = NOW, **fields: Any
) -> Article:
    publish_at = fields.pop("publish_at", None)
    article = services.article_create(
        by=by, content=content(**fields), publish_at=publish_at, now=now
    )
    if publish:
        article = services.article_publish(article=article, by=by, now=now)
    return article


def city_article(city: City, **fields: Any) -> Article:
    return write(city.admin, **fields)


def north_article(city: City, **fields: Any) -> Article:
    fields.setdefault("title", "北苑小区电动车充电桩使用须知")
    return write(city.manager, target=for_compounds(city.north), **fields)


def south_article(city: City, **fields: Any) -> Article:
    fields.setdefault("title", "南苑小区配电房检修后用电提示")
    return write(city.manager_b, target=for_compounds(city.south), **fields)
