"""Writes of outages: create, publish, postpone, change, cancel, update the restoration
estimate, restore, and the residents' acknowledgement. Every step is one transaction that
records an OutageEvent and writes its notifications to the outbox."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.core.rules import RULES, rule_value
from wudian.grid.models import (
    Building,
    Compound,
    Feeder,
    Household,
    StationArea,
)
from wudian.grid.scope import Purpose, compounds_outside, reaches_household
from wudian.outages.models import AffectedHousehold, Outage, OutageEvent
from wudian.outages.selectors import (
    outage_compounds,
    outage_scope_households,
    outage_source,
    outage_staff_users,
)

MAX_OVERRIDE_REASON = 2000
MAX_NOTE = 2000


class OutageRuleError(ValidationError):
    """A notice that breaks a service rule (the notice period); the message names the rule
    and `rule` holds its key."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message, code="rule")
        self.rule = rule


class OutageConflictError(ValidationError):
    """Another live outage already covers part of the scope at an overlapping time."""

    def __init__(self, message: str, *, other: Outage) -> None:
        super().__init__(message, code="overlap")
        self.other = other


NOTICE_RULES = {
    Outage.Kind.PLANNED: "outage.planned.notice_days",
    Outage.Kind.TEMPORARY: "outage.temporary.notice_hours",
    Outage.Kind.ARREARS: "outage.arrears.notice_days",
}

TEMPLATES = {
    OutageEvent.Kind.PUBLISHED: "outage_published",
    OutageEvent.Kind.POSTPONED: "outage_postponed",
    OutageEvent.Kind.CHANGED: "outage_changed",
    OutageEvent.Kind.CANCELLED: "outage_cancelled",
    OutageEvent.Kind.ESTIMATE_UPDATED: "outage_estimate",
    OutageEvent.Kind.RESTORED: "outage_restored",
}

SCOPE_FIELDS = ("station_areas", "compounds", "buildings", "feeders")
CHANGEABLE_FIELDS = frozenset(
    {"title", "reason", "start", "end", "estimated_restoration", "override_reason", *SCOPE_FIELDS}
)


# Who may do what ------------------------------------------------------------------------


def user_may_manage_outages(user: User) -> bool:
    return user.is_superuser or (
        user.is_active and user.has_role(RoleCode.CUSTOMER_MANAGER, RoleCode.SUPERVISOR)
    )


def _may_override(user: User, compound_ids: set[int]) -> bool:
    return not compounds_outside(user, Purpose.OVERRIDE_NOTICE, compound_ids)


def _check_compounds_allowed(user: User, compound_ids: set[int]) -> None:
    if not user_may_manage_outages(user):
        raise PermissionDenied(
            _("Only customer managers, supervisors and administrators may publish outages.")
        )
    outside = compounds_outside(user, Purpose.PUBLISH_OUTAGES, compound_ids)
    if outside:
        names = (
            Compound.objects.filter(pk__in=outside).order_by("code").values_list("name", flat=True)
        )
        raise PermissionDenied(
            _("This outage reaches compounds outside your scope: %(names)s.")
            % {"names": "、".join(names)}
        )


# Scope -----------------------------------------------------------------------------------


M = TypeVar("M", bound=models.Model)


def _resolve(model: type[M], items: Iterable[Any], unknown: list[str]) -> list[M]:
    """Instances as they are; codes looked up, the unknown ones collected."""
    found: list[M] = []
    codes: list[str] = []
    for item in items or ():
        if isinstance(item, str):
            codes.append(item.strip())
        else:
            found.append(item)
    if codes:
        rows = model._default_manager.filter(code__in=codes)
        by_code = {obj.code: obj for obj in rows}  # type: ignore[attr-defined]
        for code in dict.fromkeys(codes):
            if code in by_code:
                found.append(by_code[code])
            else:
                unknown.append(code)
    return list({obj.pk: obj for obj in found}.values())


