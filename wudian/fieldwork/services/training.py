"""Writes of training and certificates: recording an electrician's certificate (with its
scanned copy), training sessions and their attendance sheet, and the daily certificate
reminders. Each checks who may, refuses bad input with the field it concerns, and saves
nothing when it refuses."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import Certificate, RoleCode, User
from wudian.core.calendar import china_date
from wudian.core.errors import BadInput, NotAllowed, OutsideScope, invalid
from wudian.core.photos import PhotoUpload
from wudian.core.rules import rule_value
from wudian.fieldwork.models import CertificateReminder, TrainingAttendance, TrainingSession
from wudian.fieldwork.policy.training import TRAINING, training_parties
from wudian.fieldwork.selectors.training import (
    attendee_candidates,
    certificate_electrician_for,
    may_record_certificates,
    organising_districts,
)
from wudian.grid import scope
from wudian.grid.models import District
from wudian.notify.services import Audience, notify_publish

logger = logging.getLogger(__name__)

MAX_NUMBER = 40
MAX_ISSUER = 100
MAX_TOPIC = 120
MAX_TRAINER = 60
MAX_PLACE = 120
MAX_HOURS = Decimal("99.9")
MAX_SCORE = 100
# An expiry-day notice missed for longer than this is not sent any more: it is old news.
EXPIRY_CATCH_UP_DAYS = 7


def _name(user: User) -> str:
    return user.display_name or user.username


# Certificates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateIn:
    number: str
    issued_on: datetime.date
    expires_on: datetime.date
    issuer: str = ""
    kind: str = Certificate.Kind.LOW_VOLTAGE


def certificate_record(
    *,
    electrician_id: int,
    by: User,
    data: CertificateIn,
    scan: PhotoUpload | None = None,
    now: datetime.datetime | None = None,
) -> Certificate:
    """Record a certificate (a new one, or the renewal of one) for an electrician the user
    looks after. Refused: someone who records none (403), an electrician outside their
    compounds (404), an expired certificate, expiry before issue, an issue date ahead, a
    number already on record (422)."""
    if not may_record_certificates(by):
        raise NotAllowed(
            _("Certificates are recorded by supervisors, property office staff and administrators.")
        )
    electrician = certificate_electrician_for(by, electrician_id)
    today = china_date(now or timezone.now())
    number = data.number.strip()
    issuer = data.issuer.strip()
    errors: dict[str, str] = {}
    if not number:
        errors["number"] = _("Give the certificate's number.")
    elif len(number) > MAX_NUMBER:
        errors["number"] = _("A certificate number has at most %(n)s characters.") % {
            "n": MAX_NUMBER
        }
    elif Certificate.objects.filter(number__iexact=number).exists():
        errors["number"] = _("A certificate with this number is already on record.")
    if len(issuer) > MAX_ISSUER:
        errors["issuer"] = _("The issuing body has at most %(n)s characters.") % {"n": MAX_ISSUER}
    if data.kind not in Certificate.Kind.values:
        errors["kind"] = _("Unknown kind of certificate.")
    if data.issued_on > today:
        errors["issued_on"] = _("The issue date cannot be in the future.")
    if data.expires_on <= data.issued_on:
        errors["expires_on"] = _("The expiry date must come after the issue date.")
    elif data.expires_on < today:
        errors["expires_on"] = _(
            "This certificate expired on %(day)s: an expired certificate cannot be recorded."
        ) % {"day": data.expires_on.isoformat()}
    if errors:
        raise BadInput(errors)
    certificate = Certificate(
        holder=electrician,
        kind=data.kind,
        number=number,
        issuer=issuer,
        issued_on=data.issued_on,
        expires_on=data.expires_on,
    )
    if scan is not None:
        # Written to storage at once; removed again if the row is not saved.
        certificate.scan.save(scan.filename, scan.content, save=False)
    try:
        with transaction.atomic():
            certificate.save()
    except BaseException as error:
        if certificate.scan:
            certificate.scan.delete(save=False)
        if isinstance(error, IntegrityError):
            raise invalid(
                "number", _("A certificate with this number is already on record."), "duplicate"
            ) from None
        raise
    return certificate


# Training sessions -------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingIn:
    topic: str
    trainer: str
    place: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    hours: Decimal
    district_id: int | None = None


MAX_TRAINING_PAST = datetime.timedelta(days=5 * 366)
MAX_TRAINING_AHEAD = datetime.timedelta(days=2 * 366)
MAX_TRAINING_LENGTH = datetime.timedelta(days=14)


def _aware(moment: datetime.datetime) -> datetime.datetime:
    # Far-off moments cannot be made aware: they are refused by the range check anyway.
    if moment.year < 1000 or moment.year > 9000:
        return moment.replace(year=2000 if moment.year < 1000 else 9000, tzinfo=datetime.UTC)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _checked_training(by: User, data: TrainingIn) -> tuple[District | None, dict[str, str]]:
    errors: dict[str, str] = {}
    for name, value, limit in (
        ("topic", data.topic, MAX_TOPIC),
        ("trainer", data.trainer, MAX_TRAINER),
        ("place", data.place, MAX_PLACE),
    ):
        if not value.strip():
            errors[name] = _("This field is required.")
        elif len(value.strip()) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    now = timezone.now()
    if not now - MAX_TRAINING_PAST <= data.starts_at <= now + MAX_TRAINING_AHEAD:
        errors["starts_at"] = _(
            "A training is recorded at most five years back and two years ahead."
        )
    elif data.ends_at <= data.starts_at:
        errors["ends_at"] = _("The training must end after it starts.")
    elif data.ends_at - data.starts_at > MAX_TRAINING_LENGTH:
        errors["ends_at"] = _("One training lasts at most 14 days; record longer ones per part.")
    try:
        hours = Decimal(data.hours)
        if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
            errors["hours"] = _("Hours are more than 0 and at most %(max)s.") % {"max": MAX_HOURS}
        elif hours.as_tuple().exponent < -1:  # type: ignore[operator]
            errors["hours"] = _("Hours are counted in tenths.")
    except (InvalidOperation, ValueError, TypeError):
        errors["hours"] = _("Give the hours as a number.")
    district = None
    if data.district_id is None:
        if not by.is_superuser:
            errors["district"] = _("Choose the district the training is for.")
    else:
        district = organising_districts(by).filter(pk=data.district_id).first()
        if district is None:
            errors["district"] = _("You do not organise trainings for that district.")
    return district, errors


def _normalised(data: TrainingIn) -> TrainingIn:
    return replace(data, starts_at=_aware(data.starts_at), ends_at=_aware(data.ends_at))


def training_create(*, by: User, data: TrainingIn) -> TrainingSession:
    """A supervisor organises a training for one of their districts; an administrator for a
    district or the whole city."""
    if not organising_districts(by).exists() and not by.is_superuser:
        raise NotAllowed(_("Trainings are organised by supervisors and administrators."))
    data = _normalised(data)
    district, errors = _checked_training(by, data)
    if errors:
        raise BadInput(errors)
    return TrainingSession.objects.create(
        topic=data.topic.strip(),
        trainer=data.trainer.strip(),
        place=data.place.strip(),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        hours=Decimal(data.hours),
        district=district,
        organised_by=by,
    )


@transaction.atomic
def training_update(*, session: TrainingSession, by: User, data: TrainingIn) -> TrainingSession:
    locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
    TRAINING.check("edit", locked, training_parties(by, locked))
    data = _normalised(data)
    district, errors = _checked_training(by, data)
    if errors:
        raise BadInput(errors)
    if district != locked.district and locked.attendances.exists():
        raise invalid(
            "district",
            _("The training has attendees already; its district cannot change."),
            "has_attendees",
        )
    locked.topic = data.topic.strip()
    locked.trainer = data.trainer.strip()
    locked.place = data.place.strip()
    locked.starts_at = data.starts_at
    locked.ends_at = data.ends_at
    locked.hours = Decimal(data.hours)
    locked.district = district
    locked.save(
        update_fields=["topic", "trainer", "place", "starts_at", "ends_at", "hours", "district"]
    )
    return locked


@dataclass(frozen=True)
class AttendanceIn:
    electrician_id: int
    result: str = TrainingAttendance.Result.PENDING
    hours: Decimal | None = None
    score: int | None = None


ASSESSED = {TrainingAttendance.Result.PASSED, TrainingAttendance.Result.FAILED}


@transaction.atomic
def attendance_record(
    *,
    session: TrainingSession,
    by: User,
    data: AttendanceIn,
    now: datetime.datetime | None = None,
) -> TrainingAttendance:
    """Put an electrician on the sheet, or change their line: the hours credited (the
    session's by default; none when absent), the result and an optional score (0–100).
    Passed and failed need the training started."""
    now = now or timezone.now()
    locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
    locked.policy_at = now  # type: ignore[attr-defined]
    TRAINING.check("attendance", locked, training_parties(by, locked))
    electrician = attendee_candidates(locked).filter(pk=data.electrician_id).first()
    if electrician is None:
        raise OutsideScope(_("No such electrician among those this training is for."))
    errors: dict[str, str] = {}
    if data.result not in TrainingAttendance.Result.values:
        errors["result"] = _("Unknown result.")
    elif data.result in ASSESSED and locked.starts_at > now:
        errors["result"] = _("A result is recorded once the training has started.")
    # Hours are credited once the training is assessed: the training's own by default.
    if data.hours is not None:
        hours = data.hours
    else:
        hours = locked.hours if data.result in ASSESSED else Decimal(0)
    if data.result == TrainingAttendance.Result.ABSENT:
        hours = Decimal(0)
    try:
        hours = Decimal(hours)
        if not hours.is_finite() or hours < 0 or hours > locked.hours:
            errors["hours"] = _("Hours credited are between 0 and the training's %(h)s.") % {
                "h": locked.hours
            }
    except (InvalidOperation, ValueError, TypeError):
        errors["hours"] = _("Give the hours as a number.")
    if "hours" not in errors and hours > 0 and locked.starts_at > now:
        errors["hours"] = _("Hours are credited once the training has started.")
    if data.score is not None and not 0 <= data.score <= MAX_SCORE:
        errors["score"] = _("A score is between 0 and %(max)s.") % {"max": MAX_SCORE}
    if data.score is not None and data.result not in ASSESSED:
        errors["score"] = _("A score goes with a passed or failed assessment.")
    if errors:
        raise BadInput(errors)
    attendance, _created = TrainingAttendance.objects.update_or_create(
        session=locked,
        electrician=electrician,
        defaults={"result": data.result, "hours": hours, "score": data.score},
    )
    return attendance


@transaction.atomic
def attendance_remove(*, session: TrainingSession, by: User, electrician_id: int) -> int:
    locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
    TRAINING.check("attendance", locked, training_parties(by, locked))
    deleted, _rows = TrainingAttendance.objects.filter(
        session=locked, electrician_id=electrician_id
    ).delete()
    if not deleted:
        raise OutsideScope(_("No such attendee."))
    return deleted


# Reminders ---------------------------------------------------------------------------------


def reminder_steps() -> list[int]:
    """The days before expiry on which the electrician is told, largest first; 0 is the
    expiry day."""
    first = int(rule_value("certificate.remind_first_days"))
    second = int(rule_value("certificate.remind_second_days"))
    return sorted({first, second, 0}, reverse=True)


def due_step(expires_on: datetime.date, *, today: datetime.date, steps: list[int]) -> int | None:
    """The latest step due for a certificate on that day: the smallest step whose day has
    come; none before the first step, and none when the expiry day is long past."""
    days_left = (expires_on - today).days
    if days_left < -EXPIRY_CATCH_UP_DAYS:
        return None
    due = [step for step in steps if days_left <= step]
    return min(due) if due else None


def _recipients(certificate: Certificate, step: int) -> list[User]:
    holder = certificate.holder
    compounds = list(
        scope.assignments_in(RoleCode.ELECTRICIAN)
        .filter(user_id=holder.pk)
        .values_list("compound_id", flat=True)
    )
    roles = [RoleCode.PROPERTY_STAFF] + ([RoleCode.CUSTOMER_MANAGER] if step == 0 else [])
    staff = User.objects.filter(
        pk__in=scope.assignments_in(*roles, compounds=compounds).values("user_id")
    ).exclude(pk=holder.pk)
    return [holder, *staff.order_by("pk")] if holder.is_active else list(staff.order_by("pk"))


def certificate_remind(
    certificate: Certificate, *, step: int, now: datetime.datetime
) -> CertificateReminder | None:
    """Send one step's reminder for the certificate, once: the row claims the step."""
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update().select_related("holder").get(pk=certificate.pk)
        )
        if CertificateReminder.objects.filter(certificate=locked, days_before__lte=step).exists():
            return None  # this step, or a later one, was told already
        reminder = CertificateReminder.objects.create(
            certificate=locked, days_before=step, sent_at=now
        )
        days_left = (locked.expires_on - china_date(now)).days
        notify_publish(
            audience=Audience(users=_recipients(locked, step)),
            template="certificate_expired" if step == 0 else "certificate_expiring",
            context={
                "name": _name(locked.holder),
                "number": locked.number,
                "expires": locked.expires_on.isoformat(),
                "days": max(days_left, 0),
                "lapsed": days_left < 0,
                "url": reverse("fieldwork:certificate_registry"),
            },
            event_key=f"certificate:{locked.pk}:remind:{step}",
            source=f"certificate:{locked.pk}",
            now=now,
        )
        return reminder


