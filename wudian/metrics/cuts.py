"""What a figure is cut by: everything a person measures, or one district, community, compound
or customer manager within it. A cut is always resolved against the viewer's reach
(`grid.scope`, `Purpose.MEASURE`): a district, community or compound must lie wholly within it,
a customer manager's compounds are those of theirs the viewer measures; anything else is
refused as outside the viewer's scope, never answered with an empty figure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import RoleCode, User
from wudian.core.errors import NotAllowed, OutsideScope, invalid
from wudian.grid import scope
from wudian.grid.models import Community, Compound, District
from wudian.grid.scope import Purpose


class CutKind(StrEnum):
    ALL = "all"
    DISTRICT = "district"
    COMMUNITY = "community"
    COMPOUND = "compound"
    MANAGER = "manager"


CUT_LABELS = {
    CutKind.ALL: gettext_lazy("Everything I measure"),
    CutKind.DISTRICT: gettext_lazy("District"),
    CutKind.COMMUNITY: gettext_lazy("Community"),
    CutKind.COMPOUND: gettext_lazy("Compound"),
    CutKind.MANAGER: gettext_lazy("Customer manager"),
}


@dataclass(frozen=True)
class Cut:
    """A resolved cut: its kind, the object it names (none for ALL), and the compounds it
    stands for, as ids."""

    kind: CutKind
    obj: Any
    compound_ids: frozenset[int]

    @property
    def key(self) -> str:
        return self.kind.value if self.obj is None else f"{self.kind.value}:{self.obj.pk}"

    @property
    def name(self) -> str:
        if self.obj is None:
            return str(CUT_LABELS[CutKind.ALL])
        return str(self.obj)

    def compounds(self) -> QuerySet[Compound]:
        return Compound.objects.filter(pk__in=self.compound_ids)


def may_measure(user: User) -> bool:
    """Whether the dashboard is the user's at all: supervisors, customer managers and
    administrators."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.is_superuser
            or user.has_role(RoleCode.SUPERVISOR)
            or user.has_role(RoleCode.CUSTOMER_MANAGER)
        )
    )


def measured_compounds(user: User) -> QuerySet[Compound]:
    return scope.compounds_for(user, Purpose.MEASURE)


def _parse(text: str) -> tuple[CutKind, int | None]:
    kind_text, _sep, id_text = text.strip().partition(":")
    try:
        kind = CutKind(kind_text)
    except ValueError:
        raise invalid(
            "scope",
            _("Choose a scope: all, or district:, community:, compound: or manager: with an id."),
            "invalid_choice",
        ) from None
    if kind == CutKind.ALL:
        if id_text:
            raise invalid("scope", _("The scope “all” takes no id."), "invalid")
        return kind, None
    if not id_text.isdigit() or len(id_text) > 12:
        raise invalid("scope", _("The scope needs a number after the colon."), "invalid")
    return kind, int(id_text)


MODELS: dict[CutKind, type[Model]] = {
    CutKind.DISTRICT: District,
    CutKind.COMMUNITY: Community,
    CutKind.COMPOUND: Compound,
    CutKind.MANAGER: User,
}


# What a cut's targets read of its object (the places above it).
RELATED = {
    CutKind.COMPOUND: ("community__street__district",),
    CutKind.COMMUNITY: ("street__district",),
}


def _compounds_of(kind: CutKind, obj: Any) -> QuerySet[Compound]:
    if kind == CutKind.DISTRICT:
        return Compound.objects.filter(community__street__district=obj)
    if kind == CutKind.COMMUNITY:
        return Compound.objects.filter(community=obj)
    if kind == CutKind.COMPOUND:
        return Compound.objects.filter(pk=obj.pk)
    managed = scope.assignments_in(RoleCode.CUSTOMER_MANAGER).filter(user=obj)
    return Compound.objects.filter(pk__in=managed.values("compound_id"))


def whole_cut(kind: CutKind, obj: Any) -> Cut:
    """A district, community or compound whole, as the system sees it (the monthly report
    from the command line), not cut to a person's reach."""
    return Cut(kind, obj, frozenset(_compounds_of(kind, obj).values_list("pk", flat=True)))


