"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under /open311/: service
discovery, the services residents may report, filing a request with an API key issued in the
admin, and following requests by id or token.

Reads are public, so a request is shown the way a bulletin board would show it: the compound
and building, never the household, its account number, holder or phone; phone numbers,
account numbers, e-mail addresses and the names the request carries are masked in its text.
Only categories residents may report are served; staff-only ones (meter-data checks) do not
exist here. Each resource answers in XML (required by the spec) and JSON (the spec's "Spark"
mapping of the same document: repeated children become arrays, empty elements null)."""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wudian.accounts.models import RoleCode
from wudian.grid.models import Building, Compound, Household
from wudian.grid.scope import assignments_in
from wudian.workorders import selectors, services
from wudian.workorders.models import Category, Channel, ClockUnit, WorkOrder, WorkOrderEvent

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CONTENT_TYPES = {
    "xml": "text/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
# The spec: at most 90 days or the first 1,000 requests, whichever is smaller.
MAX_REQUESTS = 1000
MAX_SPAN = datetime.timedelta(days=90)
MAX_ADDRESS = 200
MAX_CONTACT_NAME = 64
# When this implementation was first served; the discovery changeset is never older.
FIRST_CHANGESET = datetime.datetime(2026, 11, 27, tzinfo=datetime.UTC)

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

# Steps whose note the resident already reads on the timeline; the others (warnings, missed
# deadlines, ratings) are internal and never reach status_notes.
PUBLIC_NOTE_EVENTS = (
    WorkOrderEvent.Kind.SUBMITTED,
    WorkOrderEvent.Kind.ACCEPTED,
    WorkOrderEvent.Kind.ARRIVED,
    WorkOrderEvent.Kind.WAITING,
    WorkOrderEvent.Kind.RESUMED,
    WorkOrderEvent.Kind.RESOLVED,
    WorkOrderEvent.Kind.REOPENED,
    WorkOrderEvent.Kind.CANCELLED,
    WorkOrderEvent.Kind.CLOSED,
)

# Fields of the services' own errors, named as an Open311 client sent them.
PARAMETER_NAMES = {"household_id": "address_id", "category": "service_code"}


class Open311Error(Exception):
    """A refusal answered with the spec's error document and this HTTP status."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions


# Documents -----------------------------------------------------------------------------------

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


