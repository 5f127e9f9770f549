"""API schemas of resident requests.

Text limits (description 4,000 characters, notes and reasons 2,000, rating comment 1,000)
are checked by the services, so that a refusal names the limit in the user's language."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import ConfigDict

from wudian.accounts.models import localized
from wudian.core.privacy import mask_name, mask_phone
from wudian.grid.selectors import HouseholdView
from wudian.workorders.models import Category, WorkOrder, WorkOrderEvent, WorkOrderPhoto

# Channels a member of staff may record when filing for a resident; a resident filing
# through the API always gets "api".
StaffChannel = Literal["phone", "visit", "link_day", "patrol", "circle"]
StatusCode = Literal[
    "submitted", "accepted", "arrived", "waiting", "resolved", "closed", "cancelled"
]


def person_name(user: Any) -> str:
    return user.display_name or user.username


# Categories ------------------------------------------------------------------------------


class ClockTargetOut(Schema):
    target: int
    unit: str = Field(description="minutes or working_days")


class CategoryClocksOut(Schema):
    accept: ClockTargetOut
    arrive: ClockTargetOut | None = Field(description="Only for requests needing a visit")
    resolve: ClockTargetOut


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    description: str
    documents: list[str] = Field(description="Documents a business application needs")
    routing: str = Field(description="electrician or customer_manager")
    clocks: CategoryClocksOut

    @staticmethod
    def resolve_clocks(obj: Category) -> dict[str, Any]:
        def clock(name: str) -> dict[str, Any] | None:
            target = getattr(obj, f"{name}_target")
            if target is None:
                return None
            return {"target": target, "unit": getattr(obj, f"{name}_unit")}

        return {"accept": clock("accept"), "arrive": clock("arrive"), "resolve": clock("resolve")}


# Filing ----------------------------------------------------------------------------------


class WorkOrderIn(Schema):
    """A new request about one household. `channel`, `contact_name` and `contact_phone`
    are for staff entering what a resident said (a phone call, a visit); a resident's own
    request is always recorded with channel `api` and these fields are ignored."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(max_length=40, examples=["fault_behind_meter"])
    description: str = Field(
        description="At most 4,000 characters", examples=["卫生间插座没有电，空开跳了合不上"]
    )
    household_id: int
    channel: StaffChannel | None = None
    contact_name: str = Field("", max_length=64)
    contact_phone: str = Field("", max_length=20)


# Requests --------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str


class DepartmentOut(Schema):
    code: str
    name: str


class DueOut(Schema):
    accept: datetime.datetime | None
    arrive: datetime.datetime | None
    resolve: datetime.datetime | None
    next: datetime.datetime | None = Field(description="The earliest deadline still running")


class HeldOut(Schema):
    """Resolves `assignee` and `department`, whose hands a request is in, for the request
    schemas that declare them."""

    @staticmethod
    def resolve_assignee(obj: WorkOrder) -> dict[str, Any] | None:
        if obj.assignee_id is None:
            return None
        return {"id": obj.assignee_id, "name": person_name(obj.assignee)}

    @staticmethod
    def resolve_department(obj: WorkOrder) -> dict[str, Any] | None:
        department = obj.department if obj.department_id is not None else None
        if department is None:
            return None
        return {"code": department.code, "name": department.name}


class WorkOrderOut(HeldOut):
    """A request as filed: who holds it and when each clock is due."""

    id: int
    status: str
    category: str = Field(description="Code of the category")
    assignee: PersonOut | None
    department: DepartmentOut | None
    due: DueOut
    priority: bool = Field(description="A special-group household: shorter clocks")
    opinion_risk: bool
    created_at: datetime.datetime

    @staticmethod
    def resolve_category(obj: WorkOrder) -> str:
        return obj.category.code

    @staticmethod
    def resolve_due(obj: WorkOrder) -> dict[str, Any]:
        return {
            "accept": obj.accept_due,
            "arrive": obj.arrive_due,
            "resolve": obj.resolve_due,
            "next": obj.next_due,
        }


class CategoryRefOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str


class CompoundRefOut(Schema):
    code: str
    name: str


class LateOut(Schema):
    accept: bool | None
    arrive: bool | None
    resolve: bool | None


