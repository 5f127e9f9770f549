"""The admin site: its login goes through the same throttle and refusals as every other login,
and its password change is the site's own page (the demo-password rule, revoking API tokens)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from wudian.accounts.forms import AdminLoginForm
from wudian.accounts.views import login_refused


class WudianAdminSite(admin.AdminSite):
    login_form = AdminLoginForm
    site_header = settings.ADMIN_SITE_HEADER
    site_title = settings.ADMIN_SITE_HEADER

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if request.method == "POST" and isinstance(form, AdminLoginForm) and form.errors:
            return login_refused(response, form)
        return response

    def password_change(  # type: ignore[override]  # a redirect, not the admin's form
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return redirect("accounts:password_change")
