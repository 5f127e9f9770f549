"""The printable A4 outage notice (停电通知) for stairwells and bulletin boards: Chinese text in
Noto Sans CJK, and a QR code that opens the compound's public window."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import qrcode
import qrcode.image.svg
from django.template.loader import render_to_string
from django.utils import timezone

from wudian.accounts.models import User
from wudian.grid.models import Building, Compound
from wudian.outages import feeds
from wudian.outages.models import Outage

NOTICE_MAX_AREAS = 3
NOTICE_MAX_REASON = 80


def qr_svg_data_uri(url: str) -> str:
    """A QR code as an inline SVG image: vector, so it prints sharp at any size. Error
    correction M survives a smudge or a staple through a corner."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_notice_html(
    *,
    outage: Outage,
    compound: Compound,
    compounds: Sequence[Compound],
    buildings: dict[int, list[Building]],
    manager: User | None,
    window_url: str,
) -> str:
    # This compound first: its residents read the notice. Long lists and reasons are cut so
    # the notice always fits one page; the window behind the QR code has the full text.
    ordered = [compound, *(other for other in compounds if other.pk != compound.pk)]
    areas = [
        feeds.area_description(other, buildings.get(other.pk, []))
        for other in ordered[:NOTICE_MAX_AREAS]
    ]
    fault_estimate = (
        feeds.local_datetime(outage.estimated_restoration)
        if outage.kind == Outage.Kind.FAULT
        and outage.estimated_restoration
        and outage.state in Outage.LIVE_STATES
        else ""
    )
    context = {
        "outage": outage,
        "compound": compound,
        "kind": feeds.event_name(outage),
        "window": feeds.time_window(outage),
        "areas": areas,
        "more_areas": max(len(ordered) - NOTICE_MAX_AREAS, 0),
        "reason_limit": NOTICE_MAX_REASON,
        "estimate": fault_estimate,
        "note": feeds.state_note(outage),
        "cancelled": outage.state == Outage.State.CANCELLED,
        "restored": outage.state == Outage.State.RESTORED,
        "instruction": feeds.instruction(outage),
        "manager": manager,
        "hotline": feeds.HOTLINE,
        "qr": qr_svg_data_uri(window_url),
        "window_url": window_url,
        "issued": feeds.local_datetime(outage.published_at or timezone.now()),
        "service_point": compound.community.service_point_name,
    }
    return render_to_string("outages/notice_pdf.html", context)


def render_notice_pdf(
    *,
    outage: Outage,
    compound: Compound,
    compounds: Sequence[Compound],
    buildings: dict[int, list[Building]],
    manager: User | None,
    window_url: str,
) -> bytes:
    # WeasyPrint is heavy to import and only this path needs it.
    from weasyprint import HTML

    html = render_notice_html(
        outage=outage,
        compound=compound,
        compounds=compounds,
        buildings=buildings,
        manager=manager,
        window_url=window_url,
    )
    pdf = HTML(string=html).write_pdf()
    if pdf is None:  # only when a target file is given, never here
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)
