"""billing's API: friendly reminders (友情化催费) — the walks of the caller's compounds for the
current list, one walk with its households in walking order (amounts, due dates, marks,
reminders, whether each paid on a later list), and recording a visit's or a call's outcome.

For the staff who remind (Purpose.REMIND) only; a walk or line outside their compounds is
404. Refusals are mapped once, by the root API (wudian.api.on_refusal)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from wudian.accounts.models import User
from wudian.audit.services import special_group_reads_record
from wudian.billing.models import ReminderWalk
from wudian.billing.policy import lines_to_record
from wudian.billing.selectors.arrears import arrears_latest
from wudian.billing.selectors.reminders import (
    line_for,
    reminds_anyone,
    walk_for,
    walk_stops,
    walks_for,
)
from wudian.billing.services.reminders import MAX_NOTE, reminder_record
from wudian.core.api import PageNumbers, Refusal, RowId
from wudian.core.errors import BadInput, NotAllowed, OutsideScope
from wudian.grid.models import Household
from wudian.grid.scope import Purpose, compounds_for

router = Router(tags=["billing"])

ERRORS: dict[int, Any] = {403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}

StaffOutcome = Literal["in_person", "note_left", "phone_call", "not_reachable"]
AnyOutcome = Literal["in_person", "note_left", "phone_call", "not_reachable", "message"]


def _caller(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not reminds_anyone(user):
        raise NotAllowed(
            _(
                "Payment reminders are for the customer managers, property electricians and "
                "property office staff of the compounds."
            )
        )
    return user


class WalkRowOut(Schema):
    id: int
    compound: str
    compound_name: str
    building: str
    list_as_of: datetime.date
    households: int = Field(description="Households to remind")
    reminded: int = Field(description="Reminded so far (a message does not count for some)")
    close: int = Field(description="Close to disconnection on the list's day")
    url: str

    @staticmethod
    def resolve_compound(obj: ReminderWalk) -> str:
        return obj.building.compound.code

    @staticmethod
    def resolve_compound_name(obj: ReminderWalk) -> str:
        return obj.building.compound.name

    @staticmethod
    def resolve_building(obj: ReminderWalk) -> str:
        return obj.building.name

    @staticmethod
    def resolve_list_as_of(obj: ReminderWalk) -> datetime.date:
        return obj.run.as_of

    @staticmethod
    def resolve_url(obj: ReminderWalk) -> str:
        return f"/api/v1/billing/reminders/walks/{obj.pk}"


class ReminderOut(Schema):
    id: int
    outcome: AnyOutcome
    note: str
    by: str = Field(description="Who recorded it; empty for a message the system sent")
    at: datetime.datetime


class StopOut(Schema):
    line: int = Field(description="The arrears line: record reminders on it")
    current: bool
    account_no: str
    unit: str
    room: str
    holder: str
    phone: str
    kind: Literal["postpaid", "prepaid"]
    amount: Decimal = Field(description="Owed (postpaid) or balance (prepaid), CNY")
    due_date: datetime.date | None
    warning_level: Decimal | None
    days_overdue: int | None
    close_to_disconnection: bool
    visit_now: bool
    needs_visit_or_call: bool = Field(description="A message never counts for this household")
    reminded: bool
    paid_on_list_of: datetime.date | None = Field(
        description="The first later list it is absent from or owes less on"
    )
    reminders: list[ReminderOut]
    may_record: bool


class WalkOut(WalkRowOut):
    stops: list[StopOut]


def _walk_out(user: User, walk: ReminderWalk) -> ReminderWalk:
    stops = walk_stops(walk, today=timezone.localdate())
    allowed = lines_to_record(user, [s.line for s in stops])
    special_group_reads_record(
        viewer=user, households=[s.household for s in stops if s.household.special_group]
    )
    out = _with_counts(user, walk)
    out.stops = [  # type: ignore[attr-defined]
        {
            "line": s.line.pk,
            "current": s.line.current,
            "account_no": s.household.account_no,
            "unit": s.household.unit,
            "room": s.household.room,
            "holder": s.household.holder_name,
            "phone": s.household.phone,
            "kind": s.line.kind,
            "amount": s.line.amount,
            "due_date": s.line.due_date,
            "warning_level": s.line.warning_level,
            "days_overdue": s.days_overdue,
            "close_to_disconnection": s.close,
            "visit_now": s.visit_now,
            "needs_visit_or_call": s.household.special_group,
            "reminded": s.reminded,
            "paid_on_list_of": s.paid.as_of if s.paid else None,
            "reminders": [
                {
                    "id": r.pk,
                    "outcome": r.outcome,
                    "note": r.note,
                    "by": (r.by.display_name or r.by.username) if r.by else "",
                    "at": r.at,
                }
                for r in s.reminders
            ],
            "may_record": s.line.pk in allowed,
        }
        for s in stops
    ]
    return out


def _with_counts(user: User, walk: ReminderWalk) -> ReminderWalk:
    counted = walks_for(user, walk.run).filter(pk=walk.pk).first()
    return counted or walk


@router.get(
    "/billing/reminders/walks",
    response={200: list[WalkRowOut], 403: Refusal},
    summary="Reminder walks",
)
@paginate(PageNumbers)
def walk_list(request: HttpRequest) -> QuerySet[ReminderWalk]:
    """The walks of the caller's compounds for the current arrears list."""
    return walks_for(_caller(request), arrears_latest())


@router.get(
    "/billing/reminders/walks/{walk_id}",
    response={200: WalkOut, **ERRORS},
    summary="One reminder walk",
)
def walk_get(request: HttpRequest, walk_id: RowId) -> Any:
    user = _caller(request)
    return _walk_out(user, walk_for(user, walk_id))


class ReminderIn(Schema):
    line: RowId | None = Field(None, description="The arrears line (or give the household)")
    household: str | None = Field(
        None, max_length=16, description="Account number: its current line"
    )
    outcome: StaffOutcome
    note: str = Field("", max_length=MAX_NOTE)


class RecordedOut(ReminderOut):
    line: int
    household: str


@router.post(
    "/billing/reminders",
    response={201: RecordedOut, **ERRORS},
    summary="Record a reminder's outcome",
)
def reminder_create(request: HttpRequest, payload: ReminderIn) -> Any:
    """Record the outcome of a visit or a call on a household's arrears line. A line a later
    list replaced: 409."""
    user = _caller(request)
    if (payload.line is None) == (payload.household is None):
        raise BadInput(_("Give either the arrears line or the household's account number."))
    if payload.line is not None:
        reminder = reminder_record(
            line=line_for(user, payload.line),
            outcome=payload.outcome,
            note=payload.note,
            by=user,
        )
    else:
        household = Household.objects.filter(
            account_no=payload.household,
            building__compound__in=compounds_for(user, Purpose.REMIND).values("pk"),
        ).first()
        if household is None:
            raise OutsideScope()
        reminder = reminder_record(
            household=household, outcome=payload.outcome, note=payload.note, by=user
        )
    return Status(
        201,
        {
            "id": reminder.pk,
            "outcome": reminder.outcome,
            "note": reminder.note,
            "by": user.display_name or user.username,
            "at": reminder.at,
            "line": reminder.arrears_id,
            "household": Household.objects.values_list("account_no", flat=True).get(
                pk=reminder.household_id
            ),
        },
    )
