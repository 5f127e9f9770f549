"""The steps of a published outage (and of a draft, for change and cancel): postpone,
change, cancel, update the restoration estimate, restore. Each locks the outage, is allowed
by the policy in its current state, records its event and tells everyone concerned."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.core.errors import BadInput, invalid
from wudian.grid.models import Household
from wudian.outages.models import AffectedHousehold, Outage, OutageEvent
from wudian.outages.policy import check_may_publish
from wudian.outages.services.checks import (
    MAX_NOTE,
    check_arrears_reminded,
    check_aware,
    check_horizon,
    check_kind_scope,
    check_no_control,
    check_notice,
    check_overlap,
    check_text,
    check_times,
    local_text,
)
from wudian.outages.services.notifications import _notify
from wudian.outages.services.resolution import SCOPE_FIELDS, Scope, scope_of
from wudian.outages.services.rows import acting_on, affect, record_event, stamp

CHANGEABLE_FIELDS = frozenset(
    {"title", "reason", "start", "end", "estimated_restoration", "override_reason", *SCOPE_FIELDS}
)


def outage_postpone(
    *,
    outage: Outage,
    by: User,
    start: datetime.datetime,
    end: datetime.datetime,
    note: str,
) -> Outage:
    """Move a published outage later. The residents were told of the earlier date, so the
    notice period is already served."""
    note = check_text("note", note, MAX_NOTE)
    check_times(start, end)
    check_horizon(start=start, end=end)
    with transaction.atomic():
        locked = acting_on(outage, "postpone", by)
        if start == locked.start and end == locked.end:
            # Told again, residents would read a postponement where nothing moved.
            raise invalid(
                "start",
                _("The outage already has these times: there is nothing to postpone."),
                "unchanged",
            )
        if start < locked.start:
            raise invalid(
                "start",
                _("A postponement moves the outage later; to bring it forward, change it."),
                "earlier",
            )
        check_overlap(
            households=Household.objects.filter(affected_by__outage=locked),
            start=start,
            end=end,
            exclude=locked,
        )
        before = {"start": locked.start.isoformat(), "end": locked.end.isoformat()}
        locked.start, locked.end = start, end
        if locked.estimated_restoration is not None and locked.estimated_restoration <= start:
            locked.estimated_restoration = end
        locked.state = Outage.State.POSTPONED
        locked.sequence += 1
        locked.save(
            update_fields=[
                "start",
                "end",
                "estimated_restoration",
                "state",
                "sequence",
                "updated_at",
            ]
        )
        event = record_event(locked, OutageEvent.Kind.POSTPONED, by, note, before=before)
        _notify(
            locked,
            event,
            previous_start_text=local_text(datetime.datetime.fromisoformat(before["start"])),
            previous_end_text=local_text(datetime.datetime.fromisoformat(before["end"])),
        )
    return locked


def outage_change(*, outage: Outage, by: User, note: str, **fields: Any) -> Outage:
    """Change a draft (quietly) or a published outage (everyone notified): title, reason,
    start, end, estimated_restoration and the scope (station_areas, compounds, buildings,
    feeders). A changed scope is resolved again; households that drop out are told so.
    Bringing the start forward must respect the notice period (override_reason as at
    publishing)."""
    unknown = set(fields) - CHANGEABLE_FIELDS
    if unknown:
        raise BadInput(
            _("These cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    override_reason = fields.pop("override_reason", "") or ""
    with transaction.atomic():
        locked = acting_on(outage, "change", by)
        is_draft = locked.state == Outage.State.DRAFT
        if not is_draft:
            note = check_text("note", note, MAX_NOTE)
        changed: dict[str, Any] = {}
        for name in ("title", "reason"):
            if fields.get(name) is not None:
                value = check_text(name, fields[name], 120 if name == "title" else 2000)
                if value != getattr(locked, name):
                    changed[name] = value
        for name in ("start", "end", "estimated_restoration"):
            if fields.get(name) is not None and fields[name] != getattr(locked, name):
                changed[name] = fields[name]
        check_horizon(
            **{
                name: changed[name]
                for name in ("start", "end", "estimated_restoration")
                if name in changed
            }
        )
        start = changed.get("start", locked.start)
        end = changed.get("end", locked.end)
        check_times(start, end, changed.get("estimated_restoration", locked.estimated_restoration))

        old_scope = scope_of(locked)
        scope_given = any(fields.get(name) is not None for name in SCOPE_FIELDS)
        scope = old_scope
        if scope_given:

            def given(name: str, current: list[Any]) -> Any:
                return current if fields.get(name) is None else fields[name]

            scope = Scope(
                station_areas=given("station_areas", old_scope.station_areas),
                compounds=given("compounds", old_scope.compounds),
                buildings=given("buildings", old_scope.buildings),
                feeders=given("feeders", old_scope.feeders),
                household=old_scope.household,
            )
            check_kind_scope(locked.kind, scope)
            check_may_publish(by, scope.compound_ids())
            if scope.key() != old_scope.key():
                changed["scope"] = scope.key()
        if not changed:
            raise BadInput(_("Nothing to change."))

        override = None
        if not is_draft and "start" in changed and changed["start"] < locked.start:
            if locked.kind == Outage.Kind.ARREARS and scope.household is not None:
                check_arrears_reminded(household=scope.household, start=changed["start"])
            override = check_notice(
                kind=locked.kind,
                start=changed["start"],
                by=by,
                override_reason=override_reason,
                compound_ids=scope.compound_ids(),
            )
        if not is_draft:
            check_overlap(households=scope.households(), start=start, end=end, exclude=locked)

        before = {name: _jsonable(getattr(locked, name)) for name in changed if name != "scope"}
        if "scope" in changed:
            before["scope"] = old_scope.key()
        update_fields = ["updated_at"]
        for name, value in changed.items():
            if name != "scope":
                setattr(locked, name, value)
                update_fields.append(name)
        if "scope" in changed:
            scope.save_to(locked)
        if override is not None:
            locked.lead_time_override_reason = override[1]
            locked.lead_time_overridden_by = by
            update_fields += ["lead_time_override_reason", "lead_time_overridden_by"]
        if is_draft:
            locked.save(update_fields=update_fields)
            return locked

        locked.state = Outage.State.CHANGED
        locked.sequence += 1
        locked.save(update_fields=[*update_fields, "state", "sequence"])
        removed: list[int] = []
        if "scope" in changed:
            old_ids = set(
                AffectedHousehold.objects.filter(outage=locked).values_list(
                    "household_id", flat=True
                )
            )
            new_ids = set(scope.households().values_list("pk", flat=True))
            removed = sorted(old_ids - new_ids)
            affect(locked, sorted(new_ids - old_ids))
        data: dict[str, Any] = {"before": before, "changed": sorted(changed)}
        if override is not None:
            data["override"] = {"rule": override[0], "reason": override[1]}
        event = record_event(locked, OutageEvent.Kind.CHANGED, by, note, **data)
        if removed:
            # Told before their rows go, so that the outage's compounds still include theirs.
            _notify(
                locked,
                event,
                households=Household.objects.filter(pk__in=removed),
                key_suffix=":removed",
                no_longer_affected=True,
                changed=sorted(changed),
            )
            AffectedHousehold.objects.filter(outage=locked, household_id__in=removed).delete()
        _notify(locked, event, no_longer_affected=False, changed=sorted(changed))
    return locked


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def outage_cancel(*, outage: Outage, by: User, note: str) -> Outage:
    """Cancel a draft (nobody was told) or a published outage (everyone is told)."""
    note = check_text("note", note, MAX_NOTE)
    with transaction.atomic():
        locked = acting_on(outage, "cancel", by)
        was_draft = locked.state == Outage.State.DRAFT
        locked.state = Outage.State.CANCELLED
        locked.cancelled_at = timezone.now()
        fields = ["state", "cancelled_at", "updated_at"]
        if not was_draft:
            locked.sequence += 1
            fields.append("sequence")
        locked.save(update_fields=fields)
        event = record_event(locked, OutageEvent.Kind.CANCELLED, by, note)
        if not was_draft:
            _notify(locked, event)
    return locked


def outage_update_estimate(
    *, outage: Outage, by: User, estimated_restoration: datetime.datetime, note: str = ""
) -> Outage:
    """A new estimate of when power returns from a fault, told to everyone."""
    if len(note) > MAX_NOTE:
        raise invalid(
            "note", _("At most %(count)d characters.") % {"count": MAX_NOTE}, "max_length"
        )
    check_no_control("note", note)
    check_horizon(estimated_restoration=estimated_restoration)
    with transaction.atomic():
        locked = acting_on(outage, "estimate", by)
        if estimated_restoration <= locked.start:
            raise invalid(
                "estimated_restoration",
                _("The estimated restoration must be after the start."),
                "order",
            )
        before = _jsonable(locked.estimated_restoration)
        locked.estimated_restoration = estimated_restoration
        fields = ["estimated_restoration", "sequence", "updated_at"]
        if estimated_restoration > locked.end:
            # The notice's end follows the estimate so calendars show the longer outage.
            locked.end = estimated_restoration
            fields.append("end")
        locked.sequence += 1
        locked.save(update_fields=fields)
        event = record_event(
            locked,
            OutageEvent.Kind.ESTIMATE_UPDATED,
            by,
            note.strip(),
            before=before,
            after=estimated_restoration.isoformat(),
        )
        _notify(locked, event)
    return locked


def outage_restore(
    *,
    outage: Outage,
    by: User,
    at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Outage:
    """Power is back (送电) at `at`: close the outage and tell everyone. `now` is when this is
    recorded (the clock's time unless a restoration of the past is recorded at its own time);
    `at` defaults to it and may not lie after it."""
    given = now
    now = now or timezone.now()
    at = at or now
    check_aware(at)
    if at > now + datetime.timedelta(minutes=5):
        raise invalid("at", _("Power cannot be restored in the future."), "future")
    with transaction.atomic():
        locked = acting_on(outage, "restore", by)
        if at < locked.start:
            raise invalid("at", _("Power cannot be restored before the outage starts."), "early")
        locked.state = Outage.State.RESTORED
        locked.restored_at = at
        locked.sequence += 1
        locked.save(update_fields=["state", "restored_at", "sequence", "updated_at"])
        stamp(locked, given)
        event = record_event(locked, OutageEvent.Kind.RESTORED, by, now=given, at=at.isoformat())
        _notify(locked, event, now=given)
    return locked
