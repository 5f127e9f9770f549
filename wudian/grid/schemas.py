"""API schemas of the grid."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from wudian.grid.selectors import HouseholdView


class HouseholdOut(Schema):
    """A household as the caller may see it: phone, holder name and address are masked
    (`masked` is true) when the caller does not serve the household."""

    id: int
    account_no: str = Field(description="Account number (户号)")
    compound: str = Field(description="Code of the compound")
    compound_name: str
    building: str = Field(description="Name of the building")
    station_area: str | None = Field(description="Code of the station area (台区), if known")
    address: str
    holder_name: str
    phone: str
    masked: bool

    @staticmethod
    def resolve_id(obj: HouseholdView) -> int:
        return obj.household.pk

    @staticmethod
    def resolve_account_no(obj: HouseholdView) -> str:
        return obj.account_no

    @staticmethod
    def resolve_compound(obj: HouseholdView) -> str:
        return obj.household.building.compound.code

    @staticmethod
    def resolve_compound_name(obj: HouseholdView) -> str:
        return obj.household.building.compound.name

    @staticmethod
    def resolve_building(obj: HouseholdView) -> str:
        return obj.household.building.name

    @staticmethod
    def resolve_station_area(obj: HouseholdView) -> str | None:
        area = obj.household.station_area
        return area.code if area is not None else None


class HouseholdContactIn(Schema):
    """New contact details; leave a field out to keep it. An empty phone removes it."""

    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, max_length=20, examples=["13912345678"])
    holder_name: str | None = Field(None, max_length=64, examples=["王建国"])


class RoleOut(Schema):
    code: str
    name: str


class CompoundRoleOut(Schema):
    code: str
    name: str
    role: str


class ScopeOut(Schema):
    compounds: list[CompoundRoleOut]
    communities: list[str]
    districts: list[str]
    households: list[int]


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[RoleOut]
    is_superuser: bool
    scope: ScopeOut
