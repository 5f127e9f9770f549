"""A metering dispute's usage analysis and the meter test raised from it. The analysis is
billing's (`billing.services.usage.usage_analysis`); this module attaches a snapshot of it to
the request, on its timeline, and raises the meter test (电能表校验) as a request of its own,
handed at once to the metering centre of the compound's district. Who may do either is
`workorders.policy.USAGE_POLICY`."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import Department, User
from wudian.billing.services.usage import usage_analysis
from wudian.core.errors import WrongState
from wudian.workorders.models import (
    Category,
    Channel,
    ClockUnit,
    UsageReport,
    WorkOrder,
    WorkOrderEvent,
)
from wudian.workorders.policy import METER_TEST, USAGE_POLICY, parties_of
from wudian.workorders.services.handover import workorder_transfer
from wudian.workorders.services.intake import workorder_create
from wudian.workorders.services.recording import (
    MAX_NOTE,
    clean_text,
    for_update,
    take_step,
)

Event = WorkOrderEvent.Kind


def answer_working_days(category: Category) -> int | None:
    """Within how many working days a request of the category is answered (its resolve
    clock), when the clock counts working days."""
    return category.resolve_target if category.resolve_unit == ClockUnit.WORKING_DAYS else None


def workorder_attach_usage(
    *,
    workorder: WorkOrder,
    by: User,
    until: datetime.date | None = None,
    months: int = 12,
    now: datetime.datetime | None = None,
) -> UsageReport:
    """Analyse the household's use over `months` months up to `until` (by default its latest
    month read) and attach the analysis to the metering dispute; the step is on the timeline
    and the resident is told."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = for_update().get(pk=workorder.pk)
        USAGE_POLICY.check("attach_usage", locked, parties_of(by, locked, at=now))
        assert locked.household is not None  # the policy asks for one
        analysis = usage_analysis(
            locked.household,
            until=until,
            months=months,
            answer_working_days=answer_working_days(locked.category),
        )
        report = UsageReport.objects.create(
            workorder=locked,
            household=locked.household,
            until=analysis.until,
            months=analysis.months,
            data=analysis.to_json(),
            made_by=by,
            made_at=now,
        )
        take_step(
            locked,
            Event.USAGE_REPORT,
            by=by,
            now=now,
            data={
                "report": report.pk,
                "until": analysis.until.isoformat(),
                "months": analysis.months,
                "meter_test_warranted": analysis.meter_test_warranted,
            },
            extra={
                "report_link": f"/me/requests/{locked.pk}/usage/{report.pk}/",
            },
        )
    return report


def metering_centre_of(workorder: WorkOrder) -> Department:
    """The metering department (计量中心) of the request's compound's district."""
    department = (
        Department.objects.filter(
            kind=Department.Kind.METERING,
            district__streets__communities__compounds=workorder.compound_id,
        )
        .order_by("code")
        .first()
    )
    if department is None:
        raise WrongState(
            _(
                "No metering centre serves this compound's district, so a meter test cannot "
                "be handed on: an administrator adds one under Departments (kind: metering "
                "centre)."
            )
        )
    return department


def workorder_request_meter_test(
    *,
    workorder: WorkOrder,
    by: User,
    note: str = "",
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Raise a meter test for the dispute's household: a new request of the meter-test
    category, linked to the dispute (`raised_from`) and handed at once to the metering centre
    of the compound's district. Both timelines say so, and the resident is told."""
    now = now or timezone.now()
    note = clean_text(note, field="note", limit=MAX_NOTE, required=False)
    with transaction.atomic():
        locked = for_update().get(pk=workorder.pk)
        USAGE_POLICY.check("request_meter_test", locked, parties_of(by, locked, at=now))
        department = metering_centre_of(locked)
        category = Category.objects.filter(code=METER_TEST, active=True).first()
        if category is None:
            raise WrongState(_("The meter test category is not active."))
        intro = _("Meter test for metering dispute No. %(id)s.") % {"id": locked.pk}
        test = workorder_create(
            category=category,
            description="\n".join(part for part in (intro, note) if part),
            channel=Channel.FOLLOW_UP,
            by=by,
            household=locked.household,
            now=now,
        )
        test.raised_from = locked
        test.save(update_fields=["raised_from"])
        test = workorder_transfer(
            workorder=test, by=by, reason=intro, department=department, now=now
        )
        take_step(
            locked,
            Event.METER_TEST,
            by=by,
            now=now,
            note=note,
            to_department=department,
            data={"meter_test": test.pk},
            extra={"meter_test_id": test.pk},
        )
    return test