class WorkOrderRowOut(HeldOut):
    """A request in a list (only what selectors.workorder_rows loads)."""

    id: int
    status: str
    status_label: str
    channel: str
    category: CategoryRefOut
    compound: CompoundRefOut
    household_id: int | None
    description: str
    assignee: PersonOut | None
    department: DepartmentOut | None
    priority: bool
    opinion_risk: bool
    escalation_level: int
    next_due: datetime.datetime | None
    late: LateOut = Field(description="Per clock: true missed, false met on time, null open")
    rating: int | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_status_label(obj: WorkOrder) -> str:
        return obj.status_label

    @staticmethod
    def resolve_late(obj: WorkOrder) -> dict[str, Any]:
        return {
            "accept": obj.accept_late,
            "arrive": obj.arrive_late,
            "resolve": obj.resolve_late,
        }


class ClockOut(Schema):
    due: datetime.datetime | None
    done_at: datetime.datetime | None
    late: bool | None = Field(description="Set once decided: met late, or found overdue")
    met: bool | None = Field(description="True done in time, false missed, null still running")


class ClocksOut(Schema):
    accept: ClockOut
    arrive: ClockOut | None = Field(description="Only for requests needing a visit")
    resolve: ClockOut
    paused_at: datetime.datetime | None = Field(description="Set while waiting for the resident")
    started_at: datetime.datetime | None
    problem: str = Field(description="Why a deadline could not be computed, if it could not")


class HouseholdRefOut(Schema):
    id: int
    account_no: str
    address: str = Field(description="Masked for staff who do not serve the household")


class ContactOut(Schema):
    name: str
    phone: str


class EventOut(Schema):
    kind: str
    kind_label: str
    at: datetime.datetime
    by: str | None = Field(description="Name of who acted; null for the system")
    to: str | None = Field(description="Whose hands it went to (a person or a department)")
    note: str

    @staticmethod
    def resolve_kind_label(obj: WorkOrderEvent) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_by(obj: WorkOrderEvent) -> str | None:
        return person_name(obj.by) if obj.by_id else None

    @staticmethod
    def resolve_to(obj: WorkOrderEvent) -> str | None:
        if obj.to_user_id:
            return person_name(obj.to_user)
        if obj.to_department_id:
            return obj.to_department.name  # type: ignore[union-attr]
        return None


class PhotoOut(Schema):
    id: int
    url: str
    content_type: str
    size: int
    uploaded_at: datetime.datetime

    @staticmethod
    def resolve_url(obj: WorkOrderPhoto) -> str:
        return obj.url  # type: ignore[attr-defined]


class RatingOut(Schema):
    rating: int
    comment: str
    visited_hall: bool | None = Field(description="Had to go to the service hall")
    rated_at: datetime.datetime


class WorkOrderDetailOut(WorkOrderOut):
    """One request with everything its viewer may see. `risk_topics` is for staff only;
    the household's address and the contact are masked for staff who do not serve it."""

    status_label: str
    channel: str
    category_name: str
    description: str
    compound: CompoundRefOut
    household: HouseholdRefOut | None
    address: str
    contact: ContactOut | None
    owner: PersonOut | None = Field(description="First responsible (首问负责)")
    escalation_level: int
    risk_topics: list[str] | None
    resolution: str
    reopen_count: int
    clocks: ClocksOut
    confirmed_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    updated_at: datetime.datetime
    rating: RatingOut | None
    photos: list[PhotoOut]
    timeline: list[EventOut]
    actions: list[str] = Field(
        description="The actions the caller may take on the request now, by the names of "
        "POST /workorders/{id}/actions/{name} (and add_photos: POST /workorders/{id}/photos)"
    )

    # The handler sets `staff_view`, `household_view`, `serves`, `photo_rows`,
    # `timeline_rows` and `action_names` on the request (see api._detail).
    @staticmethod
    def resolve_status_label(obj: WorkOrder) -> str:
        return obj.status_label

    @staticmethod
    def resolve_category_name(obj: WorkOrder) -> str:
        return localized(obj.category.name, obj.category.name_en)

    @staticmethod
    def resolve_household(obj: WorkOrder) -> dict[str, Any] | None:
        view: HouseholdView | None = getattr(obj, "household_view", None)
        if view is None:
            return None
        return {
            "id": view.household.pk,
            "account_no": view.account_no,
            "address": view.address,
        }

    @staticmethod
    def resolve_address(obj: WorkOrder) -> str:
        view: HouseholdView | None = getattr(obj, "household_view", None)
        return view.address if view is not None else obj.address_text

    @staticmethod
    def resolve_contact(obj: WorkOrder) -> dict[str, Any] | None:
        if not (obj.contact_name or obj.contact_phone):
            return None
        if getattr(obj, "serves", False):
            return {"name": obj.contact_name, "phone": obj.contact_phone}
        return {"name": mask_name(obj.contact_name), "phone": mask_phone(obj.contact_phone)}

    @staticmethod
    def resolve_owner(obj: WorkOrder) -> dict[str, Any] | None:
        if obj.owner_id is None:
            return None
        return {"id": obj.owner_id, "name": person_name(obj.owner)}

    @staticmethod
    def resolve_risk_topics(obj: WorkOrder) -> list[str] | None:
        return list(obj.risk_topics) if getattr(obj, "staff_view", False) else None

    @staticmethod
    def resolve_clocks(obj: WorkOrder) -> dict[str, Any]:
        return clocks_out(obj)

    @staticmethod
    def resolve_rating(obj: WorkOrder) -> dict[str, Any] | None:
        if obj.rated_at is None or obj.rating is None:
            return None
        return {
            "rating": obj.rating,
            "comment": obj.rating_comment,
            "visited_hall": obj.visited_hall,
            "rated_at": obj.rated_at,
        }

    @staticmethod
    def resolve_photos(obj: WorkOrder) -> list[Any]:
        return list(getattr(obj, "photo_rows", []))

    @staticmethod
    def resolve_timeline(obj: WorkOrder) -> list[Any]:
        return list(getattr(obj, "timeline_rows", []))

    @staticmethod
    def resolve_actions(obj: WorkOrder) -> list[str]:
        return list(getattr(obj, "action_names", []))


