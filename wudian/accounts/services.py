"""Writes for accounts: logins, API tokens and the login-failure throttle."""

from __future__ import annotations

import datetime
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from wudian.accounts.backends import DemoPasswordRefused  # re-exported for callers
from wudian.accounts.models import ApiToken, User

TOKEN_PREFIX = "wd_"  # noqa: S105  a visible marker, not a secret
TOKEN_MAX_LENGTH = 100


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record: ApiToken

    @property
    def expires(self) -> datetime.datetime:
        return self.record.expires_at


def api_token_issue(*, user: User, name: str = "", days: int | None = None) -> IssuedToken:
    """Create a token. The secret is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    record = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=secret[:12],
        digest=token_digest(secret),
        created_at=now,
        expires_at=now + datetime.timedelta(days=days or settings.API_TOKEN_DAYS),
    )
    return IssuedToken(token=secret, record=record)


def api_token_find(secret: str) -> ApiToken | None:
    """The active token for a secret (with its user loaded), or None for an unknown,
    expired or revoked token or an inactive user."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > TOKEN_MAX_LENGTH:
        return None
    now = timezone.now()
    # One row per role of the user: every API call asks what the caller is, so the roles
    # come with the token instead of in a query of their own.
    rows = list(
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, expires_at__gt=now)
        .annotate(role_code=F("user__roles__code"))
        .order_by()
    )
    if not rows or not rows[0].user.is_active:
        return None
    record = rows[0]
    record.user.role_codes = frozenset(row.role_code for row in rows if row.role_code)
    # Touch last_used_at at most once a minute so a busy client does not write on every call.
    if record.last_used_at is None or now - record.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now
    return record


def api_token_authenticate(secret: str) -> User | None:
    """The active user a token belongs to, or None."""
    record = api_token_find(secret)
    return record.user if record is not None else None


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_tokens_revoke(*, tokens: QuerySet[ApiToken]) -> int:
    """Revoke several tokens (the admin action); already revoked ones keep their date."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_tokens_revoke_all(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


# Login throttle -------------------------------------------------------------------------
# Failures are counted per client address and per username in the shared cache, so every
# web process sees them. Each failure keeps its counter alive for LOGIN_LOCKOUT_SECONDS;
# when a counter reaches its limit, a lock with a known end is written, so the client can be
# told when to retry. While locked, attempts are refused without checking the password and
# do not extend the lock. A success clears the username's counter, never the address's:
# otherwise one valid account would let a client keep guessing the passwords of others.
#
# Many users of a utility office share one address behind NAT, so the address limit is
# higher than the username limit (LOGIN_FAILURE_LIMIT_PER_ADDRESS, default 4 times).


def _limits() -> tuple[int, int]:
    per_user = settings.LOGIN_FAILURE_LIMIT
    per_address = settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
    return per_address, per_user


def _keys(client_ip: str, username: str) -> list[str]:
    user_key = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    address_key = hashlib.sha256(client_ip.encode()).hexdigest()[:32]
    return [f"login-fail:ip:{address_key}", f"login-fail:user:{user_key}"]


def login_lock_seconds(*, client_ip: str, username: str) -> int:
    """Seconds until a login for this address and username may be tried again; 0 if now."""
    lock_keys = [f"{key}:lock" for key in _keys(client_ip, username)]
    ends = cache.get_many(lock_keys).values()
    remaining = max((float(end) - time.time() for end in ends), default=0.0)
    return max(math.ceil(remaining), 0)


def login_is_locked(*, client_ip: str, username: str) -> bool:
    return login_lock_seconds(client_ip=client_ip, username=username) > 0


def login_failure_record(*, client_ip: str, username: str) -> None:
    timeout = settings.LOGIN_LOCKOUT_SECONDS
    for key, limit in zip(_keys(client_ip, username), _limits(), strict=True):
        if cache.add(key, 1, timeout=timeout):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=timeout)
                count = 1
            # Some backends (the database cache) reset the timeout on incr: set it back.
            cache.touch(key, timeout=timeout)
        if count >= limit:
            cache.set(f"{key}:lock", time.time() + timeout, timeout=timeout)
            cache.delete(key)


def login_success_record(*, client_ip: str, username: str) -> None:
    cache.delete(_keys(client_ip, username)[1])


def client_ip(request: object) -> str:
    meta = getattr(request, "META", {})
    return str(meta.get("REMOTE_ADDR") or "unknown")


# Logging in ---------------------------------------------------------------------------


class LoginLocked(Exception):
    """Too many failed logins for this address or username; retry after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class InvalidLogin(Exception):
    """Wrong username or password, or an inactive account."""


def login_attempt(*, request: HttpRequest | None, username: str, password: str) -> User:
    """Check a username and password under the throttle; the one path for the login page and
    the token endpoint. Raises LoginLocked, DemoPasswordRefused or InvalidLogin."""
    address = client_ip(request)
    locked_for = login_lock_seconds(client_ip=address, username=username)
    if locked_for:
        raise LoginLocked(locked_for)
    try:
        user = authenticate(request, username=username, password=password)
    except DemoPasswordRefused:
        login_failure_record(client_ip=address, username=username)
        raise
    if user is None:
        login_failure_record(client_ip=address, username=username)
        raise InvalidLogin
    login_success_record(client_ip=address, username=username)
    return user
