"""Writes for joining: send and check one-time login codes (an account is made on the first
good code), bind a household as its holder, file, decide and withdraw applications to join a
household, and leave one.

Nothing here tells whether a phone has an account or an account number exists: a code is sent
the same way to any valid mobile number, and a wrong check and an unknown account number get
the same refusal. Codes, checks and applications are throttled; a throttle is `Throttled`
(429 with Retry-After on every surface)."""

from __future__ import annotations

import datetime
import re
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import Role, RoleCode, User
from wudian.core.errors import BadInput, OutsideScope, WrongState, invalid
from wudian.core.privacy import mask_phone
from wudian.core.throttle import Throttled, throttle_wait
from wudian.grid.models import Compound, Household, HouseholdMembership
from wudian.grid.scope import household_editors_of, household_members, own_membership
from wudian.joining.models import Application, BindingCheck, PhoneCode
from wudian.joining.policy import APPLICATION_POLICY, application_parties
from wudian.notify.services import Audience, notify_forget, notify_publish

SOURCE = "joining"

# One-time codes.
CODE_DIGITS = 6
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
# Sending codes: one a minute and five an hour per phone, twenty an hour per client address
# (a family or an office behind one address); checking them: thirty an hour per address.
CODE_GAP_SECONDS = 60
CODES_PER_PHONE_PER_HOUR = 5
CODES_PER_CLIENT_PER_HOUR = 20
VERIFIES_PER_CLIENT_PER_HOUR = 30

# Binding checks within an hour: five wrong ones lock that user and account number, ten lock
# the user for every number, and twenty lock the number for everyone.
CHECK_WINDOW = datetime.timedelta(hours=1)
WRONG_CHECKS_PER_PAIR = 5
WRONG_CHECKS_PER_USER = 10
WRONG_CHECKS_PER_ACCOUNT = 20
APPLICATIONS_PER_DAY = 10

MOBILE = re.compile(r"1[3-9]\d{9}")
ACCOUNT_NO = re.compile(r"\d{10,16}")
LAST4 = re.compile(r"\d{4}")

