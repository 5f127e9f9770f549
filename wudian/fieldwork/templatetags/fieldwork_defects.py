"""What other apps' pages show of defects: the defects and extra patrols opened from a
resident's hazard report (the request's desk page) or from a station area's line-loss alarm
(its line-loss page), and the two one-step actions to open them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template

from wudian.accounts.models import User
from wudian.fieldwork.models import Defect, Patrol
from wudian.fieldwork.selectors.defects import defects_for, may_record_defect, recordable_compounds
from wudian.grid.models import StationArea
from wudian.workorders.models import Category, WorkOrder

register = template.Library()


@dataclass
class FieldLinks:
    defects: list[Defect] = field(default_factory=list)
    patrols: list[Patrol] = field(default_factory=list)
    # Whether the viewer may open a defect / an extra patrol from here.
    may_open: bool = False


@register.simple_tag
def request_field(workorder: WorkOrder, user: User) -> FieldLinks:
    """The defects and extra patrols opened from the request, and whether the viewer may open
    them from it (a hazard report, staff reaching its compound)."""
    links = FieldLinks(
        defects=list(defects_for(user).filter(workorder_id=workorder.pk).order_by("pk")),
        patrols=list(Patrol.objects.filter(workorder_id=workorder.pk).order_by("pk")),
    )
    links.may_open = workorder.category.kind == Category.Kind.HAZARD and may_record_defect(
        user, workorder.compound_id
    )
    return links


@register.simple_tag
def station_area_field(area: StationArea, user: User, alarm: bool) -> FieldLinks:
    """The open defects and extra patrols of the station area, and whether the viewer may
    open them from its alarm (a high or negative loss, or meters not collected for days)."""
    links = FieldLinks(
        defects=list(
            defects_for(user)
            .filter(station_area_id=area.pk, status__in=Defect.OPEN_STATUSES)
            .order_by("pk")
        ),
        patrols=list(
            Patrol.objects.filter(station_area_id=area.pk, status__in=Patrol.OPEN_STATUSES)
            .select_related("compound")
            .order_by("pk")
        ),
    )
    links.may_open = bool(
        alarm and recordable_compounds(user).filter(pk__in=area.compounds.values("pk")).exists()
    )
    return links
