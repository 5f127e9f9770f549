from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from wudian.accounts.services import api_token_find


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` for the API; the browser's session also works so
    the interactive docs and htmx pages can call it."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header:
            # Parsed here rather than by HttpBearer, which logs the whole header (the
            # secret) in debug mode when the scheme is not "Bearer".
            scheme, _sep, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            return self.authenticate(request, token.strip())
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Session-authenticated unsafe requests must carry a CSRF token.
            if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request):
                raise HttpError(
                    403,
                    _(
                        "CSRF verification failed: a browser session must send the "
                        "X-CSRFToken header with unsafe requests."
                    ),
                )
            return user
        return None

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        record = api_token_find(token)
        if record is None:
            return None
        request.user = record.user
        # The token used for this call, so that DELETE /auth/token can revoke it.
        request.api_token = record  # type: ignore[attr-defined]
        return record.user