def _coordinate(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _language_from(request: HttpRequest) -> str | None:
    """?locale=en (or zh-CN …) picks the language over the browser's Accept-Language."""
    locale = request.GET.get("locale", "").strip().replace("_", "-").lower()
    if not locale:
        return None
    try:
        return translation.get_supported_language_variant(locale)
    except LookupError:
        return None


def _has_nul(request: HttpRequest, kwargs: dict[str, Any]) -> bool:
    """A NUL character no database text column takes (PostgreSQL refuses it outright)."""
    values = [str(value) for value in kwargs.values()]
    queries = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for query in queries:
        for key, items in query.lists():
            values += [key, *items]
    return any("\x00" in value for value in values)


def open311_view(*methods: str) -> Callable[..., Callable[..., HttpResponse]]:
    """An Open311 resource: `fmt` must be xml or json (else 404), the method one of
    `methods` (else 405); refusals become the spec's error document. No CSRF: writes are
    authenticated by api_key, not by a session."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            language = _language_from(request)
            with translation.override(language) if language else nullcontext():
                if fmt not in CONTENT_TYPES:
                    return render_errors(
                        "xml",
                        404,
                        [
                            _("Unknown format “%(format)s”: use .xml or .json.")
                            % {"format": fmt[:20]}
                        ],
                    )
                if _has_nul(request, kwargs):
                    return render_errors(
                        fmt, 400, [_("The request may not contain NUL (0x00) characters.")]
                    )
                if request.method not in allowed:
                    response = render_errors(
                        fmt,
                        405,
                        [_("Method %(method)s is not allowed here.") % {"method": request.method}],
                    )
                    response["Allow"] = ", ".join(sorted(allowed))
                    return response
                try:
                    return view(request, fmt, **kwargs)
                except Open311Error as error:
                    return render_errors(fmt, error.status, error.descriptions)

        return wrapper

    return decorator


# Discovery -----------------------------------------------------------------------------------


def changeset() -> str:
    """When the services were last changed in the admin (sortable), so clients know when to
    refresh what they cache."""
    last = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Category)
    ).aggregate(last=Max("action_time"))["last"]
    at = max(last, FIRST_CHANGESET) if last else FIRST_CHANGESET
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


@open311_view("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    services_url = reverse("open311:services", kwargs={"fmt": "xml"})
    endpoint = request.build_absolute_uri(services_url.rsplit("/", 1)[0])
    stamp = changeset()
    document = {
        "changeset": stamp,
        "contact": _(
            "Call the power service hotline 95598, or the customer manager named on your "
            "compound's service window: %(url)s"
        )
        % {"url": request.build_absolute_uri("/")},
        "key_service": _(
            "API keys are issued by the liaison station's administrator (Open311 API keys, "
            "%(url)s)."
        )
        % {"url": request.build_absolute_uri(reverse("admin:workorders_open311key_changelist"))},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint,
                "changeset": stamp,
                "type": "test" if settings.DEBUG else "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", document)


# Services ------------------------------------------------------------------------------------


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def service_name(category: Category) -> str:
    return category.name_en if _english() and category.name_en else category.name


def _attributes(category: Category) -> list[dict[str, Any]]:
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


@open311_view("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    categories = selectors.categories_open_to(None)
    return render(fmt, "services", [service_out(category) for category in categories])


def _service(code: str) -> Category:
    category = selectors.categories_open_to(None).filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("Unknown service_code “%(code)s”.") % {"code": code[:40]})
    return category


@open311_view("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = _service(code)
    document = {"service_code": category.code, "attributes": _attributes(category)}
    return render(fmt, "service_definition", document)


# Requests: what the public sees --------------------------------------------------------------


def public_requests() -> QuerySet[WorkOrder]:
    """Requests anyone may follow: those of the categories residents may report."""
    return WorkOrder.objects.filter(category__resident_may_report=True)


def public_rows(workorders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """What a public row needs, in one query: no household field but the building's name and
    the holder's name (read only to mask it in the text)."""
    latest_note = (
        WorkOrderEvent.objects.filter(workorder=OuterRef("pk"), kind__in=PUBLIC_NOTE_EVENTS)
        .exclude(note="")
        .order_by("-at", "-pk")
        .values("note")[:1]
    )
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
            "channel",
            "priority",
            "description",
            "address_text",
            "lat",
            "long",
            "contact_name",
            "created_at",
            "updated_at",
            "closed_at",
            "cancelled_at",
            "resolve_due",
            "next_due",
            "assignee_id",
            "open311_token",
            "category__code",
            "category__name",
            "category__name_en",
            "compound__code",
            "compound__name",
            "compound__property_company__name",
            "department__name",
            "household__holder_name",
            "household__building__name",
        )
        .annotate(
            public_note=Subquery(latest_note),
            electrician_holds=Exists(electrician),
        )
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