def resolve_cut(user: User, text: str | None) -> Cut:
    """The cut a request names ("all" when it names none), within the user's reach."""
    if not may_measure(user):
        raise NotAllowed(_("The service dashboard is for supervisors and customer managers."))
    kind, pk = _parse(text or CutKind.ALL.value)
    reached = set(measured_compounds(user).values_list("pk", flat=True))
    if kind == CutKind.ALL:
        return Cut(kind, None, frozenset(reached))
    obj: Any = (
        MODELS[kind]._default_manager.select_related(*RELATED.get(kind, ())).filter(pk=pk).first()
    )
    if obj is None or (
        kind == CutKind.MANAGER and not (obj.is_active and obj.has_role(RoleCode.CUSTOMER_MANAGER))
    ):
        raise OutsideScope(_("No such scope within yours."))
    ids = set(_compounds_of(kind, obj).values_list("pk", flat=True))
    if kind == CutKind.MANAGER:
        ids &= reached
    if not ids or not ids <= reached:
        raise OutsideScope(_("No such scope within yours."))
    return Cut(kind, obj, frozenset(ids))


def cut_choices(user: User) -> list[tuple[str, str, str]]:
    """The cuts a person may choose, as (key, kind label, name), coarse to fine: everything,
    each district, community and compound wholly within their reach, each customer manager
    serving one of them."""
    reached = measured_compounds(user)
    compounds = list(
        reached.select_related("community__street__district").order_by(
            "community__street__district__name", "community__name", "name"
        )
    )
    ids = {c.pk for c in compounds}
    out = [(CutKind.ALL.value, str(CUT_LABELS[CutKind.ALL]), str(CUT_LABELS[CutKind.ALL]))]
    seen: set[tuple[CutKind, int]] = set()
    community_ids = {c.community_id for c in compounds}
    whole_communities = community_ids - set(
        Compound.objects.filter(community_id__in=community_ids)
        .exclude(pk__in=ids)
        .values_list("community_id", flat=True)
    )
    districts = {c.community.street.district for c in compounds}
    whole_districts = {
        d.pk
        for d in districts
        if not Compound.objects.filter(community__street__district=d).exclude(pk__in=ids).exists()
    }
    for compound in compounds:
        district = compound.community.street.district
        if district.pk in whole_districts and (CutKind.DISTRICT, district.pk) not in seen:
            seen.add((CutKind.DISTRICT, district.pk))
            out.append(
                (f"district:{district.pk}", str(CUT_LABELS[CutKind.DISTRICT]), district.name)
            )
    for compound in compounds:
        community = compound.community
        if community.pk in whole_communities and (CutKind.COMMUNITY, community.pk) not in seen:
            seen.add((CutKind.COMMUNITY, community.pk))
            out.append(
                (f"community:{community.pk}", str(CUT_LABELS[CutKind.COMMUNITY]), community.name)
            )
    out.extend((f"compound:{c.pk}", str(CUT_LABELS[CutKind.COMPOUND]), c.name) for c in compounds)
    out.extend(
        (f"manager:{m.pk}", str(CUT_LABELS[CutKind.MANAGER]), str(m)) for m in managers_of(ids)
    )
    return out


def managers_of(compound_ids: frozenset[int] | set[int]) -> list[User]:
    """The customer managers of any of the compounds, by name."""
    managers = {user.pk: user for user in scope.customer_managers_of(compound_ids).values()}
    return sorted(managers.values(), key=lambda user: (str(user), user.pk))


def standing_cuts() -> list[Cut]:
    """The cuts people open first: every district, and every customer manager with all their
    compounds (a supervisor's or a manager's own "all" is one of them when it has the same
    compounds, and shares its figures)."""
    cuts = []
    by_district: dict[int, set[int]] = {}
    for pk, district_id in Compound.objects.values_list("pk", "community__street__district_id"):
        by_district.setdefault(district_id, set()).add(pk)
    for district in District.objects.filter(pk__in=by_district).order_by("pk"):
        cuts.append(Cut(CutKind.DISTRICT, district, frozenset(by_district[district.pk])))
    managed: dict[int, set[int]] = {}
    managers: dict[int, User] = {}
    for assignment in scope.assignments_in(RoleCode.CUSTOMER_MANAGER).select_related("user"):
        managed.setdefault(assignment.user_id, set()).add(assignment.compound_id)
        managers[assignment.user_id] = assignment.user
    for pk in sorted(managed):
        cuts.append(Cut(CutKind.MANAGER, managers[pk], frozenset(managed[pk])))
    return cuts
