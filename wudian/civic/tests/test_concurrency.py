"""Two people taking the last place of an activity at the same moment: exactly one gets it,
on SQLite and on PostgreSQL. Real threads with their own connections, so these tests commit
(transactional)."""

from __future__ import annotations

import pytest

from wudian.civic import services
from wudian.civic.models import SignUp
from wudian.civic.tests.conftest import NOW, activity_in
from wudian.conftest import City
from wudian.workorders.tests.test_services_concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_taking_the_last_place_at_once_cannot_both_get_it(city: City) -> None:
    activity = services.activity_create(
        by=city.gridadmin, data=activity_in(city, capacity=2), publish=True, now=NOW
    )
    services.activity_signup(activity=activity, by=city.resident, now=NOW)

    results = at_once(
        lambda: services.activity_signup(activity=activity, by=city.electrician, now=NOW),
        lambda: services.activity_signup(activity=activity, by=city.staff, now=NOW),
    )

    assert results == ["refused", "won"]
    assert SignUp.objects.filter(activity=activity, status=SignUp.Status.SIGNED_UP).count() == 2


def test_signing_up_twice_at_once_takes_one_place(city: City) -> None:
    activity = services.activity_create(
        by=city.gridadmin, data=activity_in(city, capacity=5), publish=True, now=NOW
    )

    results = at_once(
        lambda: services.activity_signup(activity=activity, by=city.resident, now=NOW),
        lambda: services.activity_signup(activity=activity, by=city.resident, now=NOW),
    )

    assert results == ["refused", "won"]
    assert SignUp.objects.filter(activity=activity).count() == 1
