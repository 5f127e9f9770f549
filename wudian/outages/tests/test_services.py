"""Outage services: the notice-period rules, scope and permissions, overlaps, the lifecycle
and its notifications, acknowledgements, and the scoped reads."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from wudian.billing.models import Reminder
from wudian.billing.services.reminders import reminder_record
from wudian.billing.tests.factories import arrears_list, reminded_arrears
from wudian.conftest import City, snapshot
from wudian.core.errors import WrongState
from wudian.core.models import ServiceRule
from wudian.grid.models import Household, HouseholdMembership
from wudian.notify.models import Failure, Message
from wudian.notify.services import render_message
from wudian.outages import services
from wudian.outages.models import AffectedHousehold, Outage
from wudian.outages.selectors import (
    outage_reach,
    outage_scope_households,
    outages_for_compound,
    outages_for_resident,
    outages_visible_to,
)
from wudian.outages.tests.conftest import SAVED, build_world, create, later


@pytest.fixture
def world(city: City) -> City:
    return build_world(city)


def messages(outage: Outage, template: str | None = None) -> int:
    rows = Message.objects.filter(source=f"outage:{outage.pk}")
    if template:
        rows = rows.filter(template=template)
    return rows.count()


# Publishing -------------------------------------------------------------------------------


def test_manager_publishes_planned_outage_to_every_household_of_the_station_area(
    world: City,
) -> None:
    outage = create(world.manager)

    assert outage.state == Outage.State.PUBLISHED
    assert outage.published_at is not None
    assert set(outage.households.values_list("account_no", flat=True)) == {
        "3400000001",
        "3400000002",
        "3400000009",
    }
    assert list(outage.events.values_list("kind", flat=True)) == ["created", "published"]
    sms = Message.objects.filter(
        source=f"outage:{outage.pk}", channel="sms", household__isnull=False
    )
    assert set(sms.values_list("address", flat=True)) == {
        "13800000001",
        "13800000002",
        "13800000009",
    }
    # The resident's inbox, and the staff of the compound (manager, electricians, staff,
    # grid admin) in theirs; nobody from the south compound.
    inbox = set(
        Message.objects.filter(source=f"outage:{outage.pk}", channel="inapp").values_list(
            "user__username", flat=True
        )
    )
    assert {"resident", "manager", "electrician", "staff", "gridadmin"} <= inbox
    assert not inbox & {"resident_b", "manager_b", "electrician_b"}
    assert not Message.objects.filter(urgent=True).exists()


def test_scope_in_buildings_compounds_and_feeders_resolves_to_households(world: City) -> None:
    def accounts(**scope: Any) -> set[str]:
        return set(outage_scope_households(**scope).values_list("account_no", flat=True))

    assert accounts(buildings=["NORTH-2"]) == {"3400000009"}
    assert accounts(compounds=[world.south]) == {"3400000003"}
    assert accounts(feeders=["F1"]) == {"3400000001", "3400000002", "3400000003", "3400000009"}
    assert accounts(station_areas=["TA1"]) == {"3400000003"}
    assert accounts() == set()


def test_household_without_station_area_counts_when_its_compound_is_fed_by_the_area(
    world: City,
) -> None:
    Household.objects.filter(account_no="3400000009").update(station_area=None)

    accounts = outage_scope_households(station_areas=["TA-N"]).values_list("account_no", flat=True)

    assert "3400000009" in set(accounts)


def test_planned_outage_with_short_notice_is_refused_naming_the_rule(world: City) -> None:
    before = snapshot(*SAVED)
    with pytest.raises(services.OutageRuleError) as refused:
        create(world.manager, start=later(days=3), end=later(days=3, hours=4))

    assert refused.value.rule == "outage.planned.notice_days"
    assert "电力供应与使用条例 第二十八条" in refused.value.messages[0]
    assert "7" in refused.value.messages[0]
    assert snapshot(*SAVED) == before


def test_notice_period_comes_from_the_configured_rule(world: City) -> None:
    ServiceRule.objects.update_or_create(key="outage.planned.notice_days", defaults={"value": 2})

    outage = create(world.manager, start=later(days=3), end=later(days=3, hours=4))

    assert outage.state == Outage.State.PUBLISHED


def test_temporary_outage_needs_a_day_of_notice(world: City) -> None:
    before = snapshot(*SAVED)
    with pytest.raises(services.OutageRuleError) as refused:
        create(world.manager, kind="temporary", start=later(hours=12), end=later(hours=14))
    assert refused.value.rule == "outage.temporary.notice_hours"
    assert snapshot(*SAVED) == before

    outage = create(world.manager, kind="temporary", start=later(hours=30), end=later(hours=32))
    assert outage.state == Outage.State.PUBLISHED


def test_fault_outage_needs_no_notice_carries_an_estimate_and_is_urgent(world: City) -> None:
    outage = create(
        world.manager,
        kind="fault",
        title="北苑小区故障停电",
        start=later(hours=-1),
        end=later(hours=2),
    )

    assert outage.state == Outage.State.PUBLISHED
    assert outage.estimated_restoration == outage.end
    rows = Message.objects.filter(source=f"outage:{outage.pk}")
    assert rows.exists()
    assert not rows.filter(urgent=False).exists()


def test_arrears_disconnection_names_one_household_and_needs_seven_days(world: City) -> None:
    reminded_arrears([world.north_home], by=world.electrician)
    before = snapshot(*SAVED)
    with pytest.raises(services.OutageRuleError) as refused:
        create(
            world.manager,
            kind="arrears",
            station_areas=[],
            household="3400000001",
            start=later(days=2),
            end=later(days=30),
        )
    assert refused.value.rule == "outage.arrears.notice_days"
    assert "第三十九条" in refused.value.messages[0]
    assert snapshot(*SAVED) == before

    with pytest.raises(ValidationError):
        create(world.manager, kind="arrears", household="3400000001")  # also a station area
    assert snapshot(*SAVED) == before

    outage = create(
        world.manager,
        kind="arrears",
        station_areas=[],
        household=world.north_home,
        start=later(days=8),
        end=later(days=40),
    )
    assert list(outage.households.all()) == [world.north_home]
    sms = Message.objects.filter(channel="sms", household__isnull=False)
    assert set(sms.values_list("address", flat=True)) == {"13800000001"}


def test_supervisor_overrides_the_notice_period_with_a_recorded_reason(world: City) -> None:
    before = snapshot(*SAVED)
    with pytest.raises(services.OutageRuleError):
        create(world.supervisor, start=later(days=2), end=later(days=2, hours=3))
    assert snapshot(*SAVED) == before

    outage = create(
        world.supervisor,
        start=later(days=2),
        end=later(days=2, hours=3),
        override_reason="迎峰度夏前必须完成的设备消缺",
    )

    outage.refresh_from_db()
    assert outage.lead_time_override_reason == "迎峰度夏前必须完成的设备消缺"
    assert outage.lead_time_overridden_by == world.supervisor
    published = outage.events.get(kind="published")
    assert published.data["override"]["rule"] == "outage.planned.notice_days"


def test_customer_manager_may_not_override_the_notice_period(world: City) -> None:
    before = snapshot(*SAVED)
    with pytest.raises(services.OutageRuleError) as refused:
        create(
            world.manager,
            start=later(days=2),
            end=later(days=2, hours=3),
            override_reason="我想提前",
        )
    assert "第二十八条" in refused.value.messages[0]
    assert snapshot(*SAVED) == before


def test_superuser_may_override_the_notice_period(world: City) -> None:
    outage = create(
        world.admin, start=later(days=1), end=later(days=1, hours=3), override_reason="抢修前置"
    )
    assert outage.lead_time_overridden_by == world.admin


# Who may publish where --------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["electrician", "staff", "gridadmin", "dept", "resident", "outsider"]
)
def test_only_managers_supervisors_and_admins_publish(world: City, who: str) -> None:
    before = snapshot(*SAVED)
    with pytest.raises(PermissionDenied):
        create(getattr(world, who))
    assert snapshot(*SAVED) == before


def test_manager_may_not_publish_outside_their_compounds(world: City) -> None:
    before = snapshot(*SAVED)
    with pytest.raises(PermissionDenied) as refused:
        create(world.manager, station_areas=[], compounds=["SOUTH"])
    assert "南苑小区" in str(refused.value)
    assert snapshot(*SAVED) == before

    # TA1 also feeds the south compound: its scope reaches outside the manager's.
    with pytest.raises(PermissionDenied):
        create(world.manager, station_areas=["TA1"])
    assert snapshot(*SAVED) == before


def test_supervisor_publishes_anywhere_in_their_district(world: City) -> None:
    outage = create(world.supervisor, station_areas=["TA1"])
    assert list(outage.households.values_list("account_no", flat=True)) == ["3400000003"]

    manager_b_outage = create(
        world.manager_b,
        station_areas=[],
        compounds=["SOUTH"],
        start=later(days=20),
        end=later(days=20, hours=2),
    )
    assert manager_b_outage.state == Outage.State.PUBLISHED


# Bad input --------------------------------------------------------------------------------


def test_reversed_times_are_refused(world: City) -> None:
    before = snapshot(*SAVED)
    start = later(days=10)
    with pytest.raises(ValidationError) as refused:
        create(world.manager, start=start, end=start)
    assert "end" in refused.value.message_dict
    assert snapshot(*SAVED) == before


def test_unknown_codes_are_refused_naming_them(world: City) -> None:
    before = snapshot(*SAVED)
    with pytest.raises(ValidationError) as refused:
        create(world.manager, station_areas=["TA-N", "TA-404"], compounds=["NOPE"])
    text = " ".join(refused.value.messages)
    assert "TA-404" in text
    assert "NOPE" in text
    assert snapshot(*SAVED) == before


def test_empty_scope_and_blank_title_are_refused(world: City) -> None:
    before = snapshot(*SAVED)
    with pytest.raises(ValidationError):
        create(world.manager, station_areas=[])
    with pytest.raises(ValidationError):
        create(world.manager, title="  ")
    assert snapshot(*SAVED) == before


def test_overlapping_outage_for_the_same_households_is_refused_naming_it(world: City) -> None:
    first = create(world.manager)
    before = snapshot(first, *SAVED)

    with pytest.raises(services.OutageConflictError) as refused:
        create(
            world.manager,
            title="2号楼线路改造",
            buildings=["NORTH-2"],
            station_areas=[],
            start=first.start + datetime.timedelta(hours=2),
            end=first.end + datetime.timedelta(hours=2),
        )

    assert refused.value.other == first
    assert first.title in refused.value.messages[0]
    assert snapshot(first, *SAVED) == before


def test_outages_at_other_times_or_after_cancellation_do_not_clash(world: City) -> None:
    first = create(world.manager)
    create(world.manager, start=first.end, end=first.end + datetime.timedelta(hours=2))
    services.outage_cancel(outage=first, by=world.manager, note="调整检修计划")

    again = create(world.manager, start=first.start, end=first.end)

    assert again.state == Outage.State.PUBLISHED


# Lifecycle --------------------------------------------------------------------------------


def test_draft_notifies_nobody_until_published(world: City) -> None:
    draft = create(world.manager, publish=False)
    assert draft.state == Outage.State.DRAFT
    assert AffectedHousehold.objects.filter(outage=draft).count() == 0
    assert messages(draft) == 0
    assert draft not in outages_for_compound(world.north)
    assert draft not in outages_visible_to(world.resident)

    published = services.outage_publish(outage=draft, by=world.manager)

    assert published.state == Outage.State.PUBLISHED
    assert AffectedHousehold.objects.filter(outage=draft).count() == 3
    assert messages(draft, "outage_published") > 0
    before = snapshot(draft)
    with pytest.raises(ValidationError):
        services.outage_publish(outage=draft, by=world.manager)
    assert snapshot(draft) == before


def test_publishing_a_draft_checks_the_notice_period_then(world: City) -> None:
    draft = create(world.manager, publish=False, start=later(days=3), end=later(days=3, hours=2))
    before = snapshot(draft, *SAVED)

    with pytest.raises(services.OutageRuleError):
        services.outage_publish(outage=draft, by=world.manager)

    assert snapshot(draft, *SAVED) == before


def test_each_step_is_an_event_bumps_the_sequence_and_notifies_everyone(world: City) -> None:
    outage = create(world.manager)
    published = messages(outage, "outage_published")
    assert published > 0

    outage = services.outage_postpone(
        outage=outage,
        by=world.manager,
        start=outage.start + datetime.timedelta(days=1),
        end=outage.end + datetime.timedelta(days=1),
        note="天气原因顺延一天",
    )
    assert (outage.state, outage.sequence) == (Outage.State.POSTPONED, 1)
    assert messages(outage, "outage_postponed") == published

    outage = services.outage_change(
        outage=outage,
        by=world.manager,
        note="缩短停电时间",
        end=outage.end - datetime.timedelta(hours=2),
    )
    assert (outage.state, outage.sequence) == (Outage.State.CHANGED, 2)
    assert messages(outage, "outage_changed") == published

    # Time passes: the outage is under way.
    Outage.objects.filter(pk=outage.pk).update(start=later(hours=-3))
    outage = services.outage_restore(outage=outage, by=world.manager, at=timezone.now())
    assert (outage.state, outage.sequence) == (Outage.State.RESTORED, 3)
    assert messages(outage, "outage_restored") == published
    assert list(outage.events.values_list("kind", flat=True)) == [
        "created",
        "published",
        "postponed",
        "changed",
        "restored",
    ]
    # Every message renders: the templates exist and use only the context given.
    for message in Message.objects.filter(source=f"outage:{outage.pk}", channel="sms"):
        title, body = render_message(message.template, message.context)
        assert outage.title in title
        assert body.strip()


def test_cancelling_notifies_everyone_and_ends_the_lifecycle(world: City) -> None:
    outage = create(world.manager)
    published = messages(outage, "outage_published")

    outage = services.outage_cancel(outage=outage, by=world.manager, note="设备已提前检修完毕")

    assert outage.state == Outage.State.CANCELLED
    assert outage.cancelled_at is not None
    assert messages(outage, "outage_cancelled") == published
    before = snapshot(outage)
    for action in (
        lambda: services.outage_cancel(outage=outage, by=world.manager, note="再次取消"),
        lambda: services.outage_restore(outage=outage, by=world.manager),
        lambda: services.outage_postpone(
            outage=outage,
            by=world.manager,
            start=later(days=9),
            end=later(days=9, hours=1),
            note="x",
        ),
    ):
        with pytest.raises(ValidationError):
            action()
    assert snapshot(outage) == before


def test_stale_copy_cannot_win_a_second_time(world: City) -> None:
    outage = create(world.manager)
    stale = Outage.objects.get(pk=outage.pk)
    services.outage_postpone(
        outage=outage,
        by=world.manager,
        start=later(days=9),
        end=later(days=9, hours=2),
        note="顺延",
    )
    services.outage_cancel(outage=outage, by=world.manager, note="取消")
    before = snapshot(outage)

    with pytest.raises(ValidationError):
        services.outage_cancel(outage=stale, by=world.supervisor, note="两人同时操作")

    assert snapshot(outage) == before


def test_changing_the_scope_resolves_households_again_and_tells_those_dropped(
    world: City,
) -> None:
    outage = create(world.manager)
    AffectedHousehold.objects.filter(outage=outage, household=world.north_home).update(
        acknowledged_at=timezone.now()
    )

    outage = services.outage_change(
        outage=outage, by=world.manager, note="只停1号楼", station_areas=[], buildings=["NORTH-1"]
    )

    assert set(outage.households.values_list("account_no", flat=True)) == {
        "3400000001",
        "3400000002",
    }
    # The acknowledgement of a household still affected is kept.
    assert AffectedHousehold.objects.get(outage=outage, household=world.north_home).acknowledged_at
    dropped = Message.objects.filter(
        source=f"outage:{outage.pk}", template="outage_changed", address="13800000009"
    ).get()
    assert dropped.context["no_longer_affected"] is True
    event = outage.events.get(kind="changed")
    assert event.data["before"]["scope"]["station_areas"] == ["TA-N"]


def test_change_outside_scope_or_bringing_start_forward_too_far_is_refused(world: City) -> None:
    outage = create(world.manager)
    before = snapshot(outage)

    with pytest.raises(PermissionDenied):
        services.outage_change(outage=outage, by=world.manager, note="扩大", compounds=["SOUTH"])
    with pytest.raises(services.OutageRuleError):
        services.outage_change(outage=outage, by=world.manager, note="提前", start=later(days=1))
    with pytest.raises(PermissionDenied):
        services.outage_cancel(outage=outage, by=world.manager_b, note="不是我的")

    assert snapshot(outage) == before
    assert set(outage.station_areas.values_list("code", flat=True)) == {"TA-N"}


def test_postpone_only_moves_later(world: City) -> None:
    outage = create(world.manager)
    before = snapshot(outage)
    with pytest.raises(ValidationError):
        services.outage_postpone(
            outage=outage,
            by=world.manager,
            start=outage.start - datetime.timedelta(hours=1),
            end=outage.end,
            note="提前",
        )
    assert snapshot(outage) == before


def test_fault_estimate_updates_are_urgent_and_extend_the_end(world: City) -> None:
    outage = create(world.manager, kind="fault", start=later(hours=-1), end=later(hours=1))

    outage = services.outage_update_estimate(
        outage=outage, by=world.manager, estimated_restoration=later(hours=3), note="需更换电缆"
    )

    assert outage.end == outage.estimated_restoration
    assert outage.sequence == 1
    rows = Message.objects.filter(source=f"outage:{outage.pk}", template="outage_estimate")
    assert rows.count() == messages(outage, "outage_published")
    assert not rows.filter(urgent=False).exists()
    for message in rows.filter(channel="sms"):
        title, body = render_message(message.template, message.context)
        assert outage.title in title
        assert body.strip()


def test_only_a_fault_gets_estimates_and_power_is_restored_only_once_it_went_off(
    world: City,
) -> None:
    outage = create(world.manager)
    before = snapshot(outage)

    with pytest.raises(WrongState):
        services.outage_update_estimate(
            outage=outage, by=world.manager, estimated_restoration=outage.end, note="预计按时送电"
        )
    with pytest.raises(WrongState):
        services.outage_restore(outage=outage, by=world.manager)

    assert snapshot(outage) == before


# Acknowledgement --------------------------------------------------------------------------


def test_resident_acknowledges_their_affected_household_once(world: City) -> None:
    outage = create(world.manager)

    row = services.outage_acknowledge(outage=outage, household=world.north_home, by=world.resident)
    first = row.acknowledged_at
    again = services.outage_acknowledge(
        outage=outage, household=world.north_home, by=world.resident
    )

    assert first is not None
    assert again.acknowledged_at == first
    assert again.acknowledged_by == world.resident
    assert outage_reach(outage)["acknowledged"] == 1


def test_acknowledging_someone_elses_or_an_unaffected_household_is_refused(world: City) -> None:
    outage = create(world.manager)
    before = snapshot(outage, *outage.affected.all())

    with pytest.raises(PermissionDenied):
        services.outage_acknowledge(outage=outage, household=world.north_home, by=world.resident_b)
    with pytest.raises(ValidationError):
        services.outage_acknowledge(outage=outage, household=world.south_home, by=world.resident_b)

    assert snapshot(outage, *outage.affected.all()) == before


# Reads ------------------------------------------------------------------------------------


def test_each_role_sees_the_outages_of_its_scope(world: City) -> None:
    north = create(world.manager)
    south = create(world.manager_b, station_areas=[], compounds=["SOUTH"])
    draft = create(world.manager, publish=False, start=later(days=30), end=later(days=30, hours=1))

    def visible(user: Any) -> set[int]:
        return set(outages_visible_to(user).values_list("pk", flat=True))

    assert visible(world.manager) == {north.pk, draft.pk}
    assert visible(world.electrician) == {north.pk, draft.pk}
    assert visible(world.manager_b) == {south.pk}
    assert visible(world.supervisor) == {north.pk, south.pk, draft.pk}
    assert visible(world.admin) == {north.pk, south.pk, draft.pk}
    assert visible(world.resident) == {north.pk}
    assert visible(world.resident_b) == {south.pk}
    assert visible(world.outsider) == set()


def test_resident_outages_are_the_live_upcoming_ones_of_their_households(world: City) -> None:
    upcoming = create(world.manager)
    other_building = create(
        world.manager,
        buildings=["NORTH-2"],
        station_areas=[],
        start=later(days=40),
        end=later(days=40, hours=1),
    )
    cancelled = create(world.manager, start=later(days=50), end=later(days=50, hours=1))
    services.outage_cancel(outage=cancelled, by=world.manager, note="取消")

    mine = list(outages_for_resident(world.resident))

    assert mine == [upcoming]
    rows = mine[0].my_affected  # type: ignore[attr-defined]
    assert [row.household for row in rows] == [world.north_home]
    assert other_building in outages_for_compound(world.north)
    assert cancelled in outages_for_compound(world.north)
    assert upcoming not in outages_for_compound(world.south)


def test_reach_counts_messages_and_acknowledgements_per_building(world: City) -> None:
    HouseholdMembership.objects.create(user=world.resident_b, household=world.north_home_2)
    outage = create(world.manager)
    services.outage_acknowledge(outage=outage, household=world.north_home, by=world.resident)

    reach = outage_reach(outage)

    assert reach["households"] == 3
    assert reach["acknowledged"] == 1
    assert reach["total"] == messages(outage)
    sms = Message.objects.filter(source=f"outage:{outage.pk}", channel="sms").count()
    assert reach["by_channel"]["sms"]["pending"] == sms
    by_building = {row["building"]: row for row in reach["by_building"]}
    assert by_building["1号楼"]["households"] == 2
    assert by_building["1号楼"]["acknowledged"] == 1
    # 2号楼's household has a phone: its SMS waits, so it is a household waiting.
    assert by_building["2号楼"]["waiting"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_staff_acting_at_once_cannot_both_win(world: City) -> None:
    outage = create(world.manager)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def act(user: Any, note: str) -> None:
        try:
            barrier.wait()
            services.outage_cancel(outage=outage, by=user, note=note)
            results.append("won")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(world.manager, "经理取消")),
        threading.Thread(target=act, args=(world.supervisor, "主管取消")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["refused", "won"]
    assert outage.events.filter(kind="cancelled").count() == 1
    assert messages(outage, "outage_cancelled") == messages(outage, "outage_published")


def test_reach_numbers_add_up_per_household_and_per_building(world: City) -> None:
    outage = create(world.manager)
    source = f"outage:{outage.pk}"
    # north_home: its SMS fails but its resident has it in the app (reached); 2号楼's
    # household: its only channel, the SMS, fails (failed); north_home_2 waits.
    Message.objects.filter(source=source, channel="sms", household=world.north_home).update(
        state="failed", failure="no_sms_gateway"
    )
    Message.objects.filter(source=source, channel="sms", household__building__name="2号楼").update(
        state="failed", failure="no_sms_gateway"
    )

    reach = outage_reach(outage)

    parts = ("reached", "waiting", "failed", "unreached")
    assert reach["households"] == sum(reach[part] for part in parts) == 3
    assert (reach["reached"], reach["waiting"], reach["failed"]) == (1, 1, 1)
    for part in (*parts, "households", "acknowledged"):
        assert sum(row[part] for row in reach["by_building"]) == reach[part]
    assert reach["failures"] == [
        {
            "channel": "sms",
            "label": "短信",
            "reason": str(Failure.NO_SMS_GATEWAY.label),
            "count": 2,
        }
    ]


def test_an_outage_of_the_past_is_recorded_at_its_own_time(world: City) -> None:
    """Given `now=`, publishing counts the notice period from that time and dates the
    outage, its events and its messages then; restoring and acknowledging likewise."""
    then = timezone.now().replace(microsecond=0) - datetime.timedelta(days=20)
    before = snapshot(*SAVED)
    with pytest.raises(services.OutageRuleError):
        create(
            world.manager,
            start=then + datetime.timedelta(days=3),
            end=then + datetime.timedelta(days=3, hours=4),
            now=then,
        )
    assert snapshot(*SAVED) == before

    start = then + datetime.timedelta(days=8)
    outage = create(world.manager, start=start, end=start + datetime.timedelta(hours=4), now=then)
    acknowledged = then + datetime.timedelta(days=1)
    services.outage_acknowledge(
        outage=outage, household=world.north_home, by=world.resident, now=acknowledged
    )
    restored = start + datetime.timedelta(hours=3)
    services.outage_restore(outage=outage, by=world.manager, at=restored, now=restored)

    outage.refresh_from_db()
    assert outage.state == Outage.State.RESTORED
    assert outage.created_at == outage.published_at == then
    assert outage.updated_at == outage.restored_at == restored
    assert {e.kind: e.at for e in outage.events.all()} == {
        "created": then,
        "published": then,
        "restored": restored,
    }
    row = AffectedHousehold.objects.get(outage=outage, household=world.north_home)
    assert row.acknowledged_at == acknowledged
    published = Message.objects.filter(event_key__startswith=f"outage:{outage.pk}:")
    assert published.exists()
    assert set(published.values_list("created_at", flat=True)) == {then, restored}


def test_a_late_notice_of_the_past_needs_the_supervisors_override(world: City) -> None:
    then = timezone.now().replace(microsecond=0) - datetime.timedelta(days=20)
    start = then + datetime.timedelta(days=2)

    outage = create(
        world.supervisor,
        start=start,
        end=start + datetime.timedelta(hours=3),
        override_reason="设备缺陷需尽快处理",
        now=then,
    )

    assert outage.lead_time_override_reason == "设备缺陷需尽快处理"
    assert outage.published_at == then


# An arrears disconnection needs the household reminded and 30 days overdue ----------------


def arrears_notice(world: City, **given: Any) -> Outage:
    fields: dict[str, Any] = {
        "kind": "arrears",
        "station_areas": [],
        "household": world.north_home,
        "start": later(days=8),
        "end": later(days=40),
    }
    fields.update(given)
    return create(world.manager, **fields)


def refused_for(world: City, **given: Any) -> str:
    before = snapshot(*SAVED, Reminder)
    with pytest.raises(services.OutageRuleError) as refused:
        arrears_notice(world, **given)
    assert snapshot(*SAVED, Reminder) == before
    assert refused.value.rule == "arrears.overdue_days"
    message = refused.value.messages[0]
    # Both rules, with their numbers and their source.
    assert "30" in message
    assert "7" in message
    assert "第三十九条" in message
    return message


def test_arrears_notice_is_refused_for_a_household_not_on_the_list(world: City) -> None:
    reminded_arrears([world.north_home_2], by=world.electrician)
    refused_for(world)


def test_arrears_notice_is_refused_without_a_recorded_reminder(world: City) -> None:
    today = timezone.localdate()
    arrears_list(
        today - datetime.timedelta(days=40),
        [(world.north_home, "postpaid", D("50"), today - datetime.timedelta(days=45), None)],
    )
    refused_for(world)
    reminder_record(household=world.north_home, outcome="not_reachable", by=world.staff)
    refused_for(world)  # not reachable is no reminder
    reminder_record(household=world.north_home, outcome="note_left", by=world.staff)
    assert arrears_notice(world).state == Outage.State.PUBLISHED


def test_arrears_notice_for_a_special_group_household_needs_a_visit_or_a_call(
    world: City,
) -> None:
    Household.objects.filter(pk=world.north_home.pk).update(special_group=True)
    today = timezone.localdate()
    arrears_list(
        today - datetime.timedelta(days=40),
        [(world.north_home, "postpaid", D("50"), today - datetime.timedelta(days=45), None)],
    )
    line = world.north_home.arrears.get()
    Reminder.objects.create(household=world.north_home, arrears=line, outcome="message")
    reminder_record(household=world.north_home, outcome="note_left", by=world.staff)
    refused_for(world)
    reminder_record(household=world.north_home, outcome="phone_call", by=world.staff)
    assert arrears_notice(world).state == Outage.State.PUBLISHED


def test_arrears_notice_is_refused_before_the_bill_is_30_days_overdue(world: City) -> None:
    today = timezone.localdate()
    arrears_list(
        today - datetime.timedelta(days=2),
        [(world.north_home, "postpaid", D("50"), today - datetime.timedelta(days=10), None)],
    )
    reminder_record(household=world.north_home, outcome="in_person", by=world.electrician)
    refused_for(world)  # 18 days overdue on the planned start
    assert arrears_notice(world, start=later(days=21), end=later(days=40)).pk


def test_arrears_notice_is_refused_after_the_household_paid(world: City) -> None:
    reminded_arrears([world.north_home, world.north_home_2], by=world.electrician)
    arrears_list(timezone.localdate(), [(world.north_home_2, "postpaid", D("5"), None, None)])
    refused_for(world)


def test_an_arrears_notice_cannot_be_moved_before_the_bill_is_30_days_overdue(
    world: City,
) -> None:
    today = timezone.localdate()
    arrears_list(
        today - datetime.timedelta(days=2),
        [(world.north_home, "postpaid", D("50"), today - datetime.timedelta(days=15), None)],
    )
    reminder_record(household=world.north_home, outcome="in_person", by=world.electrician)
    outage = arrears_notice(world, start=later(days=20), end=later(days=40))
    before = snapshot(outage, *SAVED)
    with pytest.raises(services.OutageRuleError) as refused:
        services.outage_change(outage=outage, by=world.manager, note="提前", start=later(days=10))
    assert refused.value.rule == "arrears.overdue_days"
    assert snapshot(outage, *SAVED) == before
