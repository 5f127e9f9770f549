"""Writes of outages: create, publish, postpone, change, cancel, update the restoration
estimate, restore, and the residents' acknowledgement. Every step is one transaction that
records an OutageEvent and writes its notifications to the outbox; the outage's policy
(wudian.outages.policy) says which step is allowed in which state, and to whom.

By what they do: publishing and lifecycle (the staff's steps), acknowledgement (the
residents'), resolution (a scope from codes to rows), checks (times, texts, notice periods,
overlaps), notifications (the outbox rows of a step), rows (locking, events, affected
households)."""

from wudian.outages.services.acknowledgement import outage_acknowledge
from wudian.outages.services.checks import (
    MAX_NOTE,
    MAX_OVERRIDE_REASON,
    NOTICE_RULES,
    NoticePeriod,
    OutageConflictError,
    OutageRuleError,
    notice_period,
)
from wudian.outages.services.lifecycle import (
    CHANGEABLE_FIELDS,
    outage_cancel,
    outage_change,
    outage_postpone,
    outage_restore,
    outage_update_estimate,
)
from wudian.outages.services.notifications import TEMPLATES
from wudian.outages.services.publishing import outage_create, outage_publish

__all__ = [
    "CHANGEABLE_FIELDS",
    "MAX_NOTE",
    "MAX_OVERRIDE_REASON",
    "NOTICE_RULES",
    "TEMPLATES",
    "NoticePeriod",
    "OutageConflictError",
    "OutageRuleError",
    "notice_period",
    "outage_acknowledge",
    "outage_cancel",
    "outage_change",
    "outage_create",
    "outage_postpone",
    "outage_publish",
    "outage_restore",
    "outage_update_estimate",
]
