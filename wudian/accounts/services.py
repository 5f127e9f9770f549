"""Writes for accounts: logins, API tokens and the login-failure throttle."""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from wudian.accounts.backends import DemoPasswordRefused  # re-exported for callers
from wudian.accounts.models import ApiToken, Role, User
from wudian.core.throttle import client_address

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


# Touch last_used_at at most this often, so that a busy client does not write on every call.
TOKEN_TOUCH_EVERY = datetime.timedelta(minutes=1)


@functools.cache
def _token_sql() -> str:
    """The user of an active token, once per role of theirs, with the token's id and whether
    its last use is old. Written out because every API call runs it: the ORM took 0.6-0.8 ms of
    CPU to build the same four-table query, this 0.2 ms (docs/benchmarks.md)."""
    qn = connection.ops.quote_name
    through = User.roles.through._meta
    user_id = through.get_field("user").column
    role_id = through.get_field("role").column
    # Names are the models' tables and columns, never input.
    return (
        "SELECT u.*, t.id AS token_id, "  # noqa: S608
        "(t.last_used_at IS NULL OR t.last_used_at < %s) AS token_stale, r.code AS role_code "
        f"FROM {qn(ApiToken._meta.db_table)} t "
        f"JOIN {qn(User._meta.db_table)} u ON u.id = t.user_id "
        f"LEFT JOIN {qn(through.db_table)} ur ON ur.{qn(user_id)} = u.id "
        f"LEFT JOIN {qn(Role._meta.db_table)} r ON r.id = ur.{qn(role_id)} "
        "WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )


def api_token_find(secret: str) -> ApiToken | None:
    """The active token for a secret (its id, with its user and the user's roles loaded), or
    None for an unknown, expired or revoked token or an inactive user."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > TOKEN_MAX_LENGTH:
        return None
    now = timezone.now()
    params = [now - TOKEN_TOUCH_EVERY, token_digest(secret), now]
    rows = list(User.objects.raw(_token_sql(), params))
    if not rows or not rows[0].is_active:
        return None
    user = rows[0]
    # Every API call asks what the caller is: the roles came with the token.
    # (role_code, token_id and token_stale are the raw query's own columns.)
    user.role_codes = frozenset(row.role_code for row in rows if row.role_code)  # type: ignore[attr-defined]
    token_id = user.token_id  # type: ignore[attr-defined]
    record = ApiToken.from_db(connection.alias, ["id", "user_id"], [token_id, user.pk])
    record.user = user
    if user.token_stale:  # type: ignore[attr-defined]
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
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
    address = client_address(request)
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
