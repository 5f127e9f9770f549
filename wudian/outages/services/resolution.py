"""Scope resolution: an outage's scope in supply terms — station areas, compounds, buildings,
feeders, or the one household of an arrears disconnection — from instances or codes to rows,
and on to the households and compounds it reaches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from wudian.core.errors import BadInput
from wudian.grid.models import Building, Compound, Feeder, Household, StationArea
from wudian.outages.models import Outage
from wudian.outages.selectors import outage_scope_households

SCOPE_FIELDS = ("station_areas", "compounds", "buildings", "feeders")

M = TypeVar("M", bound=models.Model)


def _resolve(model: type[M], items: Iterable[Any], unknown: list[str]) -> list[M]:
    """Instances as they are; codes looked up, the unknown ones collected."""
    found: list[M] = []
    codes: list[str] = []
    for item in items or ():
        if isinstance(item, str):
            codes.append(item.strip())
        else:
            found.append(item)
    if codes:
        rows = model._default_manager.filter(code__in=codes)
        by_code = {obj.code: obj for obj in rows}  # type: ignore[attr-defined]
        for code in dict.fromkeys(codes):
            if code in by_code:
                found.append(by_code[code])
            else:
                unknown.append(code)
    return list({obj.pk: obj for obj in found}.values())


class Scope:
    """An outage's scope, resolved; unknown codes are refused, each list naming its own."""

    def __init__(
        self,
        *,
        station_areas: Iterable[Any],
        compounds: Iterable[Any],
        buildings: Iterable[Any],
        feeders: Iterable[Any],
        household: Household | str | None,
    ) -> None:
        unknown: dict[str, list[str]] = {name: [] for name in (*SCOPE_FIELDS, "household")}
        self.station_areas = _resolve(StationArea, station_areas, unknown["station_areas"])
        self.compounds = _resolve(Compound, compounds, unknown["compounds"])
        self.buildings = _resolve(Building, buildings, unknown["buildings"])
        self.feeders = _resolve(Feeder, feeders, unknown["feeders"])
        self.household: Household | None = None
        if isinstance(household, str):
            self.household = Household.objects.filter(account_no=household.strip()).first()
            if self.household is None:
                unknown["household"].append(household)
        else:
            self.household = household
        labels = {
            "station_areas": _("Unknown station areas: %(codes)s."),
            "compounds": _("Unknown compounds: %(codes)s."),
            "buildings": _("Unknown buildings: %(codes)s."),
            "feeders": _("Unknown feeders: %(codes)s."),
            "household": _("Unknown account number: %(codes)s."),
        }
        errors = {
            name: ValidationError(labels[name] % {"codes": ", ".join(codes)}, code="unknown")
            for name, codes in unknown.items()
            if codes
        }
        if errors:
            raise BadInput(errors)

    @property
    def is_empty(self) -> bool:
        return not (
            self.station_areas or self.compounds or self.buildings or self.feeders or self.household
        )

    def households(self) -> QuerySet[Household]:
        return outage_scope_households(
            station_areas=self.station_areas,
            compounds=self.compounds,
            buildings=self.buildings,
            feeders=self.feeders,
            household=self.household,
        )

    def compound_ids(self) -> set[int]:
        """Every compound the scope reaches, for the permission check."""
        ids = {c.pk for c in self.compounds}
        ids |= {b.compound_id for b in self.buildings}
        area_ids = [a.pk for a in self.station_areas]
        feeder_ids = [f.pk for f in self.feeders]
        if area_ids or feeder_ids:
            ids |= set(
                Compound.objects.filter(
                    Q(station_areas__in=area_ids) | Q(station_areas__feeder__in=feeder_ids)
                ).values_list("pk", flat=True)
            )
        ids |= set(
            self.households().values_list("building__compound_id", flat=True).order_by().distinct()
        )
        return ids

    def save_to(self, outage: Outage) -> None:
        outage.station_areas.set(self.station_areas)
        outage.compounds.set(self.compounds)
        outage.buildings.set(self.buildings)
        outage.feeders.set(self.feeders)

    def key(self) -> dict[str, list[str]]:
        """The scope as codes, for the record of a change."""
        return {
            "station_areas": sorted(a.code for a in self.station_areas),
            "compounds": sorted(c.code for c in self.compounds),
            "buildings": sorted(b.code for b in self.buildings),
            "feeders": sorted(f.code for f in self.feeders),
        }


def scope_of(outage: Outage) -> Scope:
    household = None
    if outage.kind == Outage.Kind.ARREARS:
        household = outage.households.first()
    return Scope(
        station_areas=outage.station_areas.all(),
        compounds=outage.compounds.all(),
        buildings=outage.buildings.all(),
        feeders=outage.feeders.all(),
        household=household,
    )
