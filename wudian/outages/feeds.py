"""Machine-readable outage feeds: an iCalendar (RFC 5545) feed per compound, each outage as a
CAP 1.2 alert, and an Atom index of the alerts.

The builders are plain functions over model instances so the views stay thin. Feeds are public
(like the compound window): they show only `selectors.public_outages()` and carry no household
data. Text is Chinese: callers render them inside ``translation.override(FEED_LANGUAGE)``.
Every absolute link, and the names the feeds give their items (CAP identifier and sender,
iCalendar UIDs), come from the configured public origin (``settings.PUBLIC_URL``), never from
a request's Host header: a name must not change with the way the site was reached.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _

from wudian.grid.models import Building, Compound
from wudian.outages.models import Outage, OutageEvent
from wudian.outages.selectors import outage_compounds, public_outages, reaching

FEED_LANGUAGE = "zh-hans"
CAP_LANGUAGE = "zh-CN"
CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
HOTLINE = "95598"

# A calendar keeps what it once saw; older outages only make the feed heavier.
ICS_HISTORY = datetime.timedelta(days=90)
# The Atom index lists live alerts and those that ended or changed recently.
ATOM_HISTORY = datetime.timedelta(days=30)
ATOM_MAX_ENTRIES = 200
# Calendar apps poll; RFC 7986 REFRESH-INTERVAL and the de-facto X-PUBLISHED-TTL say how often.
ICS_REFRESH = datetime.timedelta(hours=1)
# How long an all-clear (cancelled, restored) stays in force after it is sent, and the least
# time any alert does: CAP's expires must come after sent.
ALL_CLEAR_TTL = datetime.timedelta(hours=24)
MIN_ALERT_TTL = datetime.timedelta(hours=1)


# The public origin --------------------------------------------------------------------------


def public_url(path: str = "/") -> str:
    """An absolute URL on the configured public origin."""
    return settings.PUBLIC_URL + path


def public_host() -> str:
    """The host name of the public origin: it names the site in UIDs and CAP identifiers."""
    return urlsplit(settings.PUBLIC_URL).hostname or "localhost"


def window_url(compound: Compound) -> str:
    return public_url(reverse("front:compound_window", args=[compound.code]))


def cap_url(outage: Outage) -> str:
    return public_url(reverse("feeds:cap_alert", args=[outage.pk]))


# Characters XML 1.0 cannot carry at all (control characters other than tab and line breaks,
# lone surrogates, U+FFFE/U+FFFF); iCalendar's TEXT refuses the same controls.
_NOT_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def feed_text(text: str) -> str:
    """Text as every feed can carry it: what no XML document nor iCalendar TEXT value may
    contain dropped, line breaks as LF. Stored text predating the input checks, or put in
    through the admin, must not make a feed invalid."""
    return _NOT_TEXT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# Reads ----------------------------------------------------------------------------------------


def outages_reaching(compound: Compound) -> QuerySet[Outage]:
    """Public outages whose scope reaches the compound."""
    return public_outages().filter(reaching(Compound.objects.filter(pk=compound.pk)))


def compounds_reached_by(outage: Outage) -> QuerySet[Compound]:
    """The compounds an outage reaches, the inverse of :func:`outages_reaching`."""
    return outage_compounds(outage).order_by("code")


def affected_buildings(outage: Outage, compounds: Sequence[Compound]) -> dict[int, list[Building]]:
    """Per compound, the buildings the outage reaches, or an empty list when it reaches the
    whole compound. Resolved households say it best; before they exist, the buildings named
    in the scope do."""
    ids = [compound.pk for compound in compounds]
    named = set(outage.compounds.filter(pk__in=ids).values_list("pk", flat=True))
    hit = set(
        outage.affected.filter(household__building__compound_id__in=ids).values_list(
            "household__building_id", flat=True
        )
    ) | set(outage.buildings.filter(compound_id__in=ids).values_list("pk", flat=True))
    result: dict[int, list[Building]] = {pk: [] for pk in ids}
    if not hit:
        return result
    buildings_by_compound: dict[int, list[Building]] = {pk: [] for pk in ids}
    for building in Building.objects.filter(compound_id__in=ids).order_by("compound_id", "code"):
        buildings_by_compound[building.compound_id].append(building)
    for pk, buildings in buildings_by_compound.items():
        reached = [building for building in buildings if building.pk in hit]
        if pk not in named and reached and len(reached) < len(buildings):
            result[pk] = reached
    return result


# Shared wording -------------------------------------------------------------------------------


def event_name(outage: Outage) -> str:
    names = {
        Outage.Kind.PLANNED: _("Planned maintenance outage"),
        Outage.Kind.TEMPORARY: _("Temporary maintenance outage"),
        Outage.Kind.FAULT: _("Fault outage"),
        Outage.Kind.ARREARS: _("Arrears disconnection"),
    }
    return names.get(Outage.Kind(outage.kind), _("Power outage"))


def local_datetime(value: datetime.datetime) -> str:
    """A moment as residents read it: date, weekday and time in the site's time zone."""
    local = timezone.localtime(value)
    return _("%(date)s (%(weekday)s) %(time)s") % {
        "date": date_format(local, "DATE_FORMAT"),
        "weekday": date_format(local, "l"),
        "time": local.strftime("%H:%M"),
    }


