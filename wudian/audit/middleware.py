"""django-auditlog's middleware, with the actor and address this site believes."""

from __future__ import annotations

from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from wudian.core.throttle import client_address


class AuditActorMiddleware(AuditlogMiddleware):
    """The actor is read when an entry is written, not when the request comes in: an API
    call's bearer token names its user only once the API has authenticated it. The address is
    core.throttle's, so a client cannot write its own into the log through X-Forwarded-For."""

    @staticmethod
    def _get_actor(request: HttpRequest) -> Any:
        return SimpleLazyObject(lambda: request.user)

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        address = client_address(request)
        return None if address == "unknown" else address

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        return None
