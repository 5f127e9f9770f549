"""Refusals: the four ways a business action says no. Services raise them; each surface maps
them once — the API in wudian.api, pages through refusal_text and status_of below, Open311 in
its own error document — so the same refusal has the same status everywhere:

| refusal      | meaning                                               | status |
|--------------|-------------------------------------------------------|--------|
| NotAllowed   | the caller may not do this (role, or part in the case) | 403    |
| OutsideScope | no such thing for this caller (outside their scope)    | 404    |
| WrongState   | not in the object's current state, or a conflict       | 409    |
| BadInput     | what was sent cannot be used (a field, a rule)         | 422    |

They extend Django's PermissionDenied, Http404 and ValidationError, so forms, the admin and
Django's own handlers understand them too; a plain PermissionDenied or ValidationError (a
model validator, say) is read as NotAllowed or BadInput."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _


class NotAllowed(PermissionDenied):
    """The caller may not do this: not their role, or not their part in the matter (403)."""


class OutsideScope(Http404):
    """No such thing for this caller: it does not exist, or lies outside their scope; the
    two are not told apart (404)."""


class WrongState(ValidationError):
    """Not allowed in the object's current state, or in conflict with another (409).
    `extra` adds machine-readable details to the API's answer."""

    def __init__(self, message: Any, *, code: str = "state", extra: dict[str, Any] | None = None):
        super().__init__(message, code=code)
        self.extra = extra or {}


class BadInput(ValidationError):
    """What the caller sent cannot be used: a field's value, or a rule it breaks (422).
    `extra` adds machine-readable details to the API's answer."""

    def __init__(
        self,
        message: Any,
        code: str | None = None,
        params: dict[str, Any] | None = None,
        *,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message, code=code, params=params)
        self.extra = extra or {}


def invalid(field: str, message: str, code: str) -> BadInput:
    """One field's value refused, with a code callers may tell apart."""
    return BadInput({field: ValidationError(message, code=code)})


# What a page or an action catches: the refusals of a step (404 is raised before one starts).
REFUSED = (PermissionDenied, ValidationError)


def status_of(error: Exception) -> int:
    """The HTTP status of a refusal, the same on every surface."""
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, Http404 | ObjectDoesNotExist):
        return 404
    if isinstance(error, WrongState):
        return 409
    return 422


def messages_of(error: Exception) -> list[str]:
    """What the refusal says, in the user's language."""
    if isinstance(error, ValidationError):
        return [str(message) for message in error.messages]
    if isinstance(error, PermissionDenied):
        return [str(error) or _("You may not do this.")]
    # Django's own 404s speak English and name models: only ours are told as they are.
    if isinstance(error, OutsideScope) and str(error):
        return [str(error)]
    return [_("Not found, or outside your scope.")]


def field_errors(error: Exception) -> dict[str, list[str]]:
    """A refusal's messages by the field they concern (none for a refusal of the whole)."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return {
            name: [str(message) for message in messages]
            for name, messages in error.message_dict.items()
        }
    return {}


def extra_of(error: Exception) -> dict[str, Any]:
    extra: dict[str, Any] = getattr(error, "extra", {})
    return extra


def refusal_text(
    error: Exception, form: forms.Form | None = None, *, aliases: dict[str, str] | None = None
) -> str:
    """For a page: the refusal's field errors go on the form's fields (a service's field name
    may be mapped to the form's by `aliases`); the rest comes back as one line to show."""
    fields = field_errors(error)
    if not fields:
        return " ".join(messages_of(error))
    aliases = aliases or {}
    rest: list[str] = []
    for name, texts in fields.items():
        target = aliases.get(name, name)
        if form is not None and target in form.fields:
            form.add_error(target, texts)
        else:
            rest += texts
    return " ".join(rest)
