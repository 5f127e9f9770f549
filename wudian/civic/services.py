"""Writes of civic work, one function per business action: recording a visit with its
appeals; turning an electricity appeal into a request, answering and closing the others;
organising a volunteer activity (create, change, publish, close sign-up, cancel), signing up
and withdrawing, and marking attendance.

Each action checks who the caller is and what they reach, validates everything before it
saves anything, locks the row it changes and checks the policy on it (wudian.civic.policy),
in one transaction; messages go to the outbox in the same transaction."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.circles.models import POST_BODY_MAX, TITLE_MAX, Post
from wudian.circles.selectors import circles_of_compounds, circles_visible_to
from wudian.circles.services import post_publish
from wudian.civic.models import Activity, Appeal, SignUp, Visit
from wudian.civic.policy import ACTIVITIES, APPEALS, activity_parties, appeal_parties
from wudian.civic.selectors import does_civic_work
from wudian.core.calendar import china_date
from wudian.core.errors import REFUSED, BadInput, NotAllowed, OutsideScope, WrongState, invalid
from wudian.grid.models import Building, Compound, Household
from wudian.grid.scope import Purpose, compounds_outside, reaches_compound
from wudian.notify.services import Audience, notify_publish
from wudian.workorders.models import Category, Channel
from wudian.workorders.services import Location, workorder_create

logger = logging.getLogger(__name__)

MAX_SUMMARY = 2000
MAX_APPEAL = 1000
MAX_ANSWER = 2000
MAX_APPEALS = 20
MAX_PEOPLE_MET = 500
# A visit is recorded within this many days; older ones belong to last year's ledger.
MAX_VISIT_AGE_DAYS = 366
MAX_TITLE = 100
MAX_DESCRIPTION = 4000
MAX_PLACE = 200
MAX_CAPACITY = 10_000
MAX_ACTIVITY_DAYS = 7
MAX_REASON = 300
MAX_HOURS = Decimal("24")


def clean_text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise invalid(field, _("This field is required."), "required")
    if "\x00" in text:
        raise invalid(field, _("The text contains a NUL character."), "nul")
    if len(text) > limit:
        raise invalid(
            field,
            _("At most %(limit)s characters are allowed (this one has %(n)s).")
            % {"limit": limit, "n": len(text)},
            "max_length",
        )
    return text


def _may_do_civic_work(by: User) -> None:
    if not does_civic_work(by):
        raise NotAllowed(_("Only grid administrators and customer managers do civic work."))


# Visits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealIn:
    text: str
    kind: str


def _checked_appeals(appeals: Sequence[AppealIn]) -> list[AppealIn]:
    if len(appeals) > MAX_APPEALS:
        raise invalid(
            "appeals",
            _("At most %(n)s appeals may be recorded on one visit.") % {"n": MAX_APPEALS},
            "too_many",
        )
    checked = []
    errors: dict[str, list[ValidationError]] = {}
    for index, appeal in enumerate(appeals):
        try:
            text = clean_text(appeal.text, field=f"appeals.{index}.text", limit=MAX_APPEAL)
            if appeal.kind not in Appeal.Kind.values:
                raise invalid(
                    f"appeals.{index}.kind", _("Choose what the appeal is about."), "kind"
                )
        except BadInput as error:
            for name, messages in error.error_dict.items():
                errors.setdefault(name, []).extend(messages)
            continue
        checked.append(AppealIn(text=text, kind=appeal.kind))
    if errors:
        raise BadInput(errors)
    return checked


def _place_of_visit(
    compound: Compound, building: Building | None, household: Household | None
) -> Building | None:
    """The visit's building, checked against its compound (the household's when one is given)."""
    if household is not None:
        if building is not None and household.building_id != building.pk:
            raise invalid("household", _("This household is not in that building."), "building")
        building = household.building
    if building is not None and building.compound_id != compound.pk:
        raise invalid("building", _("This building is not in that compound."), "compound")
    return building


def visit_record(
    *,
    by: User,
    compound: Compound,
    visited_on: datetime.date,
    people_met: int,
    summary: str,
    appeals: Sequence[AppealIn] = (),
    building: Building | None = None,
    household: Household | None = None,
    companions: Sequence[User] = (),
    now: datetime.datetime | None = None,
) -> Visit:
    """Record a door-to-door visit in one of the caller's compounds, with the appeals raised.
    The companions are staff doing civic work there too (a customer manager who came along)."""
    now = now or timezone.now()
    _may_do_civic_work(by)
    if not reaches_compound(by, Purpose.CIVIC, compound.pk):
        raise OutsideScope(_("No such compound, or it is outside your scope."))
    today = china_date(now)
    if visited_on > today:
        raise invalid("visited_on", _("A visit cannot be recorded for a future day."), "future")
    if visited_on < today - datetime.timedelta(days=MAX_VISIT_AGE_DAYS):
        raise invalid(
            "visited_on", _("A visit more than a year ago cannot be recorded."), "too_old"
        )
    if not 1 <= people_met <= MAX_PEOPLE_MET:
        raise invalid(
            "people_met",
            _("Say how many people you met: from 1 to %(n)s.") % {"n": MAX_PEOPLE_MET},
            "people_met",
        )
    summary = clean_text(summary, field="summary", limit=MAX_SUMMARY)
    checked = _checked_appeals(appeals)
    building = _place_of_visit(compound, building, household)
    others = [user for user in companions if user.pk != by.pk]
    strangers = [
        user
        for user in others
        if not does_civic_work(user) or not reaches_compound(user, Purpose.CIVIC, compound.pk)
    ]
    if strangers:
        raise invalid(
            "companions",
            _("Only staff doing civic work here may be recorded as visitors: %(names)s.")
            % {"names": "、".join(user.display_name or user.username for user in strangers)},
            "companions",
        )
    with transaction.atomic():
        visit = Visit.objects.create(
            compound=compound,
            building=building,
            household=household,
            visited_on=visited_on,
            recorded_by=by,
            people_met=people_met,
            summary=summary,
            created_at=now,
        )
        visit.visitors.set([by, *others])
        Appeal.objects.bulk_create(
            Appeal(
                visit=visit,
                text=appeal.text,
                kind=appeal.kind,
                created_at=now,
                updated_at=now,
            )
            for appeal in checked
        )
    return visit


@contextmanager
def _acting_on_appeal(appeal: Appeal, action: str, *, by: User) -> Iterator[Appeal]:
    with transaction.atomic():
        locked = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related(
                "visit__compound", "visit__building", "visit__household__building__compound"
            )
            .get(pk=appeal.pk)
        )
        APPEALS.check(action, locked, appeal_parties(by, locked))
        yield locked


def appeal_to_request(
    *,
    appeal: Appeal,
    by: User,
    category: Category,
    description: str = "",
    now: datetime.datetime | None = None,
) -> Appeal:
    """Turn an electricity appeal into a resident request of the category staff chose: filed
    for the visit's household when there is one (else for its compound and building), through
    the channel "visit"; the appeal keeps the request, the request shows the visit."""
    now = now or timezone.now()
    if not category.active:
        raise invalid("category", _("This request category is no longer in use."), "inactive")
    with _acting_on_appeal(appeal, "request", by=by) as locked:
        visit = locked.visit
        # Stored text: in the station's language, whoever's page files it.
        with translation.override(settings.LANGUAGE_CODE):
            origin = _("%(text)s (raised on a door-to-door visit on %(day)s)") % {
                "text": locked.text,
                "day": visit.visited_on.isoformat(),
            }
        text = description.strip() or origin
        household = visit.household
        location = None
        if household is None:
            building = visit.building.name if visit.building is not None else ""
            where = f"{visit.compound.name} {building}".strip()
            location = Location(compound=visit.compound, address_text=where)
        elif not reaches_compound(by, Purpose.SERVE, visit.compound_id):
            raise NotAllowed(_("You do not serve this household."))
        workorder = workorder_create(
            category=category,
            description=text,
            channel=Channel.VISIT,
            by=by,
            household=household,
            location=location,
            now=now,
        )
        locked.work_order = workorder
        locked.status = Appeal.Status.REQUESTED
        locked.updated_at = now
        locked.save(update_fields=["work_order", "status", "updated_at"])
    return locked


def appeal_answer(
    *,
    appeal: Appeal,
    by: User,
    answer: str,
    close: bool = False,
    now: datetime.datetime | None = None,
) -> Appeal:
    """Answer an appeal (it stays answered until closed), or answer and close it at once. A
    closed appeal always has an answer: closing one not yet answered needs the answer."""
    now = now or timezone.now()
    action = "close" if close else "answer"
    with _acting_on_appeal(appeal, action, by=by) as locked:
        text = clean_text(answer, field="answer", limit=MAX_ANSWER, required=not locked.answer)
        fields = ["status", "updated_at"]
        if text:
            locked.answer = text
            locked.answered_by = by
            locked.answered_at = now
            fields += ["answer", "answered_by", "answered_at"]
        locked.status = Appeal.Status.CLOSED if close else Appeal.Status.ANSWERED
        if close:
            locked.closed_at = now
            fields.append("closed_at")
        locked.updated_at = now
        locked.save(update_fields=fields)
    return locked


# Volunteer activities -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityIn:
    title: str
    description: str
    place: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    signup_deadline: datetime.datetime
    capacity: int
    compounds: Sequence[Compound] = field(default_factory=list)


def _checked_activity(by: User, data: ActivityIn, *, now: datetime.datetime) -> dict[str, Any]:
    """The activity's fields, each checked; every problem is told at once."""
    errors: dict[str, list[ValidationError]] = {}

    def refuse(name: str, message: str, code: str) -> None:
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    fields: dict[str, Any] = {}
    for name, limit in (
        ("title", MAX_TITLE),
        ("description", MAX_DESCRIPTION),
        ("place", MAX_PLACE),
    ):
        try:
            fields[name] = clean_text(getattr(data, name), field=name, limit=limit)
        except BadInput as error:
            for messages in error.error_dict.values():
                errors.setdefault(name, []).extend(messages)
    starts_at, ends_at, deadline = data.starts_at, data.ends_at, data.signup_deadline
    if starts_at <= now:
        refuse("starts_at", _("The activity must start in the future."), "past")
    if ends_at <= starts_at:
        refuse("ends_at", _("The activity must end after it starts."), "order")
    elif ends_at - starts_at > datetime.timedelta(days=MAX_ACTIVITY_DAYS):
        refuse(
            "ends_at",
            _("An activity lasts at most %(n)s days.") % {"n": MAX_ACTIVITY_DAYS},
            "too_long",
        )
    if deadline > starts_at:
        refuse("signup_deadline", _("Sign-up must close before the activity starts."), "order")
    elif deadline <= now:
        refuse("signup_deadline", _("The sign-up deadline must be in the future."), "past")
    if not 1 <= data.capacity <= MAX_CAPACITY:
        refuse(
            "capacity",
            _("Places: from 1 to %(n)s.") % {"n": MAX_CAPACITY},
            "capacity",
        )
    compound_ids = {compound.pk for compound in data.compounds}
    if not compound_ids:
        refuse("compounds", _("Choose at least one compound."), "required")
    if errors:
        raise BadInput(errors)
    if compounds_outside(by, Purpose.CIVIC, compound_ids):
        raise OutsideScope(_("Some of the compounds are outside your scope."))
    fields |= {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "signup_deadline": deadline,
        "capacity": data.capacity,
    }
    return fields


