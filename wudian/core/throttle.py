"""Request throttles counted in the shared cache, so that every web process sees them, and the
client address they count by."""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse


def client_address(request: object) -> str:
    """The address of the client. Behind WUDIAN_TRUSTED_PROXIES reverse proxies, each of which
    appends the address it was reached from to X-Forwarded-For, the client is that many entries
    from the right; entries further left are the client's own word and are not believed."""
    meta = getattr(request, "META", {})
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(meta.get("REMOTE_ADDR") or "unknown")


def throttle_wait(*, scope: str, key: str, limit: int, window: int) -> int:
    """Count one request of `key` in the current fixed window of `window` seconds. Returns 0
    while at most `limit` requests came in the window, else the seconds until it ends."""
    now = time.time()
    start = int(now // window) * window
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"throttle:{scope}:{digest}:{start}"
    # The window's start is in the key: an expiry reset by incr (the database cache) only
    # keeps a dead key a little longer.
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window + 1)
            count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil(start + window - now))


class Throttled(Exception):
    """Too many requests of one kind from one client, for one phone or one account: try again
    in `retry_after` seconds. Not a refusal of the matter itself: every surface answers it with
    429 and a Retry-After header, and the message says when, in the user's language."""

    def __init__(self, message: object, *, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, int(retry_after))


def throttled_response(response: HttpResponse, error: Throttled) -> HttpResponse:
    """A page told that it was throttled: 429 with Retry-After (the API maps it in
    wudian.api)."""
    response.status_code = 429
    response["Retry-After"] = str(error.retry_after)
    return response