def clock_out(obj: WorkOrder, clock: str, done_field: str, *, now: datetime.datetime) -> Any:
    due = getattr(obj, f"{clock}_due")
    done_at = getattr(obj, done_field)
    late = getattr(obj, f"{clock}_late")
    if late is not None:
        met: bool | None = not late
    elif done_at is not None:
        met = due is None or done_at <= due
    elif due is not None and due <= now and obj.status in WorkOrder.ACTIVE_STATUSES:
        met = False
    else:
        met = None
    return {"due": due, "done_at": done_at, "late": late, "met": met}


def clocks_out(obj: WorkOrder) -> dict[str, Any]:
    now = timezone.now()
    arrive = None
    if obj.arrive_due is not None or obj.arrived_at is not None:
        arrive = clock_out(obj, "arrive", "arrived_at", now=now)
    return {
        "accept": clock_out(obj, "accept", "accepted_at", now=now),
        "arrive": arrive,
        "resolve": clock_out(obj, "resolve", "resolved_at", now=now),
        "paused_at": obj.paused_at,
        "started_at": obj.clocks_started_at,
        "problem": obj.clock_problem,
    }


# Actions ---------------------------------------------------------------------------------


class _ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")


class NoteIn(_ActionIn):
    note: str = Field(description="At most 2,000 characters")


class OptionalNoteIn(_ActionIn):
    note: str = Field("", description="At most 2,000 characters")


class ReasonIn(_ActionIn):
    reason: str = Field(description="At most 2,000 characters")


class WorkOrderCancelIn(_ActionIn):
    reason: str = Field(
        "", description="Required from staff; the resident who filed it may leave it out"
    )


class EscalateIn(_ActionIn):
    reason: str
    department: str | None = Field(
        None,
        max_length=32,
        description="Code of the department to pass it to; left out, an electrician's "
        "request goes up to the compound's customer manager",
    )


class TransferIn(_ActionIn):
    reason: str
    to: str = Field(
        max_length=150, description="Username of a member of staff, or code of a department"
    )


class RateIn(_ActionIn):
    rating: int = Field(description="1 to 5")
    comment: str = Field("", description="At most 1,000 characters")
    visited_hall: bool | None = Field(None, description="Did you have to go to the service hall?")


# A metering dispute's usage analyses ------------------------------------------------------


class UsageIn(_ActionIn):
    until: datetime.date | None = Field(
        None, description="Any day of the last month analysed; left out, the latest month read"
    )
    months: int = Field(12, description="How many months, 1 to 36")


class UsageReportOut(Schema):
    id: int
    workorder_id: int
    until: datetime.date = Field(description="The first day of the last month analysed")
    months: int
    made_by: str
    made_at: datetime.datetime
    pdf: str = Field(description="The PDF of the analysis, for the caller")
    analysis: dict[str, Any] = Field(
        description="The snapshot: the monthly series with the same months a year before and "
        "the compound's median, the daily series, jumps, runs of zero use and advice (codes "
        "and values; `advice_text` has the words in the caller's language)"
    )
    advice_text: list[str]

    @staticmethod
    def resolve_made_by(obj: Any) -> str:
        return person_name(obj.made_by)

    @staticmethod
    def resolve_analysis(obj: Any) -> dict[str, Any]:
        data: dict[str, Any] = obj.data
        return data
