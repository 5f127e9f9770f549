"""Power knowledge over the API: list and search the published articles for the caller, read
one, say whether it was useful; writers create, change, publish and withdraw articles."""

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict, field_validator

from wudian.accounts.models import User
from wudian.core.api import PageNumbers, Refusal
from wudian.core.errors import BadInput, OutsideScope, invalid
from wudian.core.photos import MAX_PHOTO_BYTES, PhotoUpload, photo_from_bytes
from wudian.grid.models import Community, Compound, District
from wudian.knowledge import services
from wudian.knowledge.models import Article, ArticleImage, Reach
from wudian.knowledge.policy import ARTICLES, article_parties
from wudian.knowledge.selectors import (
    article_for_writer,
    articles_for_reader,
    articles_found,
    published_articles,
)

router = Router(tags=["knowledge"])

ERRORS: dict[int, Any] = {400: Refusal, 403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


# Schemas ------------------------------------------------------------------------------


class ImageOut(Schema):
    id: int
    url: str
    cover: bool
    number: int | None = Field(None, description="Its number in the text: “[图1]” is 1")


class ArticleOut(Schema):
    id: int
    title: str
    summary: str
    category: str
    category_label: str
    reach: str
    target: str = Field(description="Whom it is for, in words")
    published_at: datetime.datetime | None
    views: int
    useful_yes: int
    useful_no: int
    url: str = Field(description="The article's page")
    cover_url: str | None = None
    for_you: bool = Field(False, description="For the caller's compounds (not city-wide)")

    @staticmethod
    def resolve_target(article: Article) -> str:
        return article.target_label()

    @staticmethod
    def resolve_url(article: Article) -> str:
        return reverse("knowledge:detail", args=[article.pk])

    @staticmethod
    def resolve_cover_url(article: Article) -> str | None:
        covers = getattr(article, "covers", None)
        if covers is None:
            covers = [image for image in article.images.all() if image.is_cover]
        if not covers:
            return None
        return reverse("knowledge:image", args=[article.pk, covers[0].pk])


class ArticleDetailOut(ArticleOut):
    body: str = Field(description="Plain text: blank lines between paragraphs, “## ” headings")
    state: str
    publish_at: datetime.datetime | None
    images: list[ImageOut]
    compounds: list[str] = Field(description="Codes of the compounds it is for (some compounds)")
    actions: list[str] = Field(description="What the caller may do with it now")

    @staticmethod
    def resolve_images(article: Article) -> list[dict[str, Any]]:
        return [
            {
                "id": image.pk,
                "url": reverse("knowledge:image", args=[article.pk, image.pk]),
                "cover": image.is_cover,
                "number": None if image.is_cover else image.position,
            }
            for image in article.images.all()
        ]

    @staticmethod
    def resolve_compounds(article: Article) -> list[str]:
        return sorted(compound.code for compound in article.compounds.all())

    @staticmethod
    def resolve_actions(article: Article) -> list[str]:
        return list(getattr(article, "allowed_actions", []))


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    """A time without a zone is Beijing time."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


class ArticleIn(Schema):
    """A new article (saved as a draft; publish it with …/publish). Whom it is for: `reach`
    "all" (administrators only), "district" with `district`, "community" with `community`,
    "compounds" with `compounds` (codes)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=services.MAX_TITLE, examples=["阶梯电价怎么算"])
    summary: str = Field("", max_length=services.MAX_SUMMARY)
    body: str = Field(max_length=services.MAX_BODY)
    category: Literal["safe_use", "saving", "tariff", "payment", "smart_meter", "facilities"]
    reach: Literal["all", "district", "community", "compounds"]
    district: str | None = Field(None, max_length=32, description="District code")
    community: str | None = Field(None, max_length=32, description="Community code")
    compounds: list[str] = Field(
        default_factory=list, max_length=services.MAX_COMPOUNDS, description="Compound codes"
    )
    publish_at: datetime.datetime | None = Field(
        None, description="When to publish (later: scheduled); none: when published"
    )

    @field_validator("publish_at", mode="after")
    @classmethod
    def _local(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return _aware(value)


class ArticlePatch(Schema):
    """Leave out what stays as it is; a target given replaces the target."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=services.MAX_TITLE)
    summary: str | None = Field(None, max_length=services.MAX_SUMMARY)
    body: str | None = Field(None, max_length=services.MAX_BODY)
    category: (
        Literal["safe_use", "saving", "tariff", "payment", "smart_meter", "facilities"] | None
    ) = None
    reach: Literal["all", "district", "community", "compounds"] | None = None
    district: str | None = Field(None, max_length=32)
    community: str | None = Field(None, max_length=32)
    compounds: list[str] | None = Field(None, max_length=services.MAX_COMPOUNDS)
    publish_at: datetime.datetime | None = None

    @field_validator("publish_at", mode="after")
    @classmethod
    def _local(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return _aware(value)


class VoteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    useful: bool


class VoteOut(Schema):
    useful: bool
    useful_yes: int
    useful_no: int


class ArticleFilters(Schema):
    q: str | None = Field(None, max_length=100, description="Words, all of which must appear")
    category: (
        Literal["safe_use", "saving", "tariff", "payment", "smart_meter", "facilities"] | None
    ) = None


# Helpers ------------------------------------------------------------------------------


def _target(
    reach: str, district: str | None, community: str | None, compounds: list[str]
) -> services.Target:
    """The target the codes name; an unknown code is refused naming its field."""
    errors: dict[str, str] = {}
    found_district = found_community = None
    found_compounds: list[Compound] = []
    if reach == Reach.DISTRICT and district:
        found_district = District.objects.filter(code=district).first()
        if found_district is None:
            errors["district"] = _("No district has the code “%(code)s”.") % {"code": district}
    if reach == Reach.COMMUNITY and community:
        found_community = Community.objects.filter(code=community).first()
        if found_community is None:
            errors["community"] = _("No community has the code “%(code)s”.") % {"code": community}
    if reach == Reach.COMPOUNDS and compounds:
        codes = list(dict.fromkeys(compounds))
        found_compounds = list(Compound.objects.filter(code__in=codes))
        unknown = set(codes) - {compound.code for compound in found_compounds}
        if unknown:
            errors["compounds"] = _("No compound has the code: %(codes)s.") % {
                "codes": "、".join(sorted(unknown))
            }
    if errors:
        raise BadInput(errors)
    return services.Target(
        reach=reach,
        district=found_district,
        community=found_community,
        compounds=tuple(found_compounds),
    )


def _detail(user: User, article: Article) -> Article:
    row = (
        Article.objects.filter(pk=article.pk)
        .select_related("district", "community")
        .prefetch_related("images", "compounds")
        .get()
    )
    row.allowed_actions = ARTICLES.allowed(row, article_parties(user, row))  # type: ignore[attr-defined]
    return row


def _readable(user: User, article_id: int) -> Article:
    """A published article, or one the caller writes."""
    article = published_articles().filter(pk=article_id).first()
    return article if article is not None else article_for_writer(user, article_id)


# Reading -------------------------------------------------------------------------------


@router.get("/knowledge/articles", response=list[ArticleOut], summary="Power knowledge for me")
@paginate(PageNumbers)
def article_list(request: HttpRequest, filters: Query[ArticleFilters]) -> QuerySet[Article]:
    """Published articles for the caller: those for their compounds first (`for_you`), then
    the city's; `q` keeps those holding every word (title, summary or text)."""
    articles = articles_for_reader(_caller(request))
    covers = Prefetch(
        "images", queryset=ArticleImage.objects.filter(is_cover=True), to_attr="covers"
    )
    return (
        articles_found(articles, query=filters.q or "", category=filters.category or "")
        .select_related("district", "community")
        .prefetch_related("compounds", covers)
    )


@router.get(
    "/knowledge/articles/{article_id}",
    response={200: ArticleDetailOut, **ERRORS},
    summary="One article",
)
def article_get(request: HttpRequest, article_id: int) -> Any:
    """A published article (a read counts once a reader a day), or one the caller writes
    (with the `actions` they may take)."""
    user = _caller(request)
    article = _readable(user, article_id)
    if article.state == Article.State.PUBLISHED:
        services.article_read(article=article, reader=f"u{user.pk}")
    return _detail(user, article)


@router.post(
    "/knowledge/articles/{article_id}/vote",
    response={200: VoteOut, **ERRORS},
    summary="Say whether an article was useful",
)
def article_vote(request: HttpRequest, article_id: int, payload: VoteIn) -> Any:
    """Once an article and user: a second answer is refused with 409."""
    user = _caller(request)
    article = published_articles().filter(pk=article_id).first()
    if article is None:
        raise OutsideScope(_("No such article."))
    article = services.article_vote(
        article=article, voter=f"u{user.pk}", useful=payload.useful, user=user
    )
    return {
        "useful": payload.useful,
        "useful_yes": article.useful_yes,
        "useful_no": article.useful_no,
    }


# Writing -------------------------------------------------------------------------------


@router.post(
    "/knowledge/articles",
    response={201: ArticleDetailOut, **ERRORS},
    summary="Write an article (a draft)",
)
def article_create(request: HttpRequest, payload: ArticleIn) -> Any:
    """Customer managers (their compounds), supervisors (their districts) and administrators
    (anything, the whole city too) write knowledge. It is saved as a draft."""
    user = _caller(request)
    content = services.Content(
        title=payload.title,
        summary=payload.summary,
        body=payload.body,
        category=payload.category,
        target=_target(payload.reach, payload.district, payload.community, payload.compounds),
    )
    article = services.article_create(by=user, content=content, publish_at=payload.publish_at)
    return Status(201, _detail(user, article))


@router.patch(
    "/knowledge/articles/{article_id}",
    response={200: ArticleDetailOut, **ERRORS},
    summary="Change an article",
)
def article_update(request: HttpRequest, article_id: int, payload: ArticlePatch) -> Any:
    user = _caller(request)
    article = article_for_writer(user, article_id)
    given = payload.model_dump(exclude_unset=True)
    if "reach" in given:
        target = _target(
            payload.reach or Reach.ALL,
            payload.district,
            payload.community,
            payload.compounds or [],
        )
    else:
        target = services.Target(
            reach=article.reach,
            district=article.district,
            community=article.community,
            compounds=tuple(article.compounds.all()),
        )
    content = services.Content(
        title=(payload.title or "") if "title" in given else article.title,
        summary=article.summary if payload.summary is None else payload.summary,
        body=(payload.body or "") if "body" in given else article.body,
        category=payload.category or article.category,
        target=target,
    )
    publish_at = payload.publish_at if "publish_at" in given else article.publish_at
    article = services.article_update(
        article=article, by=user, content=content, publish_at=publish_at
    )
    return _detail(user, article)


@router.post(
    "/knowledge/articles/{article_id}/publish",
    response={200: ArticleDetailOut, **ERRORS},
    summary="Publish an article (or schedule it)",
)
def article_publish(request: HttpRequest, article_id: int) -> Any:
    """Published now, or scheduled when its `publish_at` lies ahead; the circles of the
    compounds it is for are told once."""
    user = _caller(request)
    article = services.article_publish(article=article_for_writer(user, article_id), by=user)
    return _detail(user, article)


@router.post(
    "/knowledge/articles/{article_id}/withdraw",
    response={200: ArticleDetailOut, **ERRORS},
    summary="Withdraw an article",
)
def article_withdraw(request: HttpRequest, article_id: int) -> Any:
    user = _caller(request)
    article = services.article_withdraw(article=article_for_writer(user, article_id), by=user)
    return _detail(user, article)


def _checked(uploads: list[UploadedFile], field: str) -> list[PhotoUpload]:
    """Each upload checked and cleaned as request photos are; any refused: none is kept."""
    cleaned: list[PhotoUpload] = []
    problems: list[str] = []
    for upload in uploads:
        name = upload.name or "image"
        if (upload.size or 0) > MAX_PHOTO_BYTES:
            # The words photo_from_bytes uses, without reading an oversize file into memory.
            problems.append(
                _("“%(name)s” is %(size)s MB; a photo may be at most %(max)s MB.")
                % {
                    "name": name,
                    "size": f"{(upload.size or 0) / 1024 / 1024:.1f}",
                    "max": MAX_PHOTO_BYTES // 1024 // 1024,
                }
            )
            continue
        try:
            cleaned.append(photo_from_bytes(upload.read(), name=name))
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise BadInput({field: problems})
    return cleaned


@router.post(
    "/knowledge/articles/{article_id}/images",
    response={201: ArticleDetailOut, **ERRORS},
    summary="Add images to an article",
)
def article_images_add(
    request: HttpRequest,
    article_id: int,
    image: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    cover: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Any:
    """multipart/form-data: images in the text in the field `image` (one or more), a new cover
    in `cover`: JPEG, PNG or WebP, at most 5 MB each, 12 besides the cover. They are checked
    and re-encoded as request photos are, so no metadata is kept. One bad file: none is
    saved. Inline images are numbered after those there: “[图N]” in the text shows image N."""
    user = _caller(request)
    article = article_for_writer(user, article_id)
    uploads = list(image or [])
    if not uploads and cover is None:
        raise invalid("image", _("Attach an image in the field “image” or “cover”."), "required")
    if len(uploads) > services.MAX_IMAGES:
        raise invalid(
            "image",
            _("An article may have at most %(n)s images besides its cover.")
            % {"n": services.MAX_IMAGES},
            "too_many",
        )
    images = _checked(uploads, "image")
    covers = _checked([cover], "cover") if cover is not None else []
    services.article_add_images(
        article=article, by=user, cover=covers[0] if covers else None, images=images
    )
    return Status(201, _detail(user, article))
