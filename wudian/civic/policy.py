"""Who may do what in civic work, in which state: an appeal's table and a volunteer
activity's table (see wudian.core.policy). The services check them on the locked row; the
pages render their buttons from them and the API's answers list the actions allowed now.

Parties: a `worker` of an appeal does civic work in its visit's compound (Purpose.CIVIC).
An activity's `manager` is its organiser, or does civic work in every one of its compounds; a
`participant` lives in one of its compounds or serves one (residents, electricians, property
staff, customer managers, grid administrators); `signed_up` holds a place on it.

Conditions that depend on the time read the moment the action is taken: the services set it
on the row they locked (`at`), pages on the row they show (`policy_at`)."""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import User
from wudian.civic.models import Activity, Appeal, SignUp
from wudian.civic.selectors import does_civic_work, taken_places
from wudian.core.policy import Action, Condition, Parties, Policy
from wudian.grid.models import Compound
from wudian.grid.scope import Purpose, compounds_for, compounds_outside, reaches_compound

# Appeals ----------------------------------------------------------------------------------

OPEN = Appeal.Status.OPEN
ANSWERED = Appeal.Status.ANSWERED


def _works_on(user: User, appeal: Appeal) -> bool:
    return does_civic_work(user) and reaches_compound(user, Purpose.CIVIC, appeal.visit.compound_id)


def appeal_parties(user: User, appeal: Appeal, *, worker: bool | None = None) -> Parties:
    """The parties to the appeal the user is; `worker` when the caller already knows (the
    appeals of one visit share it)."""
    check = partial(_works_on, user, appeal) if worker is None else (lambda: worker)
    return Parties(user, {"worker": check})


def _appeal_wrong_state(appeal: Appeal, action: Action[Appeal]) -> str:
    return _("This appeal is “%(status)s”; that cannot be done now.") % {
        "status": appeal.get_status_display()
    }


WORKER = ("worker",)
NOT_YOURS = gettext_lazy(
    "Only the grid administrator or customer manager doing civic work here may."
)

ELECTRICITY_ONLY = Condition[Appeal](
    lambda appeal: appeal.kind == Appeal.Kind.ELECTRICITY,
    gettext_lazy("Only an electricity appeal becomes a request; answer this one instead."),
)

APPEALS: Policy[Appeal] = Policy(
    [
        Action(
            "request",
            {OPEN, ANSWERED},
            WORKER,
            NOT_YOURS,
            conditions=(ELECTRICITY_ONLY,),
            state_messages={
                Appeal.Status.REQUESTED: gettext_lazy("This appeal is already a request."),
            },
        ),
        Action("answer", {OPEN}, WORKER, NOT_YOURS),
        Action("close", {OPEN, ANSWERED}, WORKER, NOT_YOURS),
    ],
    state=lambda appeal: appeal.status,
    wrong_state=_appeal_wrong_state,
)


def appeal_actions(user: User, appeal: Appeal, *, worker: bool | None = None) -> list[str]:
    return APPEALS.allowed(appeal, appeal_parties(user, appeal, worker=worker))


def works_on_visit(user: User, compound_id: int) -> bool:
    """Whether the user does civic work where the visit was (a worker of its appeals)."""
    return does_civic_work(user) and reaches_compound(user, Purpose.CIVIC, compound_id)


# Volunteer activities -----------------------------------------------------------------------

State = Activity.State
DRAFT, OPENED, CLOSED, CANCELLED, DONE = (
    State.DRAFT,
    State.OPEN,
    State.CLOSED,
    State.CANCELLED,
    State.DONE,
)


def at_of(activity: Activity) -> datetime.datetime:
    """The moment an action on the activity is judged at."""
    at: datetime.datetime | None = getattr(activity, "policy_at", None)
    return at or timezone.now()


def compound_ids_of(activity: Activity) -> set[int]:
    # The prefetched compounds when the caller loaded them, else one query.
    cache = getattr(activity, "_prefetched_objects_cache", {})
    if "compounds" in cache:
        return {compound.pk for compound in cache["compounds"]}
    return set(activity.compounds.values_list("pk", flat=True))


def _manages(user: User, activity: Activity) -> bool:
    if not does_civic_work(user):
        return False
    if activity.organiser_id == user.pk:
        return True
    ids = compound_ids_of(activity)
    return bool(ids) and not compounds_outside(user, Purpose.CIVIC, ids)