def certificates_remind_due(*, now: datetime.datetime | None = None) -> int:
    """Every day: for each electrician's current low-voltage certificate (the one that runs
    longest: a renewed one silences the old), the latest reminder step due and not yet sent.
    A day missed is caught up, but a first reminder is never sent once inside the second's
    window. Safe to run twice. Returns how many steps were told."""
    now = now or timezone.now()
    today = china_date(now)
    steps = reminder_steps()
    horizon = today + datetime.timedelta(days=max(steps))
    since = today - datetime.timedelta(days=EXPIRY_CATCH_UP_DAYS)
    candidates = (
        Certificate.objects.filter(
            kind=Certificate.Kind.LOW_VOLTAGE,
            expires_on__lte=horizon,
            expires_on__gte=since,
            holder__is_active=True,
        )
        .select_related("holder")
        .order_by("expires_on", "pk")
    )
    sent = 0
    for certificate in candidates:
        if Certificate.objects.filter(
            holder_id=certificate.holder_id,
            kind=certificate.kind,
            expires_on__gt=certificate.expires_on,
        ).exists():
            continue  # renewed
        step = due_step(certificate.expires_on, today=today, steps=steps)
        if step is None:
            continue
        if certificate_remind(certificate, step=step, now=now) is not None:
            sent += 1
    return sent
