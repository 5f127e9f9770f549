from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from wudian.accounts.services import (
    DemoPasswordRefused,
    InvalidLogin,
    LoginLocked,
    login_attempt,
)

DEMO_PASSWORD_REFUSED = _(
    "The demo password is refused on this server: it only works in debug mode. "
    "Ask an administrator for your own password."
)

WRONG_CREDENTIALS = _("Wrong username or password, or the account is disabled.")


class LoginForm(AuthenticationForm):
    """Django's login form, behind the same throttle and demo-password rule as the API.
    `locked_for` is the number of seconds to wait when logins are locked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": WRONG_CREDENTIALS,
        "locked": _("Too many failed logins. Try again in %(minutes)d minute(s)."),
        "demo_password": DEMO_PASSWORD_REFUSED,
    }

    locked_for: int = 0

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = login_attempt(
                    request=self.request, username=username, password=password
                )
            except LoginLocked as exc:
                self.locked_for = exc.retry_after
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": max(1, -(-exc.retry_after // 60))},
                ) from exc
            except DemoPasswordRefused as exc:
                raise forms.ValidationError(
                    self.error_messages["demo_password"], code="demo_password"
                ) from exc
            except InvalidLogin as exc:
                raise self.get_invalid_login_error() from exc
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")

    @property
    def refusal_status(self) -> int:
        """The status of the page that shows this refused form: 429 while logins are locked,
        403 for the demo password, 200 for a wrong password (the form again, as Django does)."""
        if self.locked_for:
            return 429
        if self.has_error(NON_FIELD_ERRORS, "demo_password"):
            return 403
        return 200


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's login: the same throttle, demo-password rule and messages as every other
    login; the admin's own check that the account is staff."""


class WudianPasswordChangeForm(PasswordChangeForm):
    """The published demo password may not become anyone's password."""

    def clean_new_password1(self) -> str:
        password: str = self.cleaned_data["new_password1"]
        if password == settings.DEMO_PASSWORD:
            raise forms.ValidationError(
                _("This password is published with the demo; choose another one."),
                code="demo_password",
            )
        return password