def participant_compounds(user: User) -> QuerySet[Compound]:
    """Where the user may volunteer: their homes' compounds and those they serve."""
    return compounds_for(user, Purpose.SERVE) | compounds_for(user, Purpose.HOME)


def _takes_part(user: User, activity: Activity) -> bool:
    ids = compound_ids_of(activity)
    return participant_compounds(user).filter(pk__in=ids).exists()


def _holds_place(user: User, activity: Activity) -> bool:
    return SignUp.objects.filter(
        activity=activity, user=user, status=SignUp.Status.SIGNED_UP
    ).exists()


def activity_parties(user: User, activity: Activity) -> Parties:
    return Parties(
        user,
        {
            "manager": partial(_manages, user, activity),
            "participant": partial(_takes_part, user, activity),
            "signed_up": partial(_holds_place, user, activity),
        },
        at=at_of(activity),
    )


def _activity_wrong_state(activity: Activity, action: Action[Activity]) -> str:
    return _("This activity is “%(state)s”; that cannot be done now.") % {
        "state": activity.get_state_display()
    }


def _taken(activity: Activity) -> int:
    taken: Any = getattr(activity, "taken", None)
    return taken_places(activity) if taken is None else int(taken)


def _full_message(activity: Activity, parties: Any = None) -> str:
    return _("All %(n)s places are taken; nobody more can sign up.") % {"n": activity.capacity}


BEFORE_DEADLINE = Condition[Activity](
    lambda activity: at_of(activity) < activity.signup_deadline,
    lambda activity, parties: (
        _("Sign-up closed at %(time)s.")
        % {"time": timezone.localtime(activity.signup_deadline).strftime("%Y-%m-%d %H:%M")}
    ),
)
HAS_PLACES = Condition[Activity](
    lambda activity: _taken(activity) < activity.capacity, _full_message
)
NOT_STARTED = Condition[Activity](
    lambda activity: at_of(activity) < activity.starts_at,
    gettext_lazy("The activity has already started."),
)
STARTED = Condition[Activity](
    lambda activity: at_of(activity) >= activity.starts_at,
    gettext_lazy("Attendance is marked once the activity has started."),
)
NOT_SIGNED_UP = Condition[Activity](
    lambda activity, parties: "signed_up" not in parties,
    gettext_lazy("You have already signed up for this activity."),
    about_actor=True,
)

MANAGER = ("manager",)
NOT_ORGANISER = gettext_lazy(
    "Only the organiser, or whoever does civic work in all its compounds, may."
)

ACTIVITIES: Policy[Activity] = Policy(
    [
        Action("publish", {DRAFT}, MANAGER, NOT_ORGANISER, conditions=(NOT_STARTED,)),
        Action(
            "signup",
            {OPENED},
            ("participant",),
            gettext_lazy("Only residents of its compounds and the staff serving them may sign up."),
            conditions=(BEFORE_DEADLINE, HAS_PLACES, NOT_SIGNED_UP),
            state_messages={
                CLOSED: gettext_lazy("Sign-up for this activity is closed."),
                DRAFT: gettext_lazy("This activity is not open for sign-up yet."),
            },
        ),
        Action(
            "withdraw",
            {OPENED, CLOSED},
            ("signed_up",),
            gettext_lazy("You have not signed up for this activity."),
            conditions=(NOT_STARTED,),
        ),
        Action(
            "change", {DRAFT, OPENED, CLOSED}, MANAGER, NOT_ORGANISER, conditions=(NOT_STARTED,)
        ),
        Action("close", {OPENED}, MANAGER, NOT_ORGANISER, conditions=(NOT_STARTED,)),
        Action("attendance", {OPENED, CLOSED, DONE}, MANAGER, NOT_ORGANISER, conditions=(STARTED,)),
        Action(
            "cancel", {DRAFT, OPENED, CLOSED}, MANAGER, NOT_ORGANISER, conditions=(NOT_STARTED,)
        ),
    ],
    state=lambda activity: activity.state,
    wrong_state=_activity_wrong_state,
)


def activity_actions(
    user: User, activity: Activity, *, now: datetime.datetime | None = None
) -> list[str]:
    """The actions the user may take on the activity now."""
    activity.policy_at = now or timezone.now()  # type: ignore[attr-defined]
    return ACTIVITIES.allowed(activity, activity_parties(user, activity))


def may_organise(user: User) -> bool:
    """Whether the user organises activities somewhere (the new-activity page)."""
    return does_civic_work(user) and compounds_for(user, Purpose.CIVIC).exists()
