"""Filing a request through Open311: the API key, the service, where it is (an account
number, a building or compound code, or a compound named in the address), who to contact,
and what the resident may expect."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.grid.models import Building, Compound, Household
from wudian.workorders import selectors, services
from wudian.workorders.models import Category, Channel, ClockUnit, Open311Key, WorkOrder
from wudian.workorders.open311.documents import Open311Error, standard_due
from wudian.workorders.open311.keys import open311_key_check

MAX_ADDRESS = 200
MAX_CONTACT_NAME = 64


def service_of(code: str) -> Category:
    """A category residents may report, by its code, or the spec's 404."""
    category = selectors.categories_open_to(None).filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("Unknown service_code “%(code)s”.") % {"code": code[:40]})
    return category


def _location_text(compound: Compound, building: Building | None = None) -> str:
    return f"{compound.address}{compound.name}{building.name if building else ''}"


def _decimal(value: str, *, parameter: str, limit: int) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or abs(number) > limit:
        raise Open311Error(
            400,
            _("%(parameter)s must be a number from -%(limit)s to %(limit)s.")
            % {"parameter": parameter, "limit": limit},
        )
    return number.quantize(Decimal("0.000001"))


def unknown_address(address_id: str) -> Open311Error:
    """The answer for an address_id the key may not file for, the same as for one that does
    not exist: which account numbers exist is no business of a key's holder."""
    return Open311Error(
        400,
        _(
            "Unknown address_id “%(id)s”: give an account number, a building code or a "
            "compound code."
        )
        % {"id": address_id[:40]},
    )


def compound_named_in(text: str, compounds: QuerySet[Compound]) -> Compound:
    """The compound whose name the address names (the longest such name), among those the
    key may file for."""
    matches = [(pk, name) for pk, name in compounds.values_list("pk", "name") if name in text]
    if not matches:
        raise Open311Error(
            400,
            _(
                "Cannot locate “%(address)s”: name a compound we serve in address_string, or "
                "give address_id (an account number, a building code or a compound code)."
            )
            % {"address": text[:60]},
        )
    longest = max(len(name) for _pk, name in matches)
    best = [(pk, name) for pk, name in matches if len(name) == longest]
    if len({pk for pk, _name in best}) > 1:
        raise Open311Error(
            400,
            _("“%(address)s” names more than one compound (%(names)s): give address_id instead.")
            % {"address": text[:60], "names": ", ".join(sorted(name for _pk, name in best))},
        )
    return compounds.get(pk=best[0][0])


def locate(params: Any, *, key: Open311Key) -> tuple[Household | None, services.Location | None]:
    """The household or place a request is about, from address_id (an account number, a
    building code or a compound code), else address_string (naming a compound), else
    lat/long, which alone cannot place it in a compound — always inside the key's compounds."""
    compounds = key.compounds.all()
    address_id = params.get("address_id", "").strip()
    address_string = params.get("address_string", "").strip()
    lat_text, long_text = params.get("lat", "").strip(), params.get("long", "").strip()
    if bool(lat_text) != bool(long_text):
        raise Open311Error(400, _("lat and long must be sent together."))
    lat = _decimal(lat_text, parameter="lat", limit=90) if lat_text else None
    long = _decimal(long_text, parameter="long", limit=180) if long_text else None
    if len(address_string) > MAX_ADDRESS:
        raise Open311Error(
            400,
            _("address_string may have at most %(n)s characters.") % {"n": MAX_ADDRESS},
        )
    if address_id:
        household = (
            Household.objects.select_related("building__compound", "station_area")
            .filter(account_no=address_id, building__compound__in=compounds)
            .first()
        )
        if household is not None:
            return household, None
        building = (
            Building.objects.select_related("compound")
            .filter(code=address_id, compound__in=compounds)
            .first()
        )
        if building is not None:
            text = " ".join(
                filter(None, [_location_text(building.compound, building), address_string])
            )
            return None, services.Location(
                compound=building.compound, address_text=text, lat=lat, long=long
            )
        coded = compounds.filter(code=address_id).first()
        if coded is None:
            raise unknown_address(address_id)
        text = " ".join(filter(None, [_location_text(coded), address_string]))
        return None, services.Location(compound=coded, address_text=text, lat=lat, long=long)
    if address_string:
        compound = compound_named_in(address_string, compounds)
        return None, services.Location(
            compound=compound, address_text=address_string, lat=lat, long=long
        )
    if lat is not None:
        raise Open311Error(
            400,
            _(
                "Cannot locate the request from lat/long alone: add address_string naming the "
                "compound, or address_id."
            ),
        )
    raise Open311Error(
        400,
        _("A location is required: address_id, address_string or lat and long."),
    )


