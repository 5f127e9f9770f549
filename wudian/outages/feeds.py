"""Machine-readable outage feeds: an iCalendar (RFC 5545) feed per compound, each outage as a
CAP 1.2 alert, and an Atom index of the alerts.

The builders are plain functions over model instances so the views stay thin. Feeds are public
(like the compound window) and carry no household data. Text is Chinese: callers render them
inside ``translation.override(FEED_LANGUAGE)``.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from wudian.grid.models import Building, Compound
from wudian.outages.models import Outage, OutageEvent
from wudian.outages.selectors import outage_compounds, reaching

FEED_LANGUAGE = "zh-hans"
CAP_LANGUAGE = "zh-CN"
CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HOTLINE = "95598"

# A calendar keeps what it once saw; older outages only make the feed heavier.
ICS_HISTORY = datetime.timedelta(days=90)
# The Atom index lists live alerts and those that ended or changed recently.
ATOM_HISTORY = datetime.timedelta(days=30)
ATOM_MAX_ENTRIES = 200
# Calendar apps poll; RFC 7986 REFRESH-INTERVAL and the de-facto X-PUBLISHED-TTL say how often.
ICS_REFRESH = "PT1H"


# Reads ----------------------------------------------------------------------------------------


def public_outages() -> QuerySet[Outage]:
    """Outages the public may see: every one that was published, whatever became of it.
    A draft, or a draft cancelled before it was ever published, is never shown."""
    return Outage.objects.exclude(state=Outage.State.DRAFT).exclude(
        state=Outage.State.CANCELLED, published_at__isnull=True
    )


def outages_reaching(compound: Compound) -> QuerySet[Outage]:
    """Published outages whose scope reaches the compound."""
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


# iCalendar (RFC 5545) -------------------------------------------------------------------------


def ics_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_fold(line: str, limit: int = 75) -> str:
    """Fold a content line into pieces of at most ``limit`` octets (RFC 5545 §3.1), never
    splitting a UTF-8 character; continuation lines start with one space."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    room = limit
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > room:
            pieces.append("".join(current))
            current, size = [], 0
            room = limit - 1  # the leading space of a continuation line is one octet
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def ics_datetime(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_uid(outage: Outage, host: str) -> str:
    return f"outage-{outage.pk}@{host}"


def build_ics(
    *, compound: Compound, outages: Iterable[Outage], host: str, window_url: str
) -> bytes:
    location = f"{compound.name}（{compound.address}）"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Wudian//Outage notices//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:"
        + ics_escape(_("Power outages: %(compound)s") % {"compound": compound.name}),
        "X-WR-CALDESC:"
        + ics_escape(
            _("Outage notices for %(compound)s from the property–power liaison station.")
            % {"compound": compound.name}
        ),
        "X-WR-TIMEZONE:Asia/Shanghai",
        f"REFRESH-INTERVAL;VALUE=DURATION:{ICS_REFRESH}",
        f"X-PUBLISHED-TTL:{ICS_REFRESH}",
    ]
    for outage in outages:
        cancelled = outage.state == Outage.State.CANCELLED
        summary = _("%(kind)s: %(title)s") % {"kind": event_name(outage), "title": outage.title}
        if cancelled:
            summary = _("Cancelled: %(summary)s") % {"summary": summary}
        lines += [
            "BEGIN:VEVENT",
            f"UID:{ics_uid(outage, host)}",
            f"DTSTAMP:{ics_datetime(outage.updated_at)}",
            f"CREATED:{ics_datetime(outage.created_at)}",
            f"LAST-MODIFIED:{ics_datetime(outage.updated_at)}",
            f"SEQUENCE:{outage.sequence}",
            f"DTSTART:{ics_datetime(outage.start)}",
            f"DTEND:{ics_datetime(outage_end(outage))}",
            "STATUS:" + ("CANCELLED" if cancelled else "CONFIRMED"),
            # An outage does not make the subscriber busy.
            "TRANSP:TRANSPARENT",
            "SUMMARY:" + ics_escape(summary),
            "DESCRIPTION:" + ics_escape(outage_description(outage)),
            "LOCATION:" + ics_escape(location),
            "URL:" + window_url,
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(ics_fold(line) for line in lines) + "\r\n").encode("utf-8")


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
    """When each revision 0..sequence of the published outage was sent. CAP references name
    earlier messages by their sent time, so these must not move between requests: they come
    from the event log (an event's ``data["sequence"]`` when it has one, otherwise the order
    of revising events), padded with ``updated_at`` when the log is short."""
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
    result = [times[0]]
    for number in range(1, outage.sequence + 1):
        result.append(max(times.get(number, outage.updated_at), result[-1]))
    return result


def cap_sender(host: str) -> str:
    return f"outages@{host}"


def cap_identifier(outage: Outage, revision: int, host: str) -> str:
    return f"{host}.outage.{outage.pk}.{revision}"


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