def activity_create(
    *, by: User, data: ActivityIn, publish: bool = False, now: datetime.datetime | None = None
) -> Activity:
    """Create a volunteer activity in compounds where the caller does civic work; as a draft,
    or published at once (open for sign-up)."""
    now = now or timezone.now()
    _may_do_civic_work(by)
    fields = _checked_activity(by, data, now=now)
    with transaction.atomic():
        activity = Activity.objects.create(
            **fields,
            organiser=by,
            state=Activity.State.OPEN if publish else Activity.State.DRAFT,
            created_at=now,
            updated_at=now,
        )
        activity.compounds.set(data.compounds)
        if publish:
            announce_in_circles(activity=activity, by=by, now=now)
    return activity


@contextmanager
def _acting_on_activity(
    activity: Activity, action: str, *, by: User, now: datetime.datetime
) -> Iterator[Activity]:
    """The activity, locked for the rest of the transaction, once the policy allows `by` to
    take the action on it now. Sign-ups lock it too, so places are counted one at a time."""
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        locked.policy_at = now  # type: ignore[attr-defined]
        ACTIVITIES.check(action, locked, activity_parties(by, locked))
        yield locked


def _signed_up(activity: Activity) -> QuerySet[SignUp]:
    return SignUp.objects.filter(activity=activity, status=SignUp.Status.SIGNED_UP)


