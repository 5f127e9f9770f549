"""The arrears and prepaid-balance list, stored whole: `arrears_store` writes one import and
its lines in one transaction, the new lines current and every earlier line history, and
prepares the reminders of the new list (`reminders.reminders_prepare`)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from wudian.accounts.models import User
from wudian.billing.models import Arrears, ArrearsImport
from wudian.billing.services.reminders import reminders_prepare

BATCH_SIZE = 5000


@dataclass(frozen=True)
class ArrearsLine:
    row: int
    household_id: int
    kind: str  # Arrears.Kind
    amount: Decimal
    due_date: datetime.date | None = None
    warning_level: Decimal | None = None


def arrears_store(
    *,
    file_name: str,
    as_of: datetime.date,
    lines: Sequence[ArrearsLine],
    unknown_accounts: Sequence[dict[str, object]] = (),
    by: User | None = None,
) -> ArrearsImport:
    """Store a checked list as the current one (the caller has refused any problem)."""
    with transaction.atomic():
        run = ArrearsImport.objects.create(
            file_name=file_name,
            as_of=as_of,
            imported_by=by,
            rows=len(lines) + len(unknown_accounts),
            households=len(lines),
            unknown_accounts=list(unknown_accounts),
        )
        Arrears.objects.filter(current=True).update(current=False)
        Arrears.objects.bulk_create(
            (
                Arrears(
                    run=run,
                    household_id=line.household_id,
                    row=line.row,
                    kind=line.kind,
                    amount=line.amount,
                    due_date=line.due_date,
                    warning_level=line.warning_level,
                    current=True,
                )
                for line in lines
            ),
            batch_size=BATCH_SIZE,
        )
        reminders_prepare(run)
    return run
