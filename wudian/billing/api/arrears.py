"""billing's API: the arrears list's imports — the list of them, and importing a file
(multipart) all or nothing. The business hall's and the administrators' (billing.policy).
Refusals are mapped once, by the root API (wudian.api.on_refusal): a refused file is a 422
whose `problems` name each row, column and problem."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from wudian.accounts.models import User
from wudian.billing.models import ArrearsImport
from wudian.billing.policy import arrears_check
from wudian.billing.selectors.arrears import arrears_imports, arrears_kind_counts
from wudian.billing.services.arrears import arrears_import
from wudian.core.api import PageNumbers, Refusal
from wudian.core.errors import invalid

router = Router(tags=["billing"])


def _caller(request: HttpRequest, action: str) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    arrears_check(user, action)
    return user


class ArrearsImportRowOut(Schema):
    id: int
    as_of: datetime.date = Field(description="The day the list was drawn up")
    file_name: str
    imported_at: datetime.datetime
    imported_by: str = Field(description="Who imported it (empty: a command)")
    rows: int = Field(description="Rows of accounts read")
    households: int = Field(description="Rows that are households of Wudian")
    unknown: int = Field(description="Rows whose account number is not in Wudian")

    @staticmethod
    def resolve_imported_by(obj: ArrearsImport) -> str:
        user = obj.imported_by
        return (user.display_name or user.username) if user is not None else ""

    @staticmethod
    def resolve_unknown(obj: ArrearsImport) -> int:
        return obj.rows - obj.households


class UnknownAccountOut(Schema):
    """A row of an imported file whose account number is not a household of Wudian (the
    arrears list and readings imports list them rather than refuse the file)."""

    row: int
    account_no: str


class ArrearsImportOut(ArrearsImportRowOut):
    postpaid: int = Field(description="Households owing an amount")
    prepaid: int = Field(description="Households with a prepaid balance")
    unknown_accounts: list[UnknownAccountOut]


@router.get(
    "/billing/arrears/imports",
    response={200: list[ArrearsImportRowOut], 403: Refusal},
    summary="Arrears list imports",
)
@paginate(PageNumbers)
def arrears_import_list(request: HttpRequest) -> Any:
    """The imports of the arrears and prepaid-balance list, latest first (the first is the
    current list)."""
    _caller(request, "view")
    return arrears_imports()


@router.post(
    "/billing/arrears/imports",
    response={201: ArrearsImportOut, 403: Refusal, 422: Refusal},
    summary="Import the arrears list",
)
def arrears_import_create(
    request: HttpRequest,
    as_of: Form[datetime.date | None] = None,
    file: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Any:
    """multipart/form-data: `file` (.xlsx or .csv with 户号/account_no, 欠费金额/amount_owed or
    预存余额/balance, 缴费截止日/due_date, 预警金额/warning_level) and `as_of` (the list's day,
    default today, not in the future). The list replaces the current one; account numbers not
    in Wudian are listed in `unknown_accounts`. A file with any problem is refused whole (422):
    `problems` gives each one's `row`, `column` and `message`, `more` how many more there
    are; nothing is saved."""
    user = _caller(request, "import")
    if file is None:
        raise invalid("file", _("Attach the list file (.xlsx or .csv)."), "required")
    run = arrears_import(file, file.name or "", as_of=as_of, by=user)
    counts = arrears_kind_counts(run)
    run.postpaid, run.prepaid = counts["postpaid"], counts["prepaid"]  # type: ignore[attr-defined]
    return Status(201, run)
