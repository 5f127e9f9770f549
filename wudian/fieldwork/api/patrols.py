"""fieldwork's API: joint patrols — the caller's patrols (list, one with its checklist and
answers and the actions allowed now), sending the answers (idempotent by the phone's
submission key), the second party's confirmation, and moving a plan within its month.

Handlers parse input and call one service; scope comes from the selectors: a patrol the
caller may not see answers 404 before anything else is looked at. Refusals are mapped once,
by the root API (wudian.api.on_refusal). Photos of findings go with the page's form (the
phone's camera); the API records the answers."""

import datetime
import uuid
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from wudian.accounts.models import User
from wudian.core.api import PageNumbers, Refusal, RowId
from wudian.core.errors import NotAllowed
from wudian.fieldwork.models import Patrol
from wudian.fieldwork.policy.patrols import patrol_actions
from wudian.fieldwork.selectors.patrols import (
    answers_of,
    items_of,
    month_start,
    patrol_for,
    patrols_anyone,
    patrols_visible_to,
)
from wudian.fieldwork.services.patrols import (
    AnswerIn,
    patrol_confirm,
    patrol_move,
    patrol_submit,
)

router = Router(tags=["fieldwork"])

ERRORS: dict[int, Any] = {403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal}

PatrolStatus = Literal["planned", "in_progress", "signed", "done", "cancelled"]
PatrolKind = Literal["monthly", "extra"]
Result = Literal["ok", "finding", "na"]


class PatrolRowOut(Schema):
    id: int
    compound: str
    compound_name: str
    kind: PatrolKind
    status: PatrolStatus
    month: datetime.date
    planned_on: datetime.date
    electrician: str | None
    manager: str | None

    @staticmethod
    def resolve_compound(obj: Patrol) -> str:
        return obj.compound.code

    @staticmethod
    def resolve_compound_name(obj: Patrol) -> str:
        return obj.compound.name

    @staticmethod
    def resolve_electrician(obj: Patrol) -> str | None:
        return obj.electrician.username if obj.electrician else None

    @staticmethod
    def resolve_manager(obj: Patrol) -> str | None:
        return obj.manager.username if obj.manager else None


class ItemOut(Schema):
    id: int
    position: int
    area: str
    area_name: str
    text: str
    guidance: str
    result: Result | None = Field(description="The answer recorded, if any")
    note: str


class PatrolOut(PatrolRowOut):
    moved_reason: str
    reason: str
    checklist_version: int | None = Field(
        description="The checklist version the patrol started on: send answers for it"
    )
    submitted_at: datetime.datetime | None
    electrician_signed_at: datetime.datetime | None
    manager_signed_at: datetime.datetime | None
    done_at: datetime.datetime | None
    items: list[ItemOut]
    actions: list[str] = Field(description="What the caller may do now")

    @staticmethod
    def resolve_checklist_version(obj: Patrol) -> int | None:
        return obj.checklist_version_id

    @staticmethod
    def resolve_items(obj: Patrol) -> list[dict[str, Any]]:
        if obj.checklist_version is None:
            return []
        answers = answers_of(obj)
        rows = []
        for item in items_of(obj.checklist_version):
            answer = answers.get(item.pk)
            rows.append(
                {
                    "id": item.pk,
                    "position": item.position,
                    "area": item.area,
                    "area_name": str(item.get_area_display()),
                    "text": item.text,
                    "guidance": item.guidance,
                    "result": answer.result if answer else None,
                    "note": answer.note if answer else "",
                }
            )
        return rows

    @staticmethod
    def resolve_actions(obj: Patrol) -> list[str]:
        return list(getattr(obj, "action_names", []))


class PatrolFilters(Schema):
    compound: str | None = Field(None, max_length=40, description="A compound's code")
    month: datetime.date | None = Field(None, description="Any day of the month")
    status: PatrolStatus | None = None
    kind: PatrolKind | None = None


