"""The badges of field work's states for templates:
`{% include "core/_badge.html" with badge=patrol.status|patrol_badge %}`."""

from django import template

from wudian.core.badges import Badge
from wudian.fieldwork import models

register = template.Library()


@register.filter
def patrol_badge(status: str) -> Badge:
    return models.patrol_badge(status)


@register.filter
def defect_badge(status: str) -> Badge:
    return models.defect_badge(status)


@register.filter
def severity_badge(severity: str) -> Badge:
    return models.severity_badge(severity)
