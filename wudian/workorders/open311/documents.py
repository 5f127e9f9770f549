"""The GeoReport v2 documents: each resource in XML (required by the spec) and JSON (the spec's
"Spark" mapping of the same document: repeated children become arrays, empty elements null);
the service and request documents, which show a request the way a bulletin board would —
the compound and building, never the household, its account number, holder or phone, and
phone numbers, account numbers, e-mail addresses and names masked in its text; and the error
document every refusal becomes."""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode
from wudian.core.calendar import CalendarUnavailable, deadline
from wudian.core.errors import BadInput, field_errors, messages_of, status_of
from wudian.grid.models import Building
from wudian.grid.scope import assignments_in
from wudian.workorders.models import Category, WorkOrder

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CONTENT_TYPES = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}

# An XML container and the name of each of its children (the Spark convention's arrays).
CHILDREN = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# Fields of the services' own errors, named as an Open311 client sent them.
PARAMETER_NAMES = {"household_id": "address_id", "category": "service_code"}


class Open311Error(Exception):
    """A refusal answered with the spec's error document and this HTTP status."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions


# Refusals --------------------------------------------------------------------------------


def open311_status(error: Exception) -> int:
    """The status of a refusal in Open311: as on every other surface (wudian.core.errors),
    except bad input, which the GeoReport spec answers with 400."""
    return 400 if isinstance(error, BadInput) or status_of(error) == 422 else status_of(error)


def refused(error: Exception) -> Open311Error:
    """A service's refusal as the spec's error document, fields named as a client sent them."""
    fields = field_errors(error)
    if not fields:
        return Open311Error(open311_status(error), *messages_of(error))
    return Open311Error(
        open311_status(error),
        *[
            f"{PARAMETER_NAMES.get(field, field)}: {message}"
            for field, messages in fields.items()
            for message in messages
        ],
    )


# Documents -------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for name, item in value.items():
            element.append(_element(name, item))
    elif isinstance(value, list | tuple):
        for item in value:
            element.append(_element(CHILDREN[tag], item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _XML_INVALID.sub("", str(value))
    return element


def render(fmt: str, root: str, payload: Any, *, status: int = 200) -> HttpResponse:
    """One document as XML (root element `root`, with its declaration) or as JSON."""
    if fmt == "xml":
        tree = ET.tostring(_element(root, payload), encoding="unicode")
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n{tree}\n'.encode()
    else:
        body = json.dumps(payload, ensure_ascii=False).encode()
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    response["Content-Language"] = translation.get_language()
    return response


def render_errors(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(fmt, "errors", errors, status=status)


def w3c(at: datetime.datetime | None) -> str | None:
    """A W3C date-time with its offset from UTC, in the station's time zone."""
    return timezone.localtime(at).isoformat(timespec="seconds") if at else None


