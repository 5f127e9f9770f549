"""Who may do what with an application to join a household, in which state (see
wudian.core.policy): the compound's property office or customer manager approves or rejects a
pending one; its applicant withdraws it. Approval needs the account number to be a household
of the compound."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import User
from wudian.core.policy import Action, Condition, Parties, Policy
from wudian.grid.scope import Purpose, compounds_for, reaches_compound
from wudian.joining.models import Application
from wudian.joining.selectors import may_decide_applications

PENDING = frozenset({Application.State.PENDING})


def application_parties(
    user: User, application: Application, *, editable: Collection[int] | None = None
) -> Parties:
    """The parties the user is to the application. A list passes `editable`, the ids of the
    compounds the user edits households of, found once for all its rows."""

    def editor() -> bool:
        if not may_decide_applications(user):
            return False
        if editable is not None:
            return application.compound_id in editable
        return reaches_compound(user, Purpose.EDIT_HOUSEHOLDS, application.compound_id)

    return Parties(
        user,
        {
            "editor": editor,
            "applicant": lambda: application.applicant_id == user.pk,
        },
    )


def _wrong_state(application: Application, action: Action[Application]) -> str:
    return _("This application is %(state)s and can no longer be %(action)s.") % {
        "state": application.get_state_display(),
        "action": action.label,
    }


APPLICATION_POLICY: Policy[Application] = Policy(
    [
        Action(
            "approve",
            PENDING,
            ["editor"],
            gettext_lazy(
                "Only the property office or the customer manager of the compound decides."
            ),
            conditions=(
                Condition(
                    lambda application: application.household_id is not None,
                    gettext_lazy(
                        "This account number is not a household of this compound: "
                        "reject the application and say why."
                    ),
                ),
            ),
            label=gettext_lazy("approved"),
        ),
        Action(
            "reject",
            PENDING,
            ["editor"],
            gettext_lazy(
                "Only the property office or the customer manager of the compound decides."
            ),
            label=gettext_lazy("rejected"),
        ),
        Action(
            "withdraw",
            PENDING,
            ["applicant"],
            gettext_lazy("Only the applicant may withdraw an application."),
            label=gettext_lazy("withdrawn"),
        ),
    ],
    state=lambda application: application.state,
    wrong_state=_wrong_state,
)


def editable_compound_ids(user: User) -> set[int]:
    """The ids of the compounds whose applications the user decides (for a list's rows)."""
    if not may_decide_applications(user):
        return set()
    return set(compounds_for(user, Purpose.EDIT_HOUSEHOLDS).values_list("pk", flat=True))
