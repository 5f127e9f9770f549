from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class DemoPasswordRefused(Exception):
    """Raised when the demo password is used while WUDIAN_DEBUG is off."""


class WudianBackend(ModelBackend):
    """Django's model backend, except that the published demo password only works in debug
    mode: a production server must never accept `wudian-demo`."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if password == settings.DEMO_PASSWORD and not settings.DEBUG:
            raise DemoPasswordRefused
        return super().authenticate(request, username=username, password=password, **kwargs)
