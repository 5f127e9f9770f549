"""Certificate reminders: 60 and 30 days before expiry and on the expiry day, each step once,
only the latest due when days were missed, to the electrician, their property office and (on
the expiry day) the compounds' customer managers; a renewed certificate is not reminded."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from wudian.accounts.models import Certificate
from wudian.conftest import City
from wudian.core.models import ServiceRule
from wudian.fieldwork.models import CertificateReminder
from wudian.fieldwork.services.training import certificates_remind_due
from wudian.notify.models import Message

pytestmark = pytest.mark.django_db

EXPIRES = datetime.date(2027, 6, 30)
DAY = datetime.timedelta(days=1)


def at(day: datetime.date) -> datetime.datetime:
    """09:10 in China on that day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 10)))


@pytest.fixture
def expiring(city: City) -> Certificate:
    """electrician's certificate runs out on EXPIRES; the others are far from any step."""
    Certificate.objects.exclude(holder=city.electrician).update(
        issued_on=datetime.date(2020, 1, 1), expires_on=datetime.date(2030, 1, 1)
    )
    certificate = Certificate.objects.get(holder=city.electrician)
    certificate.issued_on = datetime.date(2021, 6, 30)
    certificate.expires_on = EXPIRES
    certificate.save(update_fields=["issued_on", "expires_on"])
    return certificate


def steps(certificate: Certificate) -> list[int]:
    return sorted(
        CertificateReminder.objects.filter(certificate=certificate).values_list(
            "days_before", flat=True
        )
    )


def told(template: str) -> set[str]:
    return set(
        Message.objects.filter(template=template, channel="inapp").values_list(
            "user__username", flat=True
        )
    )


def test_nothing_is_due_before_the_first_step(city: City, expiring: Certificate) -> None:
    assert certificates_remind_due(now=at(EXPIRES - 61 * DAY)) == 0
    assert steps(expiring) == []


def test_each_step_is_told_once(city: City, expiring: Certificate) -> None:
    assert certificates_remind_due(now=at(EXPIRES - 60 * DAY)) == 1
    assert certificates_remind_due(now=at(EXPIRES - 60 * DAY)) == 0
    assert certificates_remind_due(now=at(EXPIRES - 59 * DAY)) == 0
    assert steps(expiring) == [60]
    assert told("certificate_expiring") == {"electrician", "staff"}
    assert certificates_remind_due(now=at(EXPIRES - 30 * DAY)) == 1
    assert certificates_remind_due(now=at(EXPIRES - 29 * DAY)) == 0
    assert steps(expiring) == [30, 60]
    assert certificates_remind_due(now=at(EXPIRES)) == 1
    assert certificates_remind_due(now=at(EXPIRES + DAY)) == 0
    assert steps(expiring) == [0, 30, 60]
    assert told("certificate_expired") == {"electrician", "staff", "manager"}


def test_a_missed_day_is_caught_up_with_the_latest_step_only(
    city: City, expiring: Certificate
) -> None:
    # The task did not run for 60 days: inside the 30-day window, only the second is told.
    assert certificates_remind_due(now=at(EXPIRES - 25 * DAY)) == 1
    assert steps(expiring) == [30]
    assert certificates_remind_due(now=at(EXPIRES - 24 * DAY)) == 0
    # Missed the expiry day too: told the day after, once.
    assert certificates_remind_due(now=at(EXPIRES + 2 * DAY)) == 1
    assert steps(expiring) == [0, 30]


def test_an_expiry_long_past_is_not_told(city: City, expiring: Certificate) -> None:
    assert certificates_remind_due(now=at(EXPIRES + 30 * DAY)) == 0


def test_a_renewed_certificate_is_not_reminded(city: City, expiring: Certificate) -> None:
    Certificate.objects.create(
        holder=city.electrician,
        number="T1-2",
        issued_on=EXPIRES - 40 * DAY,
        expires_on=EXPIRES + 6 * 365 * DAY,
    )
    assert certificates_remind_due(now=at(EXPIRES - 30 * DAY)) == 0
    assert steps(expiring) == []


def test_the_steps_follow_the_service_rules(city: City, expiring: Certificate) -> None:
    ServiceRule.objects.update_or_create(
        key="certificate.remind_first_days", defaults={"value": 90}
    )
    assert certificates_remind_due(now=at(EXPIRES - 80 * DAY)) == 1
    assert steps(expiring) == [90]
