"""The audit log: who changed special-group status, roles, scope assignments and Open311
keys (django-auditlog, the actor taken from the request), who was shown special-group status
(one INSERT per page), and the page where supervisors read their districts' entries and
administrators everything, which no one can edit or delete."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wudian.accounts.models import Role, RoleCode, User
from wudian.audit.kinds import Kind, kind_of
from wudian.audit.middleware import AuditActorMiddleware
from wudian.audit.services import special_group_reads_record
from wudian.conftest import City, api, make_user, post, zh
from wudian.grid.models import (
    CompoundAssignment,
    District,
    DistrictAssignment,
    Household,
)
from wudian.notify.models import CallTask
from wudian.workorders.open311.keys import open311_key_issue

pytestmark = pytest.mark.django_db

PAGE = "/desk/audit/"


def entries_of(kind: Kind, **filters: Any) -> list[LogEntry]:
    from wudian.audit.kinds import CONDITIONS

    return list(
        LogEntry.objects.filter(CONDITIONS[kind], **filters)
        .select_related("content_type", "actor")
        .order_by("pk")
    )


def recent(entry: LogEntry) -> bool:
    return abs(entry.timestamp - timezone.now()) < datetime.timedelta(minutes=1)


# Changes -----------------------------------------------------------------------------------


def test_a_special_group_change_in_the_admin_is_logged_with_who_and_when(
    login: Any, city: City
) -> None:
    home = city.north_home_2
    response = login(city.admin).post(
        f"/admin/grid/household/{home.pk}/change/",
        {
            "building": home.building_id,
            "station_area": home.station_area_id,
            "account_no": home.account_no,
            "unit": home.unit,
            "room": home.room,
            "address": home.address,
            "holder_name": home.holder_name,
            "phone": home.phone,
            "special_group": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    [entry] = entries_of(Kind.SPECIAL_GROUP_CHANGE, object_id=home.pk)
    assert entry.actor == city.admin
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes_dict == {"special_group": ["False", "True"]}
    assert entry.object_repr == home.account_no
    assert recent(entry)
    assert list(home.history.all()) == [entry]  # AuditlogHistoryField


def test_other_household_changes_and_plain_households_are_not_logged(city: City) -> None:
    home = city.north_home
    home.phone = "13811112222"
    home.save(update_fields=["phone"])
    Household.objects.create(
        building=city.north_building, account_no="3400000099", room="109", address="x"
    )
    assert entries_of(Kind.SPECIAL_GROUP_CHANGE) == []

    special = Household.objects.create(
        building=city.north_building,
        account_no="3400000098",
        room="108",
        address="x",
        special_group=True,
    )
    [entry] = entries_of(Kind.SPECIAL_GROUP_CHANGE)
    assert (entry.object_id, entry.action, entry.actor) == (
        special.pk,
        LogEntry.Action.CREATE,
        None,
    )


def test_role_changes_are_logged_with_the_roles_added_and_removed(city: City) -> None:
    supervisor = Role.objects.get(code=RoleCode.SUPERVISOR)
    LogEntry.objects.all().delete()  # the city's own creation
    with set_actor(city.admin):
        city.manager.roles.add(supervisor)
        city.manager.roles.remove(supervisor)
        city.manager.is_superuser = True
        city.manager.save()
    added, removed, promoted = entries_of(Kind.ROLE, object_id=city.manager.pk)
    assert {e.actor for e in (added, removed, promoted)} == {city.admin}
    assert added.changes_dict["roles"]["operation"] == "add"
    assert removed.changes_dict["roles"]["operation"] == "delete"
    assert added.changes_dict["roles"]["objects"] == [str(supervisor)]
    assert promoted.changes_dict == {"is_superuser": ["False", "True"]}


def test_a_login_writes_no_role_entry(client: Client, city: City) -> None:
    before = len(entries_of(Kind.ROLE))
    client.post("/accounts/login/", {"username": "manager", "password": "wudian-demo"})
    assert len(entries_of(Kind.ROLE)) == before


def test_assignment_changes_are_logged_with_their_place_even_once_deleted(city: City) -> None:
    with set_actor(city.admin):
        assignment = CompoundAssignment.objects.create(
            user=city.electrician_b, compound=city.north, role=RoleCode.ELECTRICIAN
        )
        pk = assignment.pk
        assignment.delete()
    created, deleted = entries_of(Kind.ASSIGNMENT, object_id=pk)
    assert (created.action, deleted.action) == (LogEntry.Action.CREATE, LogEntry.Action.DELETE)
    assert created.actor == deleted.actor == city.admin
    assert created.additional_data == deleted.additional_data == {"compound": city.north.pk}
    assert recent(deleted)


def test_open311_keys_are_logged_without_their_digest(city: City) -> None:
    with set_actor(city.admin):
        key, _secret = open311_key_issue(name="市政热线", key="a-secret-key")
    [entry] = entries_of(Kind.OPEN311_KEY, object_id=key.pk)
    assert entry.actor == city.admin
    assert entry.action == LogEntry.Action.CREATE
    assert "digest" not in entry.changes_dict
    assert entry.changes_dict["name"] == ["None", "市政热线"]


def test_the_compounds_a_key_may_file_for_are_logged_when_they_change(city: City) -> None:
    key, _secret = open311_key_issue(name="市政热线", organisation="市民热线中心")
    with set_actor(city.admin):
        key.compounds.add(city.north)
    entry = entries_of(Kind.OPEN311_KEY, object_id=key.pk)[-1]
    assert entry.actor == city.admin
    assert entry.changes_dict["compounds"]["operation"] == "add"
    assert entry.changes_dict["compounds"]["objects"] == [str(city.north)]


def test_the_actor_of_an_api_call_is_the_bearer_tokens_user(city: City) -> None:
    """The middleware reads the actor when the entry is written: the API authenticates a
    bearer token after the middleware has run."""

    def view(request: HttpRequest) -> HttpResponse:
        request.user = city.manager  # what the API's bearer authentication does
        DistrictAssignment.objects.create(user=city.manager, district=city.district)
        return HttpResponse()

    LogEntry.objects.all().delete()  # the city's own creation
    request = RequestFactory().get("/api/v1/anything", REMOTE_ADDR="10.1.2.3")
    request.user = AnonymousUser()
    AuditActorMiddleware(view)(request)
    [entry] = entries_of(Kind.ASSIGNMENT, additional_data__district=city.district.pk)
    assert entry.actor == city.manager
    assert entry.remote_addr == "10.1.2.3"


def test_a_forwarded_header_does_not_set_the_logged_address(city: City) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        DistrictAssignment.objects.create(user=city.manager, district=city.district)
        return HttpResponse()

    LogEntry.objects.all().delete()  # the city's own creation
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6")
    request.user = city.admin
    AuditActorMiddleware(view)(request)
    [entry] = entries_of(Kind.ASSIGNMENT, additional_data__district=city.district.pk)
    assert (entry.actor, entry.remote_addr) == (city.admin, "10.1.2.3")


# Reads -------------------------------------------------------------------------------------


def special(city: City) -> Household:
    home = city.north_home
    Household.objects.filter(pk=home.pk).update(special_group=True)
    home.refresh_from_db()
    return home


def test_reads_are_written_in_one_insert(city: City) -> None:
    homes = list(Household.objects.all())
    with CaptureQueriesContext(connection) as queries:
        assert special_group_reads_record(viewer=city.manager, households=homes + homes) == 3
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    reads = entries_of(Kind.SPECIAL_GROUP_READ)
    assert sorted(e.object_id for e in reads) == sorted(h.pk for h in homes)
    assert {e.actor for e in reads} == {city.manager}
    assert all(recent(e) for e in reads)


def test_nothing_is_written_for_an_empty_page_or_an_anonymous_viewer(city: City) -> None:
    assert special_group_reads_record(viewer=city.manager, households=[]) == 0
    assert special_group_reads_record(viewer=AnonymousUser(), households=[city.north_home]) == 0  # type: ignore[arg-type]
    assert entries_of(Kind.SPECIAL_GROUP_READ) == []


def test_the_call_list_logs_who_was_shown_which_households(login: Any, city: City) -> None:
    home = special(city)
    CallTask.objects.create(
        assignee=city.electrician, household=home, event_key="outage:1", reason="停电"
    )
    assert login(city.electrician).get("/desk/calls/").status_code == 200
    [entry] = entries_of(Kind.SPECIAL_GROUP_READ)
    assert (entry.actor, entry.object_id) == (city.electrician, home.pk)


def test_a_priority_requests_detail_logs_the_staff_reader_not_the_resident(
    login: Any, city: City
) -> None:
    home = special(city)
    response = post(
        api(city.resident),
        "/api/v1/workorders",
        {"category": "fault_behind_meter", "description": "插座没电", "household_id": home.pk},
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["priority"] is True
    assert api(city.resident).get(f"/api/v1/workorders/{pk}").status_code == 200
    assert entries_of(Kind.SPECIAL_GROUP_READ) == []

    assert api(city.manager).get(f"/api/v1/workorders/{pk}").status_code == 200
    assert login(city.supervisor).get(f"/desk/requests/{pk}/").status_code == 200
    readers = [(e.actor, e.object_id) for e in entries_of(Kind.SPECIAL_GROUP_READ)]
    assert readers == [(city.manager, home.pk), (city.supervisor, home.pk)]


def test_request_lists_log_the_households_of_their_priority_rows(login: Any, city: City) -> None:
    home = special(city)
    for household in (home, city.north_home_2):
        response = post(
            api(city.resident if household == home else city.manager),
            "/api/v1/workorders",
            {
                "category": "fault_behind_meter",
                "description": "插座没电",
                "household_id": household.pk,
            },
        )
        assert response.status_code == 201, response.content
    assert entries_of(Kind.SPECIAL_GROUP_READ) == []

    assert api(city.resident).get("/api/v1/workorders").status_code == 200
    assert entries_of(Kind.SPECIAL_GROUP_READ) == []
    assert api(city.manager).get("/api/v1/workorders").status_code == 200
    assert login(city.supervisor).get("/desk/requests/?tab=all").status_code == 200
    readers = [(e.actor, e.object_id, e.object_repr) for e in entries_of(Kind.SPECIAL_GROUP_READ)]
    assert readers == [
        (city.manager, home.pk, home.account_no),
        (city.supervisor, home.pk, home.account_no),
    ]


def test_the_admins_household_form_logs_its_reading(login: Any, city: City) -> None:
    assert (
        login(city.admin).get(f"/admin/grid/household/{city.north_home.pk}/change/").status_code
        == 200
    )
    [entry] = entries_of(Kind.SPECIAL_GROUP_READ)
    assert (entry.actor, entry.object_id) == (city.admin, city.north_home.pk)


# The page ----------------------------------------------------------------------------------


@pytest.fixture
def logged(city: City) -> dict[str, LogEntry]:
    """One entry of each kind, by the admin; the manager's read; the district assignment is
    in a district of its own (not the supervisor's)."""
    far_district = District.objects.create(code="D2", name="龙子湖区", city="蚌埠市")
    with set_actor(city.admin):
        Household.objects.get(pk=city.north_home.pk).save()  # no change: no entry
        home = city.north_home
        home.special_group = True
        home.save(update_fields=["special_group"])
        CompoundAssignment.objects.create(
            user=city.electrician_b, compound=city.north, role=RoleCode.ELECTRICIAN
        )
        DistrictAssignment.objects.create(user=city.manager, district=far_district)
        city.staff.roles.add(Role.objects.get(code=RoleCode.GRID_ADMIN))
        open311_key_issue(name="市政热线", key="a-secret-key")
    special_group_reads_record(viewer=city.manager, households=[home])
    by_kind = {kind_of(e): e for e in LogEntry.objects.select_related("content_type")}
    return {str(kind): entry for kind, entry in by_kind.items() if kind is not None}


def far_id(logged: dict[str, LogEntry]) -> int:
    return District.objects.get(code="D2").pk


def shown(client: Client, url: str = PAGE) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {row.entry.pk for row in response.context["rows"]}


def test_the_supervisor_sees_their_districts_entries_newest_first(
    login: Any, city: City, logged: dict[str, LogEntry]
) -> None:
    client = login(city.supervisor)
    response = client.get(PAGE)
    pks = [row.entry.pk for row in response.context["rows"]]
    kinds = {row.kind for row in response.context["rows"]}
    assert kinds == {Kind.SPECIAL_GROUP_READ, Kind.SPECIAL_GROUP_CHANGE, Kind.ASSIGNMENT}
    assert pks == sorted(pks, reverse=True)
    # Role and Open311-key entries concern no place; the far district is not theirs.
    assert logged["role"].pk not in pks
    assert logged["open311_key"].pk not in pks
    assert logged["assignment"].pk in pks
    assert not LogEntry.objects.filter(
        pk__in=pks, additional_data__district=far_id(logged)
    ).exists()
    body = response.content.decode()
    assert zh("Audit log") in body
    assert city.north_home.account_no in body


def test_the_admin_sees_every_kind(login: Any, city: City, logged: dict[str, LogEntry]) -> None:
    pks = shown(login(city.admin))
    assert {e.pk for e in logged.values()} <= pks


def test_a_supervisor_of_another_district_sees_none_of_them(
    login: Any, city: City, logged: dict[str, LogEntry]
) -> None:
    last = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    other = make_user("supervisor_far", RoleCode.SUPERVISOR)
    far = District.objects.create(code="D3", name="淮上区", city="蚌埠市")
    DistrictAssignment.objects.create(user=other, district=far)
    # Only the entry of their own assignment, written after all of these.
    assert all(pk > last for pk in shown(login(other)))


@pytest.mark.parametrize("who", ["electrician", "resident", "manager", "dept", "outsider"])
def test_everyone_else_is_refused(
    login: Any, city: City, logged: dict[str, LogEntry], who: str
) -> None:
    response = login(getattr(city, who)).get(PAGE)
    assert response.status_code == 403
    assert city.north_home.account_no not in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client: Client, logged: dict[str, LogEntry]) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_filters_by_kind_person_and_date(
    login: Any, city: City, logged: dict[str, LogEntry]
) -> None:
    client = login(city.admin)
    assert shown(client, f"{PAGE}?kind=special_group_read") == {logged["special_group_read"].pk}
    assert shown(client, f"{PAGE}?kind=open311_key") == {logged["open311_key"].pk}
    assert shown(client, f"{PAGE}?who=manager") == {logged["special_group_read"].pk}
    assert shown(client, f"{PAGE}?who=李经理&kind=role") == set()
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    assert shown(client, f"{PAGE}?since={today}&until={today}") >= {e.pk for e in logged.values()}
    assert shown(client, f"{PAGE}?since={tomorrow}") == set()


