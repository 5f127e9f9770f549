"""Reading the audit log: who may, which entries each of them sees, and how an entry reads."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.audit.kinds import CONDITIONS, Kind, kind_of
from wudian.grid.scope import Purpose, compounds_for, districts_of, households_for


def may_see_audit(user: User) -> bool:
    """Supervisors (their districts' entries) and administrators (everything)."""
    return user.is_active and (user.is_superuser or user.has_role(RoleCode.SUPERVISOR))


def entries_visible_to(user: User) -> QuerySet[LogEntry]:
    """The entries of the kinds this log keeps that the user may read, newest first. A
    supervisor sees those about the households, compounds, communities and districts they
    oversee, whenever written (a deleted assignment included); role and Open311-key entries
    concern no place and are an administrator's."""
    kept = Q()
    for condition in CONDITIONS.values():
        kept |= condition
    entries = LogEntry.objects.filter(kept).select_related("content_type", "actor")
    entries = entries.order_by("-timestamp", "-pk")
    if not may_see_audit(user):
        return entries.none()
    if user.is_superuser:
        return entries
    compounds = compounds_for(user, Purpose.OVERSEE)
    compound_ids = list(compounds.values_list("pk", flat=True))
    community_ids = list(compounds.values_list("community_id", flat=True).distinct())
    district_ids = list(districts_of(user).values_list("pk", flat=True))
    households = households_for(user, Purpose.OVERSEE).values("pk")
    about = (
        (CONDITIONS[Kind.SPECIAL_GROUP_READ] | CONDITIONS[Kind.SPECIAL_GROUP_CHANGE])
        & Q(object_id__in=households)
    ) | (
        CONDITIONS[Kind.ASSIGNMENT]
        & (
            Q(additional_data__compound__in=compound_ids)
            | Q(additional_data__community__in=community_ids)
            | Q(additional_data__district__in=district_ids)
        )
    )
    return entries.filter(about)


def entries_filtered(
    entries: QuerySet[LogEntry],
    *,
    kind: str = "",
    who: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[LogEntry]:
    """Narrowed by kind, by the person who acted (username or name) and by local date."""
    if kind in Kind.values:
        entries = entries.filter(CONDITIONS[Kind(kind)])
    if who:
        entries = entries.filter(
            Q(actor__username__iexact=who) | Q(actor__display_name__icontains=who)
        )
    if since is not None:
        entries = entries.filter(timestamp__date__gte=since)
    if until is not None:
        entries = entries.filter(timestamp__date__lte=until)
    return entries


@dataclass(frozen=True)
class Change:
    field: str
    text: str


@dataclass(frozen=True)
class EntryRow:
    entry: LogEntry
    kind: Kind | None
    changes: list[Change]


def _value(value: object) -> str:
    if value in ("True", True):
        return _("yes")
    if value in ("False", False):
        return _("no")
    if value in ("None", None, ""):
        return "—"
    return str(value)


def _changes(entry: LogEntry) -> list[Change]:
    model = entry.content_type.model_class()
    changes: list[Change] = []
    for name, values in (entry.changes_dict or {}).items():
        label = name
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                label = str(model._meta.get_field(name).verbose_name)
        if isinstance(values, dict) and values.get("type") == "m2m":
            sign = "+" if values.get("operation") == "add" else "−"
            text = f"{sign} " + "、".join(str(item) for item in values.get("objects", []))
        elif isinstance(values, list | tuple) and len(values) == 2:
            text = f"{_value(values[0])} → {_value(values[1])}"
        else:
            text = str(values)
        changes.append(Change(field=label, text=text))
    return changes


def entry_rows(entries: list[LogEntry]) -> list[EntryRow]:
    """How each entry reads on the page (no query: content types and actors are loaded)."""
    return [EntryRow(entry=e, kind=kind_of(e), changes=_changes(e)) for e in entries]