class _Scope:
    def __init__(
        self,
        *,
        station_areas: Iterable[Any],
        compounds: Iterable[Any],
        buildings: Iterable[Any],
        feeders: Iterable[Any],
        household: Household | str | None,
    ) -> None:
        unknown: dict[str, list[str]] = {name: [] for name in (*SCOPE_FIELDS, "household")}
        self.station_areas = _resolve(StationArea, station_areas, unknown["station_areas"])
        self.compounds = _resolve(Compound, compounds, unknown["compounds"])
        self.buildings = _resolve(Building, buildings, unknown["buildings"])
        self.feeders = _resolve(Feeder, feeders, unknown["feeders"])
        self.household: Household | None = None
        if isinstance(household, str):
            self.household = Household.objects.filter(account_no=household.strip()).first()
            if self.household is None:
                unknown["household"].append(household)
        else:
            self.household = household
        labels = {
            "station_areas": _("Unknown station areas: %(codes)s."),
            "compounds": _("Unknown compounds: %(codes)s."),
            "buildings": _("Unknown buildings: %(codes)s."),
            "feeders": _("Unknown feeders: %(codes)s."),
            "household": _("Unknown account number: %(codes)s."),
        }
        errors = {
            name: labels[name] % {"codes": ", ".join(codes)}
            for name, codes in unknown.items()
            if codes
        }
        if errors:
            raise ValidationError(errors)

    @property
    def is_empty(self) -> bool:
        return not (
            self.station_areas or self.compounds or self.buildings or self.feeders or self.household
        )

    def households(self) -> QuerySet[Household]:
        return outage_scope_households(
            station_areas=self.station_areas,
            compounds=self.compounds,
            buildings=self.buildings,
            feeders=self.feeders,
            household=self.household,
        )

    def compound_ids(self) -> set[int]:
        """Every compound the scope reaches, for the permission check."""
        ids = {c.pk for c in self.compounds}
        ids |= {b.compound_id for b in self.buildings}
        area_ids = [a.pk for a in self.station_areas]
        feeder_ids = [f.pk for f in self.feeders]
        if area_ids or feeder_ids:
            ids |= set(
                Compound.objects.filter(
                    Q(station_areas__in=area_ids) | Q(station_areas__feeder__in=feeder_ids)
                ).values_list("pk", flat=True)
            )
        ids |= set(
            self.households().values_list("building__compound_id", flat=True).order_by().distinct()
        )
        return ids

    def save_to(self, outage: Outage) -> None:
        outage.station_areas.set(self.station_areas)
        outage.compounds.set(self.compounds)
        outage.buildings.set(self.buildings)
        outage.feeders.set(self.feeders)


def _scope_of(outage: Outage) -> _Scope:
    household = None
    if outage.kind == Outage.Kind.ARREARS:
        household = outage.households.first()
    return _Scope(
        station_areas=outage.station_areas.all(),
        compounds=outage.compounds.all(),
        buildings=outage.buildings.all(),
        feeders=outage.feeders.all(),
        household=household,
    )


# Checks ----------------------------------------------------------------------------------


def _check_times(
    start: datetime.datetime,
    end: datetime.datetime,
    estimated_restoration: datetime.datetime | None = None,
) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError(_("Start and end must carry a time zone."))
    if end <= start:
        raise ValidationError({"end": _("The outage must end after it starts.")})
    if estimated_restoration is not None and estimated_restoration <= start:
        raise ValidationError(
            {"estimated_restoration": _("The estimated restoration must be after the start.")}
        )


def _check_kind_scope(kind: str, scope: _Scope) -> None:
    if kind not in Outage.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of outage: %(kind)s.") % {"kind": kind}})
    if kind == Outage.Kind.ARREARS:
        if scope.household is None or not (
            scope.station_areas == scope.compounds == scope.buildings == scope.feeders == []
        ):
            raise ValidationError(
                _("An arrears disconnection concerns exactly one household and nothing else.")
            )
    elif scope.household is not None:
        raise ValidationError(_("Only an arrears disconnection names a single household."))
    if scope.is_empty:
        raise ValidationError(
            _("Say where the power goes off: feeders, station areas, buildings or compounds.")
        )


def _notice_required(kind: str) -> tuple[str, datetime.timedelta] | None:
    key = NOTICE_RULES.get(kind)  # type: ignore[call-overload]
    if key is None:
        return None
    value = rule_value(key)
    unit = datetime.timedelta(hours=1) if key.endswith("_hours") else datetime.timedelta(days=1)
    return key, unit * float(value)


