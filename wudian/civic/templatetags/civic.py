"""What other apps' pages show of civic work: where a request came from."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from wudian.accounts.models import User
from wudian.civic.models import Appeal
from wudian.civic.selectors import appeal_of_request, visits_visible_to

register = template.Library()


@dataclass(frozen=True)
class Origin:
    appeal: Appeal
    # Whether the viewer may open the visit's page.
    may_open: bool


@register.simple_tag
def visit_origin(workorder_id: int, user: User) -> Origin | None:
    """The visit's appeal a request came from, if any (one query, two when it did)."""
    appeal = appeal_of_request(workorder_id)
    if appeal is None:
        return None
    return Origin(
        appeal=appeal, may_open=visits_visible_to(user).filter(pk=appeal.visit_id).exists()
    )
