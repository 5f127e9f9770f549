"""Who may do what in billing (see wudian.core.policy).

The arrears list is the city's, not a compound's: its imports are made and read by the
business hall (营业厅, a department of kind BUSINESS_HALL: its members hold the department
role) and by administrators. One household's amounts are a matter of scope instead
(`Purpose.REMIND`, billing.selectors). Household meter readings are imported by the same
people, whose staff keep the marketing system's records.

Reminders (友情化催费): an arrears line is `current` (on the latest list) or `superseded` (a
later list replaced it). Only a current line is reminded; the staff who remind are those who
reach its household's compound for `Purpose.REMIND` — its customer manager, property
electricians and property office — never a resident, even for their own household."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import Department, RoleCode, User
from wudian.billing.models import Arrears
from wudian.core.policy import Action, Parties, Policy
from wudian.grid import scope

# The list has no states of its own: every action is allowed from this one.
LIST = "list"


def in_business_hall(user: User) -> bool:
    """A member of a business-hall department, in the department role."""
    return (
        user.is_active
        and user.department_id is not None
        and user.has_role(RoleCode.DEPARTMENT)
        and Department.objects.filter(
            pk=user.department_id, kind=Department.Kind.BUSINESS_HALL
        ).exists()
    )


def arrears_parties(user: User) -> Parties:
    return Parties(
        user,
        {
            "administrator": lambda: user.is_active and user.is_superuser,
            "business_hall": lambda: in_business_hall(user),
        },
    )


HALL = ("administrator", "business_hall")
NOT_HALL = gettext_lazy(
    "Only the business hall and administrators import the arrears list and see its imports."
)

ARREARS_LIST: Policy[None] = Policy(
    [
        Action("import", {LIST}, HALL, NOT_HALL),
        Action("view", {LIST}, HALL, NOT_HALL),
    ],
    state=lambda _list: LIST,
    wrong_state=lambda _list, _action: _("That cannot be done with the arrears list now."),
)


def arrears_check(user: User, action: str) -> None:
    """Refuse (NotAllowed) a user who may not take the action on the arrears list."""
    ARREARS_LIST.check(action, None, arrears_parties(user))


def arrears_actions(user: User) -> list[str]:
    return ARREARS_LIST.allowed(None, arrears_parties(user))


# -- readings imports -------------------------------------------------------------------------

READINGS: Policy[None] = Policy(
    [
        Action(
            "import",
            {LIST},
            HALL,
            gettext_lazy(
                "Only administrators and the members of a business hall may import meter readings."
            ),
        )
    ],
    state=lambda _imports: LIST,
    wrong_state=lambda _imports, _action: _("Readings cannot be imported now."),
)


def may_import_readings(user: User) -> bool:
    """Whether the user may import readings (the page, the desk's link, the API)."""
    return user.is_authenticated and "import" in READINGS.allowed(None, arrears_parties(user))


def check_may_import_readings(user: User) -> None:
    READINGS.check("import", None, arrears_parties(user))


# -- reminders ---------------------------------------------------------------------------------

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
