from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wudian.core.health import gateway_states, run_checks
from wudian.core.security import security_txt


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks, "gateways": gateway_states()},
        status=200 if healthy else 503,
    )


@require_GET
def security_txt_view(request: HttpRequest) -> HttpResponse:
    """/.well-known/security.txt (RFC 9116): where to report a security problem."""
    text = security_txt()
    if text is None:
        raise Http404
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