def test_bad_filters_are_told_in_chinese_with_a_422(
    login: Any, city: City, logged: dict[str, LogEntry]
) -> None:
    client = login(city.admin)
    response = client.get(f"{PAGE}?since=2026-13-01")
    assert response.status_code == 422
    assert response.context["rows"] == []
    response = client.get(f"{PAGE}?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 422
    assert zh("The end date is before the start date.") in response.content.decode()


def test_the_page_takes_a_fixed_number_of_queries(
    login: Any, city: City, logged: dict[str, LogEntry]
) -> None:
    client = login(city.supervisor)
    with CaptureQueriesContext(connection) as first:
        client.get(PAGE)
    with set_actor(city.admin):
        for i in range(10):
            CompoundAssignment.objects.create(
                user=make_user(f"e{i}", RoleCode.ELECTRICIAN),
                compound=city.north,
                role=RoleCode.ELECTRICIAN,
            )
    with CaptureQueriesContext(connection) as more:
        client.get(PAGE)
    assert len(more) == len(first)


# Nobody edits or deletes an entry -----------------------------------------------------------


def test_the_page_takes_no_writes(login: Any, city: City, logged: dict[str, LogEntry]) -> None:
    count = LogEntry.objects.count()
    for who in (city.admin, city.supervisor):
        assert login(who).post(PAGE, {"delete": "1"}).status_code == 405
    assert LogEntry.objects.count() == count


def test_the_admin_shows_entries_to_superusers_read_only(
    login: Any, city: City, logged: dict[str, LogEntry]
) -> None:
    entry = logged["special_group_change"]
    before = LogEntry.objects.filter(pk=entry.pk).values().get()
    count = LogEntry.objects.count()
    client = login(city.admin)
    assert client.get("/admin/auditlog/logentry/").status_code == 200
    assert client.get(f"/admin/auditlog/logentry/{entry.pk}/change/").status_code == 200
    assert client.post(f"/admin/auditlog/logentry/{entry.pk}/change/", {}).status_code == 403
    assert (
        client.post(f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = client.post(
        "/admin/auditlog/logentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302, 403)
    assert client.get("/admin/auditlog/logentry/add/").status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).values().get() == before
    assert LogEntry.objects.count() == count


def test_staff_who_are_not_superusers_do_not_see_the_entries_in_the_admin(
    login: Any, city: City, logged: dict[str, LogEntry]
) -> None:
    User.objects.filter(pk=city.supervisor.pk).update(is_staff=True)
    city.supervisor.refresh_from_db()
    response = login(city.supervisor).get("/admin/auditlog/logentry/")
    assert response.status_code == 403


def test_the_desk_links_the_log_for_those_who_may_read_it(login: Any, city: City) -> None:
    assert "/desk/audit/" in login(city.supervisor).get("/desk/").content.decode()
    assert "/desk/audit/" not in login(city.manager).get("/desk/").content.decode()


def test_the_call_list_adds_one_query_for_its_reads_however_many_calls(
    login: Any, city: City
) -> None:
    home = special(city)
    client = login(city.electrician)
    CallTask.objects.create(
        assignee=city.electrician, household=home, event_key="e:0", reason="停电"
    )
    with CaptureQueriesContext(connection) as one:
        client.get("/desk/calls/")
    homes = [
        Household.objects.create(
            building=city.north_building,
            account_no=f"34100000{i:02d}",
            room=f"9{i:02d}",
            address="x",
        )
        for i in range(30)
    ]
    for i, other in enumerate(homes):
        CallTask.objects.create(
            assignee=city.electrician, household=other, event_key=f"e:{i + 1}", reason="停电"
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/desk/calls/")
    assert len(many) == len(one)
    assert sum(q["sql"].startswith("INSERT") for q in many.captured_queries) == 1
    assert (
        LogEntry.objects.filter(actor=city.electrician, action=LogEntry.Action.ACCESS).count() == 32
    )