def cap_assessment(outage: Outage, now: datetime.datetime) -> CapAssessment:
    """Urgency follows the clock, severity and certainty the kind: a fault is already
    happening (Observed), a planned outage is scheduled (Likely); losing power for hours is a
    Moderate threat for a fault, Minor when residents had notice."""
    if outage.state in (Outage.State.CANCELLED, Outage.State.RESTORED) or now >= outage_end(outage):
        return CapAssessment("Past", "Minor", "Observed", "AllClear")
    if outage.kind == Outage.Kind.FAULT:
        return CapAssessment("Immediate", "Moderate", "Observed", "Monitor")
    if now >= outage.start:
        urgency = "Immediate"
    elif outage.start - now <= datetime.timedelta(hours=1):
        urgency = "Expected"
    else:
        urgency = "Future"
    return CapAssessment(urgency, "Minor", "Likely", "Prepare")


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
    host: str,
    web: str,
    now: datetime.datetime | None = None,
) -> bytes:
    now = now or timezone.now()
    times = revision_times(outage)
    revision = outage.sequence
    sender = cap_sender(host)
    assessment = cap_assessment(outage, now)

    def sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, name)
        if text is not None:
            element.text = text
        return element

    # The default namespace is declared as a plain attribute so ElementTree's global prefix
    # registry (shared by every thread) stays untouched.
    alert = ET.Element("alert", {"xmlns": CAP_NAMESPACE})
    sub(alert, "identifier", cap_identifier(outage, revision, host))
    sub(alert, "sender", sender)
    sub(alert, "sent", cap_datetime(times[revision]))
    sub(alert, "status", "Actual")
    sub(alert, "msgType", cap_msg_type(outage))
    sub(alert, "scope", "Public")
    if revision > 0:
        sub(
            alert,
            "references",
            " ".join(
                f"{sender},{cap_identifier(outage, number, host)},{cap_datetime(times[number])}"
                for number in range(revision)
            ),
        )
    sub(alert, "incidents", f"{host}.outage.{outage.pk}")

    info = sub(alert, "info")
    sub(info, "language", CAP_LANGUAGE)
    sub(info, "category", "Infra")
    sub(info, "event", event_name(outage))
    sub(info, "responseType", assessment.response)
    sub(info, "urgency", assessment.urgency)
    sub(info, "severity", assessment.severity)
    sub(info, "certainty", assessment.certainty)
    sub(info, "effective", cap_datetime(times[revision]))
    sub(info, "onset", cap_datetime(outage.start))
    sub(info, "expires", cap_datetime(outage_end(outage)))
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
    sub(info, "web", web)
    sub(info, "contact", HOTLINE)
    for compound, text in zip(compounds, areas, strict=True):
        area = sub(info, "area")
        sub(area, "areaDesc", f"{text}，{compound.address}")
        geocode = sub(area, "geocode")
        sub(geocode, "valueName", "compound")
        sub(geocode, "value", compound.code)
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


# Atom (RFC 4287) index of the CAP alerts ------------------------------------------------------


def atom_outages() -> QuerySet[Outage]:
    """Live alerts and those that ended, were cancelled or changed within ATOM_HISTORY."""
    since = timezone.now() - ATOM_HISTORY
    return (
        public_outages()
        .filter(Q(state__in=Outage.LIVE_STATES) | Q(updated_at__gte=since) | Q(end__gte=since))
        .prefetch_related("events")
        .order_by("-updated_at", "-pk")[:ATOM_MAX_ENTRIES]
    )


def atom_datetime(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_cap_atom(
    *,
    outages: Sequence[Outage],
    self_url: str,
    cap_url: Callable[[Outage], str],
    now: datetime.datetime | None = None,
) -> bytes:
    def sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, name, attrs)
        if text is not None:
            element.text = text
        return element

    entries = [(outage, revision_times(outage)[outage.sequence]) for outage in outages]
    latest = max((sent for _outage, sent in entries), default=now or timezone.now())
    feed = ET.Element("feed", {"xmlns": ATOM_NAMESPACE, XML_LANG: CAP_LANGUAGE})
    sub(feed, "id", self_url)
    sub(feed, "title", _("Power outage alerts (CAP)"))
    sub(feed, "updated", atom_datetime(latest))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    author = sub(feed, "author")
    sub(author, "name", _("Property–power liaison station"))
    for outage, sent in entries:
        entry = sub(feed, "entry")
        url = cap_url(outage)
        sub(entry, "id", url)
        title = _("%(kind)s: %(title)s") % {"kind": event_name(outage), "title": outage.title}
        if outage.state == Outage.State.CANCELLED:
            title = _("Cancelled: %(summary)s") % {"summary": title}
        sub(entry, "title", title)
        sub(entry, "updated", atom_datetime(sent))
        if outage.published_at:
            sub(entry, "published", atom_datetime(outage.published_at))
        sub(entry, "link", rel="alternate", type="application/cap+xml", href=url)
        sub(entry, "category", term=cap_msg_type(outage))
        summary = time_window(outage)
        note = state_note(outage)
        sub(entry, "summary", f"{summary}\n{note}" if note else summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
