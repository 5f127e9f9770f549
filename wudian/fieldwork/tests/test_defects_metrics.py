"""The dashboard's defect figures: closed on time by severity over the defects due in the
period, open critical defects today, and the risk of critical defects past their deadline."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from wudian.conftest import City
from wudian.fieldwork.models import Defect, Severity
from wudian.fieldwork.services.defects import defect_open
from wudian.metrics.periods import Period
from wudian.metrics.registry import METRICS
from wudian.metrics.risks import overdue_critical_defects
from wudian.metrics.sources import By, defects_parts, open_defects_parts

pytestmark = pytest.mark.django_db

JUNE = Period(datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
NOW = datetime.datetime(2026, 6, 10, 9, 0, tzinfo=datetime.UTC)


def found(city: City, severity: str, **given: Any) -> Defect:
    return defect_open(
        compound=given.pop("compound", city.north),
        description="x",
        severity=severity,
        responsible=Defect.Responsible.PROPERTY,
        by=given.pop("by", city.manager),
        source=Defect.Source.STAFF,
        now=NOW,
        **given,
    )


def closed(defect: Defect, at: datetime.datetime) -> None:
    Defect.objects.filter(pk=defect.pk).update(status="closed", closed_at=at)


def test_closed_on_time_by_severity(city: City) -> None:
    critical = found(city, Severity.CRITICAL)
    closed(critical, critical.deadline - datetime.timedelta(hours=1))
    late = found(city, Severity.CRITICAL)
    closed(late, late.deadline + datetime.timedelta(hours=1))
    serious = found(city, Severity.SERIOUS)  # due in June, still open
    found(city, Severity.NORMAL)  # due in July: not in June's cohort
    south = found(city, Severity.SERIOUS, compound=city.south, by=city.manager_b)
    closed(south, south.deadline)
    parts = defects_parts(JUNE, [city.north.pk, city.south.pk])[None]
    assert parts["defects_due"] == 4
    assert parts["defects_on_time"] == 2
    assert (parts["defects_due_critical"], parts["defects_on_time_critical"]) == (2, 1)
    assert (parts["defects_due_serious"], parts["defects_on_time_serious"]) == (2, 1)
    assert parts["defects_due_normal"] == 0
    assert METRICS["defects.closed_on_time"].value(parts) == Decimal(50)
    assert METRICS["defects.closed_on_time_critical"].value(parts) == Decimal(50)
    assert METRICS["defects.closed_on_time_normal"].value(parts) is None
    by_compound = defects_parts(JUNE, [city.north.pk, city.south.pk], By.COMPOUND)
    assert by_compound[city.north.pk]["defects_due"] == 3
    assert by_compound[city.south.pk]["defects_on_time"] == 1
    assert serious.status == "open"


def test_open_critical_and_its_risk(city: City) -> None:
    critical = found(city, Severity.CRITICAL)
    done = found(city, Severity.CRITICAL)
    closed(done, NOW)
    found(city, Severity.SERIOUS)
    parts = open_defects_parts(JUNE, [city.north.pk])[None]
    assert METRICS["defects.open_critical"].value(parts) == 1
    assert open_defects_parts(JUNE, [city.north.pk], By.MONTH) == {}
    risk = overdue_critical_defects([city.north.pk], now=NOW)
    assert risk.count == 0
    risk = overdue_critical_defects([city.north.pk], now=critical.deadline + datetime.timedelta(1))
    assert risk.count == 1
    assert risk.rows[0].pk == critical.pk
    later = critical.deadline + datetime.timedelta(days=1)
    assert overdue_critical_defects([city.south.pk], now=later).count == 0