CHECK_FAILED = gettext_lazy(
    "The account number, the holder's surname and the last four digits of the holder's "
    "phone do not match our records. Check your electricity bill, or apply as a family "
    "member or tenant."
)


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    return _("%(minutes)d min") % {"minutes": -(-seconds // 60)}


def _throttle(scope: str, key: str, *, limit: int, window: int, message: str) -> None:
    wait = throttle_wait(scope=scope, key=key, limit=limit, window=window)
    if wait:
        raise Throttled(message % {"wait": _wait_text(wait)}, retry_after=wait)


def clean_phone(phone: str) -> str:
    """A mainland mobile number (11 digits from 13… to 19…), spaces and dashes dropped."""
    digits = re.sub(r"[\s-]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not MOBILE.fullmatch(digits):
        raise invalid(
            "phone", _("Enter a mainland mobile number: 11 digits starting with 13 to 19."), "phone"
        )
    return digits


def _digest(phone: str, code: str) -> str:
    return salted_hmac("wudian.joining.code", f"{phone}:{code}", algorithm="sha256").hexdigest()


# Codes ----------------------------------------------------------------------------------


def code_send(*, phone: str, client: str, now: datetime.datetime | None = None) -> PhoneCode:
    """Send a new one-time code to the phone by SMS (through the outbox, urgent: quiet hours
    do not hold it); an earlier code of the phone stops working."""
    phone = clean_phone(phone)
    too_many = _("Too many codes were requested. Please try again in %(wait)s.")
    _throttle(
        "join-code-client",
        client,
        limit=CODES_PER_CLIENT_PER_HOUR,
        window=3600,
        message=too_many,
    )
    _throttle(
        "join-code-gap",
        phone,
        limit=1,
        window=CODE_GAP_SECONDS,
        message=_("A code was just sent to this number. You can ask for another in %(wait)s."),
    )
    _throttle(
        "join-code-phone", phone, limit=CODES_PER_PHONE_PER_HOUR, window=3600, message=too_many
    )
    now = now or timezone.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        earlier = PhoneCode.objects.select_for_update().filter(phone=phone).first()
        if earlier is not None and earlier.event_key:
            notify_forget(event_key=earlier.event_key, keys=["code"])
        row, _created = PhoneCode.objects.update_or_create(
            phone=phone,
            defaults={
                "digest": _digest(phone, code),
                "sent_at": now,
                "expires_at": now + datetime.timedelta(minutes=CODE_MINUTES),
                "attempts": 0,
                "used_at": None,
                "event_key": f"joining:code:{phone}:{int(now.timestamp() * 1000)}",
            },
        )
        notify_publish(
            audience=Audience(phones=[phone]),
            template="joining_code",
            context={"code": code, "minutes": CODE_MINUTES},
            event_key=row.event_key,
            urgent=True,
            source=SOURCE,
            now=now,
            new_event=True,
        )
    return row


@dataclass(frozen=True)
class CodeLogin:
    user: User
    created: bool


def _new_username(phone: str) -> str:
    for _attempt in range(10):
        name = f"r{phone[-4:]}{secrets.token_hex(3)}"
        if not User.objects.filter(username=name).exists():
            return name
    return f"r{secrets.token_hex(8)}"


def _resident_for(phone: str) -> CodeLogin:
    """The resident account of the phone, made now if there is none."""
    found = User.objects.filter(phone=phone, roles__code=RoleCode.RESIDENT).order_by("pk").first()
    if found is not None:
        if not found.is_active:
            raise BadInput(
                _("This account is switched off. Please ask your customer manager or call 95598.")
            )
        return CodeLogin(user=found, created=False)
    user = User(username=_new_username(phone), phone=phone)
    user.set_unusable_password()
    user.save()
    role, _created = Role.objects.get_or_create(
        code=RoleCode.RESIDENT, defaults={"name": str(RoleCode.RESIDENT.label)}
    )
    user.roles.add(role)
    return CodeLogin(user=user, created=True)


def code_verify(
    *, phone: str, code: str, client: str, now: datetime.datetime | None = None
) -> CodeLogin:
    """Check a code: the phone's resident account (made on its first good code). A wrong
    code counts against the code; the code dies after CODE_ATTEMPTS wrong ones."""
    phone = clean_phone(phone)
    code = (code or "").strip()
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise invalid("code", _("The code is the 6 digits of the text message."), "code")
    _throttle(
        "join-verify-client",
        client,
        limit=VERIFIES_PER_CLIENT_PER_HOUR,
        window=3600,
        message=_("Too many codes were tried. Please try again in %(wait)s."),
    )
    now = now or timezone.now()
    problem: tuple[str, str] | None = None
    login: CodeLogin | None = None
    # The wrong attempt is counted in its own transaction, then refused: the count stays.
    with transaction.atomic():
        row = PhoneCode.objects.select_for_update().filter(phone=phone).first()
        if row is None or row.used_at is not None:
            problem = (_("No code is waiting for this number. Ask for a code first."), "no_code")
        elif row.expires_at <= now:
            problem = (_("This code has expired. Ask for a new one."), "expired")
        elif row.attempts >= CODE_ATTEMPTS:
            problem = (_("This code was tried too many times. Ask for a new one."), "used_up")
        elif not constant_time_compare(row.digest, _digest(phone, code)):
            PhoneCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            left = CODE_ATTEMPTS - row.attempts - 1
            problem = (
                (
                    _("The code is wrong. %(left)d attempt(s) left.") % {"left": left}
                    if left
                    else _("The code is wrong and can no longer be used. Ask for a new one.")
                ),
                "wrong",
            )
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            # The outbox's copy of a used code is of no more use to anyone.
            notify_forget(event_key=row.event_key, keys=["code"])
            login = _resident_for(phone)
    if problem is not None or login is None:
        message, reason = problem or ("", "")
        raise invalid("code", message, reason)
    return login


# Binding as the holder ------------------------------------------------------------------


def _locked_for(*, user: User, account_no: str, now: datetime.datetime) -> int:
    """Seconds until this user may check this account number again; 0 if now."""
    wrong = BindingCheck.objects.filter(passed=False, at__gt=now - CHECK_WINDOW)
    waits = []
    for checks, limit in (
        (wrong.filter(user=user, account_no=account_no), WRONG_CHECKS_PER_PAIR),
        (wrong.filter(user=user), WRONG_CHECKS_PER_USER),
        (wrong.filter(account_no=account_no), WRONG_CHECKS_PER_ACCOUNT),
    ):
        # The limit-th latest wrong check keeps the lock until it leaves the window.
        times = list(checks.order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            waits.append((times[-1] + CHECK_WINDOW - now).total_seconds())
    return max((int(wait) + 1 for wait in waits), default=0)


@dataclass(frozen=True)
class BindInput:
    account_no: str
    surname: str
    phone_last4: str


def _clean_bind_input(account_no: str, surname: str, phone_last4: str) -> BindInput:
    errors = {}
    account_no = (account_no or "").strip()
    surname = (surname or "").strip()
    phone_last4 = (phone_last4 or "").strip()
    if not ACCOUNT_NO.fullmatch(account_no):
        errors["account_no"] = _("An account number is 10 to 16 digits: see your electricity bill.")
    if not 1 <= len(surname) <= 4:
        errors["surname"] = _("Enter the account holder's surname.")
    if not LAST4.fullmatch(phone_last4):
        errors["phone_last4"] = _("Enter the last 4 digits of the holder's phone on record.")
    if errors:
        raise BadInput(errors)
    return BindInput(account_no=account_no, surname=surname, phone_last4=phone_last4)


def household_bind(
    *,
    user: User,
    account_no: str,
    surname: str,
    phone_last4: str,
    client: str = "",
    now: datetime.datetime | None = None,
) -> HouseholdMembership:
    """Bind the household of the account number to the user as its holder, when the holder's
    surname and the last four digits of the holder's phone on record match. Every check is
    recorded; too many wrong ones lock further checks (Throttled). An unknown account number
    and a wrong check are refused alike."""
    given = _clean_bind_input(account_no, surname, phone_last4)
    now = now or timezone.now()
    wait = _locked_for(user=user, account_no=given.account_no, now=now)
    if wait:
        raise Throttled(
            _(
                "Too many wrong checks. Please try again in %(wait)s, "
                "or apply to the property office."
            )
            % {"wait": _wait_text(wait)},
            retry_after=wait,
        )
    household = Household.objects.filter(account_no=given.account_no).first()
    passed = (
        household is not None
        and bool(household.phone)
        and household.holder_name.startswith(given.surname)
        and household.phone[-4:] == given.phone_last4
    )
    membership: HouseholdMembership | None = None
    with transaction.atomic():
        BindingCheck.objects.create(
            user=user, account_no=given.account_no, passed=passed, client=client[:64], at=now
        )
        if passed and household is not None:
            membership = own_membership(user, household.pk)
            if membership is None:
                membership = HouseholdMembership.objects.create(
                    user=user, household=household, relation=HouseholdMembership.Relation.HOLDER
                )
                _tell_members(membership, now=now)
            elif membership.relation != HouseholdMembership.Relation.HOLDER:
                membership.relation = HouseholdMembership.Relation.HOLDER
                membership.save(update_fields=["relation"])
    if membership is None:
        raise BadInput(CHECK_FAILED, code="check_failed")
    return membership


def _tell_members(membership: HouseholdMembership, *, now: datetime.datetime) -> None:
    """Tell the household's other members that someone joined it, so that a stranger who got
    through is noticed by those who live there."""
    others = [
        user_id
        for user_id, _household_id in household_members([membership.household_id])
        if user_id != membership.user_id
    ]
    if not others:
        return
    household = membership.household
    notify_publish(
        audience=Audience(users=User.objects.filter(pk__in=others)),
        template="joining_member_added",
        context={
            "account_no": household.account_no,
            "compound": household.building.compound.name,
            "phone": mask_phone(membership.user.phone),
        },
        event_key=f"joining:member:{membership.pk}",
        source=SOURCE,
        now=now,
        new_event=True,
    )


def household_leave(*, user: User, household_id: int) -> Household:
    """The user leaves one of their households: their membership goes, nothing else does."""
    with transaction.atomic():
        membership = own_membership(user, household_id)
        if membership is None:
            raise OutsideScope(_("This is not one of your households."))
        household = membership.household
        membership.delete()
    return household


# Applications ---------------------------------------------------------------------------


def application_file(
    *,
    user: User,
    compound: Compound,
    account_no: str,
    relation: str,
    name: str,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Application:
    """A family member's or tenant's application to join the household of an account number
    in a compound. It reaches the compound's property office and customer manager whether or
    not the number is one of its households (they see which; the applicant is not told)."""
    errors = {}
    account_no = (account_no or "").strip()
    name = (name or "").strip()
    note = (note or "").strip()
    if not ACCOUNT_NO.fullmatch(account_no):
        errors["account_no"] = _("An account number is 10 to 16 digits: see your electricity bill.")
    if relation not in {value for value, _label in Application.RELATIONS}:
        errors["relation"] = _("Choose family member or tenant.")
    if not 1 <= len(name) <= 32:
        errors["name"] = _("Enter your name (at most 32 characters).")
    if len(note) > 200:
        errors["note"] = _("The note is at most 200 characters.")
    if errors:
        raise BadInput(errors)
    now = now or timezone.now()
    recent = Application.objects.filter(
        applicant=user, created_at__gt=now - datetime.timedelta(days=1)
    ).count()
    if recent >= APPLICATIONS_PER_DAY:
        raise Throttled(
            _("Too many applications today. Please try again tomorrow."),
            retry_after=24 * 3600,
        )
    household = Household.objects.filter(account_no=account_no, building__compound=compound).first()
    if household is not None and own_membership(user, household.pk) is not None:
        raise WrongState(_("You already belong to this household."))
    try:
        with transaction.atomic():
            application = Application.objects.create(
                applicant=user,
                compound=compound,
                account_no=account_no,
                household=household,
                relation=relation,
                name=name,
                note=note,
                created_at=now,
            )
            notify_publish(
                audience=Audience(users=household_editors_of(compound.pk)),
                template="joining_application_staff",
                context={
                    "compound": compound.name,
                    "name": name,
                    "relation": relation,
                    "matches": household is not None,
                },
                event_key=f"joining:application:{application.pk}:filed",
                source=SOURCE,
                now=now,
                new_event=True,
            )
    except IntegrityError:
        raise WrongState(
            _("You have already applied to join this account; wait for the decision.")
        ) from None
    return application


def _acting_on(application: Application, *, action: str, by: User) -> Application:
    """The application locked, with the action checked against the policy."""
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("compound", "household")
        .get(pk=application.pk)
    )
    APPLICATION_POLICY.check(action, locked, application_parties(by, locked))
    return locked


def _tell_applicant(application: Application, *, now: datetime.datetime) -> None:
    notify_publish(
        audience=Audience(users=[application.applicant]),
        template="joining_application_decided",
        context={
            "state": application.state,
            "compound": application.compound.name,
            "account_no": application.account_no,
            "reason": application.reason,
        },
        event_key=f"joining:application:{application.pk}:{application.state}",
        source=SOURCE,
        now=now,
        new_event=True,
    )


def application_approve(
    *, application: Application, by: User, now: datetime.datetime | None = None
) -> Application:
    """Approve: the applicant joins the household with the relation they gave."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _acting_on(application, action="approve", by=by)
        assert locked.household is not None  # the policy's condition
        if own_membership(locked.applicant, locked.household.pk) is None:
            membership = HouseholdMembership.objects.create(
                user=locked.applicant, household=locked.household, relation=locked.relation
            )
            _tell_members(membership, now=now)
        locked.state = Application.State.APPROVED
        locked.decided_at = now
        locked.decided_by = by
        locked.save(update_fields=["state", "decided_at", "decided_by"])
        _tell_applicant(locked, now=now)
    return locked


def application_reject(
    *, application: Application, by: User, reason: str, now: datetime.datetime | None = None
) -> Application:
    """Reject, saying why: the applicant is told the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the application is rejected."), "required")
    if len(reason) > 200:
        raise invalid("reason", _("The reason is at most 200 characters."), "max_length")
    now = now or timezone.now()
    with transaction.atomic():
        locked = _acting_on(application, action="reject", by=by)
        locked.state = Application.State.REJECTED
        locked.decided_at = now
        locked.decided_by = by
        locked.reason = reason
        locked.save(update_fields=["state", "decided_at", "decided_by", "reason"])
        _tell_applicant(locked, now=now)
    return locked


def application_withdraw(
    *, application: Application, by: User, now: datetime.datetime | None = None
) -> Application:
    """The applicant withdraws a pending application."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _acting_on(application, action="withdraw", by=by)
        locked.state = Application.State.WITHDRAWN
        locked.decided_at = now
        locked.save(update_fields=["state", "decided_at"])
    return locked