def activity_update(
    *, activity: Activity, by: User, data: ActivityIn, now: datetime.datetime | None = None
) -> Activity:
    """Change an activity before it starts. Its places cannot drop below those taken; the
    signed-up are told when its time or place changes."""
    now = now or timezone.now()
    with _acting_on_activity(activity, "change", by=by, now=now) as locked:
        fields = _checked_activity(by, data, now=now)
        taken = _signed_up(locked).count()
        if fields["capacity"] < taken:
            raise invalid(
                "capacity",
                _("%(n)s people have already signed up: places cannot be fewer.") % {"n": taken},
                "below_taken",
            )
        moved = any(
            getattr(locked, name) != fields[name] for name in ("starts_at", "ends_at", "place")
        )
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.updated_at = now
        locked.save(update_fields=[*fields, "updated_at"])
        locked.compounds.set(data.compounds)
        if moved and locked.state != Activity.State.DRAFT:
            _tell_signed_up(
                locked, "civic_activity_changed", now=now, key=f"changed:{now.timestamp()}"
            )
    return locked


def activity_publish(
    *, activity: Activity, by: User, now: datetime.datetime | None = None
) -> Activity:
    """Open a draft for sign-up and announce it in its compounds' circles."""
    now = now or timezone.now()
    with _acting_on_activity(activity, "publish", by=by, now=now) as locked:
        if locked.signup_deadline <= now:
            raise WrongState(_("The sign-up deadline has passed: change it before publishing."))
        locked.state = Activity.State.OPEN
        locked.updated_at = now
        locked.save(update_fields=["state", "updated_at"])
        announce_in_circles(activity=locked, by=by, now=now)
    return locked


