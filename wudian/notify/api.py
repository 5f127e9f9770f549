from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from wudian.accounts.models import User
from wudian.core.api import RowId
from wudian.notify import selectors, services
from wudian.notify.models import Message

router = Router(tags=["notify"])


def _rendered(message: Message) -> tuple[str, str]:
    cached: tuple[str, str] | None = getattr(message, "_rendered", None)
    if cached is None:
        try:
            cached = services.render_message(message.template, message.context)
        except services.NotifyError:
            cached = (message.template, "")
        message._rendered = cached  # type: ignore[attr-defined]
    return cached


class MessageOut(Schema):
    id: int
    title: str
    body: str
    source: str
    urgent: bool
    created_at: datetime.datetime
    read_at: datetime.datetime | None

    @staticmethod
    def resolve_title(obj: Message) -> str:
        return _rendered(obj)[0]

    @staticmethod
    def resolve_body(obj: Message) -> str:
        return _rendered(obj)[1]


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
