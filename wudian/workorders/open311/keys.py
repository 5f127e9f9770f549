"""Open311 API keys, issued in the admin to an organisation for the compounds it may file for:
the key itself is shown once, only its digest kept."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from django.utils import timezone

from wudian.accounts.models import User
from wudian.grid.models import Compound
from wudian.workorders.models import Open311Key


def open311_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open311_key_issue(
    *,
    name: str,
    organisation: str = "",
    compounds: Iterable[Compound] = (),
    account: User | None = None,
    key: str | None = None,
) -> tuple[Open311Key, str]:
    """A new Open311 API key for an organisation and the compounds it may file for; the key
    itself is returned once and only its digest is kept."""
    key = key or f"o311_{secrets.token_urlsafe(24)}"
    item, _created = Open311Key.objects.update_or_create(
        digest=open311_key_digest(key),
        defaults={
            "name": name,
            "organisation": organisation,
            "prefix": key[:8],
            "account": account,
            "active": True,
        },
    )
    item.compounds.set(compounds)
    return item, key


def open311_key_check(key: str) -> Open311Key | None:
    if not key:
        return None
    item = Open311Key.objects.filter(digest=open311_key_digest(key), active=True).first()
    if item is not None:
        Open311Key.objects.filter(pk=item.pk).update(last_used_at=timezone.now())
    return item
