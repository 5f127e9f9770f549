"""What every page's header shows of the notification engine."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from wudian.accounts.models import RoleCode
from wudian.notify.selectors import may_see_failed, unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The logged-in user's unread in-app messages (one COUNT) and which of the notification
    pages their menu offers. Lazy: a fragment without the header asks nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "inbox_unread": SimpleLazyObject(lambda: unread_count(user)),
        "menu_calls": SimpleLazyObject(
            lambda: (
                user.is_superuser or user.has_role(RoleCode.ELECTRICIAN, RoleCode.CUSTOMER_MANAGER)
            )
        ),
        "menu_failed": SimpleLazyObject(lambda: may_see_failed(user)),
    }
