"""The appeals' table: who may do what to an appeal, in each state, for each kind — what the
visit's page offers and the services accept."""

from __future__ import annotations

import pytest

from wudian.civic.models import Appeal, Visit
from wudian.civic.policy import appeal_actions
from wudian.conftest import City

pytestmark = pytest.mark.django_db

S = Appeal.Status

# kind, state → the actions of someone doing civic work in the compound.
WORKER: dict[tuple[str, str], list[str]] = {
    ("electricity", S.OPEN): ["request", "answer", "close"],
    ("electricity", S.ANSWERED): ["request", "close"],
    ("electricity", S.REQUESTED): [],
    ("electricity", S.CLOSED): [],
    ("civic", S.OPEN): ["answer", "close"],
    ("civic", S.ANSWERED): ["close"],
    ("civic", S.CLOSED): [],
}


@pytest.mark.parametrize(("kind", "status"), list(WORKER))
def test_the_appeal_table(city: City, visit: Visit, kind: str, status: str) -> None:
    appeal = visit.appeals.get(kind=kind)
    appeal.status = status
    for who in ("gridadmin", "manager", "admin"):
        assert appeal_actions(getattr(city, who), appeal) == WORKER[(kind, status)], who
    for who in ("manager_b", "supervisor", "electrician", "resident", "outsider"):
        assert appeal_actions(getattr(city, who), appeal) == [], who
