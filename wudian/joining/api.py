"""The API of residents joining by themselves: a one-time code to a phone and a bearer token
for it (no password), binding a household as its holder, leaving one, applications of family
members and tenants, and the staff's decisions on them. Refusals are mapped once in
wudian/api.py; throttles answer 429 with Retry-After."""

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from wudian.accounts.models import User
from wudian.accounts.services import api_token_issue
from wudian.core.api import LimitOffset, Refusal
from wudian.core.errors import OutsideScope
from wudian.core.throttle import client_address
from wudian.grid.models import Compound, HouseholdMembership
from wudian.joining import services
from wudian.joining.models import Application
from wudian.joining.policy import (
    APPLICATION_POLICY,
    application_parties,
    editable_compound_ids,
)
from wudian.joining.selectors import (
    application_of,
    application_to_decide,
    applications_of,
    applications_to_decide,
)

router = Router(tags=["joining"])

THROTTLED = {429: Refusal}


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


# Codes and tokens ---------------------------------------------------------------------


class CodeIn(Schema):
    phone: str = Field(..., min_length=1, max_length=20, description="A mainland mobile number")


class CodeSent(Schema):
    expires_in: int = Field(..., description="Seconds the code is valid")
    detail: str


class VerifyIn(Schema):
    phone: str = Field(..., min_length=1, max_length=20)
    code: str = Field(..., min_length=1, max_length=12)
    name: str = Field("", max_length=100, description="A label for the token, e.g. the device")


class VerifyOut(Schema):
    token: str = Field(..., description="Send as `Authorization: Bearer <token>`; shown once")
    expires: datetime.datetime
    created: bool = Field(..., description="Whether the account was made by this code")


@router.post(
    "/join/code",
    auth=None,
    response={202: CodeSent, 422: Refusal, **THROTTLED},
    summary="Send a login code to a phone",
)
def code_send(request: HttpRequest, payload: CodeIn) -> Any:
    """Send a 6-digit one-time code by SMS. The answer is the same whether or not the phone
    has an account. Throttled per phone and per client address (429 with Retry-After)."""
    services.code_send(phone=payload.phone, client=client_address(request))
    return Status(
        202,
        {
            "expires_in": services.CODE_MINUTES * 60,
            "detail": _("A code was sent by text message."),
        },
    )


@router.post(
    "/join/token",
    auth=None,
    response={200: VerifyOut, 422: Refusal, **THROTTLED},
    summary="Get an API token with a login code",
)
def code_verify(request: HttpRequest, payload: VerifyIn) -> Any:
    """Exchange a phone and its code for a bearer token, as `POST /auth/token` does for a
    password. The phone's resident account is made on its first good code."""
    login = services.code_verify(
        phone=payload.phone, code=payload.code, client=client_address(request)
    )
    issued = api_token_issue(user=login.user, name=payload.name or _("Login with a code"))
    return Status(200, {"token": issued.token, "expires": issued.expires, "created": login.created})


# Households ------------------------------------------------------------------------------


class BindIn(Schema):
    account_no: str = Field(..., min_length=1, max_length=16)
    surname: str = Field(..., min_length=1, max_length=4, description="The holder's surname")
    phone_last4: str = Field(
        ..., min_length=1, max_length=4, description="Last 4 digits of the holder's phone"
    )


class MembershipOut(Schema):
    household_id: int
    account_no: str
    address: str
    compound: str
    compound_name: str
    relation: str


def _membership_out(membership: HouseholdMembership) -> dict[str, Any]:
    household = membership.household
    compound = household.building.compound
    return {
        "household_id": household.pk,
        "account_no": household.account_no,
        "address": household.address,
        "compound": compound.code,
        "compound_name": compound.name,
        "relation": membership.relation,
    }


@router.post(
    "/me/households/bind",
    response={201: MembershipOut, 422: Refusal, **THROTTLED},
    summary="Link a household as its holder",
)
def household_bind(request: HttpRequest, payload: BindIn) -> Any:
    """Link the household of an account number as its holder, with the holder's surname and
    the last 4 digits of the holder's phone on record. A wrong check and an unknown account
    number are refused alike (422); too many wrong checks lock further ones (429)."""
    membership = services.household_bind(
        user=_caller(request),
        account_no=payload.account_no,
        surname=payload.surname,
        phone_last4=payload.phone_last4,
        client=client_address(request),
    )
    return Status(201, _membership_out(membership))


@router.delete(
    "/me/households/{int:household_id}",
    response={204: None, 404: Refusal},
    summary="Leave one of my households",
)
def household_leave(request: HttpRequest, household_id: int) -> Any:
    services.household_leave(user=_caller(request), household_id=household_id)
    return Status(204, None)


# Applications ----------------------------------------------------------------------------


class ApplicationIn(Schema):
    compound: str = Field(..., min_length=1, max_length=32, description="Code of the compound")
    account_no: str = Field(..., min_length=1, max_length=16)
    relation: str = Field(..., description="`family` or `tenant`")
    name: str = Field(..., min_length=1, max_length=32, description="The applicant's name")
    note: str = Field("", max_length=200)