class AnswerSchema(Schema):
    item: RowId
    result: Result
    note: str = Field("", max_length=500)
    severity: Literal["normal", "serious", "critical", ""] = ""
    responsible: Literal["property", "utility", ""] = ""
    building: RowId | None = None


class SubmitIn(Schema):
    submission_key: uuid.UUID = Field(
        description="Chosen by the phone once per patrol's answers: sent again, recorded once"
    )
    checklist_version: RowId = Field(description="The version the answers are for")
    answers: list[AnswerSchema] = Field(max_length=500)


class MoveIn(Schema):
    planned_on: datetime.date
    reason: str = Field(max_length=200)


def _caller(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _patrol_out(user: User, pk: int) -> Patrol:
    patrol = patrol_for(user, pk)
    patrol.action_names = patrol_actions(user, patrol)  # type: ignore[attr-defined]
    return patrol


@router.get(
    "/fieldwork/patrols", response={200: list[PatrolRowOut], 403: Refusal}, summary="Patrols"
)
@paginate(PageNumbers)
def patrol_list(request: HttpRequest, filters: Query[PatrolFilters]) -> QuerySet[Patrol]:
    """The patrols of the compounds the caller patrols (or supervises), the latest planned
    first."""
    user = _caller(request)
    if not patrols_anyone(user):
        raise NotAllowed(
            _("Joint patrols are for customer managers, electricians and supervisors.")
        )
    patrols = patrols_visible_to(user)
    if filters.compound:
        patrols = patrols.filter(compound__code=filters.compound)
    if filters.month:
        patrols = patrols.filter(month=month_start(filters.month))
    if filters.status:
        patrols = patrols.filter(status=filters.status)
    if filters.kind:
        patrols = patrols.filter(kind=filters.kind)
    return patrols.select_related("compound", "electrician", "manager").order_by(
        "-planned_on", "-pk"
    )


@router.get(
    "/fieldwork/patrols/{patrol_id}", response={200: PatrolOut, **ERRORS}, summary="One patrol"
)
def patrol_get(request: HttpRequest, patrol_id: RowId) -> Any:
    return _patrol_out(_caller(request), patrol_id)


@router.post(
    "/fieldwork/patrols/{patrol_id}/submit",
    response={200: PatrolOut, **ERRORS},
    summary="Send a patrol's answers",
)
def patrol_submit_api(request: HttpRequest, patrol_id: RowId, payload: SubmitIn) -> Any:
    """Record the answers to every item of the patrol's checklist version; each finding
    becomes a defect; the sender signs. Sent again with the same key, the answer is the same
    and nothing more is recorded. Answers for another version: 409."""
    user = _caller(request)
    patrol = patrol_for(user, patrol_id)
    patrol_submit(
        patrol=patrol,
        by=user,
        submission_key=payload.submission_key,
        version_id=payload.checklist_version,
        answers=[
            AnswerIn(
                item=answer.item,
                result=answer.result,
                note=answer.note,
                severity=answer.severity,
                responsible=answer.responsible,
                building=answer.building,
            )
            for answer in payload.answers
        ],
    )
    return _patrol_out(user, patrol_id)


@router.post(
    "/fieldwork/patrols/{patrol_id}/confirm",
    response={200: PatrolOut, **ERRORS},
    summary="Confirm a patrol sent by the other party",
)
def patrol_confirm_api(request: HttpRequest, patrol_id: RowId) -> Any:
    user = _caller(request)
    patrol_confirm(patrol=patrol_for(user, patrol_id), by=user)
    return _patrol_out(user, patrol_id)


@router.post(
    "/fieldwork/patrols/{patrol_id}/move",
    response={200: PatrolOut, **ERRORS},
    summary="Move a planned patrol within its month",
)
def patrol_move_api(request: HttpRequest, patrol_id: RowId, payload: MoveIn) -> Any:
    user = _caller(request)
    patrol_move(
        patrol=patrol_for(user, patrol_id),
        by=user,
        planned_on=payload.planned_on,
        reason=payload.reason,
    )
    return _patrol_out(user, patrol_id)
