"""Reads of training and certificates, each applying the reader's reach (wudian.grid.scope).

Who reaches which electricians (one rule, used by pages, API and services):
- an electrician's compounds are those they are assigned to as electrician (the assignment
  counts: active, holding the role);
- **certificates are recorded** by supervisors for the electricians of their districts'
  compounds, by property staff for the electricians of their compounds, and by administrators
  for any (`certificate_compounds`);
- **the registry is read** by those, and by customer managers for their compounds'
  electricians (`registry_compounds`);
- **trainings are organised** by supervisors for their districts and by administrators for
  a district or the whole city; attendees are the electricians of the session's district
  (the city's for a city-wide one) within the organiser's reach (`attendee_candidates`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import Certificate, RoleCode, User
from wudian.core.errors import OutsideScope
from wudian.fieldwork.models import TrainingAttendance, TrainingSession
from wudian.grid import scope
from wudian.grid.models import Compound, District
from wudian.grid.scope import Purpose

EL, PS, CM = RoleCode.ELECTRICIAN, RoleCode.PROPERTY_STAFF, RoleCode.CUSTOMER_MANAGER
# How far ahead the registry and the desk warn that a certificate runs out.
EXPIRING_DAYS = 60


def _counts(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _district_compounds(user: User) -> QuerySet[Compound]:
    return Compound.objects.filter(community__street__district__in=scope.districts_of(user))


def _assigned_compounds(user: User, *roles: RoleCode) -> QuerySet[Compound]:
    held = [role for role in roles if user.has_role(role)]
    if not held:
        return Compound.objects.none()
    return Compound.objects.filter(
        pk__in=scope.assignments_in(*held).filter(user=user).values("compound_id")
    )


def certificate_compounds(user: User) -> QuerySet[Compound]:
    """The compounds whose electricians' certificates the user records."""
    if not _counts(user):
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    return (_district_compounds(user) | _assigned_compounds(user, PS)).distinct()


def registry_compounds(user: User) -> QuerySet[Compound]:
    """The compounds whose electricians the user sees in the certificate registry."""
    if not _counts(user):
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    return (_district_compounds(user) | _assigned_compounds(user, PS, CM)).distinct()


def may_record_certificates(user: User) -> bool:
    return _counts(user) and (user.is_superuser or user.has_role(RoleCode.SUPERVISOR, PS))


def may_read_registry(user: User) -> bool:
    return _counts(user) and (user.is_superuser or user.has_role(RoleCode.SUPERVISOR, PS, CM))


def electricians_of_compounds(compounds: QuerySet[Compound]) -> QuerySet[User]:
    """The electricians whose assignment to one of the compounds counts."""
    return User.objects.filter(
        pk__in=scope.assignments_in(EL, compounds=compounds).values("user_id")
    ).order_by("display_name", "username")


def certificate_electricians(user: User) -> QuerySet[User]:
    return electricians_of_compounds(certificate_compounds(user))


def certificate_electrician_for(user: User, pk: int) -> User:
    """An electrician whose certificate the user may record, or OutsideScope."""
    found = certificate_electricians(user).filter(pk=pk).first()
    if found is None:
        raise OutsideScope(_("No such electrician among those of your compounds."))
    return found


def may_see_certificate(user: User, certificate: Certificate) -> bool:
    """Whether the user may see the certificate and its scanned copy: its holder, staff
    serving or overseeing a compound the holder is an electrician of, administrators."""
    if not _counts(user):
        return False
    if user.is_superuser or user.pk == certificate.holder_id:
        return True
    theirs = scope.assignments_in(EL).filter(user_id=certificate.holder_id).values("compound_id")
    return scope.compounds_for(user, Purpose.OVERSEE).filter(pk__in=theirs).exists()


def certificate_for(user: User, pk: int) -> Certificate:
    certificate = Certificate.objects.select_related("holder").filter(pk=pk).first()
    if certificate is None or not may_see_certificate(user, certificate):
        raise OutsideScope(_("No such certificate."))
    return certificate


# The registry ------------------------------------------------------------------------------


class Standing:
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NONE = "none"


