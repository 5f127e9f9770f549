"""API schemas of outages."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from wudian.outages.models import Outage

Codes = list[str]


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    """A time without a zone is taken as local time (Asia/Shanghai)."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


class _Times(Schema):
    @field_validator(
        "start", "end", "estimated_restoration", "at", mode="after", check_fields=False
    )
    @classmethod
    def _make_aware(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return _aware(value)


class OutageIn(_Times):
    """A new outage notice. Give the scope in supply terms (codes); an arrears disconnection
    names one household by account number. Times without a zone are Beijing time."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["planned", "temporary", "fault", "arrears"]
    title: str = Field(max_length=120, examples=["涂山路10kV线路检修停电"])
    reason: str = Field(max_length=2000, examples=["10kV涂山线设备例行检修"])
    start: datetime.datetime
    end: datetime.datetime
    station_areas: Codes = Field(default_factory=list, max_length=500)
    compounds: Codes = Field(default_factory=list, max_length=500)
    buildings: Codes = Field(default_factory=list, max_length=2000)
    feeders: Codes = Field(default_factory=list, max_length=100)
    household: str | None = Field(None, max_length=16, description="Account number (arrears only)")
    estimated_restoration: datetime.datetime | None = None
    override_reason: str = Field(
        "", max_length=2000, description="A supervisor's reason to override the notice period"
    )
    draft: bool = Field(False, description="Save as a draft instead of publishing")


class PublishIn(Schema):
    model_config = ConfigDict(extra="forbid")
    override_reason: str = Field("", max_length=2000)


class PostponeIn(_Times):
    model_config = ConfigDict(extra="forbid")
    start: datetime.datetime
    end: datetime.datetime
    note: str = Field(max_length=2000)


class ChangeIn(_Times):
    """Leave out what stays as it is. A scope list replaces that part of the scope."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000)
    title: str | None = Field(None, max_length=120)
    reason: str | None = Field(None, max_length=2000)
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    estimated_restoration: datetime.datetime | None = None
    station_areas: Codes | None = Field(None, max_length=500)
    compounds: Codes | None = Field(None, max_length=500)
    buildings: Codes | None = Field(None, max_length=2000)
    feeders: Codes | None = Field(None, max_length=100)
    override_reason: str = Field("", max_length=2000)


class OutageCancelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(max_length=2000)


class EstimateIn(_Times):
    model_config = ConfigDict(extra="forbid")
    estimated_restoration: datetime.datetime
    note: str = Field("", max_length=2000)


class RestoreIn(_Times):
    model_config = ConfigDict(extra="forbid")
    at: datetime.datetime | None = None


class AcknowledgeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    household: str | None = Field(
        None,
        max_length=16,
        description="Account number; may be left out when only one of your households is affected",
    )


class OutageOut(Schema):
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    title: str
    reason: str
    start: datetime.datetime
    end: datetime.datetime
    estimated_restoration: datetime.datetime | None
    sequence: int
    station_areas: Codes
    compounds: Codes
    buildings: Codes
    feeders: Codes
    affected_households: int = Field(description="Number of households the outage reaches")
    lead_time_overridden: bool
    published_at: datetime.datetime | None
    restored_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None

    @staticmethod
    def resolve_kind_label(obj: Outage) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_state_label(obj: Outage) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_station_areas(obj: Outage) -> Codes:
        return sorted(a.code for a in obj.station_areas.all())

    @staticmethod
    def resolve_compounds(obj: Outage) -> Codes:
        return sorted(c.code for c in obj.compounds.all())

    @staticmethod
    def resolve_buildings(obj: Outage) -> Codes:
        return sorted(b.code for b in obj.buildings.all())

    @staticmethod
    def resolve_feeders(obj: Outage) -> Codes:
        return sorted(f.code for f in obj.feeders.all())

    @staticmethod
    def resolve_affected_households(obj: Outage) -> int:
        count = getattr(obj, "affected_count", None)
        return count if count is not None else obj.affected.count()

    @staticmethod
    def resolve_lead_time_overridden(obj: Outage) -> bool:
        return obj.lead_time_overridden_by_id is not None


class MyHouseholdAck(Schema):
    household: str = Field(description="Account number")
    address: str
    acknowledged_at: datetime.datetime | None


class MyOutageOut(OutageOut):
    """An outage as a resident sees it, with their affected households and whether each
    has acknowledged it."""

    my_households: list[MyHouseholdAck]

    @staticmethod
    def resolve_my_households(obj: Outage) -> list[dict[str, Any]]:
        return [
            {
                "household": row.household.account_no,
                "address": row.household.address,
                "acknowledged_at": row.acknowledged_at,
            }
            for row in getattr(obj, "my_affected", [])
        ]


class OutageEventOut(Schema):
    kind: str
    kind_label: str
    at: datetime.datetime
    by: str
    note: str

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_by(obj: Any) -> str:
        return str(obj.by)


class OutageDetailOut(OutageOut):
    """One outage, with the actions the caller may take now; staff also get its history and
    reach (messages per channel and building, and acknowledgements)."""

    actions: list[str] = Field(
        default_factory=list,
        description="The actions the caller may take now, in the order pages offer them: "
        "publish, estimate, restore, postpone, change and cancel (POST "
        "/outages/{id}/actions/<name>), and a resident's acknowledge (POST "
        "/outages/{id}/acknowledge). Anything else is refused.",
        examples=[["postpone", "change", "cancel"]],
    )
    events: list[OutageEventOut] | None = None
    reach: dict[str, Any] | None = None
    lead_time_override_reason: str | None = None

    # The handler sets `allowed_actions`, `staff_view`, `event_rows` and `reach_data` on the
    # outage.
    @staticmethod
    def resolve_actions(obj: Outage) -> list[str]:
        return list(getattr(obj, "allowed_actions", []))

    @staticmethod
    def resolve_events(obj: Outage) -> list[Any] | None:
        return getattr(obj, "event_rows", None)

    @staticmethod
    def resolve_reach(obj: Outage) -> dict[str, Any] | None:
        return getattr(obj, "reach_data", None)

    @staticmethod
    def resolve_lead_time_override_reason(obj: Outage) -> str | None:
        return obj.lead_time_override_reason if getattr(obj, "staff_view", False) else None


class AcknowledgementOut(Schema):
    outage: int
    household: str
    acknowledged_at: datetime.datetime | None
