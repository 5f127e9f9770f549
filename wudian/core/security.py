"""Where to report a security or privacy problem (WUDIAN_SECURITY_CONTACT), for the error
pages, /.well-known/security.txt and the deploy check; and the deploy check of the site's public
origin (WUDIAN_PUBLIC_URL)."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone


def require_secret_key() -> None:
    """Refuse to serve pages without WUDIAN_SECRET_KEY when debug is off (the web entry points
    call this; commands that serve no pages run without a secret)."""
    if settings.SECRET_KEY_MISSING:
        raise ImproperlyConfigured(
            "WUDIAN_SECRET_KEY must be set when WUDIAN_DEBUG is off: "
            "production refuses to serve pages with the default secret."
        )


# RFC 9116 wants an expiry less than a year away; the file is written on each request.
SECURITY_TXT_VALID_DAYS = 180


@dataclass(frozen=True)
class Contact:
    href: str  # a mailto: or https: URI
    text: str  # what a person reads


def security_contact() -> Contact | None:
    value = settings.SECURITY_CONTACT.strip()
    if not value:
        return None
    if value.startswith(("https://", "http://")):
        return Contact(href=value, text=value)
    address = value.removeprefix("mailto:")
    return Contact(href=f"mailto:{address}", text=address)


def security_txt(*, now: datetime.datetime | None = None) -> str | None:
    contact = security_contact()
    if contact is None:
        return None
    expires = (now or timezone.now()) + datetime.timedelta(days=SECURITY_TXT_VALID_DAYS)
    return (
        f"Contact: {contact.href}\n"
        f"Expires: {expires.astimezone(datetime.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        "Preferred-Languages: zh, en\n"
    )


@checks.register(checks.Tags.security, deploy=True)
def check_security_contact(**kwargs: object) -> list[checks.CheckMessage]:
    if security_contact() is not None:
        return []
    return [
        checks.Warning(
            "WUDIAN_SECURITY_CONTACT is not set: the error pages and security.txt cannot say "
            "where to report a security or privacy problem.",
            hint="Set it to an e-mail address or an https:// URL.",
            id="wudian.W001",
        )
    ]


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@checks.register(checks.Tags.security, deploy=True)
def check_public_url(**kwargs: object) -> list[checks.CheckMessage]:
    """The public feeds name their items and link after WUDIAN_PUBLIC_URL: a development
    default in production would publish links nobody can open."""
    parts = urlsplit(settings.PUBLIC_URL)
    if parts.scheme in ("http", "https") and parts.hostname and not _is_local(parts.hostname):
        return []
    return [
        checks.Warning(
            f"WUDIAN_PUBLIC_URL is {settings.PUBLIC_URL!r}: the outage feeds and the printed "
            "notices would link to and be named after an address residents cannot reach.",
            hint="Set it to the site's public origin, e.g. https://wudian.example.cn.",
            id="wudian.W002",
        )
    ]