def standing_label(code: str) -> str:
    labels = {
        Standing.VALID: _("Certified"),
        Standing.EXPIRING: _("Expires within 60 days"),
        Standing.EXPIRED: _("Expired"),
        Standing.NONE: _("No certificate"),
    }
    return labels[code]


@dataclass
class RegistryRow:
    electrician: User
    certificate: Certificate | None
    standing: str
    hours: Decimal
    compounds: list[Compound] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)

    @property
    def standing_text(self) -> str:
        return standing_label(self.standing)


def standing_of(certificate: Certificate | None, *, on: datetime.date) -> str:
    if certificate is None:
        return Standing.NONE
    if not certificate.is_valid_on(on):
        return Standing.EXPIRED
    if (certificate.expires_on - on).days <= EXPIRING_DAYS:
        return Standing.EXPIRING
    return Standing.VALID


def current_certificates(user_ids: list[int], *, on: datetime.date) -> dict[int, Certificate]:
    """Each holder's low-voltage certificate that matters on that day: the valid one that runs
    longest, else the one that expired last (one query)."""
    found: dict[int, Certificate] = {}
    for certificate in Certificate.objects.filter(
        holder_id__in=user_ids, kind=Certificate.Kind.LOW_VOLTAGE
    ).order_by("holder_id", "-expires_on", "-pk"):
        known = found.get(certificate.holder_id)
        if known is None or (certificate.is_valid_on(on) and not known.is_valid_on(on)):
            found[certificate.holder_id] = certificate
    return found


def training_hours(
    user_ids: list[int] | QuerySet[Any], *, since: datetime.datetime, until: datetime.datetime
) -> dict[int, Decimal]:
    """Hours credited to each electrician by trainings starting in [since, until)."""
    rows = (
        TrainingAttendance.objects.filter(
            electrician_id__in=user_ids,
            session__starts_at__gte=since,
            session__starts_at__lt=until,
        )
        .values("electrician_id")
        .annotate(total=Sum("hours"))
    )
    return {row["electrician_id"]: row["total"] or Decimal(0) for row in rows}


@dataclass(frozen=True)
class RegistryFilters:
    district: District | None = None
    company: int | None = None
    standing: str = ""
    query: str = ""


def registry_rows(
    user: User,
    *,
    on: datetime.date,
    year_start: datetime.datetime,
    year_end: datetime.datetime,
    filters: RegistryFilters | None = None,
) -> list[RegistryRow]:
    """The certificate registry within the user's reach: every electrician of those
    compounds, their current certificate, its standing and this year's training hours. Four
    queries whatever the number of electricians."""
    filters = filters or RegistryFilters()
    compounds = registry_compounds(user)
    if filters.district is not None:
        compounds = compounds.filter(community__street__district=filters.district)
    if filters.company is not None:
        compounds = compounds.filter(property_company_id=filters.company)
    assignments = list(
        scope.assignments_in(EL, compounds=compounds)
        .select_related(
            "user", "compound__property_company", "compound__community__street__district"
        )
        .order_by("user__display_name", "user__username", "compound__name")
    )
    if filters.query:
        term = filters.query.strip()
        assignments = [
            a for a in assignments if term in (a.user.display_name or "") or term in a.user.username
        ]
    by_user: dict[int, list[Any]] = defaultdict(list)
    users: dict[int, User] = {}
    for assignment in assignments:
        by_user[assignment.user_id].append(assignment)
        users[assignment.user_id] = assignment.user
    ids = list(users)
    certificates = current_certificates(ids, on=on)
    hours = training_hours(ids, since=year_start, until=year_end)
    rows = []
    for pk, electrician in users.items():
        certificate = certificates.get(pk)
        standing = standing_of(certificate, on=on)
        if filters.standing and filters.standing != standing:
            continue
        compound_list = [a.compound for a in by_user[pk]]
        rows.append(
            RegistryRow(
                electrician=electrician,
                certificate=certificate,
                standing=standing,
                hours=hours.get(pk, Decimal(0)),
                compounds=compound_list,
                companies=sorted(
                    {c.property_company.name for c in compound_list if c.property_company}
                ),
                districts=sorted({c.community.street.district.name for c in compound_list}),
            )
        )
    return rows


def registry_districts(user: User) -> QuerySet[District]:
    return District.objects.filter(
        pk__in=registry_compounds(user).values("community__street__district_id")
    ).order_by("name")


