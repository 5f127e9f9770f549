"""The compound's A4 poster for the stairwell board (电力服务社区之窗): the window's contacts
and a QR code to the compound's join link, with the date the link stops working. Chinese in
Noto Sans CJK through WeasyPrint; black on white, so a photocopy keeps every meaning."""

from __future__ import annotations

import base64
import datetime
import mimetypes
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from wudian.accounts.models import Duty, RoleCode, User
from wudian.grid.models import Compound, DutyShift
from wudian.grid.scope import compound_contacts, electricians_of
from wudian.joining.links import JoinLink
from wudian.outages.pdf import qr_svg_data_uri

# The poster lists the first duties of the customer manager: the window has them all.
POSTER_DUTIES = 4
POSTER_ELECTRICIANS = 4
HOTLINE = "95598"
PHOTO_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class PosterElectrician:
    person: User
    certified: bool
    # The days of the roster, runs shortened: "星期一–星期五、星期日".
    weekdays: str


def photo_data_uri(person: User | None) -> str:
    """A member of staff's photo inlined for the PDF, or "" (none, missing, or too large)."""
    if person is None or not person.photo.name:
        return ""
    try:
        with person.photo.storage.open(person.photo.name, "rb") as handle:
            data = handle.read(PHOTO_MAX_BYTES + 1)
    except OSError:
        return ""
    if len(data) > PHOTO_MAX_BYTES:
        return ""
    kind = mimetypes.guess_type(person.photo.name)[0] or "image/jpeg"
    return f"data:{kind};base64," + base64.b64encode(data).decode("ascii")


def weekday_runs(weekdays: list[int]) -> str:
    """Weekdays (1–7, sorted) as their names, consecutive ones as one run."""
    runs: list[list[int]] = []
    for day in weekdays:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    label = DutyShift.Weekday
    return "、".join(
        str(label(run[0]).label)
        if len(run) == 1
        else f"{label(run[0]).label}–{label(run[-1]).label}"
        for run in runs
    )


def poster_electricians(compound: Compound, *, on: datetime.date) -> list[PosterElectrician]:
    """The compound's electricians with the weekdays of the roster they are on, certified
    first (a poster stays up for months: today's duty is not what it shows)."""
    certified = {
        contact.user.pk
        for contact in compound_contacts([compound], on=on)[compound.pk].electricians
        if contact.certified
    }
    people = list(electricians_of(compound).order_by("username"))
    days: dict[int, list[int]] = {person.pk: [] for person in people}
    for electrician_id, weekday in (
        DutyShift.objects.filter(compound=compound, electrician__in=[p.pk for p in people])
        .order_by("weekday")
        .values_list("electrician_id", "weekday")
    ):
        days[electrician_id].append(weekday)
    rows = [
        PosterElectrician(person=p, certified=p.pk in certified, weekdays=weekday_runs(days[p.pk]))
        for p in people
    ]
    rows.sort(key=lambda row: not row.certified)
    return rows[:POSTER_ELECTRICIANS]


def render_poster_html(*, compound: Compound, link: JoinLink, manager: User | None) -> str:
    today = timezone.localdate()
    duties = list(
        Duty.objects.filter(role__code=RoleCode.CUSTOMER_MANAGER).order_by("order", "id")[
            :POSTER_DUTIES
        ]
    )
    company = compound.property_company
    context = {
        "compound": compound,
        "community": compound.community,
        "manager": manager,
        "manager_photo": photo_data_uri(manager),
        "duties": duties,
        "electricians": poster_electricians(compound, on=today),
        "property_company": company,
        "property_phone": compound.property_office_phone or (company.phone if company else ""),
        "hotline": HOTLINE,
        "qr": qr_svg_data_uri(link.url),
        "join_url": link.url,
        "expires": timezone.localtime(link.expires).date(),
        "printed": today,
    }
    return render_to_string("front/poster_pdf.html", context)


def render_poster_pdf(*, compound: Compound, link: JoinLink, manager: User | None) -> bytes:
    # WeasyPrint is heavy to import and only this path needs it.
    from weasyprint import HTML

    pdf = HTML(string=render_poster_html(compound=compound, link=link, manager=manager)).write_pdf()
    if pdf is None:  # only when a target file is given, never here
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)
