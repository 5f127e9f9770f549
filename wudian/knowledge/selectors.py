"""Reads of power knowledge, shared by the pages, the API, the compound window and the tasks.

Knowledge holds no personal data: a published article is public, and anyone may open it. What
targeting decides is whose lists it is in: everyone's when it is for the whole city; else the
lists of the residents of the compounds it is for (theirs come first), of the staff serving or
overseeing them, and their compounds' windows. Writing is for customer managers, supervisors
and administrators, for targets wholly within their reach for Purpose.PUBLISH_KNOWLEDGE."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.core.errors import OutsideScope
from wudian.grid.models import Compound
from wudian.grid.scope import Purpose, compounds_for
from wudian.knowledge.models import Article, Reach, SeasonalReminder

T = TypeVar("T", bound=Model)

PUBLISHED = Article.State.PUBLISHED
# A search looks for at most this many words, each at most this long.
MAX_TERMS = 6
MAX_TERM = 30
SEPARATORS = re.compile(r"[\s\u3000,，、;；]+")


# Whom an article is for ------------------------------------------------------------------


def targeted_to(model: type[T], compounds: QuerySet[Compound]) -> Q:
    """Q on Article or SeasonalReminder: for the whole city, or for any of the compounds (by
    name, by their community or by their district)."""
    through: Any = model.compounds.through  # type: ignore[attr-defined]
    owner = f"{model._meta.model_name}_id"
    listed = through.objects.filter(compound__in=compounds.values("pk")).values(owner)
    return (
        Q(reach=Reach.ALL)
        | Q(reach=Reach.COMPOUNDS, pk__in=listed)
        | Q(reach=Reach.COMMUNITY, community__in=compounds.values("community_id"))
        | Q(reach=Reach.DISTRICT, district__in=compounds.values("community__street__district_id"))
    )


def target_compounds(item: Article | SeasonalReminder) -> QuerySet[Compound]:
    """The compounds an article or a reminder is for."""
    if item.reach == Reach.DISTRICT and item.district_id is not None:
        return Compound.objects.filter(community__street__district_id=item.district_id)
    if item.reach == Reach.COMMUNITY and item.community_id is not None:
        return Compound.objects.filter(community_id=item.community_id)
    if item.reach == Reach.COMPOUNDS:
        return item.compounds.all()
    return Compound.objects.all()


def reader_compounds(user: User) -> QuerySet[Compound]:
    """The compounds whose knowledge a reader's list holds: their homes', and those they serve
    or oversee."""
    if not (user.is_authenticated and user.is_active):
        return Compound.objects.none()
    return compounds_for(user, Purpose.HOME) | compounds_for(user, Purpose.OVERSEE)


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(state=PUBLISHED)


def articles_for_reader(user: User) -> QuerySet[Article]:
    """The published articles in a reader's list: those for their compounds first (`for_you`),
    then the city's, newest first. Anonymous readers get the city's."""
    articles = published_articles()
    if user.is_authenticated and user.is_superuser:
        # Everything, and nothing is "theirs".
        return articles.annotate(for_you=Value(False, output_field=BooleanField())).order_by(
            "-published_at", "-pk"
        )
    if user.is_authenticated:
        articles = articles.filter(targeted_to(Article, reader_compounds(user)))
    else:
        articles = articles.filter(reach=Reach.ALL)
    return articles.annotate(
        for_you=Case(
            When(~Q(reach=Reach.ALL), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    ).order_by("-for_you", "-published_at", "-pk")


def search_terms(query: str) -> list[str]:
    """The words of a search: split at spaces (full-width too) and commas, at most MAX_TERMS,
    each cut to MAX_TERM characters."""
    terms = [term[:MAX_TERM] for term in SEPARATORS.split(query.strip()) if term]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def articles_found(
    articles: QuerySet[Article], *, query: str = "", category: str = ""
) -> QuerySet[Article]:
    """Articles of the category holding every word of the query in their title, summary or
    text. Chinese is not split into words by spaces, so each term is matched as a substring
    (icontains), the same on SQLite and PostgreSQL; a few thousand articles stay fast."""
    if category:
        articles = articles.filter(category=category)
    for term in search_terms(query):
        articles = articles.filter(
            Q(title__icontains=term) | Q(summary__icontains=term) | Q(body__icontains=term)
        )
    return articles


def latest_articles_for(compound: Compound, limit: int = 5) -> list[Article]:
    """The newest published articles for a compound's window: the city's and its own."""
    compounds = Compound.objects.filter(pk=compound.pk)
    return list(
        published_articles()
        .filter(targeted_to(Article, compounds))
        .select_related("district", "community")
        .order_by("-published_at", "-pk")[:limit]
    )


def public_article(pk: int) -> Article:
    """A published article, for anyone; anything else is not there."""
    article = published_articles().filter(pk=pk).select_related("author").first()
    if article is None:
        raise OutsideScope(_("No such article."))
    return article


# Who writes -----------------------------------------------------------------------------


def is_writer(user: User) -> bool:
    """Whether the user writes knowledge at all (for which targets: writable_by)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_role(RoleCode.CUSTOMER_MANAGER, RoleCode.SUPERVISOR))
    )


