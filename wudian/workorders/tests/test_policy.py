"""The request's one policy table, read by every surface: the table itself (party × state →
actions, without the database), the `actions` the API lists for each role, the buttons the
pages offer, one refusal answered with one status everywhere, and one timeline rule per
viewer for the pages, the API and Open311."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from wudian.accounts.models import User
from wudian.conftest import City, api, post, snapshot
from wudian.core.policy import Parties
from wudian.workorders.models import Category, WorkOrder, WorkOrderEvent
from wudian.workorders.policy import (
    HOLDER,
    MANAGER,
    POLICY,
    REQUESTER,
    SUPERVISOR,
    VIEWER,
)
from wudian.workorders.selectors import EVENTS_SEEN, Viewer
from wudian.workorders.services import (
    workorder_accept,
    workorder_resolve,
    workorder_wait,
    workorders_check_clocks,
)
from wudian.workorders.tests.conftest import FRIDAY

Status = WorkOrder.Status
Event = WorkOrderEvent.Kind


# What each party may do in each state, by the table (a request of the customer manager's
# routing, so no certificate is asked for, not yet arrived on site, not yet rated).
EXPECTED: dict[str, dict[str, list[str]]] = {
    REQUESTER: {
        Status.SUBMITTED: ["cancel", "comment", "add_photos"],
        Status.ACCEPTED: ["cancel", "comment", "add_photos"],
        Status.ARRIVED: ["cancel", "comment", "add_photos"],
        Status.WAITING: ["resume", "cancel", "comment", "add_photos"],
        Status.RESOLVED: ["reopen", "confirm", "rate", "comment", "add_photos"],
        Status.CLOSED: ["rate"],
        Status.CANCELLED: [],
    },
    HOLDER: {
        Status.SUBMITTED: ["accept", "escalate", "transfer", "add_photos"],
        Status.ACCEPTED: ["arrive", "wait", "resolve", "escalate", "transfer", "add_photos"],
        Status.ARRIVED: ["wait", "resolve", "escalate", "transfer", "add_photos"],
        Status.WAITING: ["resume", "add_photos"],
        Status.RESOLVED: ["add_photos"],
        Status.CLOSED: [],
        Status.CANCELLED: [],
    },
    MANAGER: {
        Status.SUBMITTED: ["accept", "escalate", "transfer", "cancel", "add_photos"],
        Status.ACCEPTED: ["wait", "resolve", "escalate", "transfer", "cancel", "add_photos"],
        Status.ARRIVED: ["wait", "resolve", "escalate", "transfer", "cancel", "add_photos"],
        Status.WAITING: ["resume", "cancel", "add_photos"],
        Status.RESOLVED: ["reopen", "add_photos"],
        Status.CLOSED: [],
        Status.CANCELLED: [],
    },
    SUPERVISOR: {
        Status.SUBMITTED: ["transfer"],
        Status.ACCEPTED: ["transfer"],
        Status.ARRIVED: ["transfer"],
        Status.WAITING: [],
        Status.RESOLVED: [],
        Status.CLOSED: [],
        Status.CANCELLED: [],
    },
    VIEWER: {
        **{status: ["comment"] for status in WorkOrder.OPEN_STATUSES},
        Status.CLOSED: [],
        Status.CANCELLED: [],
    },
}


def as_party(party: str) -> Parties:
    user = User(username="someone")
    user.role_codes = frozenset()
    return Parties(user, {name: (lambda name=name: name == party) for name in EXPECTED})  # type: ignore[misc]


def request_in(status: str) -> WorkOrder:
    category = Category(code="outage_enquiry", routing=Category.Routing.CUSTOMER_MANAGER)
    return WorkOrder(status=status, category=category)


@pytest.mark.parametrize("party", list(EXPECTED))
def test_the_table_gives_each_party_its_actions_in_each_state(party: str) -> None:
    assert set(EXPECTED[party]) == set(Status.values)
    for status, actions in EXPECTED[party].items():
        assert POLICY.allowed(request_in(status), as_party(party)) == actions, status


def test_arrival_and_rating_happen_once() -> None:
    arrived = request_in(Status.ACCEPTED)
    arrived.arrived_at = timezone.now()
    assert "arrive" not in POLICY.allowed(arrived, as_party(HOLDER))
    rated = request_in(Status.CLOSED)
    rated.rated_at = timezone.now()
    assert POLICY.allowed(rated, as_party(REQUESTER)) == []


# The API lists what the caller may do; the pages offer the same --------------------------


def detail(user: User, pk: int) -> Any:
    return api(user).get(f"/api/v1/workorders/{pk}")


@pytest.mark.django_db
def test_the_api_lists_each_roles_actions_and_they_follow_the_request(
    city: City, file_request: Any
) -> None:
    wo = file_request()  # behind the meter: in the electrician's hands
    actions = {
        "resident": ["cancel", "comment", "add_photos"],
        "electrician": ["accept", "escalate", "transfer", "comment", "add_photos"],
        "manager": ["accept", "escalate", "transfer", "cancel", "comment", "add_photos"],
        "supervisor": ["transfer", "comment"],
        "gridadmin": ["comment"],
        # Serves the compound but its certificate expired, and the request is not theirs.
        "electrician_expired": ["comment"],
    }
    for name, expected in actions.items():
        response = detail(getattr(city, name), wo.pk)
        assert response.status_code == 200, name
        assert response.json()["actions"] == expected, name
    for outsider in (city.manager_b, city.resident_b, city.outsider):
        assert detail(outsider, wo.pk).status_code == 404

    workorder_accept(workorder=wo, by=city.electrician)
    workorder_resolve(workorder=wo, by=city.electrician, note="换了插座")

    assert detail(city.resident, wo.pk).json()["actions"] == [
        "reopen",
        "confirm",
        "rate",
        "comment",
        "add_photos",
    ]
    assert detail(city.electrician, wo.pk).json()["actions"] == ["comment", "add_photos"]


@pytest.mark.django_db
def test_each_listed_action_is_taken_and_an_unlisted_one_refused(
    city: City, file_request: Any
) -> None:
    wo = file_request()
    listed = detail(city.supervisor, wo.pk).json()["actions"]
    assert "accept" not in listed
    before = snapshot(wo)

    refused = post(api(city.supervisor), f"/api/v1/workorders/{wo.pk}/actions/accept")
    assert refused.status_code == 403
    assert snapshot(wo) == before
    taken = post(api(city.electrician), f"/api/v1/workorders/{wo.pk}/actions/accept")
    assert taken.status_code == 200
    assert taken.json()["status"] == Status.ACCEPTED
    assert "arrive" in taken.json()["actions"]


@pytest.mark.django_db
def test_the_desk_offers_exactly_the_policys_steps(
    city: City, file_request: Any, login: Any
) -> None:
    wo = file_request()
    page = login(city.manager).get(f"/desk/requests/{wo.pk}/")
    assert page.context["actions"] == ["accept", "escalate", "transfer", "cancel", "comment"]

    workorder_accept(workorder=wo, by=city.electrician)
    workorder_wait(workorder=wo, by=city.electrician, note="请提供照片")
    page = login(city.electrician).get(f"/desk/requests/{wo.pk}/")
    # Waiting for the resident: a transfer is refused (resume first), so it is not offered.
    assert page.context["actions"] == ["resume", "comment"]


@pytest.mark.django_db
def test_the_resident_page_offers_exactly_the_policys_steps(
    city: City, file_request: Any, login: Any
) -> None:
    wo = file_request()
    workorder_accept(workorder=wo, by=city.electrician)
    workorder_wait(workorder=wo, by=city.electrician, note="请提供照片")

    page = login(city.resident).get(f"/me/requests/{wo.pk}/")

    assert set(page.context["actions"]) == {"reply", "cancel", "comment"}


# One refusal, one status, on every surface ------------------------------------------------


@pytest.mark.django_db
def test_a_wrong_state_is_409_and_a_wrong_party_403_on_the_api_and_the_page(
    city: City, file_request: Any, login: Any
) -> None:
    wo = file_request()  # submitted: nothing to confirm yet
    before = snapshot(wo)

    on_api = post(api(city.resident), f"/api/v1/workorders/{wo.pk}/actions/confirm")
    on_page = login(city.resident).post(f"/me/requests/{wo.pk}/confirm/")

    assert on_api.status_code == on_page.status_code == 409
    assert on_api.json()["detail"] in on_page.content.decode()

    on_api = post(api(city.manager), f"/api/v1/workorders/{wo.pk}/actions/arrive", {"note": ""})
    on_page = login(city.manager).post(f"/desk/requests/{wo.pk}/arrive/", {"arrive-note": ""})

    assert on_api.status_code == 409  # not accepted yet: the state is asked first
    assert on_page.status_code == 409
    assert snapshot(wo) == before
    workorder_accept(workorder=wo, by=city.electrician)
    before = snapshot(wo)
    on_api = post(api(city.manager), f"/api/v1/workorders/{wo.pk}/actions/arrive", {"note": ""})
    on_page = login(city.manager).post(f"/desk/requests/{wo.pk}/arrive/", {"arrive-note": ""})
    assert on_api.status_code == on_page.status_code == 403
    assert on_api.json()["detail"] in on_page.content.decode()
    assert snapshot(wo) == before


# One timeline rule per viewer --------------------------------------------------------------


@pytest.mark.django_db
def test_deadline_alarms_reach_staff_only_on_every_surface(
    city: City, file_request: Any, login: Any, client: Any
) -> None:
    wo = file_request(now=FRIDAY, channel="open311", open311=True)
    workorders_check_clocks(now=FRIDAY + datetime.timedelta(minutes=14))  # a warning
    workorders_check_clocks(now=FRIDAY + datetime.timedelta(minutes=16))  # accept missed
    kinds = set(WorkOrderEvent.objects.filter(workorder=wo).values_list("kind", flat=True))
    assert {Event.WARNED, Event.OVERDUE} <= kinds
    alarms = {Event.WARNED, Event.OVERDUE}

    staff_page = login(city.manager).get(f"/desk/requests/{wo.pk}/").context["events"]
    resident_page = login(city.resident).get(f"/me/requests/{wo.pk}/").context["events"]
    resident_api = detail(city.resident, wo.pk).json()["timeline"]
    staff_api = detail(city.manager, wo.pk).json()["timeline"]

    assert alarms <= {event.kind for event in staff_page}
    assert alarms <= {event["kind"] for event in staff_api}
    assert not alarms & {event.kind for event in resident_page}
    assert not alarms & {event["kind"] for event in resident_api}
    assert {event.kind for event in resident_page} == {event["kind"] for event in resident_api}
    assert EVENTS_SEEN[Viewer.PUBLIC] <= EVENTS_SEEN[Viewer.RESIDENT] <= EVENTS_SEEN[Viewer.STAFF]
    assert not alarms & EVENTS_SEEN[Viewer.PUBLIC]
