"""The join link of a compound's window and poster: /join/<token>/, the compound's code signed
with the time it was made (django.core.signing), valid for settings.JOIN_LINK_DAYS from then.
Nothing is stored: a poster printed today carries a link that works until the date printed
on it, and rotating SECRET_KEY (or the salt) withdraws every link printed before."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from wudian.grid.models import Compound

SALT = "wudian.joining.join-link"
# Dots never occur in a signature's base64 nor in a compound's code: the token reads well in
# a URL and on paper.
SEPARATOR = "."


def _signer() -> signing.Signer:
    # A plain signer over "code.time": the time is ours (an injectable now), and reading the
    # link back needs it, which TimestampSigner.unsign does not return.
    return signing.Signer(salt=SALT, sep=SEPARATOR)


def link_days() -> int:
    return int(settings.JOIN_LINK_DAYS)


@dataclass(frozen=True)
class JoinLink:
    compound: Compound
    token: str
    expires: datetime.datetime

    @property
    def path(self) -> str:
        return reverse("joining:join_link", args=[self.token])

    @property
    def url(self) -> str:
        """The absolute link, on the site's public origin (never a request's Host)."""
        return settings.PUBLIC_URL + self.path


def join_link(compound: Compound, *, now: datetime.datetime | None = None) -> JoinLink:
    """A new join link for the compound, made now."""
    now = now or timezone.now()
    signer = _signer()
    timestamp = signing.b62_encode(int(now.timestamp()))
    value = f"{compound.code}{SEPARATOR}{timestamp}"
    token = f"{value}{SEPARATOR}{signer.signature(value)}"
    return JoinLink(
        compound=compound,
        token=token,
        expires=now + datetime.timedelta(days=link_days()),
    )


class LinkExpired(Exception):
    """A genuine link past its date; `compound` is the one it was made for (or None if it
    was deleted since)."""

    def __init__(self, compound: Compound | None) -> None:
        super().__init__("expired")
        self.compound = compound


class LinkInvalid(Exception):
    """Not a link this site made (mistyped, cut short, altered)."""


def join_link_compound(token: str, *, now: datetime.datetime | None = None) -> Compound:
    """The compound of a join link. Raises LinkExpired or LinkInvalid."""
    signer = _signer()
    if len(token) > 200:
        raise LinkInvalid
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        raise LinkInvalid from None
    code, _sep, timestamp = value.rpartition(SEPARATOR)
    try:
        made = datetime.datetime.fromtimestamp(signing.b62_decode(timestamp), tz=datetime.UTC)
    except (ValueError, OverflowError):
        raise LinkInvalid from None
    compound = Compound.objects.select_related("community").filter(code=code).first()
    now = now or timezone.now()
    if made + datetime.timedelta(days=link_days()) < now:
        raise LinkExpired(compound)
    if compound is None:
        raise LinkInvalid
    return compound
