"""Who may do what in a circle: one table for the circle (posting each kind, writing, seeing
the report queue), one for a post (pin, unpin, hide) and one for a message (reply, hide,
report, mute its author, turn it into a request).

Parties, each found out once (grid.scope says who serves what):
- `manager`: the customer manager of one of the circle's compounds;
- `grid_admin`: the grid administrator of the community of one of its compounds;
- `server`: anyone serving one of its compounds (customer manager, electrician, property
  staff, grid administrator), and superusers;
- `resident`: holds a household in one of its compounds (and has not left the circle);
- `author`: wrote the message.

Supervisors and departments who oversee the compounds read the circle and take no action.
Civic posts (文明创建, 市民公约, law and policy) are the grid administrators' and the customer
managers'; every other kind is anyone's serving the circle."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import RoleCode, User
from wudian.circles.models import Circle, CircleMember, Message, Post
from wudian.circles.selectors import compound_ids_of, homes_in_circle
from wudian.core.policy import Action, Condition, Parties, Policy
from wudian.grid.scope import serving_roles


class CircleParties(Parties):
    """The parties one user is in one circle (a circle, or the circle of a post or message)."""

    def __init__(
        self, user: User, circle: Circle, *, message: Message | None = None, at: Any = None
    ) -> None:
        self.circle = circle
        self._roles: set[str] | None = None
        self._member: CircleMember | bool | None = False
        super().__init__(
            user,
            {
                "manager": lambda: user.is_superuser or RoleCode.CUSTOMER_MANAGER in self.roles,
                "grid_admin": lambda: RoleCode.GRID_ADMIN in self.roles,
                "server": lambda: user.is_superuser or bool(self.roles),
                "resident": self._is_resident,
                "author": lambda: message is not None and message.author_id == user.pk,
            },
            at=at or timezone.now(),
        )

    @property
    def roles(self) -> set[str]:
        if self._roles is None:
            self._roles = serving_roles(self.user, compound_ids_of(self.circle))
        return self._roles

    @property
    def member(self) -> CircleMember | None:
        if self._member is False:
            self._member = CircleMember.objects.filter(circle=self.circle, user=self.user).first()
        return self._member  # type: ignore[return-value]

    def _is_resident(self) -> bool:
        member = self.member
        if member is not None and member.left_at is not None:
            return False
        return homes_in_circle(self.user, self.circle).exists()

    @property
    def muted_until(self) -> datetime.datetime | None:
        member = self.member
        if member is None or member.muted_until is None or member.muted_until <= self.at:
            return None
        return member.muted_until


def _not_muted(_obj: Any, parties: CircleParties) -> bool:
    # Staff cannot be muted; a resident's mute holds until its time.
    return "server" in parties or parties.muted_until is None


def _muted_text(_obj: Any, parties: CircleParties) -> str:
    until = parties.muted_until
    shown = timezone.localtime(until).strftime("%Y-%m-%d %H:%M") if until else ""
    return str(_("Staff have muted you in this circle until %(time)s.")) % {"time": shown}


NOT_MUTED = Condition[Any](_not_muted, _muted_text, about_actor=True)
STAFF_ONLY = _("Only the staff serving this circle may do this.")

# Posting each kind of post.
POST_KINDS: dict[str, tuple[str, ...]] = {
    Post.Kind.OUTAGE: ("server",),
    Post.Kind.KNOWLEDGE: ("server",),
    Post.Kind.SAFETY: ("server",),
    Post.Kind.GENERAL: ("server",),
    Post.Kind.CIVIC: ("grid_admin", "manager"),
}

OPEN = "open"

CIRCLE_POLICY: Policy[Circle] = Policy(
    [
        *(
            Action[Circle](
                f"post_{kind}",
                {OPEN},
                parties,
                _("Civic posts are the grid administrators' and the customer managers'.")
                if kind == Post.Kind.CIVIC
                else STAFF_ONLY,
            )
            for kind, parties in POST_KINDS.items()
        ),
        Action[Circle](
            "write",
            {OPEN},
            ("resident",),
            _("Only residents of this circle's compounds may write messages here."),
            conditions=(NOT_MUTED,),
        ),
        Action[Circle]("moderate", {OPEN}, ("server",), STAFF_ONLY),
    ],
    state=lambda circle: OPEN,
    wrong_state=lambda circle, action: str(_("Not possible now.")),
)


def post_state(post: Post) -> str:
    if post.hidden_at is not None:
        return "hidden"
    return "published" if post.published_at is not None else "scheduled"


POST_POLICY: Policy[Post] = Policy(
    [
        Action[Post]("pin", {"published", "scheduled"}, ("server",), STAFF_ONLY),
        Action[Post]("unpin", {"published", "scheduled"}, ("server",), STAFF_ONLY),
        Action[Post]("hide", {"published", "scheduled"}, ("server",), STAFF_ONLY),
    ],
    state=post_state,
    wrong_state=lambda post, action: str(_("This post is hidden.")),
)


def message_state(message: Message) -> str:
    return "hidden" if message.hidden_at is not None else "visible"


def _root(message: Message) -> bool:
    return message.parent_id is None


def _author_is_resident(message: Message, parties: CircleParties) -> bool:
    author = message.author
    return not author.is_superuser and author.is_resident_only and author.pk != parties.user.pk


def _not_own(message: Message, parties: CircleParties) -> bool:
    return message.author_id != parties.user.pk


MESSAGE_POLICY: Policy[Message] = Policy(
    [
        Action[Message](
            "reply",
            {"visible"},
            ("server", "resident"),
            _("Only members of this circle may reply."),
            conditions=(
                Condition[Message](_root, _("Reply to the message itself, not to a reply.")),
                NOT_MUTED,
            ),
        ),
        Action[Message](
            "request",
            {"visible"},
            ("server",),
            STAFF_ONLY,
            conditions=(
                Condition[Message](_root, _("Only a message, not a reply, becomes a request.")),
                Condition[Message](
                    _author_is_resident,
                    _("Only a resident's message becomes a request."),
                    about_actor=True,
                ),
            ),
        ),
        Action[Message]("hide", {"visible"}, ("server",), STAFF_ONLY),
        Action[Message](
            "mute",
            {"visible", "hidden"},
            ("server",),
            STAFF_ONLY,
            conditions=(
                Condition[Message](
                    _author_is_resident,
                    _("Only a resident can be muted."),
                    about_actor=True,
                ),
            ),
        ),
        Action[Message](
            "report",
            {"visible"},
            ("resident",),
            _("Only residents of this circle may report a message."),
            conditions=(
                Condition[Message](
                    _not_own, _("You cannot report your own message."), about_actor=True
                ),
            ),
        ),
    ],
    state=message_state,
    wrong_state=lambda message, action: str(_("This message is hidden.")),
)