def writable_by(model: type[T], user: User) -> QuerySet[T]:
    """The articles or reminders whose every compound the user reaches for PUBLISH_KNOWLEDGE
    (the whole city: administrators only; some compounds: at least one listed)."""
    objects: QuerySet[T] = model._default_manager.all()
    if not is_writer(user):
        return objects.none()
    if user.is_superuser:
        return objects
    reached = compounds_for(user, Purpose.PUBLISH_KNOWLEDGE).values("pk")
    through: Any = model.compounds.through  # type: ignore[attr-defined]
    owner = f"{model._meta.model_name}_id"
    listed = through.objects.filter(**{owner: OuterRef("pk")})
    outside = Compound.objects.exclude(pk__in=reached)
    return objects.filter(
        Q(reach=Reach.COMPOUNDS) & Exists(listed) & ~Exists(listed.exclude(compound__in=reached))
        | Q(reach=Reach.COMMUNITY)
        & Exists(
            compounds_for(user, Purpose.PUBLISH_KNOWLEDGE).filter(community=OuterRef("community"))
        )
        & ~Exists(outside.filter(community=OuterRef("community")))
        | Q(reach=Reach.DISTRICT)
        & Exists(
            compounds_for(user, Purpose.PUBLISH_KNOWLEDGE).filter(
                community__street__district=OuterRef("district")
            )
        )
        & ~Exists(outside.filter(community__street__district=OuterRef("district")))
    )


def article_for_writer(user: User, pk: int) -> Article:
    """An article the user may write, or OutsideScope."""
    article = (
        writable_by(Article, user).filter(pk=pk).select_related("district", "community").first()
    )
    if article is None:
        raise OutsideScope(_("No such article, or it is not one you write."))
    return article


def reminder_for_writer(user: User, pk: int) -> SeasonalReminder:
    reminder = (
        writable_by(SeasonalReminder, user)
        .filter(pk=pk)
        .select_related("district", "community")
        .first()
    )
    if reminder is None:
        raise OutsideScope(_("No such seasonal reminder, or it is not one you write."))
    return reminder


def writable_compounds(user: User) -> QuerySet[Compound]:
    """The compounds whose knowledge the user may write."""
    if not is_writer(user):
        return Compound.objects.none()
    return compounds_for(user, Purpose.PUBLISH_KNOWLEDGE)


def inline_images(article: Article) -> dict[int, Any]:
    """The article's inline images by their number in the text ("[图1]" is image 1); a
    number stays with its image when another is removed."""
    return {image.position: image for image in article.images.all() if not image.is_cover}


def desk_card(user: User) -> dict[str, int] | None:
    """A writer's drafts and scheduled articles, for the desk's card (None: not a writer)."""
    if not is_writer(user):
        return None
    counts = dict(
        writable_by(Article, user)
        .filter(state__in=[Article.State.DRAFT, Article.State.SCHEDULED])
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    return {
        "drafts": counts.get(Article.State.DRAFT, 0),
        "scheduled": counts.get(Article.State.SCHEDULED, 0),
    }
