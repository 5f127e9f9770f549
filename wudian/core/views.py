from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.accounts.models import Role
from wudian.core.health import run_checks


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "core/index.html", {})


@login_required
def home_for_user(request: HttpRequest) -> HttpResponse:
    """Where a user lands after login: residents in their area, staff at the desk."""
    if request.user.is_resident_only:  # type: ignore[union-attr]
        return redirect("core:me")
    return redirect("core:desk")


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    return render(request, "core/desk.html", {})


@login_required
def me(request: HttpRequest) -> HttpResponse:
    return render(request, "core/me.html", {})


@require_GET
def duties(request: HttpRequest) -> HttpResponse:
    roles = Role.objects.prefetch_related("duties")
    return render(request, "core/duties.html", {"roles": roles})
