"""Whatever an outage holds — odd dates, long or short texts, any characters a database keeps —
every CAP document validates against the CAP 1.2 schema, every calendar parses with icalendar
and vobject, the Atom index parses with feedparser, and nothing answers 5xx. Bounded and
derandomised, so the suite stays fast and repeatable."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import feedparser
import icalendar
import vobject
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from wudian.conftest import City, api, post
from wudian.outages import feeds
from wudian.outages.models import Outage, OutageEvent
from wudian.outages.tests.conftest import make_outage

CAP_SCHEMA = etree.XMLSchema(etree.parse(str(Path(feeds.__file__).parent / "standards/cap12.xsd")))

BOUNDED = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any character a database stores: no lone surrogates, no NUL (PostgreSQL refuses both).
stored_characters = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
stored_text = st.text(stored_characters, min_size=1)
PUBLIC_KINDS = [kind for kind in Outage.Kind if kind != Outage.Kind.ARREARS]
STATES = [state for state in Outage.State if state != Outage.State.DRAFT]


@st.composite
def stored_outages(draw: Any) -> dict[str, Any]:
    start = draw(
        st.datetimes(
            min_value=datetime.datetime(1971, 1, 1),
            max_value=datetime.datetime(2199, 12, 31),
            timezones=st.just(datetime.UTC),
        )
    )
    return {
        "kind": draw(st.sampled_from(PUBLIC_KINDS)),
        "state": draw(st.sampled_from(STATES)),
        "title": draw(stored_text.map(lambda text: text[:120])),
        "reason": draw(
            st.one_of(stored_text, st.text(stored_characters, min_size=1500, max_size=2000))
        ),
        "start": start,
        "end": start
        + draw(st.timedeltas(datetime.timedelta(seconds=1), datetime.timedelta(days=400))),
        "revisions": draw(st.integers(0, 3)),
    }


@BOUNDED
@given(fields=stored_outages())
def test_every_feed_is_valid_whatever_the_outage_holds(
    city: City, client: Client, fields: dict[str, Any]
) -> None:
    revisions = fields.pop("revisions")
    outage = make_outage(
        city,
        **fields,
        restored_at=fields["end"] if fields["state"] == Outage.State.RESTORED else None,
        cancelled_at=timezone.now() if fields["state"] == Outage.State.CANCELLED else None,
    )
    outage.compounds.add(city.north)
    for number in range(1, revisions + 1):
        OutageEvent.objects.create(
            outage=outage, kind=OutageEvent.Kind.CHANGED, by=city.manager, data={"sequence": number}
        )
    Outage.objects.filter(pk=outage.pk).update(sequence=revisions)
    try:
        cap = client.get(f"/feeds/cap/{outage.pk}.xml")
        assert cap.status_code == 200
        CAP_SCHEMA.assertValid(etree.fromstring(cap.content))

        ics = client.get("/feeds/outages/NORTH.ics")
        assert ics.status_code == 200
        icalendar.Calendar.from_ical(ics.content)
        vobject.readOne(ics.content.decode("utf-8"))

        atom = client.get("/feeds/cap.atom")
        assert atom.status_code == 200
        parsed = feedparser.parse(atom.content)
        assert not parsed.bozo, parsed.bozo_exception

        window = client.get("/c/NORTH/")
        assert window.status_code == 200
    finally:
        outage.delete()


@BOUNDED
@given(
    title=stored_text,
    reason=st.text(),
    start=st.one_of(
        st.datetimes(timezones=st.just(datetime.UTC)).map(lambda value: value.isoformat()),
        st.text(max_size=40),
    ),
    hours=st.integers(-10_000, 10_000_000),
)
def test_publishing_any_text_or_date_never_answers_5xx(
    city: City, title: str, reason: str, start: str, hours: int
) -> None:
    try:
        begin = datetime.datetime.fromisoformat(start)
        end = (begin + datetime.timedelta(hours=hours)).isoformat()
    except (ValueError, OverflowError):
        end = start
    response = post(
        api(city.manager),
        "/api/v1/outages",
        {
            "kind": "planned",
            "title": title,
            "reason": reason,
            "start": start,
            "end": end,
            "compounds": ["NORTH"],
            "draft": True,
        },
    )
    assert response.status_code in (201, 400, 409, 422), response.content
