"""Outage pages: the staff list, the new-outage form and its reach preview, one outage with
its actions, and residents' notices and acknowledgements on /me/ and the compound window."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wudian.conftest import City, snapshot
from wudian.core.models import ServiceRule
from wudian.grid.models import HouseholdMembership
from wudian.notify.delivery import outbox_deliver
from wudian.notify.models import Message
from wudian.outages import services
from wudian.outages.models import AffectedHousehold, Outage, OutageEvent
from wudian.outages.tests.conftest import SAVED

LOCAL = "%Y-%m-%dT%H:%M"


def local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime(LOCAL)


def in_days(days: float, hour: int = 9) -> datetime.datetime:
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def publish_north(city: City, *, kind: str = "planned", days: float = 10, **extra: Any) -> Outage:
    start = in_days(days) if kind != "fault" else timezone.now() - datetime.timedelta(minutes=30)
    return services.outage_create(
        by=city.manager,
        kind=kind,
        title=extra.pop("title", "北苑小区1号楼线路检修"),
        reason="更换老旧开关",
        start=start,
        end=start + datetime.timedelta(hours=6),
        compounds=[city.north],
        **extra,
    )


def new_outage_data(city: City, **overrides: Any) -> dict[str, Any]:
    start = in_days(10)
    data: dict[str, Any] = {
        "kind": "planned",
        "title": "北苑小区计划检修",
        "reason": "更换10kV涂山线开关",
        "start": local(start),
        "end": local(start + datetime.timedelta(hours=8)),
        "compounds": [city.north.pk],
        "action": "publish",
    }
    data.update(overrides)
    return data


# The list ----------------------------------------------------------------------------------


def test_list_shows_outages_of_the_managers_compounds_only(login: Any, city: City) -> None:
    publish_north(city)
    services.outage_create(
        by=city.manager_b,
        kind="planned",
        title="南苑小区检修",
        reason="检修",
        start=in_days(12),
        end=in_days(12, hour=15),
        compounds=[city.south],
    )
    response = login(city.manager).get("/desk/outages/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "北苑小区1号楼线路检修" in body
    assert "南苑小区检修" not in body
    assert 'href="/desk/outages/new/"' in body


def test_list_filters_by_state_kind_and_compound(login: Any, city: City) -> None:
    publish_north(city, title="已发布的检修")
    publish_north(city, title="草稿检修", days=20, publish=False)
    client = login(city.manager)
    body = client.get("/desk/outages/?state=draft").content.decode()
    assert "草稿检修" in body
    assert "已发布的检修" not in body
    body = client.get("/desk/outages/?kind=fault").content.decode()
    assert "草稿检修" not in body
    assert "已发布的检修" not in body
    body = client.get("/desk/outages/?compound=NORTH").content.decode()
    assert "草稿检修" in body
    assert "已发布的检修" in body


def test_list_refuses_unknown_filters_and_compounds_outside_scope(login: Any, city: City) -> None:
    publish_north(city)
    client = login(city.manager)
    assert client.get("/desk/outages/?state=exploded").status_code == 400
    response = client.get("/desk/outages/?compound=SOUTH")
    assert response.status_code == 400
    assert "北苑小区1号楼线路检修" not in response.content.decode()


def test_list_is_staff_only(client: Client, login: Any, city: City) -> None:
    assert client.get("/desk/outages/").status_code == 302
    assert login(city.resident).get("/desk/outages/").status_code == 403


def test_list_query_count_does_not_grow(login: Any, city: City) -> None:
    publish_north(city)
    client = login(city.manager)
    with CaptureQueriesContext(connection) as before:
        client.get("/desk/outages/")
    for i in range(4):
        publish_north(city, title=f"检修{i}", days=20 + i * 2)
    with CaptureQueriesContext(connection) as after:
        body = client.get("/desk/outages/").content.decode()
    assert "检修3" in body
    assert len(after) == len(before)


def test_electrician_sees_the_list_but_not_the_new_button(login: Any, city: City) -> None:
    publish_north(city)
    response = login(city.electrician).get("/desk/outages/")
    assert response.status_code == 200
    assert "北苑小区1号楼线路检修" in response.content.decode()
    assert 'href="/desk/outages/new/"' not in response.content.decode()
    assert login(city.electrician).get("/desk/outages/new/").status_code == 403


# A new outage ---------------------------------------------------------------------------------


def test_new_form_offers_only_the_managers_compounds(login: Any, city: City) -> None:
    response = login(city.manager).get("/desk/outages/new/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'type="datetime-local"' in body
    assert "北苑小区" in body
    assert "南苑小区" not in body
    assert 'name="override_reason"' not in body
    assert 'hx-post="/desk/outages/preview/"' in body


def test_new_form_states_the_configured_notice_periods(login: Any, city: City) -> None:
    ServiceRule.objects.update_or_create(
        key="outage.planned.notice_days", defaults={"value": Decimal("10")}
    )
    body = login(city.manager).get("/desk/outages/new/").content.decode()
    hint = re.search(r"</h1>\s*<p class=\"muted\">([^<]*)</p>", body)
    assert hint is not None
    assert re.search(r"\b10\b", hint[1])
    assert not re.search(r"\b7\b.*\b7\b", hint[1])  # planned no longer says 7
    # A 9-day notice is now too short.
    before = snapshot(*SAVED)
    response = login(city.manager).post(
        "/desk/outages/new/",
        new_outage_data(
            city, start=local(in_days(9)), end=local(in_days(9) + datetime.timedelta(hours=2))
        ),
    )
    assert response.status_code == 422
    assert snapshot(*SAVED) == before


def test_new_form_offers_supervisors_the_override(login: Any, city: City) -> None:
    body = login(city.supervisor).get("/desk/outages/new/").content.decode()
    assert 'name="override_reason"' in body
    assert "南苑小区" in body


def test_publishing_a_new_outage_reaches_the_households(login: Any, city: City) -> None:
    response = login(city.manager).post("/desk/outages/new/", new_outage_data(city))
    outage = Outage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/outages/{outage.pk}/"
    assert outage.state == Outage.State.PUBLISHED
    assert timezone.localtime(outage.start).hour == 9
    assert set(outage.affected.values_list("household_id", flat=True)) == {
        city.north_home.pk,
        city.north_home_2.pk,
    }


def test_saving_a_draft_notifies_nobody(login: Any, city: City) -> None:
    login(city.manager).post("/desk/outages/new/", new_outage_data(city, action="draft"))
    outage = Outage.objects.get()
    assert outage.state == Outage.State.DRAFT
    assert not outage.affected.exists()


def test_too_short_notice_is_refused_naming_the_rule(login: Any, city: City) -> None:
    before = snapshot(*SAVED)
    start = in_days(1)
    data = new_outage_data(city, start=local(start), end=local(start + datetime.timedelta(hours=4)))
    response = login(city.manager).post("/desk/outages/new/", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="refusal"' in body
    assert "电力供应与使用条例" in body
    assert "北苑小区计划检修" in body  # the form keeps what was typed
    assert snapshot(*SAVED) == before


def test_supervisor_overrides_the_notice_with_a_reason(login: Any, city: City) -> None:
    start = in_days(1)
    data = new_outage_data(
        city,
        start=local(start),
        end=local(start + datetime.timedelta(hours=4)),
        override_reason="变压器渗油，须尽快检修",
    )
    response = login(city.supervisor).post("/desk/outages/new/", data)
    assert response.status_code == 302
    outage = Outage.objects.get()
    assert outage.lead_time_override_reason == "变压器渗油，须尽快检修"
    assert outage.lead_time_overridden_by == city.supervisor


def test_manager_cannot_slip_in_an_override(login: Any, city: City) -> None:
    before = snapshot(*SAVED)
    start = in_days(1)
    data = new_outage_data(
        city,
        start=local(start),
        end=local(start + datetime.timedelta(hours=4)),
        override_reason="我说了算",
    )
    assert login(city.manager).post("/desk/outages/new/", data).status_code == 422
    assert snapshot(*SAVED) == before


def test_reversed_times_are_refused(login: Any, city: City) -> None:
    before = snapshot(*SAVED)
    start = in_days(10)
    data = new_outage_data(city, start=local(start), end=local(start - datetime.timedelta(hours=1)))
    response = login(city.manager).post("/desk/outages/new/", data)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()
    assert snapshot(*SAVED) == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"kind": "blackout"},
        {"start": "tomorrow"},
        {"title": ""},
        {"compounds": ["not-a-number"]},
        {"household": "9999999999"},
    ],
)
def test_bad_input_is_refused(login: Any, city: City, overrides: dict[str, Any]) -> None:
    before = snapshot(*SAVED)
    response = login(city.manager).post("/desk/outages/new/", new_outage_data(city, **overrides))
    assert response.status_code == 422
    assert snapshot(*SAVED) == before


def test_compound_outside_scope_is_refused(login: Any, city: City) -> None:
    before = snapshot(*SAVED)
    data = new_outage_data(city, compounds=[city.south.pk])
    assert login(city.manager).post("/desk/outages/new/", data).status_code == 422
    assert snapshot(*SAVED) == before


def test_station_area_reaching_another_compound_is_refused(login: Any, city: City) -> None:
    before = snapshot(*SAVED)
    # TA1 also feeds a household of 南苑小区, which manager does not serve.
    data = new_outage_data(city, compounds=[], station_areas=[city.station_area.pk])
    response = login(city.manager).post("/desk/outages/new/", data)
    assert response.status_code == 403
    assert "南苑小区" in response.content.decode()
    assert snapshot(*SAVED) == before


def test_residents_and_electricians_cannot_publish(login: Any, city: City) -> None:
    before = snapshot(*SAVED)
    for user in (city.resident, city.electrician):
        assert login(user).post("/desk/outages/new/", new_outage_data(city)).status_code == 403
    assert snapshot(*SAVED) == before


def test_preview_counts_households_and_compounds(login: Any, city: City) -> None:
    client = login(city.manager)
    response = client.post("/desk/outages/preview/", {"compounds": [city.north.pk]})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-households="2"' in body
    assert 'data-compounds="1"' in body
    assert "<html" not in body  # a fragment for htmx
    body = (
        login(city.supervisor)
        .post("/desk/outages/preview/", {"station_areas": [city.station_area.pk]})
        .content.decode()
    )
    assert 'data-households="3"' in body
    assert 'data-compounds="2"' in body


def test_preview_of_a_station_area_also_feeding_another_managers_compound_is_refused(
    login: Any, city: City
) -> None:
    """TA1 is listed for north (so the manager may choose it) but also feeds the south
    household: its count is not the north manager's to see, as publishing it is refused."""
    response = login(city.manager).post(
        "/desk/outages/preview/", {"station_areas": [city.station_area.pk]}
    )

    assert response.status_code == 403
    body = response.content.decode()
    assert "data-households" not in body
    assert "南苑小区" in body


