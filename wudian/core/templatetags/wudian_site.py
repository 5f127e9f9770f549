from __future__ import annotations

from django import template

from wudian.core.security import Contact, security_contact

register = template.Library()


@register.simple_tag(name="security_contact")
def security_contact_tag() -> Contact | None:
    """`{% security_contact as contact %}`: works without a request (the 500 page has none)."""
    return security_contact()
