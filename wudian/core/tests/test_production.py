"""Production settings: Django's deploy check is clean, the security headers are sent, and
HTTPS, HSTS and the security contact follow the environment."""

from __future__ import annotations

import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from wudian.conftest import City

PRODUCTION = {
    "WUDIAN_DEBUG": "0",
    "WUDIAN_ALLOWED_HOSTS": "wudian.example.cn",
    "WUDIAN_BEHIND_TLS_PROXY": "1",
    "WUDIAN_SECURITY_CONTACT": "security@example.cn",
    "WUDIAN_PUBLIC_URL": "https://wudian.example.cn",
    "WUDIAN_SMS_GATEWAY_URL": "json://sms-gateway.example.cn/send",
    "WUDIAN_EMAIL_URL": "mailtos://mail.example.cn",
}


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WUDIAN_")}
    clean.update(WUDIAN_DATA_DIR=str(tmp_path), WUDIAN_SECRET_KEY=secrets.token_urlsafe(50))
    clean.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], env=clean, capture_output=True, text=True, check=False
    )


def deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run(
        ["-m", "wudian.manage", "check", "--deploy", "--fail-level", "WARNING"], tmp_path, **env
    )


def test_the_deploy_check_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = deploy_check(tmp_path, **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("unset", "complaint"),
    [
        ("WUDIAN_BEHIND_TLS_PROXY", "security.W004"),  # no HTTPS, so no HSTS
        ("WUDIAN_SECURITY_CONTACT", "wudian.W001"),
        ("WUDIAN_PUBLIC_URL", "wudian.W002"),  # the development default
        ("WUDIAN_SMS_GATEWAY_URL", "wudian.W003"),
        ("WUDIAN_EMAIL_URL", "wudian.W003"),
    ],
)
def test_the_deploy_check_names_what_is_missing(tmp_path: Path, unset: str, complaint: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != unset}

    result = deploy_check(tmp_path, **env)

    assert result.returncode != 0
    assert complaint in result.stderr + result.stdout


def read_settings(tmp_path: Path, names: str, **env: str) -> list[str]:
    result = run(
        [
            "-c",
            f"from wudian import settings as s; print(*[getattr(s, n) for n in {names!r}.split()])",
        ],
        tmp_path,
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


HTTPS_SETTINGS = (
    "SECURE_SSL_REDIRECT SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_HSTS_SECONDS "
    "SECURE_HSTS_INCLUDE_SUBDOMAINS"
)


def test_https_turns_on_redirects_secure_cookies_and_hsts(tmp_path: Path) -> None:
    assert read_settings(tmp_path, HTTPS_SETTINGS, WUDIAN_HTTPS="1") == [
        "True", "True", "True", "31536000", "False"
    ]  # fmt: skip
    assert read_settings(
        tmp_path,
        HTTPS_SETTINGS,
        WUDIAN_HTTPS="1",
        WUDIAN_HSTS_SECONDS="3600",
        WUDIAN_HSTS_INCLUDE_SUBDOMAINS="1",
    ) == ["True", "True", "True", "3600", "True"]


def test_without_https_nothing_asks_for_it(tmp_path: Path) -> None:
    assert read_settings(tmp_path, HTTPS_SETTINGS) == ["False", "False", "False", "0", "False"]


# Headers ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/api/v1/docs", "/no/such/page/"])
def test_security_headers_on_every_page(city: City, settings: Any, url: str) -> None:
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get(url)

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_hsts_over_https_and_the_redirect_spares_healthz(city: City, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    assert client.get("/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/")["Location"] == "https://testserver/"
    assert client.get("/healthz").status_code in (200, 503)


@pytest.mark.django_db
def test_pages_carry_no_inline_script_or_style(login: Any, city: City) -> None:
    client = login(city.manager)
    for url in ["/", "/desk/", "/desk/requests/", "/desk/requests/new/", "/desk/outages/",
                "/desk/outages/new/", "/c/NORTH/", "/api/v1/docs"]:  # fmt: skip
        body = client.get(url).text
        assert "<style" not in body, url
        assert " style=" not in body, url
        for tag in body.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert " src=" in opening or 'type="application/json"' in opening, (url, opening)


# security.txt ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_security_txt_names_the_contact(settings: Any) -> None:
    settings.SECURITY_CONTACT = "security@example.cn"

    response = Client().get("/.well-known/security.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.text.splitlines())
    assert fields["Contact"] == "mailto:security@example.cn"
    expires = datetime.datetime.fromisoformat(fields["Expires"])
    now = datetime.datetime.now(datetime.UTC)
    assert now < expires < now + datetime.timedelta(days=365)


@pytest.mark.django_db
def test_security_txt_takes_a_url(settings: Any) -> None:
    settings.SECURITY_CONTACT = "https://example.cn/security"

    assert (
        "Contact: https://example.cn/security\n" in Client().get("/.well-known/security.txt").text
    )


@pytest.mark.django_db
def test_no_security_txt_without_a_contact(settings: Any) -> None:
    settings.SECURITY_CONTACT = ""

    assert Client().get("/.well-known/security.txt").status_code == 404
