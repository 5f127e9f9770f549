"""Labels a stored message reads in its reader's language: a request's state by its code,
a category by its names in both languages."""

from __future__ import annotations

from django import template

from wudian.accounts.models import localized
from wudian.workorders.models import WorkOrder

register = template.Library()


@register.filter
def status_label(code: str) -> str:
    labels = dict(WorkOrder.Status.choices)
    return str(labels.get(code, code))


@register.simple_tag(takes_context=True)
def category_label(context: template.Context) -> str:
    """The category's name in the active language (messages written before it kept both
    names carry the Chinese one only)."""
    return localized(str(context.get("category") or ""), str(context.get("category_en") or ""))
