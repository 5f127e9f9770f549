"""Reads of people's qualifications: who may take fault repairs, and certificate status."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from wudian.accounts.models import Certificate, User


def valid_certificates(*, on: datetime.date) -> QuerySet[Certificate]:
    """The low-voltage certificates valid on that day: what lets an electrician take fault
    repairs."""
    return Certificate.objects.filter(
        kind=Certificate.Kind.LOW_VOLTAGE, issued_on__lte=on, expires_on__gte=on
    )


def valid_certificate_holders(users: Iterable[User | int], *, on: datetime.date) -> set[int]:
    """The ids of those users who hold a low-voltage certificate valid on that day (one query)."""
    ids = {user if isinstance(user, int) else user.pk for user in users}
    if not ids:
        return set()
    return set(
        valid_certificates(on=on).filter(holder_id__in=ids).values_list("holder_id", flat=True)
    )


@dataclass(frozen=True)
class CertificateStatus:
    """An electrician's standing for fault repairs on one day."""

    certificate: Certificate | None
    valid: bool

    @property
    def expired(self) -> bool:
        return self.certificate is not None and not self.valid


def certificate_status_of(user: User, *, on: datetime.date) -> CertificateStatus:
    """The user's low-voltage certificate that matters on that day: a valid one if any,
    otherwise the one that expired last (so the page can say since when)."""
    certificates = list(
        Certificate.objects.filter(holder=user, kind=Certificate.Kind.LOW_VOLTAGE).order_by(
            "-expires_on"
        )
    )
    for certificate in certificates:
        if certificate.is_valid_on(on):
            return CertificateStatus(certificate=certificate, valid=True)
    return CertificateStatus(certificate=certificates[0] if certificates else None, valid=False)
