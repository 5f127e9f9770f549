"""The Open311 resources under /open311/: service discovery, the services residents may
report, filing a request with an API key issued in the admin, and following requests by id or
token. Reads are public (see documents for what a request shows); only categories residents
may report are served — staff-only ones (meter-data checks) do not exist here."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from contextlib import nullcontext
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wudian.core.errors import REFUSED
from wudian.workorders import selectors
from wudian.workorders.models import Category, WorkOrder
from wudian.workorders.open311.documents import (
    CONTENT_TYPES,
    SPECIFICATION,
    Open311Error,
    attributes,
    refused,
    render,
    render_errors,
    requests_out,
    service_out,
    w3c,
)
from wudian.workorders.open311.filing import file_request, service_of
from wudian.workorders.open311.filters import ID, MAX_REQUESTS, filtered_requests, public_requests

# When this implementation was first served; the discovery changeset is never older.
FIRST_CHANGESET = datetime.datetime(2026, 11, 27, tzinfo=datetime.UTC)


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


def _jurisdiction_of(request: HttpRequest) -> str:
    query = request.POST if request.method == "POST" else request.GET
    return (query.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()


def _our_jurisdiction(request: HttpRequest) -> bool:
    """No jurisdiction_id, this server's own, or its host name: the spec answers any other 404."""
    given = _jurisdiction_of(request)
    if not given:
        return True
    host = request.get_host().rsplit(":", 1)[0].lower()
    return given.lower() in {settings.OPEN311_JURISDICTION.lower(), host}


def api_key_of(request: HttpRequest) -> str:
    """The key from the request body or the X-API-Key header, never from the URL."""
    return (request.POST.get("api_key") or request.headers.get("X-API-Key") or "").strip()


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
                if "api_key" in request.GET:
                    return render_errors(
                        fmt,
                        400,
                        [
                            _(
                                "api_key may not be sent in the URL, where logs keep it: send it "
                                "in the request body or the X-API-Key header."
                            )
                        ],
                    )
                if not _our_jurisdiction(request):
                    return render_errors(
                        fmt,
                        404,
                        [
                            _("Unknown jurisdiction_id “%(id)s”.")
                            % {"id": _jurisdiction_of(request)[:40]}
                        ],
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
                except REFUSED as error:
                    refusal = refused(error)
                    return render_errors(fmt, refusal.status, refusal.descriptions)
                except Open311Error as error:
                    return render_errors(fmt, error.status, error.descriptions)

        return wrapper

    return decorator


# Discovery -----------------------------------------------------------------------------------


def changeset() -> str:
    """When the services were last changed in the admin, as a W3C date-time (the spec's
    format), so clients know when to refresh what they cache."""
    last = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Category)
    ).aggregate(last=Max("action_time"))["last"]
    at = max(last, FIRST_CHANGESET) if last else FIRST_CHANGESET
    stamp = w3c(at)
    assert stamp is not None
    return stamp


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


@open311_view("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    categories = selectors.categories_open_to(None)
    return render(fmt, "services", [service_out(category) for category in categories])


@open311_view("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = service_of(code)
    document = {"service_code": category.code, "attributes": attributes(category)}
    return render(fmt, "service_definition", document)


# Requests: what the public sees --------------------------------------------------------------


# Requests ----------------------------------------------------------------------------------


@open311_view("GET", "POST")
def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        answer = file_request(request.POST, api_key=api_key_of(request))
        return render(fmt, "service_requests", [answer])
    workorders = filtered_requests(request.GET, now=timezone.now()).order_by("-created_at", "-pk")
    return render(fmt, "service_requests", requests_out(workorders[:MAX_REQUESTS]))


@open311_view("GET")
def request_detail(request: HttpRequest, fmt: str, pk: str) -> HttpResponse:
    workorders = (
        public_requests().filter(pk=int(pk)) if ID.fullmatch(pk) else WorkOrder.objects.none()
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
