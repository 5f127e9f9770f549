"""Who may do what in billing (see wudian.core.policy).

Reminders (友情化催费): an arrears line is `current` (on the latest list) or `superseded` (a
later list replaced it). Only a current line is reminded; the staff who remind are those who
reach its household's compound for `Purpose.REMIND` — its customer manager, property
electricians and property office — never a resident, even for their own household."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import User
from wudian.billing.models import Arrears
from wudian.core.policy import Action, Parties, Policy
from wudian.grid import scope

CURRENT = "current"
SUPERSEDED = "superseded"


def line_state(line: Arrears) -> str:
    return CURRENT if line.current else SUPERSEDED


def _wrong_state(line: Arrears, action: Action[Arrears]) -> str:
    return _(
        "A later arrears list has replaced this line (list of %(as_of)s): "
        "record the reminder on the household's current line."
    ) % {"as_of": line.run.as_of.isoformat()}


REMINDER_POLICY: Policy[Arrears] = Policy(
    [
        Action(
            "record",
            states={CURRENT},
            parties=["reminder"],
            refusal=gettext_lazy(
                "Reminders are recorded by the customer manager, property electricians and "
                "property office staff of the household's compound."
            ),
        ),
    ],
    state=line_state,
    wrong_state=_wrong_state,
)


def reminder_parties(user: User, line: Arrears) -> Parties:
    """The parties to a line the user is: `reminder`, staff reaching its compound for
    REMIND (a household's own residents are not)."""
    return Parties(
        user,
        {
            "reminder": lambda: bool(
                user.is_active
                and scope.reaches_compound(
                    user, scope.Purpose.REMIND, line.household.building.compound_id
                )
            )
        },
    )


def may_record(user: User, line: Arrears) -> bool:
    return REMINDER_POLICY.allows("record", line, reminder_parties(user, line))


def lines_to_record(user: User, lines: list[Arrears]) -> set[int]:
    """The ids of the lines the user may record a reminder on: the parties are found out
    once per compound (a walk's lines share one), not once per line."""
    parties: dict[int, Parties] = {}
    allowed = set()
    for line in lines:
        compound_id = line.household.building.compound_id
        if compound_id not in parties:
            parties[compound_id] = reminder_parties(user, line)
        if REMINDER_POLICY.allows("record", line, parties[compound_id]):
            allowed.add(line.pk)
    return allowed
