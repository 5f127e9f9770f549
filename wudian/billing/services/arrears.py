"""The arrears and prepaid-balance list, stored whole: `arrears_import` reads and checks the
marketing system's export (.xlsx or .csv) and refuses it with every problem, or hands its
lines to `arrears_store`, which writes one import and its lines in one transaction, the new
lines current and every earlier line history, and prepares the reminders of the new list
(`reminders.reminders_prepare`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.billing.models import Arrears, ArrearsImport
from wudian.billing.policy import arrears_check
from wudian.billing.services.reminders import reminders_prepare
from wudian.billing.tables import (
    Column,
    Problem,
    TableRefused,
    parse_amount,
    parse_date,
    read_table,
)
from wudian.core.errors import invalid
from wudian.grid.models import Household, account_no_validator

BATCH_SIZE = 5000
# Account numbers looked up per query (well under SQLite's bound on a query's parameters).
LOOKUP_CHUNK = 5000

# The columns of the export, as the template names them (Chinese first, then English).
ACCOUNT = Column("account_no", ("户号", "account_no", "account number"))
OWED = Column("amount_owed", ("欠费金额", "amount_owed", "amount owed"), required=False)
BALANCE = Column("balance", ("预存余额", "balance", "prepaid balance"), required=False)
DUE = Column("due_date", ("缴费截止日", "due_date", "due date"), required=False)
WARNING = Column("warning_level", ("预警金额", "warning_level", "warning level"), required=False)
COLUMNS = (ACCOUNT, OWED, BALANCE, DUE, WARNING)


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


@dataclass(frozen=True)
class _Checked:
    """A row that passed its own checks, before its account number is looked up."""

    row: int
    account_no: str
    kind: str
    amount: Decimal
    due_date: datetime.date | None
    warning_level: Decimal | None


def _amount(problems: list[Problem], number: int, column: Column, text: str) -> Decimal | None:
    try:
        return parse_amount(text)
    except ValueError as exc:
        problems.append(Problem(number, column.label, str(exc)))
        return None


def _check_row(
    problems: list[Problem], number: int, cells: dict[str, str], as_of: datetime.date
) -> _Checked | None:
    """One row's own problems (appended), or the row's values."""
    found = len(problems)
    account_no = cells["account_no"]
    if not account_no:
        problems.append(Problem(number, ACCOUNT.label, _("the account number is missing.")))
    else:
        try:
            account_no_validator(account_no)
        except ValidationError:
            problems.append(
                Problem(
                    number,
                    ACCOUNT.label,
                    _("“{text}” is not an account number (10 to 16 digits).").format(
                        text=account_no
                    ),
                )
            )
    owed_text, balance_text = cells.get("amount_owed", ""), cells.get("balance", "")
    kind, amount, due, warning = "", None, None, None
    if owed_text and balance_text:
        problems.append(
            Problem(
                number,
                f"{OWED.label} / {BALANCE.label}",
                _("give either the amount owed or the prepaid balance, not both."),
            )
        )
    elif not owed_text and not balance_text:
        problems.append(
            Problem(
                number,
                f"{OWED.label} / {BALANCE.label}",
                _("give the amount owed or the prepaid balance."),
            )
        )
    elif owed_text:
        kind = Arrears.Kind.POSTPAID
        amount = _amount(problems, number, OWED, owed_text)
        due_text = cells.get("due_date", "")
        if not due_text:
            problems.append(Problem(number, DUE.label, _("an amount owed needs its due date.")))
        else:
            try:
                due = parse_date(due_text)
            except ValueError as exc:
                problems.append(Problem(number, DUE.label, str(exc)))
            else:
                if due > as_of:
                    problems.append(
                        Problem(
                            number,
                            DUE.label,
                            _(
                                "the due date {due} is after the list's date {as_of}: an "
                                "amount still within its due date is not owed yet."
                            ).format(due=due.isoformat(), as_of=as_of.isoformat()),
                        )
                    )
    else:
        kind = Arrears.Kind.PREPAID
        amount = _amount(problems, number, BALANCE, balance_text)
        warning_text = cells.get("warning_level", "")
        if warning_text:
            warning = _amount(problems, number, WARNING, warning_text)
    if len(problems) > found or amount is None:
        return None
    return _Checked(number, account_no, kind, amount, due, warning)


def _households_by_account(account_nos: Iterable[str]) -> dict[str, int]:
    """Household ids by account number, a chunk of account numbers per query."""
    wanted = list(account_nos)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        found.update(Household.objects.filter(account_no__in=chunk).values_list("account_no", "pk"))
    return found


def _list_date(as_of: datetime.date | None) -> datetime.date:
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today:
        raise invalid("as_of", _("The list's date cannot be in the future."), "as_of_future")
    latest = ArrearsImport.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    if latest is not None and as_of < latest:
        raise invalid(
            "as_of",
            _(
                "A list of {latest} is already imported; a list of an earlier day cannot "
                "replace it."
            ).format(latest=latest.isoformat()),
            "as_of_earlier",
        )
    return as_of


def arrears_import(
    handle: IO[bytes],
    name: str,
    *,
    as_of: datetime.date | None = None,
    by: User | None = None,
) -> ArrearsImport:
    """Import the arrears and prepaid-balance list: every row is checked, and a file with any
    problem is refused whole (TableRefused names each by row and column); otherwise the list
    replaces the current one. Account numbers that are valid but not Wudian's are listed on
    the import, not refused. `by` (None: a command) must be allowed to import."""
    if by is not None:
        arrears_check(by, "import")
    as_of = _list_date(as_of)
    problems: list[Problem] = []
    checked: list[_Checked] = []
    first_row: dict[str, int] = {}
    seen_columns = False
    for number, cells in read_table(handle, name, COLUMNS):
        if not seen_columns:
            seen_columns = True
            if "amount_owed" not in cells and "balance" not in cells:
                raise TableRefused(
                    [
                        Problem(
                            0,
                            f"{OWED.label} / {BALANCE.label}",
                            _(
                                "the file needs a column of amounts owed ({owed}) or of "
                                "prepaid balances ({balance})."
                            ).format(owed=OWED.label, balance=BALANCE.label),
                        )
                    ]
                )
        account_no = cells["account_no"]
        if account_no:
            first = first_row.setdefault(account_no, number)
            if first != number:
                problems.append(
                    Problem(
                        number,
                        ACCOUNT.label,
                        _("account number {account} is already on row {first}.").format(
                            account=account_no, first=first
                        ),
                    )
                )
        line = _check_row(problems, number, cells, as_of)
        if line is not None:
            checked.append(line)
    if not seen_columns:
        problems.append(Problem(0, "", _("{name} has no rows of accounts.").format(name=name)))
    if problems:
        raise TableRefused(sorted(problems, key=lambda problem: problem.row))
    households = _households_by_account(line.account_no for line in checked)
    lines: list[ArrearsLine] = []
    unknown: list[dict[str, object]] = []
    for line in checked:
        household_id = households.get(line.account_no)
        if household_id is None:
            unknown.append({"row": line.row, "account_no": line.account_no})
            continue
        lines.append(
            ArrearsLine(
                row=line.row,
                household_id=household_id,
                kind=line.kind,
                amount=line.amount,
                due_date=line.due_date,
                warning_level=line.warning_level,
            )
        )
    return arrears_store(
        file_name=name[:200], as_of=as_of, lines=lines, unknown_accounts=unknown, by=by
    )
