"""Who may do what in billing (see wudian.core.policy).

Readings imports: importing household meter readings (a file, the upload page, the API) is
for administrators and the members of a business hall (营业厅), whose staff keep the marketing
system's records. The import has no state of its own: the table has one state, "open"."""

from __future__ import annotations

from functools import partial

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import Department, RoleCode, User
from wudian.core.policy import Action, Parties, Policy

# -- readings imports -------------------------------------------------------------------------

READINGS_OPEN = "open"


def _imports_readings(user: User) -> bool:
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    department = user.department if user.has_role(RoleCode.DEPARTMENT) else None
    return department is not None and department.kind == Department.Kind.BUSINESS_HALL


READINGS = Policy[object](
    [
        Action(
            "import",
            states=(READINGS_OPEN,),
            parties=("importer",),
            refusal=gettext_lazy(
                "Only administrators and the members of a business hall may import meter readings."
            ),
        )
    ],
    state=lambda _imports: READINGS_OPEN,
    wrong_state=lambda _imports, _action: _("Readings cannot be imported now."),
)


def readings_parties(user: User) -> Parties:
    return Parties(user, {"importer": partial(_imports_readings, user)})


def may_import_readings(user: User) -> bool:
    """Whether the user may import readings (the page, the desk's link, the API)."""
    return (
        user.is_authenticated and READINGS.refusal("import", None, readings_parties(user)) is None
    )


def check_may_import_readings(user: User) -> None:
    READINGS.check("import", None, readings_parties(user))