def time_window(outage: Outage) -> str:
    start, end = timezone.localtime(outage.start), timezone.localtime(outage.end)
    if start.date() == end.date():
        return _("%(start)s to %(end)s") % {
            "start": local_datetime(outage.start),
            "end": end.strftime("%H:%M"),
        }
    return _("%(start)s to %(end)s") % {
        "start": local_datetime(outage.start),
        "end": local_datetime(outage.end),
    }


def state_note(outage: Outage) -> str:
    """What became of the outage, for a reader who saw the first notice."""
    if outage.state == Outage.State.CANCELLED:
        return _("This outage has been cancelled; power supply continues as normal.")
    if outage.state == Outage.State.RESTORED:
        when = outage.restored_at or outage.end
        return _("Power was restored at %(time)s.") % {"time": local_datetime(when)}
    if outage.state == Outage.State.POSTPONED:
        return _("This outage has been postponed; the times above are the new ones.")
    if outage.state == Outage.State.CHANGED:
        return _("The details of this outage have changed; the text above is up to date.")
    return ""


def outage_description(outage: Outage, *, area: str = "", with_instruction: bool = True) -> str:
    lines = [
        _("Type: %(kind)s") % {"kind": event_name(outage)},
        _("Time: %(window)s") % {"window": time_window(outage)},
    ]
    if area:
        lines.append(_("Area: %(area)s") % {"area": area})
    lines.append(_("Reason: %(reason)s") % {"reason": outage.reason})
    if outage.kind == Outage.Kind.FAULT and outage.estimated_restoration:
        lines.append(
            _("Estimated restoration: %(time)s")
            % {"time": local_datetime(outage.estimated_restoration)}
        )
    note = state_note(outage)
    if note:
        lines.append(note)
    if with_instruction:
        lines.append(instruction(outage))
    return "\n".join(lines)


def instruction(outage: Outage) -> str:
    if outage.state in (Outage.State.CANCELLED, Outage.State.RESTORED):
        return _("For questions about your power supply, call %(hotline)s.") % {"hotline": HOTLINE}
    if outage.kind == Outage.Kind.FAULT:
        return _(
            "Keep away from fallen wires and do not try to repair anything yourself; switch off "
            "appliances so they do not all start at once when power returns. Power service "
            "hotline: %(hotline)s."
        ) % {"hotline": HOTLINE}
    return _(
        "Please prepare in advance: unplug sensitive appliances, do not use lifts during the "
        "outage, and treat every line as live. Power service hotline: %(hotline)s."
    ) % {"hotline": HOTLINE}


