"""Who may do what with an outage, in which state: the outage's one table (see
wudian.core.policy). The services enforce it on the locked row; the detail page renders its
actions from it and the API's detail lists them (`actions`).

A manager of an outage may manage outages (a customer manager, a supervisor or a
superuser) and publishes for every compound it reaches. The household party acknowledges
for a household: its resident, or staff serving it after a phone call; asked without a
household (the API's detail), a resident one of whose households the outage affects."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import RoleCode, User
from wudian.core.errors import NotAllowed
from wudian.core.policy import Action, Condition, Parties, Policy
from wudian.grid.models import Compound, Household
from wudian.grid.scope import Purpose, compounds_outside, own_households, reaches_household
from wudian.outages.models import Outage
from wudian.outages.selectors import outage_compounds

DRAFT = Outage.State.DRAFT
LIVE = frozenset(Outage.LIVE_STATES)


def user_may_manage_outages(user: User) -> bool:
    """Whether the user publishes and manages outages at all (where: see compounds_outside)."""
    return user.is_superuser or (
        user.is_active and user.has_role(RoleCode.CUSTOMER_MANAGER, RoleCode.SUPERVISOR)
    )


def may_override_notice(user: User) -> bool:
    """Whether the pages offer the notice-period override; check_notice decides, per compound,
    whether it is accepted."""
    return user.is_superuser or user.has_role(RoleCode.SUPERVISOR)


def may_override(user: User, compound_ids: Collection[int]) -> bool:
    """Whether the user may override the notice period for every one of the compounds."""
    return not compounds_outside(user, Purpose.OVERRIDE_NOTICE, compound_ids)


def _refusal_to_publish(user: User, compound_ids: Collection[int]) -> str | None:
    if not user_may_manage_outages(user):
        return _("Only customer managers, supervisors and administrators may publish outages.")
    outside = compounds_outside(user, Purpose.PUBLISH_OUTAGES, compound_ids)
    if not outside:
        return None
    names = Compound.objects.filter(pk__in=outside).order_by("code").values_list("name", flat=True)
    return _("This outage reaches compounds outside your scope: %(names)s.") % {
        "names": "、".join(names)
    }


def check_may_publish(user: User, compound_ids: Collection[int]) -> None:
    """Refuse (NotAllowed) a user who may not publish an outage reaching these compounds."""
    refusal = _refusal_to_publish(user, compound_ids)
    if refusal is not None:
        raise NotAllowed(refusal)


def _compound_ids(outage: Outage) -> set[int]:
    return set(outage_compounds(outage).values_list("pk", flat=True))


def _is_manager(user: User, outage: Outage) -> bool:
    return user_may_manage_outages(user) and not compounds_outside(
        user, Purpose.PUBLISH_OUTAGES, _compound_ids(outage)
    )


def _manager_refusal(outage: Outage, parties: Parties) -> str:
    return _refusal_to_publish(parties.user, _compound_ids(outage)) or _("You may not do this.")


def _acknowledges(user: User, outage: Outage, household: Household | None) -> bool:
    if household is not None:
        return reaches_household(user, Purpose.SERVE, household.pk)
    return own_households(user).filter(affected_by__outage=outage).exists()


def parties_of(user: User, outage: Outage, *, household: Household | None = None) -> Parties:
    """The parties to the outage that the user is, each found out only when asked:
    "manager", and "household" (for the household named, if any)."""
    return Parties(
        user,
        {
            "manager": partial(_is_manager, user, outage),
            "household": partial(_acknowledges, user, outage, household),
        },
    )


def _wrong_state(outage: Outage, action: Action[Outage]) -> str:
    state = {"state": outage.get_state_display()}
    if action.name == "acknowledge":
        return _("This outage is %(state)s; there is nothing to acknowledge.") % state
    return _("This outage is %(state)s; that cannot be done now.") % state


FAULTS_ONLY = Condition[Outage](
    lambda outage: outage.kind == Outage.Kind.FAULT,
    gettext_lazy(
        "Only a fault's restoration estimate is updated; to move the end of this outage, change it."
    ),
)
# Power comes back only after it has gone off.
STARTED = Condition[Outage](
    lambda outage: outage.start <= timezone.now(),
    gettext_lazy("Power cannot be restored before the outage starts."),
)

MANAGER = ("manager",)

OUTAGES: Policy[Outage] = Policy(
    [
        Action("publish", {DRAFT}, MANAGER, _manager_refusal),
        Action("estimate", LIVE, MANAGER, _manager_refusal, conditions=(FAULTS_ONLY,)),
        Action("restore", LIVE, MANAGER, _manager_refusal, conditions=(STARTED,)),
        Action("postpone", LIVE, MANAGER, _manager_refusal),
        Action("change", {DRAFT, *LIVE}, MANAGER, _manager_refusal),
        Action("cancel", {DRAFT, *LIVE}, MANAGER, _manager_refusal),
        Action(
            "acknowledge",
            LIVE,
            ("household",),
            gettext_lazy("You may acknowledge outages only for your own household."),
        ),
    ],
    state=lambda outage: outage.state,
    wrong_state=_wrong_state,
)


def is_closed(outage: Outage) -> bool:
    """Whether no action of the table is taken from the outage's state any more."""
    return all(outage.state not in action.states for action in OUTAGES.actions.values())
