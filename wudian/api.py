"""The root of the JSON API, mounted at /api/v1/. Each app adds its own router."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from wudian.accounts.api import router as accounts_router
from wudian.accounts.auth import BearerTokenAuth
from wudian.grid.api import router as grid_router
from wudian.notify.api import router as notify_router
from wudian.outages.api import router as outages_router
from wudian.workorders.api import router as workorders_router

api = NinjaAPI(
    title="Wudian API",
    version="1",
    description="物电联络站 API. Authenticate with POST /api/v1/auth/token, then send "
    "`Authorization: Bearer <token>`.",
    urls_namespace="api",
    auth=BearerTokenAuth(),
)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("The request is not valid."), "errors": exc.errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("Authentication required: send a valid, unexpired bearer token.")},
        status=401,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = str(exc)
    if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
        # Ninja's own wording is English only; say it in the user's language.
        detail = _("The request body is not valid JSON.")
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


api.add_router("", accounts_router)
api.add_router("", grid_router)
api.add_router("", outages_router)
api.add_router("", notify_router)
api.add_router("", workorders_router)
