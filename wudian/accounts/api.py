from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from wudian.accounts.forms import DEMO_PASSWORD_REFUSED, WRONG_CREDENTIALS
from wudian.accounts.models import User
from wudian.accounts.services import (
    DemoPasswordRefused,
    InvalidLogin,
    LoginLocked,
    api_token_issue,
    api_token_revoke,
    login_attempt,
)
from wudian.core.api import Refusal

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=4096)
    name: str = Field("", max_length=100, description="A label for the token, e.g. the device")


class TokenOut(Schema):
    token: str = Field(..., description="Send as `Authorization: Bearer <token>`; shown once")
    expires: datetime.datetime


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined]


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: Refusal, 422: Refusal, 429: Refusal},
    summary="Get an API token",
)
def token_obtain(request: HttpRequest, response: HttpResponse, payload: TokenIn) -> Any:
    """Exchange a username and password for a bearer token. Repeated failures from one
    address or for one username lock logins for a while (429 with Retry-After)."""
    try:
        user = login_attempt(request=request, username=payload.username, password=payload.password)
    except LoginLocked as exc:
        response["Retry-After"] = str(exc.retry_after)
        minutes = max(1, -(-exc.retry_after // 60))
        message = _("Too many failed logins. Try again in %(minutes)d minute(s).")
        return Status(429, {"detail": message % {"minutes": minutes}})
    except DemoPasswordRefused:
        return Status(401, {"detail": str(DEMO_PASSWORD_REFUSED)})
    except InvalidLogin:
        return Status(401, {"detail": str(WRONG_CREDENTIALS)})
    issued = api_token_issue(user=user, name=payload.name or _("API login"))
    return Status(200, {"token": issued.token, "expires": issued.expires})


@router.delete(
    "/auth/token",
    response={204: None, 400: Refusal, 401: Refusal},
    summary="Revoke the token of this call",
)
def token_revoke(request: HttpRequest) -> Any:
    token = getattr(request, "api_token", None)
    if token is None:
        raise HttpError(
            400,
            _("This call was not made with a bearer token; log out to end a browser session."),
        )
    api_token_revoke(token=token)
    return Status(204, None)
