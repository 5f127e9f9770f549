"""Reads for joining: a resident's own applications, and the applications the compound's
property office and customer manager decide (scope: grid.scope, Purpose.EDIT_HOUSEHOLDS)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.core.errors import NotAllowed, OutsideScope
from wudian.grid.models import Compound, Household
from wudian.grid.scope import Purpose, compounds_for, own_households
from wudian.joining.models import Application

DECIDING_ROLES = (RoleCode.CUSTOMER_MANAGER, RoleCode.PROPERTY_STAFF)


def may_decide_applications(user: User) -> bool:
    """Whether the user decides applications at all (where: applications_to_decide)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_role(*DECIDING_ROLES))
    )


def applications_of(user: User) -> QuerySet[Application]:
    """The user's own applications, newest first."""
    return Application.objects.filter(applicant=user).select_related("compound")


def application_of(user: User, pk: int) -> Application:
    """One of the user's own applications; another's is not found (404)."""
    found = applications_of(user).filter(pk=pk).first()
    if found is None:
        raise OutsideScope(_("No such application."))
    return found


def applications_to_decide(user: User) -> QuerySet[Application]:
    """The applications of the compounds whose households the user edits; refused (403) to
    someone who decides none anywhere."""
    if not may_decide_applications(user):
        raise NotAllowed(
            _("Only the property office or the customer manager of the compound decides.")
        )
    compounds = compounds_for(user, Purpose.EDIT_HOUSEHOLDS)
    return Application.objects.filter(compound__in=compounds.values("pk")).select_related(
        "compound", "applicant", "household__building", "decided_by"
    )


def application_to_decide(user: User, pk: int) -> Application:
    """One application the user decides: 403 for someone who decides none, 404 outside their
    compounds."""
    found = applications_to_decide(user).filter(pk=pk).first()
    if found is None:
        raise OutsideScope(_("No such application, or it is outside your scope."))
    return found


def my_households(user: User) -> QuerySet[Household]:
    """The user's own households with their compounds, for the binding page."""
    return (
        own_households(user)
        .select_related("building__compound__community")
        .order_by("building__compound__name", "account_no")
    )


def compounds_to_apply_in(user: User, *, join_compound_id: int | None) -> list[Compound]:
    """Where a resident may file an application from the pages: the compound of the join
    link they came by, and the compounds of their own homes."""
    # Their homes' compounds, even for a superuser (who reaches every compound).
    homes = own_households(user).values("building__compound_id")
    found = {c.pk: c for c in Compound.objects.filter(pk__in=homes).order_by("name")}
    if join_compound_id is not None and join_compound_id not in found:
        joined = Compound.objects.filter(pk=join_compound_id).first()
        if joined is not None:
            return [joined, *found.values()]
    return list(found.values())