def _format_number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _rule_message(kind: str, key: str, left: datetime.timedelta) -> str:
    rule = RULES[key]
    params = {"value": _format_number(rule_value(key)), "source": rule.source}
    if kind == Outage.Kind.PLANNED:
        text = _(
            "A planned maintenance outage must be announced at least %(value)s days ahead "
            "(%(source)s)"
        )
    elif kind == Outage.Kind.TEMPORARY:
        text = _(
            "A temporary maintenance outage must be announced at least %(value)s hours ahead "
            "(%(source)s)"
        )
    else:
        text = _(
            "An arrears disconnection must be announced at least %(value)s days ahead (%(source)s)"
        )
    hours = int(left.total_seconds() // 3600)
    if left.total_seconds() <= 0:
        detail = _("this outage has already started")
    else:
        detail = _("this outage starts in %(hours)d hours") % {"hours": hours}
    return _("%(rule)s: %(detail)s.") % {"rule": text % params, "detail": detail}


def _check_notice(
    *,
    kind: str,
    start: datetime.datetime,
    by: User,
    override_reason: str,
    compound_ids: set[int],
) -> tuple[str, str] | None:
    """Refuse a notice shorter than the rule allows, unless a supervisor overrides it with a
    reason. Returns (rule key, reason) when the override was used."""
    required = _notice_required(kind)
    if required is None:
        return None
    key, period = required
    left = start - timezone.now()
    if left >= period:
        return None
    message = _rule_message(kind, key, left)
    override_reason = override_reason.strip()
    if not override_reason:
        raise OutageRuleError(
            message + " " + _("A supervisor may override the notice period, giving a reason."),
            rule=key,
        )
    if len(override_reason) > MAX_OVERRIDE_REASON:
        raise ValidationError({"override_reason": _("The reason is too long.")})
    if not _may_override(by, compound_ids):
        raise OutageRuleError(
            message + " " + _("Only a supervisor in charge of these compounds may override it."),
            rule=key,
        )
    return key, override_reason


def _check_overlap(
    *,
    households: QuerySet[Household],
    start: datetime.datetime,
    end: datetime.datetime,
    exclude: Outage | None = None,
) -> None:
    clash = AffectedHousehold.objects.filter(
        outage__state__in=Outage.LIVE_STATES,
        outage__start__lt=end,
        outage__end__gt=start,
        household__in=households.values("pk"),
    )
    if exclude is not None:
        clash = clash.exclude(outage=exclude)
    other_id = clash.values_list("outage_id", flat=True).first()
    if other_id is not None:
        other = Outage.objects.get(pk=other_id)
        raise OutageConflictError(
            _(
                "Another outage already covers part of this area at an overlapping time: "
                "“%(title)s” (no. %(id)d, %(start)s – %(end)s). Change or cancel that one first."
            )
            % {
                "title": other.title,
                "id": other.pk,
                "start": _local_text(other.start),
                "end": _local_text(other.end),
            },
            other=other,
        )


def _check_text(name: str, value: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({name: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError({name: _("At most %(count)d characters.") % {"count": max_length}})
    return value


def _local_text(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


# Notifications ---------------------------------------------------------------------------


def _context(outage: Outage, **extra: Any) -> dict[str, Any]:
    compounds = list(outage_compounds(outage).order_by("code").values_list("code", "name"))
    buildings = list(outage.buildings.order_by("code").values_list("name", flat=True))
    return {
        "outage_id": outage.pk,
        "kind": outage.kind,
        "title": outage.title,
        "reason": outage.reason,
        "start": outage.start.isoformat(),
        "end": outage.end.isoformat(),
        "start_text": _local_text(outage.start),
        "end_text": _local_text(outage.end),
        "estimated_restoration": (
            outage.estimated_restoration.isoformat() if outage.estimated_restoration else None
        ),
        "estimated_restoration_text": _local_text(outage.estimated_restoration),
        "restored_at_text": _local_text(outage.restored_at),
        "sequence": outage.sequence,
        "compounds": [name for _code, name in compounds],
        "compound_codes": [code for code, _name in compounds],
        "buildings": buildings,
        "url": f"/c/{compounds[0][0]}/" if compounds else "",
        **extra,
    }


def _notify(
    outage: Outage,
    event: OutageEvent,
    *,
    households: QuerySet[Household] | None = None,
    template: str | None = None,
    key_suffix: str = "",
    **extra: Any,
) -> int:
    """Write the event's messages to the outbox in this transaction: the affected
    households, the staff of the compounds reached, and the compounds' circles."""
    from wudian.notify.services import Audience, notify_publish

    if households is None:
        households = Household.objects.filter(affected_by__outage=outage)
    audience = Audience(
        users=list(outage_staff_users(outage)),
        households=households,
        compounds=list(outage_compounds(outage)),
    )
    return notify_publish(
        audience=audience,
        template=template or TEMPLATES[event.kind],  # type: ignore[index]
        context=_context(outage, note=event.note, **extra),
        event_key=f"outage:{outage.pk}:{event.pk}{key_suffix}",
        urgent=outage.kind == Outage.Kind.FAULT,
        source=outage_source(outage),
    )


def _event(outage: Outage, kind: str, by: User, note: str = "", **data: Any) -> OutageEvent:
    return OutageEvent.objects.create(outage=outage, kind=kind, by=by, note=note, data=data)


def _affect(outage: Outage, household_ids: Iterable[int]) -> None:
    AffectedHousehold.objects.bulk_create(
        [AffectedHousehold(outage_id=outage.pk, household_id=pk) for pk in household_ids],
        batch_size=5000,
    )


def _affect_scope(outage: Outage, households: QuerySet[Household]) -> None:
    """Record the households a scope reaches, except those already recorded: one INSERT …
    SELECT, so that tens of thousands of rows never pass through Python."""
    scope = (
        households.exclude(
            pk__in=AffectedHousehold.objects.filter(outage_id=outage.pk).values("household_id")
        )
        .order_by()
        .values("pk")
        .distinct()
    )
    sql, params = scope.query.sql_with_params()
    table = connection.ops.quote_name(AffectedHousehold._meta.db_table)
    with connection.cursor() as cursor:
        # The table name is ours and the subquery Django's; only params carry values.
        cursor.execute(
            f"INSERT INTO {table} (outage_id, household_id) "  # noqa: S608
            f"SELECT %s, scope.* FROM ({sql}) AS scope",
            [outage.pk, *params],
        )


def _locked(outage: Outage, *states: str) -> Outage:
    """The outage, locked for this transaction, refused unless it is in one of the states:
    two members of staff acting at once are served one after the other."""
    locked = Outage.objects.select_for_update().get(pk=outage.pk)
    if states and locked.state not in states:
        raise ValidationError(
            _("This outage is %(state)s; that cannot be done now.")
            % {"state": locked.get_state_display()}
        )
    return locked


def _check_may_act(by: User, outage: Outage) -> None:
    _check_compounds_allowed(by, set(outage_compounds(outage).values_list("pk", flat=True)))


# Actions ---------------------------------------------------------------------------------


def outage_create(
    *,
    by: User,
    kind: str,
    title: str,
    reason: str,
    start: datetime.datetime,
    end: datetime.datetime,
    station_areas: Sequence[StationArea | str] | QuerySet[StationArea] = (),
    compounds: Sequence[Compound | str] | QuerySet[Compound] = (),
    buildings: Sequence[Building | str] | QuerySet[Building] = (),
    feeders: Sequence[Feeder | str] | QuerySet[Feeder] = (),
    household: Household | str | None = None,
    estimated_restoration: datetime.datetime | None = None,
    override_reason: str = "",
    publish: bool = True,
) -> Outage:
    """Create an outage notice (scope as instances or codes; an arrears disconnection names
    its household) and, unless `publish` is false, publish it at once.

    Raises PermissionDenied when the scope reaches a compound outside the caller's, and
    ValidationError (OutageRuleError for the notice period, OutageConflictError for an
    overlapping outage) for bad input; nothing is saved then."""
    title = _check_text("title", title, 120)
    reason = _check_text("reason", reason, 2000)
    _check_times(start, end, estimated_restoration)
    scope = _Scope(
        station_areas=station_areas,
        compounds=compounds,
        buildings=buildings,
        feeders=feeders,
        household=household,
    )
    _check_kind_scope(kind, scope)
    if kind == Outage.Kind.FAULT and estimated_restoration is None:
        estimated_restoration = end
    with transaction.atomic():
        compound_ids = scope.compound_ids()
        _check_compounds_allowed(by, compound_ids)
        outage = Outage.objects.create(
            kind=kind,
            title=title,
            reason=reason,
            start=start,
            end=end,
            estimated_restoration=estimated_restoration,
            created_by=by,
        )
        scope.save_to(outage)
        if scope.household is not None:
            # The household of an arrears disconnection is its whole scope; kept from the start.
            _affect(outage, [scope.household.pk])
        _event(outage, OutageEvent.Kind.CREATED, by)
        if publish:
            outage = _publish(outage=outage, by=by, override_reason=override_reason, scope=scope)
    return outage


def outage_publish(*, outage: Outage, by: User, override_reason: str = "") -> Outage:
    """Publish a draft: resolve its households, check the notice period and overlaps, and
    notify everyone it reaches."""
    with transaction.atomic():
        locked = _locked(outage, Outage.State.DRAFT)
        _check_may_act(by, locked)
        return _publish(
            outage=locked, by=by, override_reason=override_reason, scope=_scope_of(locked)
        )


def _publish(*, outage: Outage, by: User, override_reason: str, scope: _Scope) -> Outage:
    households = scope.households()
    compound_ids = scope.compound_ids()
    _check_compounds_allowed(by, compound_ids)
    override = _check_notice(
        kind=outage.kind,
        start=outage.start,
        by=by,
        override_reason=override_reason,
        compound_ids=compound_ids,
    )
    _check_overlap(households=households, start=outage.start, end=outage.end, exclude=outage)
    now = timezone.now()
    outage.state = Outage.State.PUBLISHED
    outage.published_at = now
    fields = ["state", "published_at", "updated_at"]
    if override is not None:
        outage.lead_time_override_reason = override[1]
        outage.lead_time_overridden_by = by
        fields += ["lead_time_override_reason", "lead_time_overridden_by"]
    outage.save(update_fields=fields)
    _affect_scope(outage, households)
    data: dict[str, Any] = {}
    if override is not None:
        data = {"override": {"rule": override[0], "reason": override[1]}}
    event = _event(outage, OutageEvent.Kind.PUBLISHED, by, **data)
    _notify(outage, event)
    return outage


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
    note = _check_text("note", note, MAX_NOTE)
    _check_times(start, end)
    with transaction.atomic():
        locked = _locked(outage, *Outage.LIVE_STATES)
        _check_may_act(by, locked)
        if start < locked.start:
            raise ValidationError(
                {
                    "start": _(
                        "A postponement moves the outage later; to bring it forward, change it."
                    )
                }
            )
        _check_overlap(
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
        event = _event(locked, OutageEvent.Kind.POSTPONED, by, note, before=before)
        _notify(
            locked,
            event,
            previous_start_text=_local_text(datetime.datetime.fromisoformat(before["start"])),
            previous_end_text=_local_text(datetime.datetime.fromisoformat(before["end"])),
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
        raise ValidationError(
            _("These cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    override_reason = fields.pop("override_reason", "") or ""
    with transaction.atomic():
        locked = _locked(outage, Outage.State.DRAFT, *Outage.LIVE_STATES)
        is_draft = locked.state == Outage.State.DRAFT
        if not is_draft:
            note = _check_text("note", note, MAX_NOTE)
        _check_may_act(by, locked)
        changed: dict[str, Any] = {}
        for name in ("title", "reason"):
            if fields.get(name) is not None:
                value = _check_text(name, fields[name], 120 if name == "title" else 2000)
                if value != getattr(locked, name):
                    changed[name] = value
        for name in ("start", "end", "estimated_restoration"):
            if fields.get(name) is not None and fields[name] != getattr(locked, name):
                changed[name] = fields[name]
        start = changed.get("start", locked.start)
        end = changed.get("end", locked.end)
        _check_times(start, end, changed.get("estimated_restoration", locked.estimated_restoration))

        old_scope = _scope_of(locked)
        scope_given = any(fields.get(name) is not None for name in SCOPE_FIELDS)
        scope = old_scope
        if scope_given:

            def given(name: str, current: list[Any]) -> Any:
                return current if fields.get(name) is None else fields[name]

            scope = _Scope(
                station_areas=given("station_areas", old_scope.station_areas),
                compounds=given("compounds", old_scope.compounds),
                buildings=given("buildings", old_scope.buildings),
                feeders=given("feeders", old_scope.feeders),
                household=old_scope.household,
            )
            _check_kind_scope(locked.kind, scope)
            _check_compounds_allowed(by, scope.compound_ids())
            if _scope_key(scope) != _scope_key(old_scope):
                changed["scope"] = _scope_key(scope)
        if not changed:
            raise ValidationError(_("Nothing to change."))

        override = None
        if not is_draft and "start" in changed and changed["start"] < locked.start:
            override = _check_notice(
                kind=locked.kind,
                start=changed["start"],
                by=by,
                override_reason=override_reason,
                compound_ids=scope.compound_ids(),
            )
        if not is_draft:
            _check_overlap(households=scope.households(), start=start, end=end, exclude=locked)

        before = {name: _jsonable(getattr(locked, name)) for name in changed if name != "scope"}
        if "scope" in changed:
            before["scope"] = _scope_key(old_scope)
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
            _affect(locked, sorted(new_ids - old_ids))
        data: dict[str, Any] = {"before": before, "changed": sorted(changed)}
        if override is not None:
            data["override"] = {"rule": override[0], "reason": override[1]}
        event = _event(locked, OutageEvent.Kind.CHANGED, by, note, **data)
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


def _scope_key(scope: _Scope) -> dict[str, list[str]]:
    return {
        "station_areas": sorted(a.code for a in scope.station_areas),
        "compounds": sorted(c.code for c in scope.compounds),
        "buildings": sorted(b.code for b in scope.buildings),
        "feeders": sorted(f.code for f in scope.feeders),
    }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def outage_cancel(*, outage: Outage, by: User, note: str) -> Outage:
    """Cancel a draft (nobody was told) or a published outage (everyone is told)."""
    note = _check_text("note", note, MAX_NOTE)
    with transaction.atomic():
        locked = _locked(outage, Outage.State.DRAFT, *Outage.LIVE_STATES)
        _check_may_act(by, locked)
        was_draft = locked.state == Outage.State.DRAFT
        locked.state = Outage.State.CANCELLED
        locked.cancelled_at = timezone.now()
        fields = ["state", "cancelled_at", "updated_at"]
        if not was_draft:
            locked.sequence += 1
            fields.append("sequence")
        locked.save(update_fields=fields)
        event = _event(locked, OutageEvent.Kind.CANCELLED, by, note)
        if not was_draft:
            _notify(locked, event)
    return locked


def outage_update_estimate(
    *, outage: Outage, by: User, estimated_restoration: datetime.datetime, note: str = ""
) -> Outage:
    """A new estimate of when power returns (chiefly for faults), told to everyone."""
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": _("At most %(count)d characters.") % {"count": MAX_NOTE}})
    if timezone.is_naive(estimated_restoration):
        raise ValidationError(_("Start and end must carry a time zone."))
    with transaction.atomic():
        locked = _locked(outage, *Outage.LIVE_STATES)
        _check_may_act(by, locked)
        if estimated_restoration <= locked.start:
            raise ValidationError(
                {"estimated_restoration": _("The estimated restoration must be after the start.")}
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
        event = _event(
            locked,
            OutageEvent.Kind.ESTIMATE_UPDATED,
            by,
            note.strip(),
            before=before,
            after=estimated_restoration.isoformat(),
        )
        _notify(locked, event)
    return locked


def outage_restore(*, outage: Outage, by: User, at: datetime.datetime | None = None) -> Outage:
    """Power is back (送电): close the outage and tell everyone."""
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        raise ValidationError(_("Start and end must carry a time zone."))
    if at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"at": _("Power cannot be restored in the future.")})
    with transaction.atomic():
        locked = _locked(outage, *Outage.LIVE_STATES)
        _check_may_act(by, locked)
        if at < locked.start:
            raise ValidationError({"at": _("Power cannot be restored before the outage starts.")})
        locked.state = Outage.State.RESTORED
        locked.restored_at = at
        locked.sequence += 1
        locked.save(update_fields=["state", "restored_at", "sequence", "updated_at"])
        event = _event(locked, OutageEvent.Kind.RESTORED, by, at=at.isoformat())
        _notify(locked, event)
    return locked


def outage_acknowledge(*, outage: Outage, household: Household, by: User) -> AffectedHousehold:
    """A resident of the household (or staff serving it, after a phone call) confirms the
    notice was received (已知悉). Acknowledging twice keeps the first time."""
    if not reaches_household(by, Purpose.SERVE, household.pk):
        raise PermissionDenied(_("You may acknowledge outages only for your own household."))
    with transaction.atomic():
        row = (
            AffectedHousehold.objects.select_for_update()
            .select_related("outage")
            .filter(outage=outage, household=household)
            .first()
        )
        if row is None:
            raise ValidationError(_("This outage does not affect that household."))
        if row.outage.state not in Outage.LIVE_STATES:
            raise ValidationError(
                _("This outage is %(state)s; there is nothing to acknowledge.")
                % {"state": row.outage.get_state_display()}
            )
        if row.acknowledged_at is None:
            row.acknowledged_at = timezone.now()
            row.acknowledged_by = by
            row.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return row
