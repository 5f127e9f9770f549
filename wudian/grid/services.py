"""Writes of the grid that pages, the API and the CLI share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.core.errors import BadInput, NotAllowed
from wudian.grid.models import Household
from wudian.grid.scope import Purpose, reaches_household


def household_update_contact(
    *,
    household: Household,
    by: User,
    phone: str | None = None,
    holder_name: str | None = None,
) -> Household:
    """Change a household's phone and/or holder name; None leaves a value as it is.

    Raises NotAllowed when `by` may not edit the household and BadInput (with a message per
    field) when a value is not valid; nothing is saved then."""
    with transaction.atomic():
        # Two edits of one household wait for each other instead of interleaving.
        list(Household.objects.select_for_update().filter(pk=household.pk).values_list("pk"))
        if not reaches_household(by, Purpose.EDIT_HOUSEHOLDS, household.pk):
            raise NotAllowed(_("You may not change this household's contact details."))
        changes = _clean_contact(household, phone=phone, holder_name=holder_name)
        for name, value in changes.items():
            setattr(household, name, value)
        household.save(update_fields=list(changes))
    return household


def _clean_contact(
    household: Household, *, phone: str | None, holder_name: str | None
) -> dict[str, str]:
    changes: dict[str, str] = {}
    if phone is not None:
        changes["phone"] = phone.strip()
    if holder_name is not None:
        changes["holder_name"] = holder_name.strip()
    if not changes:
        raise BadInput(_("Nothing to change: send a phone number, a holder name or both."))
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        model_field = Household._meta.get_field(name)
        assert isinstance(model_field, Field)
        try:
            changes[name] = model_field.clean(value, household)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise BadInput(errors)
    return changes