def announce_in_circles(*, activity: Activity, by: User, now: datetime.datetime) -> int:
    """Post the activity to the circles of its compounds (each once), as a civic post that
    links to it. Only circles the publisher may post civic information in are posted to; a
    refusal there is logged and does not hold up publishing. Returns the posts written."""
    compounds = list(activity.compounds.order_by("code"))
    circles = list(
        circles_of_compounds(compounds).filter(pk__in=circles_visible_to(by).values("pk"))
    )
    if not circles:
        return 0
    local = timezone.localtime
    # Stored text: in the station's language, whoever publishes.
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Volunteers wanted: %(title)s") % {"title": activity.title}
        details = _(
            "%(start)s–%(end)s at %(place)s, for %(compounds)s. %(capacity)s places; sign up "
            "by %(deadline)s."
        ) % {
            "start": local(activity.starts_at).strftime("%Y-%m-%d %H:%M"),
            "end": local(activity.ends_at).strftime("%H:%M"),
            "place": activity.place,
            "compounds": "、".join(compound.name for compound in compounds),
            "capacity": activity.capacity,
            "deadline": local(activity.signup_deadline).strftime("%Y-%m-%d %H:%M"),
        }
    body = f"{details}\n{activity.description}"
    try:
        with transaction.atomic():
            posts = post_publish(
                author=by,
                circles=circles,
                kind=Post.Kind.CIVIC,
                title=title[:TITLE_MAX],
                body=body[:POST_BODY_MAX],
                link=reverse("civic:activity_detail", args=[activity.pk]),
                now=now,
            )
    except REFUSED as error:
        logger.warning("Activity %s not announced in circles: %s", activity.pk, error)
        return 0
    return len(posts)


def activity_close(
    *, activity: Activity, by: User, now: datetime.datetime | None = None
) -> Activity:
    """Close sign-up before the deadline (the places are filled by other means, say)."""
    now = now or timezone.now()
    with _acting_on_activity(activity, "close", by=by, now=now) as locked:
        locked.state = Activity.State.CLOSED
        locked.updated_at = now
        locked.save(update_fields=["state", "updated_at"])
    return locked


def activity_cancel(
    *, activity: Activity, by: User, reason: str, now: datetime.datetime | None = None
) -> Activity:
    """Cancel an activity that has not started; everyone signed up is told, in the app and by
    SMS as each prefers."""
    now = now or timezone.now()
    reason = clean_text(reason, field="reason", limit=MAX_REASON)
    with _acting_on_activity(activity, "cancel", by=by, now=now) as locked:
        locked.state = Activity.State.CANCELLED
        locked.cancel_reason = reason
        locked.cancelled_at = now
        locked.updated_at = now
        locked.save(update_fields=["state", "cancel_reason", "cancelled_at", "updated_at"])
        _tell_signed_up(locked, "civic_activity_cancelled", now=now, key="cancelled")
    return locked


