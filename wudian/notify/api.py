from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from wudian.accounts.models import User
from wudian.core.api import RowId
from wudian.notify import selectors, services
from wudian.notify.models import Message

router = Router(tags=["notify"])


def _rendered(message: Message) -> services.Rendered:
    """The message in the caller's language (Accept-Language), from its template and values."""
    cached: services.Rendered | None = getattr(message, "_rendered", None)
    if cached is None:
        try:
            cached = services.render(message.template, message.context, language=get_language())
        except services.NotifyError:
            cached = services.Rendered(title=message.template, body="")
        message._rendered = cached  # type: ignore[attr-defined]
    return cached


class MessageOut(Schema):
    id: int
    title: str
    body: str
    link: str = Field(description="The page the message is about (a path on this site), or empty")
    source: str
    urgent: bool
    created_at: datetime.datetime
    read_at: datetime.datetime | None

    @staticmethod
    def resolve_title(obj: Message) -> str:
        return _rendered(obj).title

    @staticmethod
    def resolve_body(obj: Message) -> str:
        return _rendered(obj).body

    @staticmethod
    def resolve_link(obj: Message) -> str:
        return _rendered(obj).link

    @staticmethod
    def resolve_read_at(obj: Message) -> datetime.datetime | None:
        # When the caller read it (a broadcast's own read_at is no one's).
        seen: datetime.datetime | None = getattr(obj, "seen_at", obj.read_at)
        return seen


class ReadIn(Schema):
    ids: list[RowId] | None = Field(
        None, max_length=500, description="Omit to mark every message read"
    )


class ReadOut(Schema):
    marked: int


@router.get("/me/messages", response=list[MessageOut])
@paginate
def my_messages(request: HttpRequest) -> QuerySet[Message]:
    """The caller's in-app messages, newest first."""
    user: User = request.auth  # type: ignore[attr-defined]
    return selectors.inbox_for(user)


@router.post("/me/messages/read", response=ReadOut)
def mark_read(request: HttpRequest, payload: ReadIn) -> ReadOut:
    """Mark the caller's messages read; ids of other people's messages change nothing."""
    user: User = request.auth  # type: ignore[attr-defined]
    return ReadOut(marked=services.inbox_mark_read(user=user, message_ids=payload.ids))
