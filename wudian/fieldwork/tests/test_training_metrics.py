"""The dashboard's training figures: the certified share of the compounds' electricians on
the period's last day, and the hours credited to them by trainings in the period."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from wudian.conftest import City
from wudian.fieldwork.models import TrainingAttendance, TrainingSession
from wudian.metrics.periods import Period
from wudian.metrics.registry import METRICS
from wudian.metrics.sources import By, training_parts

pytestmark = pytest.mark.django_db


def test_certified_share_and_training_hours(city: City) -> None:
    today = timezone.localdate()
    period = Period(today.replace(day=1), today)
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time(9)))
    session = TrainingSession.objects.create(
        topic="安全规程",
        trainer="王工",
        place="培训室",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=3),
        hours=Decimal(3),
        district=city.district,
    )
    for user, hours in [
        (city.electrician, 3),
        (city.electrician_b, 2),
        (city.electrician_expired, 0),
    ]:
        TrainingAttendance.objects.create(session=session, electrician=user, hours=hours)
    whole = training_parts(period, [city.north.pk, city.south.pk])[None]
    assert whole == {"electricians": 3, "certified": 2, "training_hours": Decimal(5)}
    share = METRICS["training.certified_share"].value(whole)
    assert share is not None
    assert round(share, 1) == Decimal("66.7")
    assert METRICS["training.hours"].value(whole) == Decimal(5)
    north = training_parts(period, [city.north.pk, city.south.pk], By.COMPOUND)[city.north.pk]
    assert north == {"electricians": 2, "certified": 1, "training_hours": Decimal(3)}
    months = training_parts(period, [city.north.pk], By.MONTH)
    assert months[today.replace(day=1)]["training_hours"] == Decimal(3)
    assert months[today.replace(day=1)]["certified"] == 1
