"""The public outage feeds: iCalendar per compound, CAP 1.2 alerts and their Atom index."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any
from unittest import mock

import feedparser
import icalendar
import pytest
import vobject
from django.test import Client
from django.utils import timezone
from lxml import etree

from wudian.conftest import City
from wudian.grid.models import Building, Compound, Feeder, Household, StationArea
from wudian.outages import feeds
from wudian.outages.models import AffectedHousehold, Outage, OutageEvent
from wudian.outages.tests.conftest import make_outage

CAP_XSD = Path(feeds.__file__).parent / "standards" / "cap12.xsd"
CAP = {"cap": feeds.CAP_NAMESPACE}
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ATOM = {"a": ATOM_NAMESPACE}
ORIGIN = "https://wudian.example.cn"


@pytest.fixture(autouse=True)
def public_origin(settings: Any) -> str:
    settings.PUBLIC_URL = ORIGIN
    return ORIGIN


def freeze(moment: datetime.datetime) -> Any:
    """The clock of every `timezone.now()` stopped at the moment."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def revise(outage: Outage, *, kind: str, by: Any, **changes: Any) -> Outage:
    """A published change as the services make it: a new revision and its event."""
    for name, value in changes.items():
        setattr(outage, name, value)
    outage.sequence += 1
    outage.save()
    OutageEvent.objects.create(outage=outage, kind=kind, by=by, data={"sequence": outage.sequence})
    return outage