def outage_end(outage: Outage) -> datetime.datetime:
    """When the outage ends as far as we know: restored, or the later of the planned end
    and a fault's estimated restoration."""
    if (
        outage.state == Outage.State.RESTORED
        and outage.restored_at
        and (outage.restored_at > outage.start)
    ):
        return outage.restored_at
    if outage.kind == Outage.Kind.FAULT and outage.estimated_restoration:
        return max(outage.end, outage.estimated_restoration)
    return outage.end


# iCalendar (RFC 5545), written by the icalendar package ---------------------------------------


def ics_uid(outage: Outage) -> str:
    return f"outage-{outage.pk}@{public_host()}"


def _vtimezone() -> icalendar.Timezone:
    """The site's time zone, in which the events are given. Also what keeps a calendar with
    no outage a valid one: RFC 5545 wants at least one component."""
    today = timezone.localdate()
    return icalendar.Timezone.from_tzid(
        settings.TIME_ZONE,
        first_date=datetime.date(today.year - 1, 1, 1),
        last_date=datetime.date(today.year + 3, 1, 1),
    )


def build_ics(*, compound: Compound, outages: Iterable[Outage]) -> bytes:
    """The compound's calendar. A subscription, not a scheduling message: no METHOD (so no
    ORGANIZER is needed), and DTSTAMP is, as RFC 5545 §3.8.7.2 says for that case, when the
    event's information was last revised: the time its current revision was sent."""
    zone = ZoneInfo(settings.TIME_ZONE)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Wudian//Outage notices//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = feed_text(compound.name)
    cal.add("x-wr-calname", _("Power outages: %(compound)s") % {"compound": name})
    cal.add(
        "x-wr-caldesc",
        _("Outage notices for %(compound)s from the property–power liaison station.")
        % {"compound": name},
    )
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add("refresh-interval", ICS_REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    cal.add_component(_vtimezone())
    location = feed_text(f"{compound.name}（{compound.address}）")
    url = window_url(compound)
    for outage in outages:
        cancelled = outage.state == Outage.State.CANCELLED
        summary = _("%(kind)s: %(title)s") % {"kind": event_name(outage), "title": outage.title}
        if cancelled:
            summary = _("Cancelled: %(summary)s") % {"summary": summary}
        revised = revision_times(outage)[outage.sequence]
        event = icalendar.Event()
        event.add("uid", ics_uid(outage))
        event.add("dtstamp", revised)
        event.add("created", outage.created_at.replace(microsecond=0))
        event.add("last-modified", revised)
        event.add("sequence", outage.sequence)
        event.add("dtstart", outage.start.astimezone(zone).replace(microsecond=0))
        event.add("dtend", outage_end(outage).astimezone(zone).replace(microsecond=0))
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        # An outage does not make the subscriber busy.
        event.add("transp", "TRANSPARENT")
        event.add("summary", feed_text(summary))
        event.add("description", feed_text(outage_description(outage)))
        event.add("location", location)
        event.add("url", url)
        cal.add_component(event)
    return cal.to_ical()


# CAP 1.2 --------------------------------------------------------------------------------------

# Event kinds after publication that the services count as a new revision (sequence + 1).
_REVISION_EVENTS = (
    OutageEvent.Kind.POSTPONED,
    OutageEvent.Kind.CHANGED,
    OutageEvent.Kind.CANCELLED,
    OutageEvent.Kind.ESTIMATE_UPDATED,
    OutageEvent.Kind.RESTORED,
)


def revision_times(outage: Outage) -> list[datetime.datetime]:
    """When each revision 0..sequence of the published outage was sent, to the second. CAP
    references name earlier messages by their sent time, so these must not move between
    requests: they come from the event log (an event's ``data["sequence"]`` when it has one,
    otherwise the order of revising events), padded with ``updated_at`` when the log is
    short."""
    first = outage.published_at or outage.created_at
    times: dict[int, datetime.datetime] = {0: first}
    counted = 0
    for event in sorted(outage.events.all(), key=lambda event: (event.at, event.pk)):
        if event.kind == OutageEvent.Kind.PUBLISHED:
            times[0] = outage.published_at or event.at
            continue
        number = event.data.get("sequence") if isinstance(event.data, dict) else None
        if isinstance(number, int) and number > 0:
            times[number] = event.at
            counted = max(counted, number)
        elif event.kind in _REVISION_EVENTS and event.at >= first:
            counted += 1
            times.setdefault(counted, event.at)
    result = [times[0].replace(microsecond=0)]
    for number in range(1, outage.sequence + 1):
        sent = times.get(number, outage.updated_at).replace(microsecond=0)
        result.append(max(sent, result[-1]))
    return result


def cap_sender() -> str:
    return f"outages@{public_host()}"


def cap_identifier(outage: Outage, revision: int) -> str:
    return f"{public_host()}.outage.{outage.pk}.{revision}"


def cap_datetime(value: datetime.datetime) -> str:
    """CAP's dateTime: seconds and an explicit offset, never 'Z'."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def cap_msg_type(outage: Outage) -> str:
    if outage.state == Outage.State.CANCELLED:
        return "Cancel"
    return "Update" if outage.sequence > 0 else "Alert"


@dataclass(frozen=True)
class CapAssessment:
    urgency: str
    severity: str
    certainty: str
    response: str

    @property
    def all_clear(self) -> bool:
        return self.response == "AllClear"


def cap_assessment(outage: Outage, sent: datetime.datetime) -> CapAssessment:
    """The assessment as of when the revision was sent, so that one identifier always names
    the same content; as time passes the alert expires rather than changes. Severity and
    certainty follow the kind: a fault is already happening (Observed), a planned outage is
    scheduled (Likely); losing power for hours is a Moderate threat for a fault, Minor when
    residents had notice."""
    if outage.state in (Outage.State.CANCELLED, Outage.State.RESTORED) or sent >= outage_end(
        outage
    ):
        return CapAssessment("Past", "Minor", "Observed", "AllClear")
    if outage.kind == Outage.Kind.FAULT:
        return CapAssessment("Immediate", "Moderate", "Observed", "Monitor")
    if sent >= outage.start:
        urgency = "Immediate"
    elif outage.start - sent <= datetime.timedelta(hours=1):
        urgency = "Expected"
    else:
        urgency = "Future"
    return CapAssessment(urgency, "Minor", "Likely", "Prepare")


def cap_expires(
    outage: Outage, sent: datetime.datetime, assessment: CapAssessment
) -> datetime.datetime:
    """An alert is in force until the outage ends; an all-clear for a day after it is sent.
    Either way after it is sent."""
    if assessment.all_clear:
        return sent + ALL_CLEAR_TTL
    return max(outage_end(outage), sent + MIN_ALERT_TTL)


def area_description(compound: Compound, buildings: Sequence[Building]) -> str:
    if buildings:
        return _("%(compound)s, %(buildings)s") % {
            "compound": compound.name,
            "buildings": "、".join(building.name for building in buildings),
        }
    return _("%(compound)s (whole compound)") % {"compound": compound.name}


def build_cap(
    *,
    outage: Outage,
    compounds: Sequence[Compound],
    buildings: dict[int, list[Building]],
) -> bytes:
    """The outage's current revision as a CAP 1.2 alert: its content depends on nothing but
    the revision, so an identifier always names the same document."""
    times = revision_times(outage)
    revision = outage.sequence
    sent = times[revision]
    sender = cap_sender()
    assessment = cap_assessment(outage, sent)

    def sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, name)
        if text is not None:
            element.text = feed_text(text)
        return element

    # The default namespace is declared as a plain attribute so ElementTree's global prefix
    # registry (shared by every thread) stays untouched.
    alert = ET.Element("alert", {"xmlns": CAP_NAMESPACE})
    sub(alert, "identifier", cap_identifier(outage, revision))
    sub(alert, "sender", sender)
    sub(alert, "sent", cap_datetime(sent))
    sub(alert, "status", "Actual")
    sub(alert, "msgType", cap_msg_type(outage))
    sub(alert, "scope", "Public")
    if revision > 0:
        sub(
            alert,
            "references",
            " ".join(
                f"{sender},{cap_identifier(outage, number)},{cap_datetime(times[number])}"
                for number in range(revision)
            ),
        )
    sub(alert, "incidents", f"{public_host()}.outage.{outage.pk}")

    info = sub(alert, "info")
    sub(info, "language", CAP_LANGUAGE)
    sub(info, "category", "Infra")
    sub(info, "event", event_name(outage))
    sub(info, "responseType", assessment.response)
    sub(info, "urgency", assessment.urgency)
    sub(info, "severity", assessment.severity)
    sub(info, "certainty", assessment.certainty)
    sub(info, "effective", cap_datetime(sent))
    sub(info, "onset", cap_datetime(outage.start))
    sub(info, "expires", cap_datetime(cap_expires(outage, sent, assessment)))
    sub(info, "senderName", _("Property–power liaison station"))
    headline = outage.title
    if outage.state == Outage.State.CANCELLED:
        headline = _("Cancelled: %(summary)s") % {"summary": headline}
    sub(info, "headline", headline)
    areas = [area_description(c, buildings.get(c.pk, [])) for c in compounds]
    sub(
        info,
        "description",
        outage_description(outage, area="；".join(areas), with_instruction=False),
    )
    sub(info, "instruction", instruction(outage))
    sub(info, "web", window_url(compounds[0]) if compounds else public_url())
    sub(info, "contact", HOTLINE)
    for compound, text in zip(compounds, areas, strict=True):
        area = sub(info, "area")
        sub(area, "areaDesc", f"{text}，{compound.address}")
        geocode = sub(area, "geocode")
        sub(geocode, "valueName", "compound")
        sub(geocode, "value", compound.code)
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


# Atom (RFC 4287) index of the CAP alerts, written by Django's feed generator -----------------


def atom_outages() -> QuerySet[Outage]:
    """Live alerts and those that ended, were cancelled or changed within ATOM_HISTORY."""
    since = timezone.now() - ATOM_HISTORY
    return (
        public_outages()
        .filter(Q(state__in=Outage.LIVE_STATES) | Q(updated_at__gte=since) | Q(end__gte=since))
        .prefetch_related("events")
        .order_by("-updated_at", "-pk")[:ATOM_MAX_ENTRIES]
    )


def _atom_time(value: datetime.datetime) -> datetime.datetime:
    """Naive UTC to the second: the feed generator writes it as RFC 3339 with a 'Z'."""
    return value.astimezone(datetime.UTC).replace(microsecond=0, tzinfo=None)


def build_cap_atom(*, outages: Sequence[Outage]) -> bytes:
    self_url = public_url(reverse("feeds:cap_index"))
    feed = Atom1Feed(
        title=feed_text(_("Power outage alerts (CAP)")),
        link=public_url(),
        description="",
        language=CAP_LANGUAGE,
        feed_url=self_url,
        feed_guid=self_url,
        author_name=_("Property–power liaison station"),
    )
    for outage in outages:
        url = cap_url(outage)
        title = _("%(kind)s: %(title)s") % {"kind": event_name(outage), "title": outage.title}
        if outage.state == Outage.State.CANCELLED:
            title = _("Cancelled: %(summary)s") % {"summary": title}
        summary = time_window(outage)
        note = state_note(outage)
        if note:
            summary = f"{summary}\n{note}"
        feed.add_item(
            title=feed_text(title),
            link=url,
            unique_id=url,
            # The generator marks a summary as HTML.
            description=escape(feed_text(summary)).replace("\n", "<br>"),
            pubdate=_atom_time(outage.published_at) if outage.published_at else None,
            updateddate=_atom_time(revision_times(outage)[outage.sequence]),
            categories=[cap_msg_type(outage)],
        )
    return feed.writeString("utf-8").encode("utf-8")