class MyApplicationOut(Schema):
    id: int
    compound: str
    compound_name: str
    account_no: str
    relation: str
    state: str
    state_label: str
    reason: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    actions: list[str]


class StaffApplicationOut(MyApplicationOut):
    name: str
    note: str
    applicant_phone: str
    matches: bool = Field(..., description="Whether the account is a household of the compound")
    household_id: int | None
    household_address: str


class RejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


def _application_out(
    application: Application,
    user: User,
    *,
    staff: bool,
    editable: set[int] | None = None,
) -> dict[str, Any]:
    parties = application_parties(user, application, editable=editable)
    among = ("approve", "reject") if staff else ("withdraw",)
    out: dict[str, Any] = {
        "id": application.pk,
        "compound": application.compound.code,
        "compound_name": application.compound.name,
        "account_no": application.account_no,
        "relation": application.relation,
        "state": application.state,
        "state_label": application.get_state_display(),
        "reason": application.reason,
        "created_at": application.created_at,
        "decided_at": application.decided_at,
        "actions": APPLICATION_POLICY.allowed(application, parties, among=among),
    }
    if staff:
        household = application.household
        out |= {
            "name": application.name,
            "note": application.note,
            "applicant_phone": application.applicant.phone,
            "matches": household is not None,
            "household_id": household.pk if household else None,
            "household_address": household.address if household else "",
        }
    return out


@router.post(
    "/me/households/applications",
    response={201: MyApplicationOut, 404: Refusal, 409: Refusal, 422: Refusal, **THROTTLED},
    summary="Apply to join a household (family member or tenant)",
)
def application_file(request: HttpRequest, payload: ApplicationIn) -> Any:
    """File an application that the compound's property office or customer manager decides.
    It is filed whether or not the account number is one of the compound's households."""
    compound = Compound.objects.filter(code=payload.compound).first()
    if compound is None:
        raise OutsideScope(_("No such compound."))
    user = _caller(request)
    application = services.application_file(
        user=user,
        compound=compound,
        account_no=payload.account_no,
        relation=payload.relation,
        name=payload.name,
        note=payload.note,
    )
    return Status(201, _application_out(application, user, staff=False))


class MyApplicationsPage(LimitOffset):
    def paginate_queryset(
        self, queryset: QuerySet[Application], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        user = _caller(request)
        page["items"] = [_application_out(a, user, staff=False) for a in page["items"]]
        return page


class StaffApplicationsPage(LimitOffset):
    def paginate_queryset(
        self, queryset: QuerySet[Application], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        user = _caller(request)
        editable = editable_compound_ids(user)
        page["items"] = [
            _application_out(a, user, staff=True, editable=editable) for a in page["items"]
        ]
        return page


@router.get(
    "/me/households/applications",
    response=list[MyApplicationOut],
    summary="My applications to join households",
)
@paginate(MyApplicationsPage)
def my_applications(request: HttpRequest) -> QuerySet[Application]:
    return applications_of(_caller(request))


@router.post(
    "/me/households/applications/{application_id}/withdraw",
    response={200: MyApplicationOut, 404: Refusal, 409: Refusal},
    summary="Withdraw my application",
)
def application_withdraw(request: HttpRequest, application_id: int) -> Any:
    user = _caller(request)
    application = services.application_withdraw(
        application=application_of(user, application_id), by=user
    )
    return Status(200, _application_out(application, user, staff=False))


class QueueFilters(Schema):
    state: Application.State | None = Field(None, description="Only applications in this state")


@router.get(
    "/joining/applications",
    response={200: list[StaffApplicationOut], 403: Refusal},
    summary="Applications of my compounds",
)
@paginate(StaffApplicationsPage)
def staff_applications(request: HttpRequest, filters: Query[QueueFilters]) -> QuerySet[Application]:
    """The applications to join households of the compounds the caller edits households of
    (their customer manager, their property office), oldest first."""
    queue = applications_to_decide(_caller(request)).order_by("created_at", "pk")
    if filters.state:
        queue = queue.filter(state=filters.state)
    return queue


@router.post(
    "/joining/applications/{application_id}/approve",
    response={200: StaffApplicationOut, 403: Refusal, 404: Refusal, 409: Refusal},
    summary="Approve an application",
)
def application_approve(request: HttpRequest, application_id: int) -> Any:
    user = _caller(request)
    application = services.application_approve(
        application=application_to_decide(user, application_id), by=user
    )
    return Status(200, _application_out(application, user, staff=True))


@router.post(
    "/joining/applications/{application_id}/reject",
    response={200: StaffApplicationOut, 403: Refusal, 404: Refusal, 409: Refusal, 422: Refusal},
    summary="Reject an application, saying why",
)
def application_reject(request: HttpRequest, application_id: int, payload: RejectIn) -> Any:
    user = _caller(request)
    application = services.application_reject(
        application=application_to_decide(user, application_id), by=user, reason=payload.reason
    )
    return Status(200, _application_out(application, user, staff=True))
