"""Filing a request: its place, its category, whose hands it goes to, its clocks, its
opinion-risk flags, its photos; and who hears of it."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.circles.models import Message as CircleMessage
from wudian.circles.policy import MESSAGE_POLICY, CircleParties
from wudian.circles.selectors import circles_visible_to, households_of_author
from wudian.core.calendar import china_date
from wudian.core.errors import OutsideScope, WrongState, invalid
from wudian.core.photos import PhotoUpload, photos_removed_on_failure
from wudian.grid.models import Building, Compound, Household, Meter, StationArea
from wudian.workorders.models import Category, Channel, WorkOrder, WorkOrderEvent
from wudian.workorders.selectors import active_category
from wudian.workorders.services.clocks import CLOCKS, refresh_due, start_clocks
from wudian.workorders.services.recording import (
    MAX_PHOTOS,
    announce,
    attach,
    clean_text,
    clock_rules,
    record,
    too_many_photos,
)
from wudian.workorders.services.routing import CompoundStaff, risk_topics, routed_to

MAX_DESCRIPTION = 4000

Event = WorkOrderEvent.Kind


@dataclass(frozen=True)
class Location:
    """Where a request is when it is not tied to a household (Open311, meter data)."""

    compound: Compound
    station_area: StationArea | None = None
    meter: Meter | None = None
    address_text: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None


def category_for_intake(code: str, *, by: User | None) -> Category:
    category = active_category(code)
    if category is None:
        raise invalid(
            "category", _("Unknown request category “%(code)s”.") % {"code": code}, "unknown"
        )
    staff = by is not None and (by.is_superuser or not by.is_resident_only)
    if not category.resident_may_report and not staff:
        raise invalid(
            "category", _("Residents cannot file requests of this category."), "staff_only"
        )
    return category


def compound_of(household: Household) -> Compound:
    """The household's compound, from what the caller loaded if it did (no query then)."""
    if Household.building.is_cached(household):
        building = household.building
        if Building.compound.is_cached(building):
            return building.compound
    return Compound.objects.get(buildings__pk=household.building_id)


def place_of(household: Household | None, location: Location | None) -> dict[str, Any]:
    """The request's place fields: the household's when there is one, else the location's."""
    if household is None and location is None:
        raise invalid(
            "household_id", _("Say which household or place the request is about."), "required"
        )
    place: dict[str, Any] = {}
    if location is not None:
        place = {
            "compound": location.compound,
            "station_area_id": location.station_area.pk if location.station_area else None,
            "meter_id": location.meter.pk if location.meter else None,
            "address_text": location.address_text[:200],
            "lat": location.lat,
            "long": location.long,
        }
    if household is not None:
        place |= {
            "compound": compound_of(household),
            "household": household,
            "station_area_id": household.station_area_id,
            "address_text": household.address[:200],
        }
    return place


def workorder_create(
    *,
    category: Category,
    description: str,
    channel: str,
    by: User | None,
    household: Household | None = None,
    location: Location | None = None,
    photos: Sequence[PhotoUpload] = (),
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    open311: bool = False,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """File a request: route it, start its clocks, flag priority and opinion risk, record it
    and tell whoever must act. The caller has checked that `by` may file for the household."""
    now = now or timezone.now()
    description = clean_text(description, field="description", limit=MAX_DESCRIPTION)
    contact_name, contact_phone, contact_email = (
        clean_text(value, field=name, limit=limit, required=False)
        for value, name, limit in [
            (contact_name, "contact_name", 64),
            (contact_phone, "contact_phone", 20),
            (contact_email, "contact_email", 254),
        ]
    )
    if location is not None and "\x00" in location.address_text:
        raise invalid("address", _("The text contains a NUL character."), "nul")
    if channel not in Channel.values:
        raise invalid("channel", _("Unknown channel."), "channel")
    if len(photos) > MAX_PHOTOS:
        raise too_many_photos()
    place = place_of(household, location)
    staff = CompoundStaff(place["compound"])
    topics = risk_topics(description, category)
    with photos_removed_on_failure() as attached, transaction.atomic():
        workorder = WorkOrder(
            category=category,
            channel=channel,
            description=description,
            **place,
            contact_name=contact_name,
            contact_phone=contact_phone,
            contact_email=contact_email,
            created_by=by,
            assignee=routed_to(category, staff, on=china_date(now)),
            priority=bool(household and household.special_group),
            opinion_risk=bool(topics),
            risk_topics=topics,
            open311_token=secrets.token_hex(8) if open311 else None,
            created_at=now,
            updated_at=now,
        )
        rules = clock_rules()
        start_clocks(workorder, CLOCKS, now, rules=rules)
        refresh_due(workorder, rules=rules)
        workorder.save(force_insert=True)
        attached.extend(attach(workorder, photo, by=by) for photo in photos)
        event = record(
            workorder,
            Event.SUBMITTED,
            by=by,
            now=now,
            to_user=workorder.assignee,
            data={"channel": channel},
        )
        announce(workorder, event, also=told_at_intake(workorder, staff), urgent=category.is_fault)
    return workorder


def told_at_intake(workorder: WorkOrder, staff: CompoundStaff) -> list[int]:
    """Who hears of a new request besides its holder: the customer manager of a
    special-group household's request or of one whose deadlines the calendar could not give;
    the district's supervisors of an opinion risk."""
    told = []
    if (workorder.priority or workorder.clock_problem) and staff.manager:
        told.append(staff.manager.pk)
    if workorder.opinion_risk:
        told.extend(staff.supervisor_ids)
    return told


def request_from_circle_message(
    *,
    message: CircleMessage,
    by: User,
    category: str,
    household: Household | None = None,
    now: datetime.datetime | None = None,
) -> WorkOrder:
    """Turn a resident's circle message into a request in one step, filed by the member of
    staff serving the circle, for the author's household in the circle's compounds (the one
    staff chose when the author has several), with the message's words; the request keeps
    the message (`circle_message`), so each shows the other. A message becomes one request."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            CircleMessage.objects.select_for_update()
            .filter(pk=message.pk, circle__in=circles_visible_to(by).values("pk"))
            .select_related("circle", "author")
            .first()
        )
        if locked is None:
            raise OutsideScope()
        MESSAGE_POLICY.check("request", locked, CircleParties(by, locked.circle, at=now))
        existing = WorkOrder.objects.filter(circle_message=locked).values_list("pk", flat=True)
        if existing:
            raise WrongState(
                _("This message is already request No. %(id)s.") % {"id": existing[0]},
                extra={"workorder_id": existing[0]},
            )
        homes = list(households_of_author(locked))
        if household is None:
            if len(homes) != 1:
                raise invalid(
                    "household_id",
                    _("The resident has several households here: choose the request's one.")
                    if homes
                    else _("The resident has no household in this circle's compounds."),
                    "household",
                )
            household = homes[0]
        elif household.pk not in {home.pk for home in homes}:
            raise invalid(
                "household_id",
                _("Choose one of the resident's households in this circle."),
                "household",
            )
        workorder = workorder_create(
            category=category_for_intake(category, by=by),
            description=locked.body,
            channel=Channel.CIRCLE,
            by=by,
            household=household,
            contact_name=locked.author.display_name,
            contact_phone=locked.author.phone or "",
            now=now,
        )
        workorder.circle_message = locked
        workorder.save(update_fields=["circle_message"])
    return workorder
