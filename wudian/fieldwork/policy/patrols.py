"""Who may do what to a joint patrol, in which state (see wudian.core.policy):

| action  | from                  | who                                   |
|---------|-----------------------|---------------------------------------|
| start   | planned               | its electrician or customer manager   |
| submit  | in progress           | its electrician or customer manager   |
| confirm | signed                | the party that has not signed yet     |
| move    | planned (monthly)     | its electrician or customer manager   |
| cancel  | planned, in progress  | its customer manager                  |

Submitting signs for the submitter; the other party confirms and the patrol is done.

Parties: `electrician` is the patrol's electrician, or, when it has none (the one planned
left), an electrician of its compound; `manager` is the patrol's customer manager, or the
compound's customer manager now (a compound changes hands between plan and patrol)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import RoleCode, User
from wudian.core.policy import Action, Condition, Parties, Policy
from wudian.fieldwork.models import Patrol
from wudian.grid.scope import is_customer_manager_of, serves_compound_as

PLANNED = Patrol.Status.PLANNED
IN_PROGRESS = Patrol.Status.IN_PROGRESS
SIGNED = Patrol.Status.SIGNED


def _is_electrician(user: User, patrol: Patrol) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if patrol.electrician_id is not None:
        return bool(patrol.electrician_id == user.pk and user.has_role(RoleCode.ELECTRICIAN))
    return RoleCode.ELECTRICIAN in serves_compound_as(user, patrol.compound_id)


def _is_manager(user: User, patrol: Patrol) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if patrol.manager_id == user.pk and user.has_role(RoleCode.CUSTOMER_MANAGER):
        return True
    return is_customer_manager_of(user, patrol.compound_id)


def patrol_parties(user: User, patrol: Patrol) -> Parties:
    return Parties(
        user,
        {
            "electrician": lambda: _is_electrician(user, patrol),
            "manager": lambda: _is_manager(user, patrol),
        },
    )


def side_of(user: User, patrol: Patrol) -> str | None:
    """Which party the user signs for: the manager's side first (a superuser, or someone who
    is both, signs for the manager)."""
    if _is_manager(user, patrol):
        return "manager"
    if _is_electrician(user, patrol):
        return "electrician"
    return None


def _wrong_state(patrol: Patrol, action: Action[Patrol]) -> str:
    return _("This patrol is “%(status)s”; that cannot be done now.") % {
        "status": patrol.get_status_display()
    }


BOTH = ("electrician", "manager")
NOT_YOURS = gettext_lazy("Only the patrol's electrician or customer manager may.")


def _has_not_signed(patrol: Patrol, parties: Parties) -> bool:
    side = "manager" if "manager" in parties else "electrician"
    if side == "manager":
        return patrol.manager_signed_at is None
    return patrol.electrician_signed_at is None


PATROLS: Policy[Patrol] = Policy(
    [
        Action(
            "start",
            {PLANNED},
            BOTH,
            NOT_YOURS,
            state_messages={
                IN_PROGRESS: gettext_lazy("This patrol has already started."),
            },
        ),
        Action(
            "submit",
            {IN_PROGRESS},
            BOTH,
            NOT_YOURS,
            state_messages={
                PLANNED: gettext_lazy("Start the patrol before sending its answers."),
                SIGNED: gettext_lazy("This patrol has already been sent."),
                Patrol.Status.DONE: gettext_lazy("This patrol is done; it cannot be sent again."),
            },
        ),
        Action(
            "confirm",
            {SIGNED},
            BOTH,
            NOT_YOURS,
            conditions=(
                Condition(
                    _has_not_signed,
                    gettext_lazy("You have signed this patrol; the other party confirms it."),
                    about_actor=True,
                ),
            ),
        ),
        Action(
            "move",
            {PLANNED},
            BOTH,
            NOT_YOURS,
            conditions=(
                Condition(
                    lambda patrol: patrol.kind == Patrol.Kind.MONTHLY,
                    gettext_lazy("Only a monthly patrol moves within its month."),
                ),
            ),
        ),
        Action(
            "cancel",
            {PLANNED, IN_PROGRESS},
            ("manager",),
            gettext_lazy("Only the compound's customer manager may cancel a patrol."),
        ),
    ],
    state=lambda patrol: patrol.status,
    wrong_state=_wrong_state,
)


def patrol_actions(user: User, patrol: Patrol) -> list[str]:
    return PATROLS.allowed(patrol, patrol_parties(user, patrol))