def unfold(body: bytes) -> list[str]:
    """Content lines of an iCalendar stream, unfolded (RFC 5545 §3.1)."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    return text[:-2].replace("\r\n ", "").split("\r\n")


def parse_ics(body: bytes) -> Any:
    """The calendar as both icalendar and vobject read it (each refuses an invalid one)."""
    vobject.readOne(body.decode("utf-8"))
    return icalendar.Calendar.from_ical(body)


def events(body: bytes) -> list[Any]:
    return list(parse_ics(body).walk("VEVENT"))


def utc(value: Any) -> datetime.datetime:
    return value.dt.astimezone(datetime.UTC)


def calendar(client: Client, compound: Compound) -> list[Any]:
    response = client.get(f"/feeds/outages/{compound.code}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return events(response.content)


def cap_document(client: Client, outage: Outage) -> etree._Element:
    response = client.get(f"/feeds/cap/{outage.pk}.xml")
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    schema = etree.XMLSchema(etree.parse(str(CAP_XSD)))
    schema.assertValid(root)
    return root


def text(root: etree._Element, path: str) -> str:
    found = root.findtext(path, namespaces=CAP)
    assert found is not None, path
    return found


# iCalendar ---------------------------------------------------------------------------------


def test_calendar_lists_an_outage_of_the_compound_as_a_confirmed_event(
    city: City, client: Client
) -> None:
    outage = make_outage(city)
    outage.compounds.add(city.north)

    response = client.get("/feeds/outages/NORTH.ics")

    assert response.status_code == 200
    lines = unfold(response.content)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    cal = parse_ics(response.content)
    assert cal["VERSION"] == "2.0"
    assert "北苑小区" in str(cal["X-WR-CALNAME"])
    [event] = cal.walk("VEVENT")
    assert event["UID"] == f"outage-{outage.pk}@wudian.example.cn"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert utc(event["DTSTART"]) == outage.start
    assert utc(event["DTEND"]) == outage.end
    assert str(event["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    assert "北苑小区线路检修" in str(event["SUMMARY"])
    assert "更换10kV涂山线老旧开关" in str(event["DESCRIPTION"])
    assert "95598" in str(event["DESCRIPTION"])
    assert event["URL"] == f"{ORIGIN}/c/NORTH/"


def test_calendar_is_a_subscription_without_method_and_its_dtstamp_is_the_last_revision(
    city: City, client: Client
) -> None:
    """RFC 5545 §3.8.7.2: without METHOD, DTSTAMP is when the event was last revised (with
    METHOD:PUBLISH, RFC 5546 would want an ORGANIZER and DTSTAMP the time of writing)."""
    outage = make_outage(city)
    outage.compounds.add(city.north)
    revise(outage, kind=OutageEvent.Kind.CHANGED, by=city.manager, state=Outage.State.CHANGED)
    revised = outage.events.get().at.replace(microsecond=0)
    # A save that is not a published revision does not move it.
    Outage.objects.filter(pk=outage.pk).update(updated_at=timezone.now() + datetime.timedelta(1))

    body = client.get("/feeds/outages/NORTH.ics").content

    cal = parse_ics(body)
    assert "METHOD" not in cal
    [event] = cal.walk("VEVENT")
    assert "ORGANIZER" not in event
    assert event["DTSTAMP"].dt == revised
    assert event["LAST-MODIFIED"].dt == revised
    assert event["SEQUENCE"] == 1


def test_calendar_of_a_compound_without_outages_is_still_a_valid_calendar(
    city: City, client: Client
) -> None:
    body = client.get("/feeds/outages/NORTH.ics").content

    cal = parse_ics(body)
    assert [component.name for component in cal.subcomponents] == ["VTIMEZONE"]
    assert cal.walk("VEVENT") == []


def test_calendar_lines_are_folded_at_75_octets_without_splitting_characters(
    city: City, client: Client
) -> None:
    outage = make_outage(city, reason="因涂山路道路施工需迁移电缆，" * 20)
    outage.compounds.add(city.north)

    body = client.get("/feeds/outages/NORTH.ics").content

    physical = body.decode("utf-8").split("\r\n")
    assert max(len(line.encode("utf-8")) for line in physical) <= 75
    assert any(line.startswith(" ") for line in physical)
    [event] = events(body)
    assert outage.reason in str(event["DESCRIPTION"])


def test_calendar_escapes_commas_semicolons_backslashes_and_newlines(
    city: City, client: Client
) -> None:
    title = "检修, 第1段; 路径 C:\\线路"
    outage = make_outage(city, title=title, reason="第一行\n第二行")
    outage.compounds.add(city.north)

    body = client.get("/feeds/outages/NORTH.ics").content

    lines = unfold(body)
    assert any("检修\\, 第1段\\; 路径 C:\\\\线路" in line for line in lines)
    [event] = events(body)
    assert title in str(event["SUMMARY"])
    assert "第一行\n第二行" in str(event["DESCRIPTION"])


def test_cancelled_outage_stays_in_the_calendar_as_cancelled_with_a_higher_sequence(
    city: City, client: Client
) -> None:
    outage = make_outage(city)
    outage.compounds.add(city.north)
    [before] = calendar(client, city.north)

    revise(
        outage,
        kind=OutageEvent.Kind.CANCELLED,
        by=city.manager,
        state=Outage.State.CANCELLED,
        cancelled_at=timezone.now(),
    )

    [after] = calendar(client, city.north)
    assert after["UID"] == before["UID"]
    assert after["STATUS"] == "CANCELLED"
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTAMP"].dt >= before["DTSTAMP"].dt


def test_postponed_outage_moves_in_place(city: City, client: Client) -> None:
    outage = make_outage(city)
    outage.compounds.add(city.north)
    later = outage.start + datetime.timedelta(days=3)

    revise(
        outage,
        kind=OutageEvent.Kind.POSTPONED,
        by=city.manager,
        state=Outage.State.POSTPONED,
        start=later,
        end=later + datetime.timedelta(hours=4),
    )

    [event] = calendar(client, city.north)
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CONFIRMED"
    assert utc(event["DTSTART"]) == later


def test_calendar_reaches_a_compound_through_every_kind_of_public_scope(
    city: City, client: Client
) -> None:
    by_compound = make_outage(city, title="小区")
    by_compound.compounds.add(city.north)
    by_building = make_outage(city, title="楼栋")
    by_building.buildings.add(city.north_building)
    by_area = make_outage(city, title="台区")
    by_area.station_areas.add(city.station_area)
    by_feeder = make_outage(city, title="线路")
    by_feeder.feeders.add(city.station_area.feeder)
    by_household = make_outage(city, kind=Outage.Kind.ARREARS, title="欠费")
    AffectedHousehold.objects.create(outage=by_household, household=city.north_home)
    elsewhere = make_outage(city, title="南苑")
    elsewhere.compounds.add(city.south)

    north = {
        str(e["SUMMARY"]).split("：")[-1].split(": ")[-1] for e in calendar(client, city.north)
    }
    south = [e["UID"] for e in calendar(client, city.south)]

    # An arrears disconnection is no one's business but its household's.
    assert north == {"小区", "楼栋", "台区", "线路"}
    # South's only household sits on the same station area, so the area and feeder reach it.
    assert f"outage-{elsewhere.pk}@wudian.example.cn" in south
    assert f"outage-{by_building.pk}@wudian.example.cn" not in south


def test_calendar_of_a_compound_on_another_feeder_stays_empty(city: City, client: Client) -> None:
    west = Compound.objects.create(
        community=city.community, code="WEST", name="西苑小区", address="西路1号"
    )
    other_area = StationArea.objects.create(
        feeder=Feeder.objects.create(code="F2", name="10kV西线"), code="TA2", name="西苑台区"
    )
    other_area.compounds.add(west)
    Household.objects.create(
        building=Building.objects.create(compound=west, code="WEST-1", name="1号楼"),
        station_area=other_area,
        account_no="3400000009",
        room="101",
        address="西路1号",
        holder_name="刘",
    )
    outage = make_outage(city)
    outage.feeders.add(city.station_area.feeder)

    assert calendar(client, west) == []


def test_drafts_never_appear_in_any_feed(city: City, client: Client) -> None:
    draft = make_outage(city, state=Outage.State.DRAFT, published_at=None, title="草稿")
    draft.compounds.add(city.north)
    never_published = make_outage(
        city, state=Outage.State.CANCELLED, published_at=None, title="未发布即取消"
    )
    never_published.compounds.add(city.north)

    assert calendar(client, city.north) == []
    assert client.get(f"/feeds/cap/{draft.pk}.xml").status_code == 404
    assert client.get(f"/feeds/cap/{never_published.pk}.xml").status_code == 404
    atom = client.get("/feeds/cap.atom").content
    assert "草稿".encode() not in atom
    assert "未发布".encode() not in atom


def test_unknown_compound_or_outage_is_404(city: City, client: Client) -> None:
    assert client.get("/feeds/outages/NOWHERE.ics").status_code == 404
    assert client.get("/feeds/cap/999999.xml").status_code == 404
    assert client.get("/feeds/outages/999999/notice.pdf").status_code == 404


def test_feeds_refuse_writes(city: City, client: Client) -> None:
    assert client.post("/feeds/outages/NORTH.ics").status_code == 405
    assert client.post("/feeds/cap.atom").status_code == 405


def test_calendar_query_count_does_not_grow_with_outages(
    city: City, client: Client, django_assert_max_num_queries: Any
) -> None:
    for number in range(12):
        make_outage(city, title=f"检修{number}").compounds.add(city.north)

    with django_assert_max_num_queries(3):
        assert len(calendar(client, city.north)) == 12


# CAP 1.2 -----------------------------------------------------------------------------------


def test_published_outage_is_a_valid_cap_alert(city: City, client: Client) -> None:
    outage = make_outage(city)
    outage.buildings.add(city.north_building)
    OutageEvent.objects.create(outage=outage, kind=OutageEvent.Kind.PUBLISHED, by=city.manager)

    response = client.get(f"/feeds/cap/{outage.pk}.xml")
    root = cap_document(client, outage)

    assert response["Content-Type"] == "application/cap+xml; charset=utf-8"
    assert text(root, "cap:msgType") == "Alert"
    assert text(root, "cap:status") == "Actual"
    assert text(root, "cap:scope") == "Public"
    assert root.find("cap:references", CAP) is None
    assert text(root, "cap:sent").endswith("+08:00")
    assert text(root, "cap:info/cap:language") == "zh-CN"
    assert text(root, "cap:info/cap:category") == "Infra"
    assert text(root, "cap:info/cap:urgency") == "Future"
    assert text(root, "cap:info/cap:certainty") == "Likely"
    assert text(root, "cap:info/cap:headline") == "北苑小区线路检修"
    assert "更换10kV涂山线老旧开关" in text(root, "cap:info/cap:description")
    assert text(root, "cap:info/cap:onset") == timezone.localtime(outage.start).isoformat()
    assert "北苑小区" in text(root, "cap:info/cap:area/cap:areaDesc")
    assert text(root, "cap:info/cap:area/cap:geocode/cap:value") == "NORTH"
    assert text(root, "cap:info/cap:web") == "https://wudian.example.cn/c/NORTH/"


def test_changed_outage_is_a_cap_update_that_references_the_alert(
    city: City, client: Client
) -> None:
    outage = make_outage(city, kind=Outage.Kind.FAULT, start=timezone.now().replace(microsecond=0))
    outage.compounds.add(city.north, city.south)
    alert = cap_document(client, outage)

    revise(
        outage,
        kind=OutageEvent.Kind.ESTIMATE_UPDATED,
        by=city.manager,
        estimated_restoration=outage.end + datetime.timedelta(hours=2),
    )
    update = cap_document(client, outage)

    assert text(update, "cap:msgType") == "Update"
    assert text(update, "cap:identifier") != text(alert, "cap:identifier")
    assert text(update, "cap:references") == ",".join(
        [text(alert, "cap:sender"), text(alert, "cap:identifier"), text(alert, "cap:sent")]
    )
    assert text(update, "cap:info/cap:urgency") == "Immediate"
    assert text(update, "cap:info/cap:certainty") == "Observed"
    assert len(update.findall("cap:info/cap:area", CAP)) == 2
    assert (
        text(update, "cap:info/cap:expires")
        == timezone.localtime(outage.estimated_restoration).isoformat()
    )


def test_cancelled_outage_is_a_cap_cancel_referencing_every_earlier_message(
    city: City, client: Client
) -> None:
    outage = make_outage(city, kind=Outage.Kind.TEMPORARY)
    outage.station_areas.add(city.station_area)
    sent = [cap_document(client, outage)]
    revise(outage, kind=OutageEvent.Kind.CHANGED, by=city.manager, state=Outage.State.CHANGED)
    sent.append(cap_document(client, outage))
    revise(
        outage,
        kind=OutageEvent.Kind.CANCELLED,
        by=city.manager,
        state=Outage.State.CANCELLED,
        cancelled_at=timezone.now(),
    )

    cancel = cap_document(client, outage)

    assert text(cancel, "cap:msgType") == "Cancel"
    references = text(cancel, "cap:references").split(" ")
    assert references == [
        ",".join([text(m, "cap:sender"), text(m, "cap:identifier"), text(m, "cap:sent")])
        for m in sent
    ]
    assert text(cancel, "cap:info/cap:urgency") == "Past"
    assert text(cancel, "cap:info/cap:responseType") == "AllClear"


def test_cap_sent_time_of_a_revision_does_not_move(city: City, client: Client) -> None:
    outage = make_outage(city)
    outage.compounds.add(city.north)
    first = text(cap_document(client, outage), "cap:sent")

    # A save that is not a published change (e.g. an acknowledgement count) keeps revision 0.
    Outage.objects.filter(pk=outage.pk).update(updated_at=timezone.now())

    assert text(cap_document(client, outage), "cap:sent") == first


# Atom --------------------------------------------------------------------------------------


def test_atom_index_lists_the_cap_alerts(city: City, client: Client) -> None:
    live = make_outage(city, title="正在进行")
    live.compounds.add(city.north)
    cancelled = make_outage(city, title="已取消的", state=Outage.State.CANCELLED, sequence=1)
    cancelled.compounds.add(city.south)
    make_outage(city, state=Outage.State.DRAFT, published_at=None, title="草稿")

    response = client.get("/feeds/cap.atom")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{ATOM_NAMESPACE}}}feed"
    assert root.findtext("a:id", namespaces=ATOM) == f"{ORIGIN}/feeds/cap.atom"
    assert root.findtext("a:updated", namespaces=ATOM)
    assert root.find("a:author/a:name", ATOM) is not None
    entries = root.findall("a:entry", ATOM)
    links = {entry.find("a:link[@rel='alternate']", ATOM).get("href"): entry for entry in entries}
    assert set(links) == {
        f"{ORIGIN}/feeds/cap/{live.pk}.xml",
        f"{ORIGIN}/feeds/cap/{cancelled.pk}.xml",
    }
    for href, entry in links.items():
        assert entry.findtext("a:id", namespaces=ATOM) == href
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext("a:updated", namespaces=ATOM) or ""
        )
        assert client.get(href.removeprefix(ORIGIN)).status_code == 200
    cancelled_entry = links[f"{ORIGIN}/feeds/cap/{cancelled.pk}.xml"]
    assert cancelled_entry.find("a:category", ATOM).get("term") == "Cancel"


def test_atom_leaves_out_outages_long_over(city: City, client: Client) -> None:
    old_start = timezone.now() - datetime.timedelta(days=60)
    old = make_outage(
        city,
        state=Outage.State.RESTORED,
        start=old_start,
        end=old_start + datetime.timedelta(hours=2),
        restored_at=old_start + datetime.timedelta(hours=2),
    )
    Outage.objects.filter(pk=old.pk).update(updated_at=old_start)

    root = etree.fromstring(client.get("/feeds/cap.atom").content)

    assert root.findall("a:entry", ATOM) == []


@pytest.mark.parametrize("kind", [kind for kind in Outage.Kind if kind != Outage.Kind.ARREARS])
def test_every_public_kind_and_state_validates_as_cap(
    city: City, client: Client, kind: str
) -> None:
    outage = make_outage(city, kind=kind, estimated_restoration=None)
    outage.compounds.add(city.north)
    for state in (Outage.State.POSTPONED, Outage.State.RESTORED, Outage.State.CANCELLED):
        revise(
            outage,
            kind=OutageEvent.Kind.CHANGED,
            by=city.manager,
            state=state,
            restored_at=timezone.now() if state == Outage.State.RESTORED else None,
        )
        cap_document(client, outage)


# Standards: one identifier, one content; text of any kind; names from the public origin -----


def test_control_characters_in_stored_text_leave_every_feed_valid(
    city: City, client: Client
) -> None:
    """Text stored before the input checks (or through the admin) must not break a feed."""
    outage = make_outage(city, title="检修\x01\x0b", reason="电缆\x01故障\x1f\ufffe")
    outage.compounds.add(city.north)

    root = cap_document(client, outage)
    assert text(root, "cap:info/cap:headline") == "检修"
    assert "电缆故障" in text(root, "cap:info/cap:description")
    atom = client.get("/feeds/cap.atom").content
    assert etree.fromstring(atom) is not None
    assert not feedparser.parse(atom).bozo
    [event] = calendar(client, city.north)
    assert "电缆故障" in str(event["DESCRIPTION"])
    assert client.get(f"/feeds/outages/{outage.pk}/notice.pdf").status_code == 200
    assert client.get("/c/NORTH/").status_code == 200


def test_a_cap_alert_keeps_its_content_as_time_passes(city: City, client: Client) -> None:
    """Urgency, severity and response are those of when the revision was sent: a later
    request names the same identifier, so it must get the same document."""
    outage = make_outage(
        city, start=timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    )
    outage.compounds.add(city.north)
    first = client.get(f"/feeds/cap/{outage.pk}.xml").content

    for later_by in (datetime.timedelta(hours=23, minutes=30), datetime.timedelta(days=3)):
        with freeze(timezone.now() + later_by):
            assert client.get(f"/feeds/cap/{outage.pk}.xml").content == first


def test_the_all_clear_of_a_restored_outage_expires_after_it_is_sent(
    city: City, client: Client
) -> None:
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=5)
    outage = make_outage(
        city,
        kind=Outage.Kind.FAULT,
        start=start,
        end=start + datetime.timedelta(hours=2),
        published_at=start,
    )
    outage.compounds.add(city.north)
    revise(
        outage,
        kind=OutageEvent.Kind.RESTORED,
        by=city.manager,
        state=Outage.State.RESTORED,
        restored_at=start + datetime.timedelta(hours=1),
    )

    root = cap_document(client, outage)

    assert text(root, "cap:info/cap:responseType") == "AllClear"
    sent = datetime.datetime.fromisoformat(text(root, "cap:sent"))
    expires = datetime.datetime.fromisoformat(text(root, "cap:info/cap:expires"))
    assert expires > sent


def test_every_name_and_link_comes_from_the_public_origin_not_the_host_header(
    city: City, client: Client, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    outage = make_outage(city)
    outage.compounds.add(city.north)
    client.defaults["HTTP_HOST"] = "evil.example"

    cap = client.get(f"/feeds/cap/{outage.pk}.xml").content
    atom = client.get("/feeds/cap.atom").content
    ics = client.get("/feeds/outages/NORTH.ics").content

    root = etree.fromstring(cap)
    assert text(root, "cap:identifier") == f"wudian.example.cn.outage.{outage.pk}.0"
    assert text(root, "cap:sender") == "outages@wudian.example.cn"
    assert text(root, "cap:info/cap:web") == f"{ORIGIN}/c/NORTH/"
    [event] = events(ics)
    assert event["UID"] == f"outage-{outage.pk}@wudian.example.cn"
    for body in (cap, atom, ics):
        assert b"evil.example" not in body
