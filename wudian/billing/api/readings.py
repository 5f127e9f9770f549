"""billing's API for household readings: importing a readings file (multipart, all or
nothing; the business hall's and the administrators', billing.policy) and one month of a
household's bill explained (the resident for their own household, staff who remind it).
Refusals are mapped once by the root API: a refused file is a 422 whose `problems` name each
row, column and problem."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from wudian.accounts.models import User
from wudian.billing.api.arrears import UnknownAccountOut
from wudian.billing.policy import check_may_import_readings
from wudian.billing.selectors.arrears import household_reminded
from wudian.billing.selectors.readings import reading_months
from wudian.billing.services.explainer import bill_explained
from wudian.billing.services.readings import readings_import
from wudian.core.api import Refusal
from wudian.core.errors import BadInput, invalid

router = Router(tags=["billing"])

ERRORS: dict[int, Any] = {403: Refusal, 404: Refusal, 422: Refusal}


class ReadingImportOut(Schema):
    id: int
    source: str
    file_name: str
    imported_at: datetime.datetime
    rows: int
    households: int
    months: int = Field(description="Monthly readings written or completed")
    unknown_accounts: list[UnknownAccountOut] = Field(
        description="Rows whose account number is not in Wudian (listed, not imported)"
    )


@router.post(
    "/billing/readings/imports",
    response={201: ReadingImportOut, **ERRORS},
    summary="Import household meter registers",
)
def readings_import_create(
    request: HttpRequest,
    file: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Any:
    """multipart/form-data, the file in `file` (.xlsx or .csv): 户号/account_no,
    抄表日期/read_date, 总示数/register_kwh, optionally 峰示数/peak_register and
    谷示数/valley_register together; a row is a meter's registers at the start of that day.
    All or nothing: a file with any problem answers 422 with `problems` (row, column,
    message) and nothing is saved."""
    user: User = request.auth  # type: ignore[attr-defined]
    check_may_import_readings(user)
    if file is None:
        raise invalid("file", _("Attach the readings file in the field “file”."), "required")
    return Status(201, readings_import(file, file.name or "", by=user))


class TierOut(Schema):
    tier: int
    lower_kwh: Decimal
    upper_kwh: Decimal | None
    price: Decimal
    kwh: Decimal = Field(description="This month's energy in the tier")
    amount: Decimal | None = Field(
        description="At the tier's price; null in a month priced by its peak/valley split"
    )


class CrossingOut(Schema):
    tier: int
    month: str = Field(description="YYYY-MM: the month the count entered the tier")


class TariffOut(Schema):
    name: str
    region: str
    effective_from: datetime.date
    effective_to: datetime.date | None
    tier_period: str
    peak_price: Decimal | None
    valley_price: Decimal | None
    peak_hours: str
    valley_hours: str
    price_document: str


class BillOut(Schema):
    account_no: str
    month: str
    kwh: Decimal
    amount: Decimal
    tiers: list[TierOut]
    crossings: list[CrossingOut]
    year_kwh: Decimal | None = Field(description="Annual tiers: the year's use to the month's end")
    time_of_use: bool
    peak_kwh: Decimal | None
    valley_kwh: Decimal | None
    peak_amount: Decimal | None
    valley_amount: Decimal | None
    surcharge_amount: Decimal
    flat_amount: Decimal | None = Field(description="What the month would cost without the split")
    last_year_kwh: Decimal | None
    last_year_amount: Decimal | None
    daily_kwh: list[Decimal | None] | None = Field(description="The days' energy where collected")
    tariff: TariffOut
    months_with_readings: list[str]


class BillQuery(Schema):
    month: str | None = Field(None, description="YYYY-MM; default the latest month with a reading")


@router.get(
    "/billing/households/{account_no}/bill",
    response={200: BillOut, **ERRORS},
    summary="A month of a household's bill, explained",
)
def household_bill_get(request: HttpRequest, account_no: str, query: Query[BillQuery]) -> Any:
    """For the household's resident and the staff who serve it for reminders; anyone else
    gets 404."""
    user: User = request.auth  # type: ignore[attr-defined]
    household = household_reminded(user, account_no)
    months = reading_months(household)
    month: datetime.date | None = None
    if query.month:
        try:
            month = datetime.datetime.strptime(query.month, "%Y-%m").date()
        except ValueError:
            raise invalid("month", _("Write the month as 2026-11."), "month") from None
    elif months:
        month = months[0]
    explained = bill_explained(household, month) if month else None
    if explained is None:
        raise BadInput({"month": _("The household has no meter reading for this month.")})
    m, t = explained.month, explained.tariff
    return {
        "account_no": household.account_no,
        "month": f"{m.month:%Y-%m}",
        "kwh": m.kwh,
        "amount": m.amount,
        "tiers": [
            {
                "tier": tier.position,
                "lower_kwh": tier.lower_kwh,
                "upper_kwh": tier.upper_kwh,
                "price": tier.price,
                "kwh": part.kwh,
                "amount": part.amount,
            }
            for tier, part in explained.tier_rows
        ],
        "crossings": [
            {"tier": c.tier.position, "month": f"{c.month:%Y-%m}"} for c in explained.crossings
        ],
        "year_kwh": explained.year_kwh if explained.annual else None,
        "time_of_use": m.time_of_use,
        "peak_kwh": m.peak_kwh,
        "valley_kwh": m.valley_kwh,
        "peak_amount": m.peak_amount,
        "valley_amount": m.valley_amount,
        "surcharge_amount": m.surcharge_amount,
        "flat_amount": explained.flat_amount,
        "last_year_kwh": m.last_year_kwh,
        "last_year_amount": m.last_year_amount,
        "daily_kwh": [d.kwh for d in explained.days] if explained.has_days else None,
        "tariff": {
            "name": t.name,
            "region": t.region,
            "effective_from": t.effective_from,
            "effective_to": t.effective_to,
            "tier_period": t.tier_period,
            "peak_price": t.peak_price,
            "valley_price": t.valley_price,
            "peak_hours": t.peak_hours,
            "valley_hours": t.valley_hours,
            "price_document": t.source,
        },
        "months_with_readings": [f"{month:%Y-%m}" for month in months],
    }
