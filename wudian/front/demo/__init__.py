"""The demo city for `wudian seed_demo`: 蚌埠市蚌山区 with three communities, twelve
compounds, a few thousand households, their supply network, and one login per role.

Everything is keyed by a stable natural key (codes, account numbers, meter numbers,
usernames), so seeding again creates only what is missing and never duplicates. Rows that
exist are left as they are: whatever a demo user edited (a phone number, a compound's name,
their password) survives a re-run. The few things the demo promises — who serves which
compound, which certificate is valid — are put back on every run.

Its past (history.py: requests, outages and line loss of the last months, for the
dashboards) follows the same rules: made through the services, keyed by time and place,
drawn from generators seeded with its months.

Names, phones and account numbers are generated deterministically: each household's data
comes from a random generator seeded with its account number, so the same flat always gets
the same holder whatever scale the city is seeded at.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from wudian.front.demo.billing import billing_seed
from wudian.front.demo.circle_posts import circle_posts_seed
from wudian.front.demo.circles import circles_seed
from wudian.front.demo.civic import civic_seed
from wudian.front.demo.common import DemoSummary
from wudian.front.demo.defects import defects_seed
from wudian.front.demo.history import HISTORY_MONTHS, history_seed
from wudian.front.demo.joining import joining_seed
from wudian.front.demo.knowledge import knowledge_seed
from wudian.front.demo.outages import outages_seed
from wudian.front.demo.patrols import patrols_seed
from wudian.front.demo.people import LOGINS, MANAGER1_COMPOUNDS, MANAGER2_COMPOUNDS, people_seed
from wudian.front.demo.places import (
    AREAS,
    COMPOUND_INDEX,
    COMPOUNDS,
    households_seed,
    network_seed,
    places_seed,
)
from wudian.front.demo.readings import readings_seed
from wudian.front.demo.reminders import reminders_seed
from wudian.front.demo.requests import requests_seed
from wudian.front.demo.training import training_seed
from wudian.front.demo.usage import usage_seed
from wudian.grid.models import Building, Compound, Household, Meter, StationArea

__all__ = [
    "COMPOUNDS",
    "HISTORY_MONTHS",
    "LOGINS",
    "MANAGER1_COMPOUNDS",
    "MANAGER2_COMPOUNDS",
    "DemoRefused",
    "DemoSummary",
    "demo_city_seed",
]


class DemoRefused(Exception):
    """Demo logins share a published password, which a production server refuses."""


def demo_city_seed(
    *,
    households_per_building: int | None = None,
    reset_passwords: bool = False,
    history_months: int = 0,
) -> DemoSummary:
    """Create what is missing of the demo city and its logins, and of its past over the last
    `history_months` months (front/demo/history.py; none by default). Refused unless DEBUG."""
    if not settings.DEBUG:
        raise DemoRefused
    if households_per_building is not None and households_per_building < 1:
        raise ValueError("households_per_building must be at least 1")
    if history_months < 0:
        raise ValueError("history_months cannot be negative")
    summary = DemoSummary(logins=LOGINS)
    with transaction.atomic():
        district, communities, compounds = places_seed(summary)
        areas = network_seed(summary, compounds)
        homes = [login.home for login in LOGINS if login.home is not None]
        households_seed(summary, compounds, areas, households_per_building, always=homes)
        people_seed(summary, district, communities, compounds, reset_passwords=reset_passwords)
        circles_seed(summary, list(compounds.values()))
        outages_seed(summary)
        joining_seed(summary)
    readings_seed(summary)
    with transaction.atomic():
        requests_seed(summary)
    with transaction.atomic():
        circle_posts_seed(summary, list(compounds.values()))
    with transaction.atomic():
        knowledge_seed(summary)
        civic_seed(summary)
        training_seed(summary)
    patrols_seed(summary)
    with transaction.atomic():
        defects_seed(summary)
        billing_seed(summary)
        usage_seed(summary)
        reminders_seed(summary)
    history_seed(summary, months=history_months)
    summary.totals = {
        "compounds": Compound.objects.filter(code__in=COMPOUND_INDEX).count(),
        "buildings": Building.objects.filter(compound__code__in=COMPOUND_INDEX).count(),
        "households": Household.objects.filter(building__compound__code__in=COMPOUND_INDEX).count(),
        "station_areas": StationArea.objects.filter(code__in=[a.code for a in AREAS]).count(),
        "meters": Meter.objects.filter(station_area__code__in=[a.code for a in AREAS]).count(),
    }
    return summary