_DIGITS = re.compile(r"(?<!\d)\d(?:[ -]?\d){6,}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _mask_digits(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def redact(text: str, names: Iterable[str] = ()) -> str:
    """Public text: phone and account numbers, e-mail addresses and the given names masked."""
    text = _EMAIL.sub("***", _DIGITS.sub(_mask_digits, text))
    for name in names:
        name = name.strip()
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


def request_out(wo: WorkOrder, buildings: dict[int, list[str]]) -> dict[str, Any]:
    names = [wo.contact_name]
    if wo.household_id is not None:
        household = wo.household
        assert household is not None
        names.append(household.holder_name)
        building = household.building.name
    else:
        building = building_named_in(wo.address_text, buildings.get(wo.compound_id, []))
    # What a resident wrote through our own pages, or staff wrote back, can describe a home and
    # the people in it (an ill or elderly resident, a bill): it is public only when the reporter
    # chose the public Open311 channel, and never for a special-group household.
    public = wo.channel == Channel.OPEN311 and not wo.priority
    note = redact(getattr(wo, "public_note", None) or "", names) if public else ""
    label = str(wo.get_status_display())
    if wo.status == WorkOrder.Status.CLOSED:
        updated = wo.closed_at or wo.updated_at
    elif wo.status == WorkOrder.Status.CANCELLED:
        updated = wo.cancelled_at or wo.updated_at
    else:
        updated = wo.updated_at
    return {
        "service_request_id": wo.pk,
        "status": public_status(wo),
        "status_notes": _("%(status)s: %(note)s") % {"status": label, "note": note}
        if note
        else label,
        "service_name": service_name(wo.category),
        "service_code": wo.category.code,
        "description": redact(wo.description, names) if public else None,
        "agency_responsible": _agency(wo),
        "service_notice": None,
        "requested_datetime": w3c(wo.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(wo.resolve_due or wo.next_due),
        "address": f"{wo.compound.name}{building}",
        "address_id": wo.compound.code,
        "zipcode": None,
        "lat": _coordinate(wo.lat),
        "long": _coordinate(wo.long),
        "media_url": None,
    }


def requests_out(workorders: QuerySet[WorkOrder]) -> list[dict[str, Any]]:
    rows = list(public_rows(workorders))
    buildings = buildings_of(rows)
    return [request_out(wo, buildings) for wo in rows]


# Requests: filters ---------------------------------------------------------------------------

_ID = re.compile(r"[0-9]{1,18}")
_W3C_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
# A "+08:00" sent unencoded in a query string arrives as " 08:00".
_LOST_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def parse_w3c(value: str, *, parameter: str) -> datetime.datetime:
    """A W3C date-time (any of its precisions); without an offset, the station's time."""
    text = _LOST_PLUS.sub(r"\1+\2", value.strip())
    refused = Open311Error(
        400,
        _("%(parameter)s must be a W3C date-time such as 2026-01-01T00:00:00+08:00.")
        % {"parameter": parameter},
    )
    try:
        at = parse_datetime(text)
        if at is None and (day := parse_date(text)) is not None:
            at = datetime.datetime.combine(day, datetime.time.min)
        if at is None and (match := _W3C_YEAR_MONTH.match(text)):
            at = datetime.datetime(int(match[1]), int(match[2] or 1), 1)
    except ValueError:
        raise refused from None
    if at is None:
        raise refused
    return timezone.make_aware(at) if timezone.is_naive(at) else at


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def filtered_requests(params: Any, *, now: datetime.datetime) -> QuerySet[WorkOrder]:
    workorders = public_requests()
    if ids := _listed(params.get("service_request_id", "")):
        if not all(_ID.fullmatch(item) for item in ids):
            raise Open311Error(400, _("service_request_id must be a comma-separated list of ids."))
        if len(ids) > MAX_REQUESTS:
            raise Open311Error(
                400,
                _("At most %(n)s service_request_id values may be asked for at once.")
                % {"n": MAX_REQUESTS},
            )
        # The spec: a list of ids overrides every other argument.
        return workorders.filter(pk__in=[int(item) for item in ids])
    if codes := _listed(params.get("service_code", "")):
        workorders = workorders.filter(category__code__in=codes)
    if statuses := _listed(params.get("status", "").lower()):
        unknown = set(statuses) - {"open", "closed"}
        if unknown:
            raise Open311Error(
                400,
                _("Unknown status “%(status)s”: use open or closed.")
                % {"status": sorted(unknown)[0][:20]},
            )
        if set(statuses) == {"open"}:
            workorders = workorders.filter(status__in=WorkOrder.OPEN_STATUSES)
        elif set(statuses) == {"closed"}:
            workorders = workorders.exclude(status__in=WorkOrder.OPEN_STATUSES)
    start_text = params.get("start_date", "").strip()
    end_text = params.get("end_date", "").strip()
    start = parse_w3c(start_text, parameter="start_date") if start_text else None
    end = parse_w3c(end_text, parameter="end_date") if end_text else None
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if start > end:
        raise Open311Error(400, _("start_date must not be after end_date."))
    if end - start > MAX_SPAN:
        raise Open311Error(
            400, _("start_date and end_date may not span more than %(days)s days.") % {"days": 90}
        )
    return workorders.filter(created_at__gte=start, created_at__lte=end)


@open311_view("GET", "POST")
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _file(request, fmt)
    workorders = filtered_requests(request.GET, now=timezone.now()).order_by("-created_at", "-pk")
    return render(fmt, "service_requests", requests_out(workorders[:MAX_REQUESTS]))


@open311_view("GET")
def request_detail(request: HttpRequest, fmt: str, pk: str) -> HttpResponse:
    workorders = (
        public_requests().filter(pk=int(pk)) if _ID.fullmatch(pk) else WorkOrder.objects.none()
    )
    found = requests_out(workorders)
    if not found:
        raise Open311Error(404, _("Service request %(id)s was not found.") % {"id": pk[:20]})
    return render(fmt, "service_requests", found)


@open311_view("GET")
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    pk = public_requests().filter(open311_token=token).values_list("pk", flat=True).first()
    if pk is None:
        raise Open311Error(404, _("Token %(token)s was not found.") % {"token": token[:40]})
    return render(fmt, "service_requests", [{"service_request_id": pk, "token": token}])


# Filing a request ----------------------------------------------------------------------------


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


def compound_named_in(text: str) -> Compound:
    """The compound whose name the address names (the longest such name)."""
    matches = [
        (pk, name) for pk, name in Compound.objects.values_list("pk", "name") if name in text
    ]
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
    return Compound.objects.get(pk=best[0][0])


def locate(params: Any) -> tuple[Household | None, services.Location | None]:
    """The household or place a request is about, from address_id (an account number, a
    building code or a compound code), else address_string (naming a compound), else
    lat/long, which alone cannot place it in a compound."""
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
            .filter(account_no=address_id)
            .first()
        )
        if household is not None:
            return household, None
        building = Building.objects.select_related("compound").filter(code=address_id).first()
        if building is not None:
            text = " ".join(
                filter(None, [_location_text(building.compound, building), address_string])
            )
            return None, services.Location(
                compound=building.compound, address_text=text, lat=lat, long=long
            )
        coded = Compound.objects.filter(code=address_id).first()
        if coded is None:
            raise Open311Error(
                400,
                _(
                    "Unknown address_id “%(id)s”: give an account number, a building code or a "
                    "compound code."
                )
                % {"id": address_id[:40]},
            )
        text = " ".join(filter(None, [_location_text(coded), address_string]))
        return None, services.Location(compound=coded, address_text=text, lat=lat, long=long)
    if address_string:
        compound = compound_named_in(address_string)
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


def _refusals(error: ValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    return [
        f"{PARAMETER_NAMES.get(field, field)}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    ]


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
    """What the resident may expect: the deadlines their request runs against."""
    if wo.accept_due and wo.resolve_due:
        return _(
            "Received. It will be accepted by %(accept)s and settled by %(resolve)s; follow it "
            "with its service_request_id."
        ) % {
            "accept": timezone.localtime(wo.accept_due).strftime("%Y-%m-%d %H:%M"),
            "resolve": timezone.localtime(wo.resolve_due).strftime("%Y-%m-%d %H:%M"),
        }
    category = wo.category
    return _("Received. It will be accepted within %(accept)s and settled within %(resolve)s.") % {
        "accept": _clock(category.accept_target, category.accept_unit),
        "resolve": _clock(category.resolve_target, category.resolve_unit),
    }


def _file(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.POST
    api_key = params.get("api_key", "").strip() or request.GET.get("api_key", "").strip()
    if not api_key:
        raise Open311Error(403, _("api_key is missing: ask the station's administrator for one."))
    key = services.open311_key_check(api_key)
    if key is None:
        raise Open311Error(403, _("Invalid api_key: the request was not filed."))
    code = params.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = _service(code)
    description = params.get("description", "")
    if not description.strip():
        raise Open311Error(400, _("description is required: say what is wrong."))
    household, location = locate(params)
    contact_name, contact_phone, contact_email = _contact(params)
    try:
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
    except ValidationError as error:
        raise Open311Error(400, *_refusals(error)) from None
    account_id = params.get("account_id", "").strip() or None
    answer = {
        "service_request_id": wo.pk,
        "token": wo.open311_token,
        "service_notice": service_notice(wo),
        "account_id": account_id,
    }
    return render(fmt, "service_requests", [answer])
