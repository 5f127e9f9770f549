"""Writes for accounts: API tokens and the login-failure throttle."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from wudian.accounts.models import ApiToken, User

TOKEN_PREFIX = "wd_"  # noqa: S105  a visible marker, not a secret


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


def api_token_authenticate(secret: str) -> User | None:
    """The active user a token belongs to, or None for an unknown, expired or revoked one."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = timezone.now()
    record = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if record is None or not record.user.is_active:
        return None
    # Touch last_used_at at most once a minute so a busy client does not write on every call.
    if record.last_used_at is None or now - record.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    token.refresh_from_db(fields=["revoked_at"])
    return token


def api_tokens_revoke_all(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


# Login throttle -------------------------------------------------------------------------
# Failures are counted per client address and per username in the shared cache, so every
# web process sees them. After LOGIN_FAILURE_LIMIT failures the key is locked out for
# LOGIN_LOCKOUT_SECONDS; a success clears the username's counter.


def _keys(client_ip: str, username: str) -> list[str]:
    user_key = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:ip:{client_ip}", f"login-fail:user:{user_key}"]


def login_is_locked(*, client_ip: str, username: str) -> bool:
    counts = cache.get_many(_keys(client_ip, username))
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts.values())


def login_failure_record(*, client_ip: str, username: str) -> None:
    for key in _keys(client_ip, username):
        if cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def login_success_record(*, client_ip: str, username: str) -> None:
    cache.delete(_keys(client_ip, username)[1])


def client_ip(request: object) -> str:
    meta = getattr(request, "META", {})
    return str(meta.get("REMOTE_ADDR") or "unknown")
