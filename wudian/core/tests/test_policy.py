"""The shape every state machine's table takes: state first, then the parties, then the
conditions; parties found out once, only when asked."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pytest

from wudian.core.errors import NotAllowed, WrongState
from wudian.core.policy import Action, Condition, Parties, Policy


@dataclass
class Door:
    state: str
    painted: bool = False


POLICY: Policy[Door] = Policy(
    [
        Action("open", {"closed"}, ("owner", "guest"), "Only the owner or a guest opens it."),
        Action(
            "paint",
            {"closed", "open"},
            ("owner",),
            "Only the owner paints it.",
            conditions=(
                Condition(lambda door: not door.painted, "It is painted already."),
                Condition(
                    lambda door, parties: parties.user == "alice",
                    "Only alice holds a brush.",
                    about_actor=True,
                ),
            ),
        ),
        Action(
            "lock",
            {"closed"},
            ("owner",),
            "Only the owner locks it.",
            label="locked",
            state_messages={"open": "Close it first."},
        ),
    ],
    state=lambda door: door.state,
    wrong_state=lambda door, action: f"The door is {door.state}: it cannot be {action.label}.",
)


def parties(user: str, *roles: str, asked: list[str] | None = None) -> Parties:
    def check(role: str) -> bool:
        if asked is not None:
            asked.append(role)
        return role in roles

    checks = {role: partial(check, role) for role in ("owner", "guest")}
    return Parties(user, checks)


def test_the_state_is_checked_before_the_actor() -> None:
    with pytest.raises(WrongState, match="Close it first"):
        POLICY.check("lock", Door("open"), parties("mallory"))
    with pytest.raises(NotAllowed, match="Only the owner locks it"):
        POLICY.check("lock", Door("closed"), parties("mallory"))


def test_a_state_condition_is_wrong_state_and_an_actor_condition_not_allowed() -> None:
    with pytest.raises(WrongState, match="painted already"):
        POLICY.check("paint", Door("closed", painted=True), parties("bob", "owner"))
    with pytest.raises(NotAllowed, match="brush"):
        POLICY.check("paint", Door("closed"), parties("bob", "owner"))
    POLICY.check("paint", Door("closed"), parties("alice", "owner"))


def test_allowed_lists_actions_in_table_order_and_asks_each_party_once() -> None:
    asked: list[str] = []
    who = parties("alice", "owner", asked=asked)

    assert POLICY.allowed(Door("closed"), who) == ["open", "paint", "lock"]
    assert POLICY.allowed(Door("closed"), who, among={"lock", "open"}) == ["open", "lock"]
    assert asked.count("owner") == 1
    assert POLICY.allowed(Door("open"), parties("carol", "guest")) == []


def test_an_unknown_party_is_nobody() -> None:
    assert "burglar" not in parties("mallory", "owner")


def test_a_refusal_may_name_things_of_the_matter() -> None:
    policy: Policy[Door] = Policy(
        [
            Action(
                "knock",
                {"closed"},
                ("guest",),
                lambda door, who: f"{who.user} is no guest at a {door.state} door.",
            )
        ],
        state=lambda door: door.state,
        wrong_state=lambda door, action: "",
    )
    with pytest.raises(NotAllowed, match="mallory is no guest at a closed door"):
        policy.check("knock", Door("closed"), parties("mallory"))
