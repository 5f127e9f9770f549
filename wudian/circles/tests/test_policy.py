"""The circles' policy table, printed as user × actions on the north compound's circle, a
resident's message there and a staff post (pytest -s shows it)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from wudian.circles.policy import CIRCLE_POLICY, MESSAGE_POLICY, POST_POLICY, CircleParties
from wudian.circles.services import (
    circle_for_compound,
    member_choose,
    member_mute,
    message_hide,
    message_write,
    post_publish,
)
from wudian.conftest import City
from wudian.grid.scope import serving_roles

pytestmark = pytest.mark.django_db

EXPECTED = {
    # user: (circle actions, message actions, post actions)
    "resident": ({"write"}, {"reply"}, set()),
    "resident_b": (set(), set(), set()),
    "electrician": (
        {"post_outage", "post_knowledge", "post_safety", "post_general", "moderate"},
        {"reply", "request", "hide", "mute"},
        {"pin", "unpin", "hide"},
    ),
    "staff": (
        {"post_outage", "post_knowledge", "post_safety", "post_general", "moderate"},
        {"reply", "request", "hide", "mute"},
        {"pin", "unpin", "hide"},
    ),
    "gridadmin": (
        {"post_outage", "post_knowledge", "post_safety", "post_civic", "post_general", "moderate"},
        {"reply", "request", "hide", "mute"},
        {"pin", "unpin", "hide"},
    ),
    "manager": (
        {"post_outage", "post_knowledge", "post_safety", "post_civic", "post_general", "moderate"},
        {"reply", "request", "hide", "mute"},
        {"pin", "unpin", "hide"},
    ),
    "manager_b": (set(), set(), set()),
    "electrician_b": (set(), set(), set()),
    "supervisor": (set(), set(), set()),
    "dept": (set(), set(), set()),
    "outsider": (set(), set(), set()),
    "admin": (
        {"post_outage", "post_knowledge", "post_safety", "post_civic", "post_general", "moderate"},
        {"reply", "request", "hide", "mute"},
        {"pin", "unpin", "hide"},
    ),
}


def test_the_table(city: City) -> None:
    circle = circle_for_compound(city.north)
    message = message_write(circle=circle, by=city.resident, body="楼道灯不亮")
    [post] = post_publish(author=city.manager, circles=[circle], kind="safety", title="t", body="b")
    got = {}
    for username in EXPECTED:
        user = getattr(city, username)
        got[username] = (
            set(CIRCLE_POLICY.allowed(circle, CircleParties(user, circle))),
            set(MESSAGE_POLICY.allowed(message, CircleParties(user, circle, message=message))),
            set(POST_POLICY.allowed(post, CircleParties(user, circle))),
        )
        print(f"{username:14} {sorted(got[username][0])} {sorted(got[username][1])}")
    assert got == EXPECTED


def test_states_and_the_mute(city: City) -> None:
    circle = circle_for_compound(city.north)
    message = message_write(circle=circle, by=city.resident, body="楼道灯不亮")
    now = timezone.now()
    member_mute(message=message, by=city.manager, hours=2, reason="刷屏", now=now)
    parties = CircleParties(city.resident, circle, at=now + datetime.timedelta(hours=1))
    assert not CIRCLE_POLICY.allows("write", circle, parties)
    later = CircleParties(city.resident, circle, at=now + datetime.timedelta(hours=3))
    assert CIRCLE_POLICY.allows("write", circle, later)
    message_hide(message=message, by=city.manager, reason="x")
    message.refresh_from_db()
    staff = CircleParties(city.manager, circle, message=message)
    assert MESSAGE_POLICY.allowed(message, staff) == ["mute"]
    # A resident who left the circle cannot write there until they come back.
    member_mute(message=message, by=city.manager, hours=0, reason="")
    member_choose(circle=circle, user=city.resident, leave=True)
    assert not CIRCLE_POLICY.allows("write", circle, CircleParties(city.resident, circle))
    member_choose(circle=circle, user=city.resident, leave=False)
    assert CIRCLE_POLICY.allows("write", circle, CircleParties(city.resident, circle))


def test_serving_roles_reads_assignments_and_communities(city: City) -> None:
    assert serving_roles(city.manager, [city.north.pk]) == {"customer_manager"}
    assert serving_roles(city.gridadmin, [city.north.pk, city.south.pk]) == {"grid_admin"}
    assert serving_roles(city.gridadmin, [city.south.pk]) == set()
    assert serving_roles(city.manager_b, [city.north.pk]) == set()
    city.manager.is_active = False
    assert serving_roles(city.manager, [city.north.pk]) == set()
