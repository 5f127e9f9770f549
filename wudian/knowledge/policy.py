"""Who may do what with knowledge, in which state: the article's table and the seasonal
reminder's (see wudian.core.policy). The services check them on the locked row; the desk's
pages render their buttons from them and the API's detail lists the article's `actions`.

One party, the writer: a customer manager, supervisor or administrator whose reach for
Purpose.PUBLISH_KNOWLEDGE holds every compound the article is for (the whole city:
administrators only). Anyone else does not find the draft at all (OutsideScope)."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.accounts.models import User
from wudian.core.errors import NotAllowed
from wudian.core.policy import Action, Parties, Policy
from wudian.grid.models import Compound
from wudian.grid.scope import Purpose, compounds_outside
from wudian.knowledge.models import Article, Reach, SeasonalReminder
from wudian.knowledge.selectors import is_writer, writable_by

State = Article.State
EVERY_STATE = frozenset(State.values)
WRITER = ("writer",)
ONLY_WRITERS = gettext_lazy(
    "Only the customer managers, supervisors and administrators who serve everyone it is for "
    "may change it."
)


def check_may_write(user: User, *, reach: str, compound_ids: Collection[int]) -> None:
    """Refuse (NotAllowed) a user who may not write knowledge for these compounds (all of the
    target's compounds, for a district or a community)."""
    if not is_writer(user):
        raise NotAllowed(
            _("Only customer managers, supervisors and administrators write power knowledge.")
        )
    if user.is_superuser:
        return
    if reach == Reach.ALL:
        raise NotAllowed(_("Only administrators write knowledge for the whole city."))
    outside = compounds_outside(user, Purpose.PUBLISH_KNOWLEDGE, compound_ids)
    if outside:
        names = Compound.objects.filter(pk__in=outside).order_by("code")
        listed = "、".join(names.values_list("name", flat=True)[:10])
        raise NotAllowed(
            _("It would reach compounds you do not serve: %(names)s.") % {"names": listed}
        )


def _writes(user: User, model: type[Article] | type[SeasonalReminder], pk: int) -> bool:
    return writable_by(model, user).filter(pk=pk).exists()


def article_parties(user: User, article: Article) -> Parties:
    return Parties(user, {"writer": partial(_writes, user, Article, article.pk)})


def reminder_parties(user: User, reminder: SeasonalReminder) -> Parties:
    return Parties(user, {"writer": partial(_writes, user, SeasonalReminder, reminder.pk)})


def _article_wrong_state(article: Article, action: Action[Article]) -> str:
    return _("This article is %(state)s; that cannot be done now.") % {
        "state": article.get_state_display()
    }


ARTICLES: Policy[Article] = Policy(
    [
        Action(
            "publish",
            {State.DRAFT, State.WITHDRAWN},
            WRITER,
            ONLY_WRITERS,
            state_messages={
                State.SCHEDULED: gettext_lazy(
                    "This article is already scheduled; it is published at its time."
                ),
                State.PUBLISHED: gettext_lazy("This article is already published."),
            },
        ),
        Action(
            "withdraw",
            {State.SCHEDULED, State.PUBLISHED},
            WRITER,
            ONLY_WRITERS,
            state_messages={
                State.DRAFT: gettext_lazy(
                    "A draft is not published; there is nothing to withdraw."
                ),
                State.WITHDRAWN: gettext_lazy("This article is already withdrawn."),
            },
        ),
        Action("edit", EVERY_STATE, WRITER, ONLY_WRITERS),
        Action("images", EVERY_STATE, WRITER, ONLY_WRITERS),
    ],
    state=lambda article: article.state,
    wrong_state=_article_wrong_state,
)

ACTIVE, PAUSED = "active", "paused"


def _reminder_wrong_state(reminder: SeasonalReminder, action: Action[SeasonalReminder]) -> str:
    if reminder.active:
        return _("This seasonal reminder is active already.")
    return _("This seasonal reminder is paused already.")


REMINDERS: Policy[SeasonalReminder] = Policy(
    [
        Action("edit", {ACTIVE, PAUSED}, WRITER, ONLY_WRITERS),
        Action("pause", {ACTIVE}, WRITER, ONLY_WRITERS),
        Action("resume", {PAUSED}, WRITER, ONLY_WRITERS),
    ],
    state=lambda reminder: ACTIVE if reminder.active else PAUSED,
    wrong_state=_reminder_wrong_state,
)
