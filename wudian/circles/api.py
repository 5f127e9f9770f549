"""The circles' API: my circles, a circle's feed (keyset-paged), writing a message (residents)
and publishing a post (staff). Refusals are mapped once in wudian.api (403, 404, 422)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from wudian.accounts.models import User
from wudian.circles import selectors, services
from wudian.circles.models import LINK_MAX, MESSAGE_MAX, POST_BODY_MAX, TITLE_MAX, Message, Post
from wudian.circles.policy import CIRCLE_POLICY, CircleParties
from wudian.core.api import Refusal
from wudian.core.errors import invalid
from wudian.core.privacy import mask_name

router = Router(tags=["circles"])

ERRORS: dict[int, Any] = {403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


class CircleOut(Schema):
    id: int
    name: str
    compounds: list[str] = Field(description="The names of the compounds it covers")
    latest_title: str | None = Field(None, description="Its latest post's title")
    latest_at: datetime.datetime | None = None


class CircleDetailOut(CircleOut):
    post_kinds: list[str] = Field(description="The kinds of post the caller may publish here")
    may_write: bool = Field(description="Whether the caller may write a message here now")
    staff_view: bool = Field(description="Whether the caller sees hidden items and read counts")


class CirclePostOut(Schema):
    id: int
    kind: Post.Kind
    title: str
    body: str
    link: str
    pinned: bool
    author: str = Field(description="Who posted it; empty for the station (a reminder)")
    publish_at: datetime.datetime
    published_at: datetime.datetime | None
    hidden_reason: str | None = Field(None, description="Staff only: why it is hidden")
    read_count: int | None = Field(None, description="Staff only: members who opened it")


class CircleReplyOut(Schema):
    id: int
    author: str = Field(description="The author: staff by name; residents masked to residents")
    author_is_staff: bool
    body: str
    created_at: datetime.datetime
    hidden_reason: str | None = Field(None, description="Staff only: why it is hidden")


class CircleMessageOut(CircleReplyOut):
    workorder_id: int | None = Field(None, description="The request it became, if any")
    replies: list[CircleReplyOut] = []


class CircleFeedItemOut(Schema):
    type: str = Field(description="`post` or `message`")
    at: datetime.datetime
    post: CirclePostOut | None = None
    message: CircleMessageOut | None = None


class CircleFeedOut(Schema):
    pinned: list[CirclePostOut] = Field(description="Pinned posts (the first page only)")
    items: list[CircleFeedItemOut]
    next: str | None = Field(description="Pass as `before` for the next, older page")


class CircleFeedQuery(Schema):
    before: str = Field("", max_length=80, description="The `next` of the previous page")


class CircleMessageIn(Schema):
    body: str = Field(min_length=1, max_length=MESSAGE_MAX)


class CirclePostIn(Schema):
    kind: Post.Kind
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=POST_BODY_MAX)
    link: str = Field("", max_length=LINK_MAX)
    pinned: bool = False
    publish_at: datetime.datetime | None = Field(
        None, description="With a time zone; omit to publish now"
    )


def _post_out(post: Post, *, staff: bool) -> CirclePostOut:
    return CirclePostOut(
        id=post.pk,
        kind=Post.Kind(post.kind),
        title=post.title,
        body=post.body,
        link=post.link,
        pinned=post.pinned,
        author=str(post.author) if post.author else "",
        publish_at=post.publish_at,
        published_at=post.published_at,
        hidden_reason=post.hidden_reason if staff and post.hidden_at else None,
        read_count=getattr(post, "read_count", None) if staff else None,
    )


def _author(message: Message, *, staff: bool, staff_ids: set[int], viewer: User) -> str:
    author = message.author
    if staff or author.pk in staff_ids or author.pk == viewer.pk:
        return str(author)
    return mask_name(author.display_name) or _("Resident")


def _reply_out(
    message: Message, *, staff: bool, staff_ids: set[int], viewer: User
) -> CircleReplyOut:
    return CircleReplyOut(
        id=message.pk,
        author=_author(message, staff=staff, staff_ids=staff_ids, viewer=viewer),
        author_is_staff=message.author_id in staff_ids,
        body=message.body,
        created_at=message.created_at,
        hidden_reason=message.hidden_reason if staff and message.hidden_at else None,
    )


def _message_out(
    message: Message,
    *,
    staff: bool,
    staff_ids: set[int],
    viewer: User,
    replies: list[Message] | None = None,
) -> CircleMessageOut:
    workorder = selectors.request_of(message)
    return CircleMessageOut(
        **_reply_out(message, staff=staff, staff_ids=staff_ids, viewer=viewer).model_dump(),
        workorder_id=workorder.pk if workorder else None,
        replies=[
            _reply_out(reply, staff=staff, staff_ids=staff_ids, viewer=viewer)
            for reply in replies or []
        ],
    )


@router.get("/circles", response=list[CircleOut], summary="My circles")
def circle_list(request: HttpRequest) -> list[CircleOut]:
    """The circles the caller sees: a resident those of their homes' compounds; staff those
    of the compounds they serve; supervisors those they oversee. One query for the circles
    and one for their compounds."""
    circles = list(selectors.circle_rows(_caller(request)))
    names = selectors.compound_names_of([circle.pk for circle in circles])
    return [
        CircleOut(
            id=circle.pk,
            name=circle.name,
            compounds=names.get(circle.pk, []),
            latest_title=circle.latest_title,  # type: ignore[attr-defined]
            latest_at=circle.latest_at,  # type: ignore[attr-defined]
        )
        for circle in circles
    ]


@router.get(
    "/circles/{circle_id}",
    response={200: CircleDetailOut, 404: Refusal},
    summary="One circle and what I may do there",
)
def circle_detail(request: HttpRequest, circle_id: int) -> CircleDetailOut:
    user = _caller(request)
    circle = selectors.circle_for(user, circle_id)
    parties = CircleParties(user, circle)
    return CircleDetailOut(
        id=circle.pk,
        name=circle.name,
        compounds=selectors.compound_names(circle),
        latest_title=None,
        latest_at=None,
        post_kinds=[
            kind
            for kind in Post.Kind.values
            if CIRCLE_POLICY.allows(f"post_{kind}", circle, parties)
        ],
        may_write=CIRCLE_POLICY.allows("write", circle, parties),
        staff_view="server" in parties or selectors.oversees(user, circle),
    )


@router.get(
    "/circles/{circle_id}/feed",
    response={200: CircleFeedOut, 404: Refusal, 422: Refusal},
    summary="A circle's posts and messages, newest first",
)
def circle_feed(
    request: HttpRequest, circle_id: int, query: Query[CircleFeedQuery]
) -> CircleFeedOut:
    """Twenty items a page: published posts and residents' messages with their replies;
    the first page also lists the pinned posts. Reading a page records the caller's reads of
    the posts on it."""
    user = _caller(request)
    circle = selectors.circle_for(user, circle_id)
    parties = CircleParties(user, circle)
    staff = "server" in parties or selectors.oversees(user, circle)
    cursor = selectors.Cursor.parse(query.before) if query.before else None
    if query.before and cursor is None:
        raise invalid("before", _("This page marker cannot be read."), "before")
    feed = selectors.circle_feed(circle, staff=staff, cursor=cursor)
    pinned = selectors.pinned_posts(circle, staff=staff) if cursor is None else []
    posts = pinned + [item.post for item in feed.items if item.post is not None]
    services.posts_read_record(user=user, posts=posts)
    authors = {item.message.author_id for item in feed.items if item.message is not None}
    authors |= {reply.author_id for item in feed.items for reply in item.replies}
    staff_ids = selectors.staff_among(authors)
    items = [
        CircleFeedItemOut(
            type="post" if item.post else "message",
            at=item.at,
            post=_post_out(item.post, staff=staff) if item.post else None,
            message=_message_out(
                item.message, staff=staff, staff_ids=staff_ids, viewer=user, replies=item.replies
            )
            if item.message
            else None,
        )
        for item in feed.items
    ]
    return CircleFeedOut(
        pinned=[_post_out(post, staff=staff) for post in pinned],
        items=items,
        next=feed.next_cursor.text() if feed.next_cursor else None,
    )


@router.post(
    "/circles/{circle_id}/messages",
    response={201: CircleMessageOut, **ERRORS, 429: Refusal},
    summary="Write a message to a circle (residents)",
    description="A resident writes at most `WUDIAN_CIRCLE_WORDS_PER_HOUR` messages and replies "
    "an hour (429 with Retry-After beyond).",
)
def message_write(request: HttpRequest, circle_id: int, payload: CircleMessageIn) -> Any:
    """A resident of one of the circle's compounds writes to it; a muted resident is refused
    (403) until the mute ends."""
    user = _caller(request)
    circle = selectors.circle_for(user, circle_id)
    message = services.message_write(circle=circle, by=user, body=payload.body)
    return Status(201, _message_out(message, staff=False, staff_ids=set(), viewer=user))


@router.post(
    "/circles/{circle_id}/posts",
    response={201: CirclePostOut, **ERRORS},
    summary="Publish a post to a circle (staff)",
)
def post_create(request: HttpRequest, circle_id: int, payload: CirclePostIn) -> Any:
    """Staff serving the circle post outage, knowledge, safety and general news; civic
    posts are the grid administrators' and customer managers'. With `publish_at` in the
    future the post waits for its time."""
    user = _caller(request)
    circle = selectors.circle_for(user, circle_id)
    [post] = services.post_publish(
        author=user,
        circles=[circle],
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        link=payload.link,
        pinned=payload.pinned,
        publish_at=payload.publish_at,
    )
    return Status(201, _post_out(post, staff=True))
