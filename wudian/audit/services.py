"""Writing to the audit log what django-auditlog's signals cannot see: who was shown
special-group status (PIPL art. 28: every read of a special-group record is logged)."""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.cid import get_cid
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from wudian.accounts.models import User
from wudian.grid.models import Household


def special_group_reads_record(*, viewer: User, households: Iterable[Household]) -> int:
    """Log that `viewer` was shown the special-group status of `households`: one entry per
    household, written in one INSERT, whatever the page shows. Returns how many."""
    seen: dict[int, Household] = {}
    for household in households:
        seen.setdefault(household.pk, household)
    if not seen or not viewer.is_authenticated:
        return 0
    content_type = ContentType.objects.get_for_model(Household)
    now = timezone.now()
    cid = get_cid()
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=content_type,
            object_pk=str(pk),
            object_id=pk,
            object_repr=household.account_no,
            action=LogEntry.Action.ACCESS,
            actor=viewer,
            actor_email=viewer.email or None,
            timestamp=now,
            cid=cid,
        )
        for pk, household in seen.items()
    )
    return len(seen)