def test_preview_without_scope_asks_for_one(login: Any, city: City) -> None:
    body = login(city.manager).post("/desk/outages/preview/", {}).content.decode()
    assert "data-households" not in body
    assert 'id="preview"' in body


def test_preview_refuses_compounds_outside_scope(login: Any, city: City) -> None:
    response = login(city.manager).post("/desk/outages/preview/", {"compounds": [city.south.pk]})
    assert response.status_code == 422
    assert "data-households" not in response.content.decode()


# One outage ------------------------------------------------------------------------------------


def test_detail_shows_timeline_reach_and_links(login: Any, city: City) -> None:
    outage = publish_north(city)
    response = login(city.manager).get(f"/desk/outages/{outage.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "北苑小区1号楼线路检修" in body
    assert 'id="timeline"' in body
    assert 'id="reach"' in body
    assert 'id="buildings"' in body
    assert f'href="/feeds/outages/{outage.pk}/notice.pdf"' in body
    assert f'href="/feeds/cap/{outage.pk}.xml"' in body
    assert 'href="/feeds/outages/NORTH.ics"' in body
    assert f'action="/desk/outages/{outage.pk}/postpone/"' in body
    assert f'action="/desk/outages/{outage.pk}/estimate/"' not in body  # faults only


def test_detail_outside_scope_is_404(login: Any, city: City) -> None:
    outage = publish_north(city)
    for user in (city.manager_b, city.electrician_b):
        assert login(user).get(f"/desk/outages/{outage.pk}/").status_code == 404
    assert login(city.resident).get(f"/desk/outages/{outage.pk}/").status_code == 403
    assert login(city.manager).get("/desk/outages/999999/").status_code == 404


def test_detail_query_count_does_not_grow_with_events(login: Any, city: City) -> None:
    outage = publish_north(city)
    client = login(city.manager)
    with CaptureQueriesContext(connection) as before:
        client.get(f"/desk/outages/{outage.pk}/")
    services.outage_postpone(
        outage=outage, by=city.manager, start=in_days(11), end=in_days(11, 15), note="天气原因"
    )
    services.outage_change(outage=outage, by=city.manager, note="改标题", title="新的标题")
    with CaptureQueriesContext(connection) as after:
        client.get(f"/desk/outages/{outage.pk}/")
    assert len(after) == len(before)


def test_postpone_moves_the_outage_and_notes_it(login: Any, city: City) -> None:
    outage = publish_north(city)
    start = in_days(14)
    response = login(city.manager).post(
        f"/desk/outages/{outage.pk}/postpone/",
        {
            "postpone-start": local(start),
            "postpone-end": local(start + datetime.timedelta(hours=5)),
            "postpone-note": "施工队伍调整",
        },
    )
    assert response.status_code == 302
    outage.refresh_from_db()
    assert outage.state == Outage.State.POSTPONED
    assert outage.start == start
    assert outage.events.filter(kind=OutageEvent.Kind.POSTPONED, note="施工队伍调整").exists()


def test_postponing_earlier_is_refused_and_changes_nothing(login: Any, city: City) -> None:
    outage = publish_north(city)
    before = snapshot(outage)
    start = in_days(9)
    response = login(city.manager).post(
        f"/desk/outages/{outage.pk}/postpone/",
        {
            "postpone-start": local(start),
            "postpone-end": local(start + datetime.timedelta(hours=5)),
            "postpone-note": "提前",
        },
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()
    assert snapshot(outage) == before


def test_change_without_touching_times_keeps_them(login: Any, city: City) -> None:
    outage = publish_north(city)
    response = login(city.manager).post(
        f"/desk/outages/{outage.pk}/change/",
        {
            "change-title": "北苑小区1号楼开关更换",
            "change-reason": outage.reason,
            "change-start": local(outage.start),
            "change-end": local(outage.end),
            "change-note": "标题更准确",
        },
    )
    assert response.status_code == 302
    before_start = outage.start
    outage.refresh_from_db()
    assert outage.title == "北苑小区1号楼开关更换"
    assert outage.start == before_start
    assert outage.state == Outage.State.CHANGED


def test_cancel_needs_a_reason(login: Any, city: City) -> None:
    outage = publish_north(city)
    before = snapshot(outage)
    client = login(city.manager)
    assert client.post(f"/desk/outages/{outage.pk}/cancel/", {}).status_code == 422
    assert snapshot(outage) == before
    response = client.post(f"/desk/outages/{outage.pk}/cancel/", {"cancel-note": "工程取消"})
    assert response.status_code == 302
    outage.refresh_from_db()
    assert outage.state == Outage.State.CANCELLED
    body = client.get(f"/desk/outages/{outage.pk}/").content.decode()
    assert f'action="/desk/outages/{outage.pk}/postpone/"' not in body


def test_fault_estimate_and_restore(login: Any, city: City) -> None:
    outage = publish_north(city, kind="fault")
    client = login(city.manager)
    body = client.get(f"/desk/outages/{outage.pk}/").content.decode()
    assert f'action="/desk/outages/{outage.pk}/estimate/"' in body
    estimate = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(hours=3)
    response = client.post(
        f"/desk/outages/{outage.pk}/estimate/",
        {"estimate-estimated_restoration": local(estimate), "estimate-note": "抢修中"},
    )
    assert response.status_code == 302
    outage.refresh_from_db()
    assert outage.estimated_restoration == estimate
    response = client.post(f"/desk/outages/{outage.pk}/restore/", {})
    assert response.status_code == 302
    outage.refresh_from_db()
    assert outage.state == Outage.State.RESTORED
    assert outage.restored_at is not None


def test_restoring_in_the_future_is_refused(login: Any, city: City) -> None:
    outage = publish_north(city, kind="fault")
    before = snapshot(outage)
    response = login(city.manager).post(
        f"/desk/outages/{outage.pk}/restore/",
        {"restore-at": local(timezone.now() + datetime.timedelta(days=1))},
    )
    assert response.status_code == 422
    assert snapshot(outage) == before


def test_publishing_a_draft_from_the_detail_page(login: Any, city: City) -> None:
    outage = publish_north(city, publish=False)
    client = login(city.manager)
    assert (
        f'action="/desk/outages/{outage.pk}/publish/"'
        in client.get(f"/desk/outages/{outage.pk}/").content.decode()
    )
    assert client.post(f"/desk/outages/{outage.pk}/publish/", {}).status_code == 302
    outage.refresh_from_db()
    assert outage.state == Outage.State.PUBLISHED
    assert outage.affected.count() == 2


def test_actions_outside_scope_are_404_and_change_nothing(login: Any, city: City) -> None:
    outage = publish_north(city)
    before = snapshot(outage)
    client = login(city.manager_b)
    for action, data in [
        ("cancel", {"cancel-note": "x"}),
        ("restore", {}),
        ("publish", {}),
    ]:
        assert client.post(f"/desk/outages/{outage.pk}/{action}/", data).status_code == 404
    assert snapshot(outage) == before


def test_electrician_may_look_but_not_act(login: Any, city: City) -> None:
    outage = publish_north(city)
    before = snapshot(outage)
    client = login(city.electrician)
    body = client.get(f"/desk/outages/{outage.pk}/").content.decode()
    assert f'action="/desk/outages/{outage.pk}/cancel/"' not in body
    response = client.post(f"/desk/outages/{outage.pk}/cancel/", {"cancel-note": "不想停"})
    assert response.status_code == 403
    assert snapshot(outage) == before


def test_unknown_action_is_404(login: Any, city: City) -> None:
    outage = publish_north(city)
    assert login(city.manager).post(f"/desk/outages/{outage.pk}/explode/").status_code == 404


# Residents ------------------------------------------------------------------------------------


def test_resident_sees_the_outage_and_acknowledges_it(login: Any, city: City) -> None:
    outage = publish_north(city)
    client = login(city.resident)
    body = client.get("/me/").content.decode()
    assert "北苑小区1号楼线路检修" in body
    assert f'action="/me/outages/{outage.pk}/acknowledge/"' in body
    response = client.post(
        f"/me/outages/{outage.pk}/acknowledge/", {"household": city.north_home.pk}
    )
    assert response.status_code == 302
    row = AffectedHousehold.objects.get(outage=outage, household=city.north_home)
    assert row.acknowledged_at is not None
    assert row.acknowledged_by == city.resident
    body = client.get("/me/").content.decode()
    assert f'action="/me/outages/{outage.pk}/acknowledge/"' not in body
    assert "ack-done" in body


def test_resident_cannot_acknowledge_an_outage_of_another_home(login: Any, city: City) -> None:
    outage = publish_north(city)
    before = snapshot(outage, *outage.affected.all())
    client = login(city.resident_b)
    assert "北苑小区1号楼线路检修" not in client.get("/me/").content.decode()
    for household in (city.north_home.pk, city.south_home.pk, "x", ""):
        response = client.post(f"/me/outages/{outage.pk}/acknowledge/", {"household": household})
        assert response.status_code == 404
    # A resident of the compound, but not of that household.
    client = login(city.resident)
    response = client.post(
        f"/me/outages/{outage.pk}/acknowledge/", {"household": city.north_home_2.pk}
    )
    assert response.status_code == 404
    assert snapshot(outage, *outage.affected.all()) == before


def test_drafts_and_ended_outages_are_not_on_me(login: Any, city: City) -> None:
    publish_north(city, title="草稿检修", publish=False)
    outage = publish_north(city, kind="fault", title="已送电的故障")
    services.outage_restore(outage=outage, by=city.manager)
    body = login(city.resident).get("/me/").content.decode()
    assert "草稿检修" not in body
    assert "已送电的故障" not in body


def test_me_query_count_does_not_grow_with_outages(login: Any, city: City) -> None:
    publish_north(city)
    client = login(city.resident)
    with CaptureQueriesContext(connection) as before:
        client.get("/me/")
    publish_north(city, title="第二次检修", days=20)
    HouseholdMembership.objects.create(user=city.resident, household=city.north_home_2)
    with CaptureQueriesContext(connection) as after:
        body = client.get("/me/").content.decode()
    assert "第二次检修" in body
    assert len(after) == len(before)


def test_window_shows_live_outages_with_calendar_link(client: Client, city: City) -> None:
    publish_north(city, title="较早的检修", days=10)
    publish_north(city, title="较晚的检修", days=20)
    publish_north(city, title="草稿检修", days=30, publish=False)
    body = client.get("/c/NORTH/").content.decode()
    assert body.index("较早的检修") < body.index("较晚的检修")  # in date order
    assert "草稿检修" not in body
    assert 'href="/feeds/outages/NORTH.ics"' in body
    assert "acknowledge" not in body
    assert "较早的检修" not in client.get("/c/SOUTH/").content.decode()


def test_window_query_count_does_not_grow_with_outages(client: Client, city: City) -> None:
    publish_north(city)
    with CaptureQueriesContext(connection) as before:
        client.get("/c/NORTH/")
    publish_north(city, title="第二次检修", days=20)
    with CaptureQueriesContext(connection) as after:
        client.get("/c/NORTH/")
    assert len(after) == len(before)


def test_desk_links_to_outages(login: Any, city: City) -> None:
    publish_north(city)
    body = login(city.manager).get("/desk/").content.decode()
    assert 'href="/desk/outages/"' in body


def test_power_restored_is_offered_only_once_the_outage_has_started(login: Any, city: City) -> None:
    ahead = publish_north(city, days=10)
    under_way = publish_north(city, kind="fault", estimated_restoration=in_days(1))
    client = login(city.manager)

    page = client.get(f"/desk/outages/{ahead.pk}/").content.decode()
    assert f"/desk/outages/{ahead.pk}/postpone/" in page
    assert f"/desk/outages/{ahead.pk}/restore/" not in page
    page = client.get(f"/desk/outages/{under_way.pk}/").content.decode()
    assert f"/desk/outages/{under_way.pk}/restore/" in page


def _titles_in_order(body: str, titles: list[str]) -> list[str]:
    return sorted(titles, key=body.index)


def test_the_acknowledgement_reads_as_an_action(login: Any, city: City) -> None:
    publish_north(city)
    body = login(city.resident).get("/me/").content.decode()
    button = re.search(r'<button type="submit" class="ack-button">([^<]*)</button>', body)
    assert button is not None
    assert button.group(1) == "我已知悉"


def test_outages_on_me_and_the_window_are_in_date_order(login: Any, city: City) -> None:
    # Published in another order than they happen.
    publish_north(city, days=20, title="第三次检修")
    publish_north(city, days=8, title="第一次检修")
    publish_north(city, days=12, title="第二次检修")
    titles = ["第一次检修", "第二次检修", "第三次检修"]
    assert _titles_in_order(login(city.resident).get("/me/").content.decode(), titles) == titles
    window = Client().get("/c/NORTH/").content.decode()
    assert _titles_in_order(window, titles) == titles


def test_a_logged_in_resident_on_the_window_gets_a_report_button(login: Any, city: City) -> None:
    body = login(city.resident).get("/c/NORTH/").content.decode()
    assert 'href="/me/requests/new/"' in body
    assert 'id="report-online" href="/me/requests/new/"' in body
    assert "/accounts/login/" not in body
    # Anonymous visitors are offered the login instead; staff their desk.
    anonymous = Client().get("/c/NORTH/").content.decode()
    assert 'href="/me/requests/new/"' not in anonymous
    assert "/accounts/login/?next=/me/" in anonymous
    staff = Client()
    staff.force_login(city.manager)
    staff_body = staff.get("/c/NORTH/").content.decode()
    assert 'href="/me/requests/new/"' not in staff_body
    assert 'class="call call-secondary" href="/desk/"' in staff_body


# The notice period, checked while the start is chosen -----------------------------------------


def _check_notice(client: Client, city: City, **data: Any) -> Any:
    payload = {"kind": "planned", "compounds": [city.north.pk], **data}
    return client.post("/desk/outages/notice-check/", payload, headers={"HX-Request": "true"})


def test_the_new_outage_page_checks_the_start_as_it_is_chosen(login: Any, city: City) -> None:
    body = login(city.manager).get("/desk/outages/new/").content.decode()
    form = body.split('id="outage-form"', 1)[1].split(">", 1)[0]
    assert 'hx-post="/desk/outages/notice-check/"' in form
    assert 'hx-target="#notice-check"' in form
    assert 'id="notice-check"' in body


def test_a_too_early_start_says_the_earliest_and_whom_to_ask(login: Any, city: City) -> None:
    city.supervisor.display_name = "周主管"
    city.supervisor.phone = "13900000009"
    city.supervisor.save(update_fields=["display_name", "phone"])
    before = snapshot(Outage, OutageEvent)
    response = _check_notice(login(city.manager), city, start=local(in_days(2)))
    assert response.status_code == 200
    body = response.content.decode()
    assert "开始时间太早" in body
    assert "至少提前 7 天通知" in body
    earliest = re.search(r'class="earliest-start">(\d{4}-\d\d-\d\d \d\d:\d\d)<', body)
    assert earliest is not None
    shown = timezone.make_aware(datetime.datetime.strptime(earliest.group(1), "%Y-%m-%d %H:%M"))
    expected = timezone.now() + datetime.timedelta(days=7)
    assert datetime.timedelta(0) <= shown - expected < datetime.timedelta(minutes=2)
    assert "周主管" in body
    assert 'href="tel:13900000009"' in body
    assert "保存为草稿" in body
    assert snapshot(Outage, OutageEvent) == before


def test_a_start_that_keeps_the_notice_period_says_so(login: Any, city: City) -> None:
    body = _check_notice(login(city.manager), city, start=local(in_days(10))).content.decode()
    assert "开始时间太早" not in body
    assert "符合提前通知期限" in body


def test_a_fault_has_no_notice_period_to_check(login: Any, city: City) -> None:
    response = _check_notice(login(city.manager), city, kind="fault", start=local(in_days(0)))
    assert response.status_code == 200
    assert "notice-check" in response.content.decode()
    assert "开始时间太早" not in response.content.decode()


def test_a_supervisor_is_told_they_may_grant_it_themselves(login: Any, city: City) -> None:
    body = _check_notice(login(city.supervisor), city, start=local(in_days(2))).content.decode()
    assert "开始时间太早" in body
    assert "您可以为这些小区批准例外" in body


def test_an_unreadable_start_is_422(login: Any, city: City) -> None:
    response = _check_notice(login(city.manager), city, start="明天早上")
    assert response.status_code == 422
    assert "请填写类型和停电开始时间" in response.content.decode()
    assert _check_notice(login(city.manager), city, start="").status_code == 200


def test_a_refused_early_outage_shows_whom_to_ask_on_the_page(login: Any, city: City) -> None:
    before = snapshot(Outage, OutageEvent)
    start = in_days(2)
    response = login(city.manager).post(
        "/desk/outages/new/",
        new_outage_data(city, start=local(start), end=local(start + datetime.timedelta(hours=4))),
    )
    assert response.status_code == 422
    body = response.content.decode()
    check = body.split('id="notice-check"', 1)[1].split('id="id_estimated_restoration"', 1)[0]
    assert "开始时间太早" in check
    assert "earliest-start" in check
    assert snapshot(Outage, OutageEvent) == before


@pytest.mark.parametrize("who", ["resident", "electrician", "outsider"])
def test_only_outage_managers_may_check_a_notice(login: Any, city: City, who: str) -> None:
    response = _check_notice(login(getattr(city, who)), city, start=local(in_days(2)))
    assert response.status_code == 403


def test_reach_tells_messages_without_a_gateway_in_words_not_as_failures(
    login: Any, city: City, settings: Any
) -> None:
    settings.NOTIFY_SMS_GATEWAY_URL = ""
    outage = publish_north(city)
    outbox_deliver(now=timezone.now() + datetime.timedelta(days=1))
    waiting = Message.objects.filter(source=f"outage:{outage.pk}", state="no_gateway").count()
    assert waiting > 0

    response = login(city.manager).get(f"/desk/outages/{outage.pk}/")

    assert response.context["reach"]["failed"] == 0
    assert response.context["reach"]["no_gateway"] == waiting
    assert f"{waiting} 条消息未发送，因为本服务器没有配置相应通道" in response.content.decode()
