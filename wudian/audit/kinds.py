"""The kinds of entries the audit log keeps, each a set of (model, actions) django-auditlog
writes. Entries about a household or a compound are seen by the supervisors of its district;
role and Open311-key entries concern no place and are seen by administrators only."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CHANGES = (LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE)
ASSIGNMENT_MODELS = ("compoundassignment", "communityassignment", "districtassignment")


class Kind(models.TextChoices):
    SPECIAL_GROUP_READ = "special_group_read", _("Special-group status read")
    SPECIAL_GROUP_CHANGE = "special_group_change", _("Special-group status changed")
    ROLE = "role", _("Roles changed")
    ASSIGNMENT = "assignment", _("Scope assignment changed")
    OPEN311_KEY = "open311_key", _("Open311 key changed")


def _model(app_label: str, *names: str) -> Q:
    return Q(content_type__app_label=app_label, content_type__model__in=names)


CONDITIONS: dict[Kind, Q] = {
    Kind.SPECIAL_GROUP_READ: _model("grid", "household") & Q(action=LogEntry.Action.ACCESS),
    Kind.SPECIAL_GROUP_CHANGE: _model("grid", "household") & Q(action__in=CHANGES),
    Kind.ROLE: _model("accounts", "user") & Q(action__in=CHANGES),
    Kind.ASSIGNMENT: _model("grid", *ASSIGNMENT_MODELS) & Q(action__in=CHANGES),
    Kind.OPEN311_KEY: _model("workorders", "open311key") & Q(action__in=CHANGES),
}


def kind_of(entry: LogEntry) -> Kind | None:
    """The kind of an entry whose content type is loaded (no query)."""
    model = (entry.content_type.app_label, entry.content_type.model)
    access = entry.action == LogEntry.Action.ACCESS
    if model == ("grid", "household"):
        return Kind.SPECIAL_GROUP_READ if access else Kind.SPECIAL_GROUP_CHANGE
    if access:
        return None
    if model == ("accounts", "user"):
        return Kind.ROLE
    if model[0] == "grid" and model[1] in ASSIGNMENT_MODELS:
        return Kind.ASSIGNMENT
    if model == ("workorders", "open311key"):
        return Kind.OPEN311_KEY
    return None