def _tell_signed_up(activity: Activity, template: str, *, now: datetime.datetime, key: str) -> int:
    users = list(
        User.objects.filter(pk__in=_signed_up(activity).values("user_id"), is_active=True).order_by(
            "pk"
        )
    )
    if not users:
        return 0
    local = timezone.localtime
    return notify_publish(
        audience=Audience(users=users),
        template=template,
        context={
            "id": activity.pk,
            "title": activity.title,
            "place": activity.place,
            "start_text": local(activity.starts_at).strftime("%Y-%m-%d %H:%M"),
            "end_text": local(activity.ends_at).strftime("%H:%M"),
            "reason": activity.cancel_reason,
            "url": reverse("civic:activity_detail", args=[activity.pk]),
        },
        event_key=f"civic:activity:{activity.pk}:{key}",
        source=f"civic:activity:{activity.pk}",
        now=now,
    )


def activity_signup(
    *, activity: Activity, by: User, now: datetime.datetime | None = None
) -> SignUp:
    """Take a place: refused when the activity is full, past its deadline or not open, and
    to anyone neither living in nor serving one of its compounds. A cancelled sign-up is
    taken up again."""
    now = now or timezone.now()
    with _acting_on_activity(activity, "signup", by=by, now=now) as locked:
        signup = SignUp.objects.filter(activity=locked, user=by).first()
        if signup is None:
            try:
                with transaction.atomic():
                    signup = SignUp.objects.create(activity=locked, user=by, signed_up_at=now)
            except IntegrityError:
                raise WrongState(_("You have already signed up for this activity.")) from None
        else:
            signup.status = SignUp.Status.SIGNED_UP
            signup.signed_up_at = now
            signup.cancelled_at = None
            signup.save(update_fields=["status", "signed_up_at", "cancelled_at"])
    return signup


def activity_withdraw(
    *, activity: Activity, by: User, now: datetime.datetime | None = None
) -> SignUp:
    """Give one's place back before the activity starts."""
    now = now or timezone.now()
    with _acting_on_activity(activity, "withdraw", by=by, now=now) as locked:
        signup = SignUp.objects.select_for_update().get(activity=locked, user=by)
        signup.status = SignUp.Status.CANCELLED
        signup.cancelled_at = now
        signup.save(update_fields=["status", "cancelled_at"])
    return signup


@dataclass(frozen=True)
class Mark:
    """The organiser's mark for one sign-up: attended (with hours) or absent."""

    attendance: str
    hours: Decimal | str | None = None


def _hours(value: Decimal | str | None, *, default: Decimal, field: str) -> Decimal:
    if value is None or value == "":
        return default
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise invalid(field, _("Hours: a number such as 2 or 2.5."), "hours") from None
    if not Decimal("0") < hours <= MAX_HOURS:
        raise invalid(field, _("Hours: more than 0 and at most %(n)s.") % {"n": MAX_HOURS}, "hours")
    return hours


def activity_attendance(
    *,
    activity: Activity,
    by: User,
    marks: Mapping[int, Mark],
    now: datetime.datetime | None = None,
) -> Activity:
    """Mark who came (and their hours; the activity's length when not given) and who did not,
    by sign-up id; the activity is done. Every mark is checked before any is saved."""
    now = now or timezone.now()
    with _acting_on_activity(activity, "attendance", by=by, now=now) as locked:
        signups = {signup.pk: signup for signup in _signed_up(locked).select_for_update()}
        if not marks:
            raise invalid("marks", _("Mark who came and who did not."), "required")
        unknown = set(marks) - set(signups)
        if unknown:
            raise invalid(
                "marks", _("Some of the marks are not for people signed up here."), "unknown"
            )
        length = Decimal((locked.ends_at - locked.starts_at).total_seconds() / 3600)
        default = min(length.quantize(Decimal("0.1")), MAX_HOURS)
        changed = []
        for pk, mark in marks.items():
            signup = signups[pk]
            if mark.attendance not in SignUp.Attendance.values:
                raise invalid(f"marks.{pk}", _("Mark each person attended or absent."), "mark")
            attended = mark.attendance == SignUp.Attendance.ATTENDED
            signup.attendance = mark.attendance
            signup.hours = (
                _hours(mark.hours, default=default, field=f"marks.{pk}") if attended else None
            )
            signup.marked_by = by
            signup.marked_at = now
            changed.append(signup)
        SignUp.objects.bulk_update(changed, ["attendance", "hours", "marked_by", "marked_at"])
        if locked.state != Activity.State.DONE:
            locked.state = Activity.State.DONE
            locked.updated_at = now
            locked.save(update_fields=["state", "updated_at"])
    return locked
