"""What every page's menu shows of the service dashboard."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from wudian.metrics.cuts import may_measure


def menu(request: HttpRequest) -> dict[str, Any]:
    """Whether the menu offers the dashboard (supervisors, customer managers and
    administrators). Lazy: a page without the menu asks nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu_dashboard": SimpleLazyObject(lambda: may_measure(user))}
