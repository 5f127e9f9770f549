"""Who may do what, in which state: each state machine is one table of actions (requests in
wudian.workorders.policy, outages in wudian.outages.policy; patrols, defects and reminders
follow the same shape). For every action the table names the states it is allowed from, the
parties to the matter who may take it, and any further condition.

The services enforce the table (Policy.check, inside their transaction, on the locked row);
pages render their buttons from it and the API lists the actions a caller may take now
(Policy.allowed), so what is offered and what is accepted cannot drift apart.

A party is a part a user plays in one matter — the resident who asked, the member of staff
holding it, the compound's customer manager. Each app says how to find out (Parties), and
each is found out only when an action asks for it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from wudian.core.errors import NotAllowed, WrongState

T = TypeVar("T")


class Parties:
    """The parties to one matter that one user is. Each check runs once, when first asked."""

    def __init__(
        self, user: Any, checks: Mapping[str, Callable[[], bool]], *, at: Any = None
    ) -> None:
        self.user = user
        # When the action is taken (a datetime), for conditions that depend on the day.
        self.at = at
        self._checks = dict(checks)
        self._known: dict[str, bool] = {}

    def __contains__(self, party: object) -> bool:
        if not isinstance(party, str) or party not in self._checks:
            return False
        if party not in self._known:
            self._known[party] = bool(self._checks[party]())
        return self._known[party]

    def any_of(self, parties: Iterable[str]) -> bool:
        return any(party in self for party in parties)


def _said(message: Any, obj: Any, parties: Parties) -> Any:
    """A refusal's message: a text, or `message(obj, parties)` for one that names things of
    the matter (the compounds a user does not serve, say)."""
    return message(obj, parties) if callable(message) else message


@dataclass(frozen=True)
class Condition(Generic[T]):
    """Something else the action needs: `holds(obj)` about the object's state, refused as
    WrongState; or `holds(obj, parties)` about the actor, refused as NotAllowed. The message
    may be a function of (obj, parties), as may an action's refusal."""

    holds: Callable[..., bool]
    message: Any
    about_actor: bool = False


@dataclass(frozen=True)
class Action(Generic[T]):
    name: str
    states: Collection[str]
    # Asked in this order, each only until one is found.
    parties: Sequence[str]
    # Said to a user who is none of the parties.
    refusal: Any
    conditions: tuple[Condition[T], ...] = ()
    # How refusals name the action ("accepted", "cancelled"), for the policy's wrong-state text.
    label: Any = ""
    # What the wrong-state refusal says in a particular state, instead of the policy's text.
    state_messages: Mapping[str, Any] = field(default_factory=dict)


class Policy(Generic[T]):
    """One state machine's table: actions in the order pages show them."""

    def __init__(
        self,
        actions: Iterable[Action[T]],
        *,
        state: Callable[[T], str],
        wrong_state: Callable[[T, Action[T]], str],
    ) -> None:
        self.actions = {action.name: action for action in actions}
        self._state = state
        self._wrong_state = wrong_state

    def __getitem__(self, name: str) -> Action[T]:
        return self.actions[name]

    def refusal(self, name: str, obj: T, parties: Parties) -> WrongState | NotAllowed | None:
        """Why the action is refused now, or None when it is allowed. The state is looked at
        before the actor: a closed request is closed for everyone."""
        action = self.actions[name]
        state = self._state(obj)
        if state not in action.states:
            message = action.state_messages.get(state) or self._wrong_state(obj, action)
            return WrongState(message)
        for condition in action.conditions:
            if not condition.about_actor and not condition.holds(obj):
                return WrongState(_said(condition.message, obj, parties))
        if not parties.any_of(action.parties):
            return NotAllowed(_said(action.refusal, obj, parties))
        for condition in action.conditions:
            if condition.about_actor and not condition.holds(obj, parties):
                return NotAllowed(_said(condition.message, obj, parties))
        return None

    def check(self, name: str, obj: T, parties: Parties) -> None:
        """Raise the refusal of the action (WrongState or NotAllowed), if any."""
        refusal = self.refusal(name, obj, parties)
        if refusal is not None:
            raise refusal

    def allows(self, name: str, obj: T, parties: Parties) -> bool:
        return self.refusal(name, obj, parties) is None

    def allowed(self, obj: T, parties: Parties, *, among: Iterable[str] | None = None) -> list[str]:
        """The actions the user may take now, in the table's order (of those `among`)."""
        wanted = None if among is None else set(among)
        return [
            name
            for name in self.actions
            if (wanted is None or name in wanted) and self.allows(name, obj, parties)
        ]
