"""The root of the JSON API, mounted at /api/v1/. Each app adds its own router."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

from wudian.accounts.api import router as accounts_router
from wudian.accounts.auth import BearerTokenAuth
from wudian.billing.api import router as billing_router
from wudian.circles.api import router as circles_router
from wudian.civic.api import router as civic_router
from wudian.core.api import BodyNotUsable, DocumentedAPI, StrictJsonParser
from wudian.core.errors import extra_of, field_errors, messages_of, status_of
from wudian.core.throttle import Throttled
from wudian.fieldwork.api import router as fieldwork_router
from wudian.grid.api import router as grid_router
from wudian.joining.api import router as joining_router
from wudian.knowledge.api import router as knowledge_router
from wudian.metrics.api import router as metrics_router
from wudian.notify.api import router as notify_router
from wudian.outages.api import router as outages_router
from wudian.workorders.api import router as workorders_router

api = DocumentedAPI(
    title="Wudian API",
    version="1",
    description="物电联络站 API. Authenticate with POST /api/v1/auth/token, then send "
    "`Authorization: Bearer <token>`.",
    urls_namespace="api",
    auth=BearerTokenAuth(),
    parser=StrictJsonParser(),
)

# What a refusal of the schema says of each field: where and why, never the value sent
# (it may be a password).
FIELD_ERROR_KEYS = ("loc", "msg", "type")


def field_error(error: dict[str, Any]) -> dict[str, Any]:
    """One field the schema refused, located as the services' refusals locate theirs:
    `["body", field, …]`, without the name of the handler's body parameter (`payload`)."""
    found = {key: error[key] for key in FIELD_ERROR_KEYS if key in error}
    loc = list(found.get("loc", []))
    if loc[:2] == ["body", "payload"]:
        found["loc"] = ["body", *loc[2:]]
    return found


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": _("The request is not valid."),
            "errors": [field_error(error) for error in exc.errors],
        },
        status=422,
    )


def refusal_body(error: Exception) -> dict[str, Any]:
    """The API's answer to a refusal: `detail` says why in the user's language; the fields a
    refusal names are also given in `errors`, as for a request the schema refused; some
    refusals add details of their own (a rule's key, a conflicting outage)."""
    body: dict[str, Any] = {"detail": " ".join(messages_of(error))}
    fields = field_errors(error)
    if fields:
        body["errors"] = [
            {"loc": ["body", name], "msg": message, "type": "value_error"}
            for name, messages in fields.items()
            for message in messages
        ]
    return body | extra_of(error)


@api.exception_handler(PermissionDenied)
@api.exception_handler(Http404)
@api.exception_handler(DjangoValidationError)
def on_refusal(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Every refusal of a service or a selector, mapped once (see wudian.core.errors)."""
    return api.create_response(request, refusal_body(exc), status=status_of(exc))


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """Too many requests (codes sent, codes tried, binding checks): 429 with Retry-After."""
    response = api.create_response(request, {"detail": str(exc.message)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": _("Authentication required: send a valid, unexpired bearer token.")},
        status=401,
    )
    # RFC 6750: a token that was sent and refused is `invalid_token`.
    sent = request.headers.get("Authorization", "").lower().startswith("bearer ")
    challenge = 'Bearer realm="api", error="invalid_token"' if sent else 'Bearer realm="api"'
    response["WWW-Authenticate"] = challenge
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, ValidationError):
        # Text the parser refused (a NUL character): a field at fault, as the schema's.
        return on_validation_error(request, cause)
    detail = str(exc)
    if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
        # Ninja's own wording is English only; say it in the user's language.
        detail = (
            str(cause)
            if isinstance(cause, BodyNotUsable)
            else _("The request body is not valid JSON.")
        )
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


api.add_router("", accounts_router)
api.add_router("", grid_router)
api.add_router("", outages_router)
api.add_router("", notify_router)
api.add_router("", workorders_router)
api.add_router("", metrics_router)
api.add_router("", joining_router)
api.add_router("", knowledge_router)
api.add_router("", circles_router)
api.add_router("", civic_router)
api.add_router("", fieldwork_router)
api.add_router("", billing_router)