def _contact(params: Any) -> tuple[str, str, str]:
    first = params.get("first_name", "").strip()
    last = params.get("last_name", "").strip()
    # Chinese names put the family name first and run together; others keep the given order.
    name = f"{first} {last}".strip() if (first + last).isascii() else f"{last}{first}"
    if len(name) > MAX_CONTACT_NAME:
        raise Open311Error(
            400,
            _("first_name and last_name may have at most %(n)s characters together.")
            % {"n": MAX_CONTACT_NAME},
        )
    phone = params.get("phone", "").strip()
    if phone and not re.fullmatch(r"\+?[\d ()-]{3,20}", phone):
        raise Open311Error(400, _("phone is not a phone number."))
    email = params.get("email", "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, _("email is not an e-mail address.")) from None
    return name, phone, email


def _clock(target: int | None, unit: str) -> str:
    if target is None:
        return ""
    if unit == ClockUnit.WORKING_DAYS:
        return _("%(n)s working day(s)") % {"n": target}
    hours, minutes = divmod(target, 60)
    if hours and minutes:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(n)s h") % {"n": hours}
    return _("%(n)s min") % {"n": minutes}


def service_notice(wo: WorkOrder) -> str:
    """What the reporter may expect: the category's own deadlines, the same for every
    household (a special-group household's shorter clocks are for its staff to keep)."""
    accept, resolve = standard_due(wo, "accept"), standard_due(wo, "resolve")
    if accept and resolve:
        return _(
            "Received. It will be accepted by %(accept)s and settled by %(resolve)s; follow it "
            "with its service_request_id."
        ) % {
            "accept": timezone.localtime(accept).strftime("%Y-%m-%d %H:%M"),
            "resolve": timezone.localtime(resolve).strftime("%Y-%m-%d %H:%M"),
        }
    category = wo.category
    return _("Received. It will be accepted within %(accept)s and settled within %(resolve)s.") % {
        "accept": _clock(category.accept_target, category.accept_unit),
        "resolve": _clock(category.resolve_target, category.resolve_unit),
    }


def file_request(params: Any, *, api_key: str) -> dict[str, Any]:
    """File the request the parameters describe; the answer's document."""
    if not api_key:
        raise Open311Error(403, _("api_key is missing: ask the station's administrator for one."))
    key = open311_key_check(api_key)
    if key is None:
        raise Open311Error(403, _("Invalid api_key: the request was not filed."))
    code = params.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = service_of(code)
    description = params.get("description", "")
    if not description.strip():
        raise Open311Error(400, _("description is required: say what is wrong."))
    household, location = locate(params, key=key)
    contact_name, contact_phone, contact_email = _contact(params)
    wo = services.workorder_create(
        category=category,
        description=description,
        channel=Channel.OPEN311,
        by=key.account,
        household=household,
        location=location,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        open311=True,
    )
    # The spec: a token only where no service_request_id can be given yet; ours is at once.
    return {
        "service_request_id": wo.pk,
        "service_notice": service_notice(wo),
        "account_id": params.get("account_id", "").strip() or None,
    }
