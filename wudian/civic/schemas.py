"""API schemas of civic work. Text limits are checked by the services, so that a refusal
names the limit in the user's language."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Field, Schema

from wudian.civic.models import Activity, Appeal, SignUp, Visit
from wudian.core.api import RowId
from wudian.grid.selectors import HouseholdView

AppealKind = Literal["electricity", "property", "civic"]
AppealStatus = Literal["open", "requested", "answered", "closed"]
ActivityState = Literal["draft", "open", "closed", "cancelled", "done"]


def person_name(user: Any) -> str:
    return user.display_name or user.username


# Visits -----------------------------------------------------------------------------------


class VisitFilters(Schema):
    community: str | None = Field(None, max_length=32, description="A community's code")
    compound: str | None = Field(None, max_length=32, description="A compound's code")
    since: datetime.date | None = Field(None, description="Visited on or after this day")
    until: datetime.date | None = Field(None, description="Visited on or before this day")


class RequestRefOut(Schema):
    id: int
    status: str
    url: str


class AppealOut(Schema):
    id: int
    text: str
    kind: AppealKind
    status: AppealStatus
    answer: str
    request: RequestRefOut | None = Field(description="The request the appeal became")

    @staticmethod
    def resolve_request(obj: Appeal) -> dict[str, Any] | None:
        workorder = obj.work_order
        if workorder is None:
            return None
        return {
            "id": workorder.pk,
            "status": workorder.status,
            "url": f"/api/v1/workorders/{workorder.pk}",
        }


class VisitRowOut(Schema):
    id: int
    visited_on: datetime.date
    community: str
    compound: str
    compound_name: str
    building: str
    recorded_by: str
    people_met: int
    appeals: int
    appeals_open: int

    @staticmethod
    def resolve_community(obj: Visit) -> str:
        return obj.compound.community.code

    @staticmethod
    def resolve_compound(obj: Visit) -> str:
        return obj.compound.code

    @staticmethod
    def resolve_compound_name(obj: Visit) -> str:
        return obj.compound.name

    @staticmethod
    def resolve_building(obj: Visit) -> str:
        return obj.building.name if obj.building is not None else ""

    @staticmethod
    def resolve_recorded_by(obj: Visit) -> str:
        return person_name(obj.recorded_by)

    @staticmethod
    def resolve_appeals(obj: Visit) -> int:
        return int(getattr(obj, "appeal_count", 0))

    @staticmethod
    def resolve_appeals_open(obj: Visit) -> int:
        return int(getattr(obj, "open_count", 0))


class VisitHouseholdOut(Schema):
    id: int
    address: str
    holder_name: str
    account_no: str
    phone: str
    masked: bool = Field(description="Contacts masked: the caller does not serve it")


class VisitOut(Schema):
    id: int
    visited_on: datetime.date
    compound: str
    compound_name: str
    building: str
    household: VisitHouseholdOut | None
    visitors: list[str]
    people_met: int
    summary: str
    appeals: list[AppealOut]

    @staticmethod
    def resolve_compound(obj: Visit) -> str:
        return obj.compound.code

    @staticmethod
    def resolve_compound_name(obj: Visit) -> str:
        return obj.compound.name

    @staticmethod
    def resolve_building(obj: Visit) -> str:
        return obj.building.name if obj.building is not None else ""

    @staticmethod
    def resolve_household(obj: Visit) -> dict[str, Any] | None:
        view: HouseholdView | None = getattr(obj, "household_view", None)
        if view is None:
            return None
        return {
            "id": view.household.pk,
            "address": view.address,
            "holder_name": view.holder_name,
            "account_no": view.account_no,
            "phone": view.phone,
            "masked": view.masked,
        }

    @staticmethod
    def resolve_visitors(obj: Visit) -> list[str]:
        return [person_name(user) for user in obj.visitors.all()]

    @staticmethod
    def resolve_appeals(obj: Visit) -> list[Appeal]:
        return list(obj.appeals.all())


class AppealIn(Schema):
    text: str
    kind: AppealKind


class VisitIn(Schema):
    compound: str = Field(max_length=32, description="The compound's code")
    building: str = Field("", max_length=32, description="The building's name or code")
    household_id: RowId | None = Field(None, description="The household visited, if one")
    visited_on: datetime.date
    people_met: int = Field(ge=1, le=500)
    summary: str
    appeals: list[AppealIn] = Field(default_factory=list, max_length=20)
    companions: list[str] = Field(
        default_factory=list, max_length=10, description="Usernames of staff who came along"
    )


class AppealRequestIn(Schema):
    category: str = Field(max_length=40, description="A request category's code")
    description: str = Field("", description="The request's text; the appeal's when empty")


# Activities -------------------------------------------------------------------------------


class ActivityRowOut(Schema):
    id: int
    title: str
    description: str
    place: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    signup_deadline: datetime.datetime
    capacity: int
    taken: int = Field(description="Places signed up for")
    state: ActivityState
    compounds: list[str]
    organiser: str
    signed_up: bool = Field(description="Whether the caller holds a place")

    @staticmethod
    def resolve_taken(obj: Activity) -> int:
        return int(getattr(obj, "taken", 0))

    @staticmethod
    def resolve_compounds(obj: Activity) -> list[str]:
        return [compound.code for compound in obj.compounds.all()]

    @staticmethod
    def resolve_organiser(obj: Activity) -> str:
        return person_name(obj.organiser)

    @staticmethod
    def resolve_signed_up(obj: Activity) -> bool:
        return bool(getattr(obj, "signed_up", False))


class ActivityOut(ActivityRowOut):
    actions: list[str] = Field(description="What the caller may do now")

    @staticmethod
    def resolve_actions(obj: Activity) -> list[str]:
        return list(getattr(obj, "action_names", []))


class ActivityFilters(Schema):
    upcoming: bool = Field(False, description="Only activities not yet over")
    mine: bool = Field(False, description="Only those the caller signed up for")


class SignUpOut(Schema):
    activity: int
    status: Literal["signed_up", "cancelled"]
    signed_up_at: datetime.datetime

    @staticmethod
    def resolve_activity(obj: SignUp) -> int:
        return obj.activity_id
