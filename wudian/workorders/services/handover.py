"""Passing a request on: sideways to a colleague serving its compound or to a department of
its district (transfer), or up — an electrician to the customer manager, the customer manager
to a department (escalate). New hands must accept it; clocks already met stay met."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import Department, RoleCode, User
from wudian.accounts.selectors import valid_certificate_holders
from wudian.core.calendar import china_date
from wudian.core.errors import NotAllowed, invalid
from wudian.grid import scope
from wudian.workorders.models import Category, WorkOrder, WorkOrderEvent
from wudian.workorders.policy import passes_to_departments
from wudian.workorders.services.recording import (
    MAX_NOTE,
    acting_on,
    clean_text,
    name_of,
    take_step,
)
from wudian.workorders.services.routing import CompoundStaff

Status = WorkOrder.Status
Event = WorkOrderEvent.Kind


def _check_department(workorder: WorkOrder, by: User, department: Department) -> None:
    if not passes_to_departments(by):
        raise NotAllowed(
            _(
                "Only the customer manager passes a request to a department: escalate it to "
                "the customer manager."
            )
        )
    if not scope.department_serves(department, workorder.compound_id):
        raise invalid(
            "department",
            _("That department does not serve this compound's district."),
            "department",
        )


def _check_colleague(workorder: WorkOrder, to_user: User, *, on: datetime.date) -> None:
    """A member of staff may take it if they serve its compound: its customer manager, or a
    property electrician with a valid certificate for behind-the-meter work."""
    roles = scope.serves_compound_as(to_user, workorder.compound_id)
    if RoleCode.CUSTOMER_MANAGER in roles:
        return
    if RoleCode.ELECTRICIAN not in roles:
        raise invalid(
            "to", _("%(name)s does not serve this compound.") % {"name": name_of(to_user)}, "target"
        )
    if workorder.category.routing != Category.Routing.ELECTRICIAN:
        raise invalid(
            "to",
            _("This kind of request is the customer manager's, not an electrician's."),
            "target",
        )
    if to_user.pk not in valid_certificate_holders([to_user], on=on):
        raise invalid(
            "to",
            _("%(name)s has no valid electrician certificate and cannot take fault repairs.")
            % {"name": name_of(to_user)},
            "certificate",
        )


def hand_over(
    workorder: WorkOrder,
    *,
    by: User | None,
    kind: str,
    reason: str,
    to_user: User | None,
    department: Department | None,
    now: datetime.datetime,
) -> None:
    """Put the request in new hands, which must accept it; a clock already met stays met,
    the others run on. The first responsible stays who they were."""
    same_person = to_user is not None and workorder.assignee_id == to_user.pk
    same_department = (
        department is not None
        and workorder.assignee_id is None
        and workorder.department_id == department.pk
    )
    if same_person or same_department:
        raise invalid("to", _("The request is already in those hands."), "same")
    workorder.assignee = to_user
    workorder.department = department
    workorder.status = Status.SUBMITTED
    take_step(
        workorder,
        kind,
        by=by,
        now=now,
        changed=["assignee", "department", "status"],
        note=reason,
        to_user=to_user,
        to_department=department,
        also=[to_user.pk] if to_user else [],
    )


def workorder_transfer(
    *,
    workorder: WorkOrder,
    by: User,
    reason: str,
    to_user: User | None = None,
    department: Department | None = None,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Pass a request sideways: to another member of staff serving its compound (an
    electrician only with a valid certificate) or to a department of its district."""
    now = now or timezone.now()
    reason = clean_text(reason, field="reason", limit=MAX_NOTE)
    with acting_on(workorder, "transfer", by=by, now=now) as (wo, _parties):
        if (to_user is None) == (department is None):
            raise invalid(
                "to",
                _("Name either one member of staff or one department to pass it to."),
                "target",
            )
        if department is not None:
            _check_department(wo, by, department)
        else:
            assert to_user is not None
            _check_colleague(wo, to_user, on=china_date(now))
        hand_over(
            wo,
            by=by,
            kind=Event.TRANSFERRED,
            reason=reason,
            to_user=to_user,
            department=department,
            now=now,
        )
    return wo


def _manager_above(workorder: WorkOrder, by: User) -> User:
    """Whom an escalation without a department goes to: the compound's customer manager,
    unless it is already theirs."""
    manager = CompoundStaff(workorder.compound).manager
    if manager is None:
        raise invalid(
            "department", _("This compound has no customer manager to escalate to."), "department"
        )
    if manager.pk in (by.pk, workorder.assignee_id):
        raise invalid("department", _("Name the department to pass this request to."), "department")
    return manager


def workorder_escalate(
    *,
    workorder: WorkOrder,
    by: User,
    reason: str,
    department: Department | None = None,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Pass a request up: an electrician who cannot fix a fault (or a department handing it
    back) to the customer manager; the customer manager to a department (the repair crew,
    the business hall, metering)."""
    now = now or timezone.now()
    reason = clean_text(reason, field="reason", limit=MAX_NOTE)
    with acting_on(workorder, "escalate", by=by, now=now) as (wo, _parties):
        to_user = None
        if department is not None:
            _check_department(wo, by, department)
        else:
            to_user = _manager_above(wo, by)
        hand_over(
            wo,
            by=by,
            kind=Event.ESCALATED,
            reason=reason,
            to_user=to_user,
            department=department,
            now=now,
        )
    return wo


def workorders_transfer(
    *,
    workorders: Sequence[WorkOrder],
    by: User,
    reason: str,
    to_user: User | None = None,
    department: Department | None = None,
    now: datetime.datetime | None = None,
) -> list[WorkOrder]:
    """Bulk transfer from the workbench: all of them or, if one is refused, none."""
    with transaction.atomic():
        return [
            workorder_transfer(
                workorder=wo,
                by=by,
                reason=reason,
                to_user=to_user,
                department=department,
                now=now,
            )
            for wo in workorders
        ]