def coordinate(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def service_name(category: Category) -> str:
    return category.name_en if _english() and category.name_en else category.name


def attributes(category: Category) -> list[dict[str, Any]]:
    """Documents an application needs, as attributes that only inform (variable false)."""
    return [
        {
            "variable": False,
            "code": f"document_{order}",
            "datatype": "string",
            "required": False,
            "datatype_description": None,
            "order": order,
            "description": _("Bring this document: %(document)s") % {"document": document},
            "values": [],
        }
        for order, document in enumerate(category.documents, start=1)
    ]


def service_out(category: Category) -> dict[str, Any]:
    name = service_name(category)
    group = str(category.get_kind_display())
    sentences = [
        category.description or _("Handled by: %(who)s.") % {"who": category.get_routing_display()}
    ]
    if category.documents:
        sentences.append(
            _("Documents required: %(documents)s.") % {"documents": "; ".join(category.documents)}
        )
    keywords: list[str] = []
    for word in (category.name, category.name_en, group):
        if word and word != name and word not in keywords:
            keywords.append(word)
    return {
        "service_code": category.code,
        "service_name": name,
        "description": " ".join(sentences),
        # True where the definition lists the documents to bring, so clients fetch it.
        "metadata": bool(category.documents),
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": group,
    }


def public_rows(workorders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """What a public row needs, in one query: no household field but the building's name and
    the holder's name (read only to mask it in the text), and nothing staff wrote."""
    electrician = assignments_in(RoleCode.ELECTRICIAN).filter(
        compound_id=OuterRef("compound_id"), user_id=OuterRef("assignee_id")
    )
    return (
        workorders.select_related(
            "category", "compound__property_company", "department", "household__building"
        )
        .only(
            "pk",
            "status",
            "description",
            "address_text",
            "lat",
            "long",
            "contact_name",
            "created_at",
            "updated_at",
            "closed_at",
            "cancelled_at",
            "clocks_started_at",
            "assignee_id",
            "category__code",
            "category__name",
            "category__name_en",
            "category__accept_target",
            "category__accept_unit",
            "category__resolve_target",
            "category__resolve_unit",
            "compound__code",
            "compound__name",
            "compound__property_company__name",
            "department__name",
            "household__holder_name",
            "household__building__name",
        )
        .annotate(electrician_holds=Exists(electrician))
    )


def buildings_of(workorders: Sequence[WorkOrder]) -> dict[int, list[str]]:
    """Per compound, its building names, longest first (to find one named in an address)."""
    found: dict[int, list[str]] = {}
    ids = {wo.compound_id for wo in workorders if wo.household_id is None}
    if not ids:
        return found
    for compound_id, name in Building.objects.filter(compound_id__in=ids).values_list(
        "compound_id", "name"
    ):
        found.setdefault(compound_id, []).append(name)
    for names in found.values():
        names.sort(key=len, reverse=True)
    return found


def building_named_in(text: str, names: Sequence[str]) -> str:
    """The longest building name in the text that is not the tail of a longer number
    ("1号楼" is not in "11号楼")."""
    for name in names:
        start = text.find(name)
        while start != -1:
            if start == 0 or not (name[0].isdigit() and text[start - 1].isdigit()):
                return name
            start = text.find(name, start + 1)
    return ""


# Seven or more digits, up to three separators between any two of them (138 1234 5678,
# 138-1234-5678, 138.1234.5678, 138/1234/5678, (0552)2081260, full-width forms too).
_SEPARATORS = " \u3000./()\\_\u2010-\u2015\u2212．／－（）﹒·・"
_DIGITS = re.compile(rf"(?<!\d)\d(?:[{re.escape(_SEPARATORS)}-]{{0,3}}\d){{6,}}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+[@＠][\w-]+(?:[.．][\w-]+)+")
# Marks that combine with the character before them (a keycap ⃣, a variation selector): after a
# digit they only hide it from the pattern.
_MARK_AFTER_DIGIT = re.compile(r"(?<=\d)[\u0300-\u036f\u20d0-\u20ff\ufe00-\ufe0f]+")


def _mask_digits(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def _plain(text: str) -> str:
    """The text without what a reader cannot see: format characters (zero-width spaces and
    joiners, soft hyphens, direction marks) and marks on digits, which would otherwise split a
    number past the mask."""
    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return _MARK_AFTER_DIGIT.sub("", visible)


def redact(text: str, names: Iterable[str] = ()) -> str:
    """Public text: phone and account numbers, e-mail addresses and the given names masked."""
    text = _EMAIL.sub("***", _DIGITS.sub(_mask_digits, _plain(text)))
    for name in names:
        name = _plain(name).strip()
        if len(name) >= 2:
            text = text.replace(name, name[0] + "*" * (len(name) - 1))
    return text


def _agency(wo: WorkOrder) -> str:
    if wo.department is not None:
        return wo.department.name
    if wo.assignee_id is not None and getattr(wo, "electrician_holds", False):
        company = wo.compound.property_company
        if company is not None:
            return _("%(company)s property electrician") % {"company": company.name}
        return _("Property electrician")
    return _("Power supply company customer manager")


def public_status(wo: WorkOrder) -> str:
    return "open" if wo.status in WorkOrder.OPEN_STATUSES else "closed"


def standard_due(wo: WorkOrder, clock: str) -> datetime.datetime | None:
    """When a clock of the request runs out by its category's own target, from when its clocks
    started: the same for every household. A special-group household's shortened clocks are
    its staff's to keep, and would tell the public which homes are special."""
    target = getattr(wo.category, f"{clock}_target")
    if target is None:
        return None
    try:
        return deadline(
            wo.clocks_started_at or wo.created_at, target, getattr(wo.category, f"{clock}_unit")
        )
    except CalendarUnavailable:
        return None


def request_out(wo: WorkOrder, buildings: dict[int, list[str]]) -> dict[str, Any]:
    """One request as the public sees it. Every request here was filed through Open311, where
    the reporter knew it would be public: its description is shown, redacted, whoever filed
    it and for whichever household; what staff wrote on it never is. The shape and the times
    are the same for every household."""
    names = [wo.contact_name]
    if wo.household_id is not None:
        household = wo.household
        assert household is not None
        names.append(household.holder_name)
        building = household.building.name
    else:
        building = building_named_in(wo.address_text, buildings.get(wo.compound_id, []))
    if wo.status == WorkOrder.Status.CLOSED:
        updated = wo.closed_at or wo.updated_at
    elif wo.status == WorkOrder.Status.CANCELLED:
        updated = wo.cancelled_at or wo.updated_at
    else:
        updated = wo.updated_at
    return {
        "service_request_id": wo.pk,
        "status": public_status(wo),
        "status_notes": str(wo.get_status_display()),
        "service_name": service_name(wo.category),
        "service_code": wo.category.code,
        "description": redact(wo.description, names),
        "agency_responsible": _agency(wo),
        "service_notice": None,
        "requested_datetime": w3c(wo.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(standard_due(wo, "resolve")),
        "address": f"{wo.compound.name}{building}",
        "address_id": wo.compound.code,
        "zipcode": None,
        "lat": coordinate(wo.lat),
        "long": coordinate(wo.long),
        "media_url": None,
    }


def requests_out(workorders: QuerySet[WorkOrder]) -> list[dict[str, Any]]:
    rows = list(public_rows(workorders))
    buildings = buildings_of(rows)
    return [request_out(wo, buildings) for wo in rows]
