"""Residents joining by themselves: a tenant who registered with her phone and applied to
join a flat of 锦绣华庭, waiting for staff1 (its property office) or manager1 (its customer
manager) to approve. Every compound's window carries its join link and its poster; the demo
households' holders have phones on record, so the holder's check works on any of them."""

from __future__ import annotations

from wudian.accounts.models import Role, RoleCode, User
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.people import RESIDENT1_HOME
from wudian.grid.models import Compound, Household
from wudian.joining.models import Application
from wudian.joining.services import application_file

TENANT_USERNAME = "tenant-demo"
TENANT_NAME = "陈小雨"
TENANT_PHONE = "13955210088"


def joining_seed(summary: DemoSummary) -> None:
    """Add the demo tenant and her pending application when they are missing."""
    compound = Compound.objects.filter(code=RESIDENT1_HOME.compound).first()
    if compound is None:
        return
    tenant, created = User.objects.get_or_create(
        username=TENANT_USERNAME,
        defaults={"display_name": TENANT_NAME, "phone": TENANT_PHONE, "title": "居民"},
    )
    if created:
        tenant.set_unusable_password()
        tenant.save(update_fields=["password"])
        tenant.roles.add(Role.objects.get(code=RoleCode.RESIDENT))
        summary.created["User"] += 1
    if Application.objects.filter(applicant=tenant).exists():
        return
    household = (
        Household.objects.filter(building__compound=compound, memberships__isnull=True)
        .order_by("account_no")
        .first()
    )
    if household is None:
        return
    application_file(
        user=tenant,
        compound=compound,
        account_no=household.account_no,
        relation="tenant",
        name=TENANT_NAME,
        note="租住本户，已与房东签订一年租约，房东为户主本人。",
    )
    summary.created["Application"] += 1
