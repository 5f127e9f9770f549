"""Who may do what to a resident request, in which state (the table's shape is
wudian.core.policy).

The services check POLICY on the locked request; the request pages render their buttons from
POLICY.allowed and the API lists the same names in a request's `actions`."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import RoleCode, User
from wudian.accounts.selectors import valid_certificate_holders
from wudian.core.calendar import china_date
from wudian.core.policy import Action, Condition, Parties, Policy
from wudian.grid import scope
from wudian.workorders.models import Category, WorkOrder, WorkOrderEvent
from wudian.workorders.selectors import workorders_visible_to

Status = WorkOrder.Status
Event = WorkOrderEvent.Kind

# The parties to a request.
REQUESTER = "requester"  # the resident who filed it, or a member of its household
HOLDER = "holder"  # the member of staff (or department) it is in the hands of
MANAGER = "manager"  # its compound's customer manager (or an administrator)
SUPERVISOR = "supervisor"  # a supervisor of its compound's district
VIEWER = "viewer"  # anyone who may open it (see workorders_visible_to)


def is_requester(user: User, workorder: WorkOrder) -> bool:
    """The resident side of a request: the resident who filed it, or a member of its
    household. Staff who typed it in for a caller are not: they cannot confirm or rate it."""
    if workorder.created_by_id == user.pk and user.is_resident_only:
        return True
    return bool(workorder.household_id and scope.belongs_to_household(user, workorder.household_id))


def holds(user: User, workorder: WorkOrder) -> bool:
    """Whether the request is in the user's hands now (or in their department's)."""
    if workorder.assignee_id is not None:
        return workorder.assignee_id == user.pk
    return workorder.department_id is not None and workorder.department_id == user.department_id


# The power company's own people.
UTILITY_ROLES = (RoleCode.CUSTOMER_MANAGER, RoleCode.DEPARTMENT, RoleCode.SUPERVISOR)


def passes_to_departments(user: User) -> bool:
    """The power company's own people pass work to its departments; a property electrician
    escalates to the customer manager instead."""
    return user.is_superuser or user.has_role(*UTILITY_ROLES)


def parties_of(user: User, workorder: WorkOrder, *, at: datetime.datetime | None = None) -> Parties:
    """The parties to the request the user is, each found out when an action asks."""
    return Parties(
        user,
        {
            REQUESTER: lambda: is_requester(user, workorder),
            HOLDER: lambda: holds(user, workorder),
            MANAGER: lambda: scope.is_customer_manager_of(user, workorder.compound_id),
            SUPERVISOR: lambda: (
                user.has_role(RoleCode.SUPERVISOR)
                and scope.is_supervisor_of(user, workorder.compound)
            ),
            VIEWER: lambda: workorders_visible_to(user).filter(pk=workorder.pk).exists(),
        },
        at=at,
    )


def _certified_for(workorder: WorkOrder, parties: Parties) -> bool:
    """A property electrician takes behind-the-meter work only with a valid certificate."""
    user: User = parties.user
    if workorder.category.routing != Category.Routing.ELECTRICIAN:
        return True
    if not user.has_role(RoleCode.ELECTRICIAN) or passes_to_departments(user):
        return True
    on = china_date(parties.at or timezone.now())
    return user.pk in valid_certificate_holders([user], on=on)


def _wrong_state(workorder: WorkOrder, action: Action[WorkOrder]) -> str:
    if not action.label:
        return _("This request is closed: file a new one instead.")
    return _("This request is “%(status)s”: it cannot be %(action)s now.") % {
        "status": workorder.get_status_display(),
        "action": action.label,
    }


OPEN = frozenset(WorkOrder.OPEN_STATUSES)
IN_HAND = frozenset({Status.ACCEPTED, Status.ARRIVED})
HANDED_ON = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.ARRIVED})
WITHDRAWABLE = HANDED_ON | {Status.WAITING}
STAFF_ONLY = gettext_lazy("Only the member of staff holding this request may do this.")
ANYONE_ELSE = gettext_lazy("You cannot act on this request.")
# Asked at every step of the work, not only when it is accepted: a certificate can lapse
# while a fault is in hand.
CERTIFIED = Condition[WorkOrder](
    _certified_for,
    gettext_lazy("Fault repairs need a valid low-voltage electrician certificate."),
    about_actor=True,
)

POLICY: Policy[WorkOrder] = Policy(
    [
        Action(
            "accept",
            {Status.SUBMITTED},
            (HOLDER, MANAGER),
            gettext_lazy("Only the member of staff holding this request may accept it."),
            label=gettext_lazy("accepted"),
            conditions=(CERTIFIED,),
        ),
        Action(
            "arrive",
            {Status.ACCEPTED},
            (HOLDER,),
            STAFF_ONLY,
            label=gettext_lazy("marked as on site"),
            conditions=(
                Condition(
                    lambda wo: wo.arrived_at is None,
                    gettext_lazy("Arrival on site has already been recorded."),
                ),
                CERTIFIED,
            ),
        ),
        Action(
            "wait",
            IN_HAND,
            (HOLDER, MANAGER),
            STAFF_ONLY,
            label=gettext_lazy("put on hold"),
            conditions=(CERTIFIED,),
        ),
        Action(
            "resume",
            {Status.WAITING},
            (REQUESTER, HOLDER, MANAGER),
            ANYONE_ELSE,
            label=gettext_lazy("resumed"),
        ),
        Action(
            "resolve",
            IN_HAND,
            (HOLDER, MANAGER),
            STAFF_ONLY,
            label=gettext_lazy("resolved"),
            conditions=(CERTIFIED,),
        ),
        Action(
            "escalate", HANDED_ON, (HOLDER, MANAGER), STAFF_ONLY, label=gettext_lazy("escalated")
        ),
        Action(
            "transfer",
            HANDED_ON,
            (HOLDER, MANAGER, SUPERVISOR),
            gettext_lazy(
                "Only its holder, the compound's customer manager or a supervisor may pass it on."
            ),
            label=gettext_lazy("transferred"),
            state_messages={
                Status.WAITING: gettext_lazy(
                    "The request is waiting for the resident: resume it before passing it on."
                )
            },
        ),
        Action(
            "cancel",
            WITHDRAWABLE,
            (REQUESTER, MANAGER),
            gettext_lazy("Only the resident who filed it or the customer manager may cancel it."),
            label=gettext_lazy("cancelled"),
        ),
        Action(
            "reopen",
            {Status.RESOLVED},
            (REQUESTER, MANAGER),
            gettext_lazy("Only the resident who filed it may reopen this request."),
            label=gettext_lazy("reopened"),
        ),
        Action(
            "confirm",
            {Status.RESOLVED},
            (REQUESTER,),
            gettext_lazy("Only the resident who filed it may confirm it."),
            label=gettext_lazy("confirmed"),
        ),
        Action(
            "rate",
            {Status.RESOLVED, Status.CLOSED},
            (REQUESTER,),
            gettext_lazy("Only the resident who filed it may rate it."),
            label=gettext_lazy("rated"),
            conditions=(
                Condition(
                    lambda wo: wo.rated_at is None,
                    gettext_lazy("This request has already been rated."),
                ),
            ),
        ),
        Action("comment", OPEN, (REQUESTER, VIEWER), ANYONE_ELSE),
        Action(
            "add_photos",
            OPEN,
            (REQUESTER, HOLDER, MANAGER),
            gettext_lazy(
                "Only the resident who filed it or the member of staff holding it may add photos."
            ),
        ),
    ],
    state=lambda workorder: workorder.status,
    wrong_state=_wrong_state,
)

# The steps each request page offers; the API offers every action by its name.
RESIDENT_ACTIONS = ("confirm", "rate", "reopen", "resume", "cancel", "comment")
DESK_ACTIONS = (
    "accept",
    "arrive",
    "wait",
    "resume",
    "resolve",
    "escalate",
    "transfer",
    "cancel",
    "comment",
)


def actions_for(
    user: User, workorder: WorkOrder, *, among: tuple[str, ...] | None = None
) -> list[str]:
    """The actions the user may take on the request now."""
    return POLICY.allowed(workorder, parties_of(user, workorder), among=among)


# A metering dispute's usage analysis and the meter test raised from it ----------------------


def is_metering_dispute(workorder: WorkOrder) -> bool:
    return workorder.category.code == METERING_DISPUTE and workorder.household_id is not None


METERING_DISPUTE = "metering_dispute"
METER_TEST = "meter_test"
UNDER_WAY = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.ARRIVED, Status.WAITING})
DISPUTE_ONLY = Condition[WorkOrder](
    is_metering_dispute,
    gettext_lazy("A usage analysis belongs to a metering dispute about one household."),
)

# The same parties as the request's table; the steps a metering dispute adds. The staff who
# work it may attach an analysis (its holder, the compound's customer manager, a supervisor);
# only the customer manager raises a meter test, and only from an analysis.
USAGE_POLICY: Policy[WorkOrder] = Policy(
    [
        Action(
            "attach_usage",
            UNDER_WAY,
            (HOLDER, MANAGER, SUPERVISOR),
            gettext_lazy("Only the staff working this request may attach a usage analysis to it."),
            label=gettext_lazy("given a usage analysis"),
            conditions=(DISPUTE_ONLY,),
        ),
        Action(
            "request_meter_test",
            UNDER_WAY,
            (MANAGER,),
            gettext_lazy("Only the compound's customer manager may request a meter test."),
            label=gettext_lazy("sent for a meter test"),
            conditions=(
                DISPUTE_ONLY,
                Condition(
                    lambda wo: wo.usage_reports.exists(),
                    gettext_lazy("Attach a usage analysis before requesting a meter test."),
                ),
                Condition(
                    lambda wo: (
                        not wo.raised.filter(
                            category__code=METER_TEST, status__in=WorkOrder.OPEN_STATUSES
                        ).exists()
                    ),
                    gettext_lazy("A meter test for this dispute is already under way."),
                ),
            ),
        ),
    ],
    state=lambda workorder: workorder.status,
    wrong_state=_wrong_state,
)


def usage_actions_for(user: User, workorder: WorkOrder) -> list[str]:
    """The usage steps the user may take on the request now."""
    return USAGE_POLICY.allowed(workorder, parties_of(user, workorder))
