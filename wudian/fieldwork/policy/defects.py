"""Who may do what to a defect, in which state (see wudian.core.policy).

A defect has two sides: the side responsible for fixing it, and the OTHER side, which checks
the fix before it closes (消缺闭环):

- a property defect is fixed by the compound's electricians and property office staff, and
  checked by its customer manager;
- a utility defect is fixed by the compound's customer manager or the department it was
  given to, and checked by the compound's electricians and property office staff.

Whoever fixed it never checks their own fix. A failed check sends the defect back to open,
with the reason on its timeline; the ORIGINAL deadline stands (an overdue defect keeps
escalating), since the defect was never fixed.

The compound's customer manager and the district's supervisors (`manager`, `supervisor`)
reassign an open defect. Whoever serves the compound, the department given and the
supervisors (`serving`) add before-photos to an open defect and comment on any defect."""

from __future__ import annotations

from functools import partial

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import RoleCode, User
from wudian.core.policy import Action, Condition, Parties, Policy
from wudian.fieldwork.models import Defect
from wudian.grid import scope

OPEN = Defect.Status.OPEN
FIXED = Defect.Status.FIXED
CLOSED = Defect.Status.CLOSED
PROPERTY = Defect.Responsible.PROPERTY
UTILITY = Defect.Responsible.UTILITY

PROPERTY_SIDE = frozenset({RoleCode.ELECTRICIAN, RoleCode.PROPERTY_STAFF})
UTILITY_SIDE = frozenset({RoleCode.CUSTOMER_MANAGER})


def _in_department(user: User, defect: Defect) -> bool:
    return bool(
        defect.department_id is not None
        and user.department_id == defect.department_id
        and user.has_role(RoleCode.DEPARTMENT)
    )


class DefectRoles:
    """The roles the user serves the defect's compound in, read once."""

    def __init__(self, user: User, defect: Defect) -> None:
        self.user = user
        self.defect = defect
        self._roles: set[str] | None = None

    @property
    def roles(self) -> set[str]:
        if self._roles is None:
            self._roles = scope.serves_compound_as(self.user, self.defect.compound_id)
        return self._roles

    def fixer(self) -> bool:
        if not self.user.is_active:
            return False
        if self.defect.responsible == PROPERTY:
            return bool(self.roles & PROPERTY_SIDE)
        return bool(self.roles & UTILITY_SIDE) or _in_department(self.user, self.defect)

    def checker(self) -> bool:
        if not self.user.is_active:
            return False
        if self.defect.responsible == PROPERTY:
            return bool(self.roles & UTILITY_SIDE)
        return bool(self.roles & PROPERTY_SIDE)

    def manager(self) -> bool:
        return bool(self.user.is_active and RoleCode.CUSTOMER_MANAGER in self.roles)

    def supervisor(self) -> bool:
        user = self.user
        if not user.is_active:
            return False
        if user.is_superuser:
            return True
        return user.has_role(RoleCode.SUPERVISOR) and scope.reaches_compound(
            user, scope.Purpose.OVERSEE, self.defect.compound_id
        )

    def serving(self) -> bool:
        if not self.user.is_active:
            return False
        if self.roles or _in_department(self.user, self.defect):
            return True
        return bool(
            self.user.has_role(RoleCode.GRID_ADMIN)
            and scope.serving_among(self.defect.compound_id, [self.user.pk])
        )


def defect_parties(user: User, defect: Defect) -> Parties:
    """The parties to the defect the user is."""
    roles = DefectRoles(user, defect)
    return Parties(
        user,
        {
            "fixer": roles.fixer,
            "checker": roles.checker,
            "manager": roles.manager,
            "supervisor": roles.supervisor,
            "serving": partial(lambda r: r.serving() or r.supervisor(), roles),
        },
    )


def _wrong_state(defect: Defect, action: Action[Defect]) -> str:
    return _("This defect is “%(status)s”; that cannot be done now.") % {
        "status": defect.get_status_display()
    }


NOT_OWN_FIX = Condition[Defect](
    lambda defect, parties: parties.user.pk != defect.fixed_by_id,
    gettext_lazy("The fix must be checked by someone other than whoever made it."),
    about_actor=True,
)


def _not_fixer(defect: Defect, parties: Parties) -> str:
    if defect.responsible == PROPERTY:
        return str(
            gettext_lazy("Only the compound's electricians or property office fix this defect.")
        )
    return str(
        gettext_lazy(
            "Only the compound's customer manager or the department given fix this defect."
        )
    )


def _not_checker(defect: Defect, parties: Parties) -> str:
    if defect.responsible == PROPERTY:
        return str(gettext_lazy("Only the compound's customer manager checks this fix."))
    return str(gettext_lazy("Only the compound's electricians or property office check this fix."))


NOT_MANAGER = gettext_lazy(
    "Only the compound's customer manager or the district's supervisors reassign a defect."
)
NOT_SERVING = gettext_lazy("Only the staff serving this compound may do that.")

DEFECTS: Policy[Defect] = Policy(
    [
        Action(
            "fix",
            {OPEN},
            ("fixer",),
            _not_fixer,
            state_messages={FIXED: gettext_lazy("This defect is already fixed, awaiting check.")},
        ),
        Action(
            "check_pass",
            {FIXED},
            ("checker",),
            _not_checker,
            conditions=(NOT_OWN_FIX,),
            state_messages={OPEN: gettext_lazy("This defect is not fixed yet: nothing to check.")},
        ),
        Action(
            "check_fail",
            {FIXED},
            ("checker",),
            _not_checker,
            conditions=(NOT_OWN_FIX,),
            state_messages={OPEN: gettext_lazy("This defect is not fixed yet: nothing to check.")},
        ),
        Action("reassign", {OPEN}, ("manager", "supervisor"), NOT_MANAGER),
        Action("add_photos", {OPEN}, ("serving",), NOT_SERVING),
        Action("comment", {OPEN, FIXED, CLOSED}, ("serving",), NOT_SERVING),
    ],
    state=lambda defect: defect.status,
    wrong_state=_wrong_state,
)


def defect_actions(user: User, defect: Defect) -> list[str]:
    """The actions the user may take on the defect now, in the table's order."""
    return DEFECTS.allowed(defect, defect_parties(user, defect))
