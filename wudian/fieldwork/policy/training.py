"""Who may do what with a training session, in which state (see wudian.core.policy).

A session is `upcoming` until it starts, then `held`. Its `organiser` (administrators; the
supervisors of its district) edits it and keeps its attendance sheet in both states; results
other than "not assessed yet" and "absent" need it held, which the service checks on the
row it locked. Who records certificates is a rule of the selectors
(`certificate_compounds`), not a state machine."""

from __future__ import annotations

import datetime
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import User
from wudian.core.policy import Action, Parties, Policy
from wudian.fieldwork.models import TrainingSession
from wudian.fieldwork.selectors.training import organises

UPCOMING = "upcoming"
HELD = "held"


def state_of(session: TrainingSession, *, at: datetime.datetime | None = None) -> str:
    at = at or getattr(session, "policy_at", None) or timezone.now()
    return HELD if session.starts_at <= at else UPCOMING


def training_parties(user: User, session: TrainingSession) -> Parties:
    return Parties(user, {"organiser": partial(organises, user, session)})


def _wrong_state(session: TrainingSession, action: Action[TrainingSession]) -> str:
    return _("That cannot be done with this training now.")


ORGANISER = ("organiser",)
NOT_ORGANISER = gettext_lazy(
    "Only the training's organisers (its district's supervisors, or administrators) may."
)

TRAINING: Policy[TrainingSession] = Policy(
    [
        Action("edit", {UPCOMING, HELD}, ORGANISER, NOT_ORGANISER),
        Action("attendance", {UPCOMING, HELD}, ORGANISER, NOT_ORGANISER),
    ],
    state=lambda session: state_of(session),
    wrong_state=_wrong_state,
)


def training_actions(user: User, session: TrainingSession) -> list[str]:
    return TRAINING.allowed(session, training_parties(user, session))