def registry_companies(user: User) -> list[tuple[int, str]]:
    return list(
        registry_compounds(user)
        .filter(property_company__isnull=False)
        .values_list("property_company_id", "property_company__name")
        .distinct()
        .order_by("property_company__name")
    )


# Trainings ---------------------------------------------------------------------------------


def organising_districts(user: User) -> QuerySet[District]:
    """The districts the user organises trainings for (administrators: all)."""
    if not _counts(user):
        return District.objects.none()
    if user.is_superuser:
        return District.objects.all()
    return scope.districts_of(user)


def may_organise(user: User) -> bool:
    return _counts(user) and (user.is_superuser or scope.districts_of(user).exists())


def organises(user: User, session: TrainingSession) -> bool:
    """Whether the user organises the session: administrators any; supervisors those of
    their districts."""
    if not _counts(user):
        return False
    if user.is_superuser:
        return True
    if session.district_id is None:
        return False
    return scope.districts_of(user).filter(pk=session.district_id).exists()


def attendee_candidates(session: TrainingSession) -> QuerySet[User]:
    """The electricians who may attend: those of the session's district (every electrician
    of the city for a city-wide session)."""
    compounds = Compound.objects.all()
    if session.district_id is not None:
        compounds = compounds.filter(community__street__district_id=session.district_id)
    return electricians_of_compounds(compounds)


def trainings_visible_to(user: User) -> QuerySet[TrainingSession]:
    """Trainings the user sees: administrators all; supervisors those of their districts and
    the city's; an electrician those they attend; property staff and customer managers those
    their compounds' electricians attend."""
    sessions = TrainingSession.objects.select_related("district")
    if not _counts(user):
        return sessions.none()
    if user.is_superuser:
        return sessions
    condition = Q(attendances__electrician=user)
    if user.has_role(RoleCode.SUPERVISOR):
        condition |= Q(district__in=scope.districts_of(user)) | Q(district__isnull=True)
    if user.has_role(PS, CM):
        theirs = electricians_of_compounds(_assigned_compounds(user, PS, CM))
        condition |= Q(
            Exists(
                TrainingAttendance.objects.filter(
                    session=OuterRef("pk"), electrician__in=theirs.values("pk")
                )
            )
        )
    return sessions.filter(condition).distinct()


def may_list_trainings(user: User) -> bool:
    return _counts(user) and (user.is_superuser or user.has_role(RoleCode.SUPERVISOR, PS, CM, EL))


def training_for(user: User, pk: int) -> TrainingSession:
    session = trainings_visible_to(user).filter(pk=pk).first()
    if session is None:
        raise OutsideScope(_("No such training."))
    return session


def attendances_of(session: TrainingSession) -> QuerySet[TrainingAttendance]:
    return session.attendances.select_related("electrician").order_by(
        "electrician__display_name", "electrician__username"
    )


def my_trainings(user: User) -> QuerySet[TrainingAttendance]:
    """An electrician's own trainings, newest first."""
    return (
        TrainingAttendance.objects.filter(electrician=user)
        .select_related("session")
        .order_by("-session__starts_at")
    )


def training_card(user: User, *, today: datetime.date) -> dict[str, Any]:
    """What the desk shows of training: an electrician's own trainings and hours this year,
    and whether their certificate runs out within 60 days; a link to the registry for those
    who read it."""
    if not (_counts(user) and user.has_role(EL)):
        return {"my_trainings": None, "may_read_certificates": may_read_registry(user)}
    current = current_certificates([user.pk], on=today).get(user.pk)
    days_left = (current.expires_on - today).days if current is not None else None
    start = datetime.datetime(today.year, 1, 1, tzinfo=timezone.get_current_timezone())
    end = datetime.datetime(today.year + 1, 1, 1, tzinfo=timezone.get_current_timezone())
    return {
        "my_trainings": list(my_trainings(user)[:5]),
        "my_training_hours": training_hours([user.pk], since=start, until=end).get(
            user.pk, Decimal(0)
        ),
        "certificate_expiring": days_left is not None and 0 <= days_left <= EXPIRING_DAYS,
        "certificate_days_left": days_left,
        "may_read_certificates": may_read_registry(user),
    }
