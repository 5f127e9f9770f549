"""GET /api/v1/metrics: the dashboard's figures as data, computed by the same function."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from wudian.accounts.models import User
from wudian.core.api import Refusal
from wudian.metrics.cuts import resolve_cut
from wudian.metrics.figures import figures, parse_codes
from wudian.metrics.periods import parse_period

router = Router(tags=["metrics"])


class MetricsQuery(Schema):
    codes: str | None = Field(
        None,
        max_length=2000,
        description="Metric codes separated by commas (e.g. `complaints.yoy_change,"
        "business.online_rate`); every metric when left out",
    )
    from_: datetime.date | None = Field(
        None, alias="from", description="First day of the period (YYYY-MM-DD)"
    )
    to: datetime.date | None = Field(None, description="Last day of the period, included")
    period: Literal["this_month", "last_month", "year_to_date"] | None = Field(
        None, description="A named period instead of from and to"
    )
    scope: str | None = Field(
        None,
        max_length=40,
        description="`all` (everything the caller measures; the default), or `district:ID`, "
        "`community:ID`, `compound:ID`, `manager:ID`",
    )


class MetricFigureOut(Schema):
    code: str
    name: str
    formula: str
    unit: Literal["percent", "hours", "count", "rating", "ratio"]
    good: Literal["up", "down", "neither"] = Field(description="Which way is better")
    section: str
    value: float | None = Field(description="None when there is nothing to compute it from")
    numerator: float | None
    denominator: float | None
    previous: float | None = Field(description="The same figure over the previous period")
    target: float | None
    target_scope: str | None
    met: bool | None


class MetricsScopeOut(Schema):
    key: str
    name: str
    compounds: int


class MetricsOut(Schema):
    first: datetime.date = Field(description="First day of the period")
    last: datetime.date = Field(description="Last day of the period, included")
    scope: MetricsScopeOut
    figures: list[MetricFigureOut]


@router.get(
    "/metrics",
    response={200: MetricsOut, 403: Refusal, 404: Refusal, 422: Refusal},
    summary="Service-outcome figures",
)
def metrics(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    """The figures of the service dashboard for a period and a scope within the caller's
    reach, each with its target, whether it is met, and its value over the previous period.
    For supervisors and customer managers; a scope outside the caller's is 404."""
    user: User = request.auth  # type: ignore[attr-defined]
    cut = resolve_cut(user, query.scope)
    period, _preset = parse_period(
        query.from_.isoformat() if query.from_ else None,
        query.to.isoformat() if query.to else None,
        query.period,
    )
    metrics = parse_codes(query.codes)
    return {
        "first": period.first,
        "last": period.last,
        "scope": {"key": cut.key, "name": cut.name, "compounds": len(cut.compound_ids)},
        "figures": [figure.as_dict() for figure in figures(metrics, period, cut)],
    }
