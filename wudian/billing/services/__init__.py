"""billing.services, split by what it concerns: tariffs (checked and saved whole), bills (one
household's bill explained), and the parts each later change adds in its own module (arrears,
readings, reminders, usage analysis). The first two are re-exported here for their callers."""

from wudian.billing.services.bills import (
    HouseholdBill,
    MonthBill,
    TierPart,
    household_bill,
)
from wudian.billing.services.tariffs import (
    TierInput,
    tariff_check,
    tariff_in_force,
    tariff_save,
    tariff_spec,
)

__all__ = [
    "HouseholdBill",
    "MonthBill",
    "TierInput",
    "TierPart",
    "household_bill",
    "tariff_check",
    "tariff_in_force",
    "tariff_save",
    "tariff_spec",
]
