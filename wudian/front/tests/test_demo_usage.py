"""The demo's metering dispute: resident1's request with the usage analysis manager1 attached,
showing a jump and runs of zero use against the neighbours' median."""

from __future__ import annotations

from typing import Any

from wudian.front.tests.test_seed_demo import seed
from wudian.workorders.models import UsageReport

SMALL = 3


def test_the_demo_dispute_has_an_analysis_with_a_jump_and_zero_use(db: None, settings: Any) -> None:
    settings.DEBUG = True
    seed(households_per_building=SMALL)

    report = UsageReport.objects.select_related("workorder__category", "made_by").get()
    assert report.workorder.category.code == "metering_dispute"
    creator = report.workorder.created_by
    assert creator is not None
    assert creator.username == "resident1"
    assert report.made_by.username == "manager1"
    data = report.data
    assert [j["direction"] for j in data["jumps"] if not j["explained_by"]] == ["up"]
    assert {run["unit"] for run in data["zero_runs"]} == {"month", "day"}
    assert data["meter_test_warranted"] is True
    assert data["series"][-1]["median_kwh"] is not None
    assert len(data["daily"]) >= 56
