"""Public outage feeds under /feeds/: iCalendar per compound, CAP alerts with their Atom index,
and the printable PDF notice. Like the compound window they need no login, show only
`public_outages()` (no draft, no arrears disconnection: 404, as if it did not exist) and no
household data."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from wudian.grid.models import Compound
from wudian.grid.scope import customer_manager_of
from wudian.outages import feeds
from wudian.outages.models import Outage
from wudian.outages.pdf import render_notice_pdf
from wudian.outages.selectors import public_outages

# Subscribers poll; a few minutes of staleness is fine and spares the database.
FEED_MAX_AGE = 300


@require_safe
@cache_control(public=True, max_age=FEED_MAX_AGE)
def compound_calendar(request: HttpRequest, code: str) -> HttpResponse:
    compound = get_object_or_404(Compound, code=code)
    since = timezone.now() - feeds.ICS_HISTORY
    outages = (
        feeds.outages_reaching(compound)
        .filter(Q(end__gte=since) | Q(state__in=Outage.LIVE_STATES))
        .order_by("start", "pk")
    )
    with translation.override(feeds.FEED_LANGUAGE):
        body = feeds.build_ics(compound=compound, outages=outages.prefetch_related("events"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{compound.code}.ics"'
    return response


def _public_outage(pk: int) -> Outage:
    return get_object_or_404(public_outages().prefetch_related("events"), pk=pk)


@require_safe
@cache_control(public=True, max_age=FEED_MAX_AGE)
def cap_alert(request: HttpRequest, pk: int) -> HttpResponse:
    outage = _public_outage(pk)
    compounds = list(feeds.compounds_reached_by(outage))
    with translation.override(feeds.FEED_LANGUAGE):
        body = feeds.build_cap(
            outage=outage,
            compounds=compounds,
            buildings=feeds.affected_buildings(outage, compounds),
        )
    return HttpResponse(body, content_type="application/cap+xml; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=FEED_MAX_AGE)
def cap_index(request: HttpRequest) -> HttpResponse:
    with translation.override(feeds.FEED_LANGUAGE):
        body = feeds.build_cap_atom(outages=list(feeds.atom_outages()))
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


@require_safe
@cache_control(public=True, max_age=60)
def notice_pdf(request: HttpRequest, pk: int, code: str | None = None) -> HttpResponse:
    """The A4 notice for one compound the outage reaches (the first one unless named): its
    QR code opens that compound's window, where the stairwell's readers live."""
    outage = _public_outage(pk)
    compounds = list(feeds.compounds_reached_by(outage).select_related("community"))
    chosen = [c for c in compounds if c.code == code] if code else compounds[:1]
    if not chosen:
        raise Http404("This outage does not reach that compound.")
    compound = chosen[0]
    with translation.override(feeds.FEED_LANGUAGE):
        body = render_notice_pdf(
            outage=outage,
            compound=compound,
            compounds=compounds,
            buildings=feeds.affected_buildings(outage, compounds),
            manager=customer_manager_of(compound),
            window_url=feeds.window_url(compound),
        )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="outage-{outage.pk}-{compound.code}.pdf"'
    return response
