"""Which requests the public may follow, and the spec's filters over them (ids, service codes,
open or closed, a window of at most 90 days)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from wudian.workorders.models import Channel, WorkOrder
from wudian.workorders.open311.documents import Open311Error

# The spec: at most 90 days or the first 1,000 requests, whichever is smaller.
MAX_REQUESTS = 1000
MAX_SPAN = datetime.timedelta(days=90)
# The instants a date filter can name: Python's own range, less a day at either end so that any
# time zone's offset and the span arithmetic stay inside it.
EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC) + datetime.timedelta(days=1)
LATEST = datetime.datetime.max.replace(tzinfo=datetime.UTC) - datetime.timedelta(days=1)


def public_requests() -> QuerySet[WorkOrder]:
    """Requests anyone may follow: those filed through Open311, where the reporter knew they
    would be public, in the categories residents may report. What residents file on their own
    pages, by phone or in person (a bill, a complaint, a home's fault) is private."""
    return WorkOrder.objects.filter(channel=Channel.OPEN311, category__resident_may_report=True)


ID = re.compile(r"[0-9]{1,18}")
_W3C_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
# A "+08:00" sent unencoded in a query string arrives as " 08:00".
_LOST_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def parse_w3c(value: str, *, parameter: str) -> datetime.datetime:
    """A W3C date-time (any of its precisions); without an offset, the station's time."""
    text = _LOST_PLUS.sub(r"\1+\2", value.strip())
    refused = Open311Error(
        400,
        _("%(parameter)s must be a W3C date-time such as 2026-01-01T00:00:00+08:00.")
        % {"parameter": parameter},
    )
    try:
        at = parse_datetime(text)
        if at is None and (day := parse_date(text)) is not None:
            at = datetime.datetime.combine(day, datetime.time.min)
        if at is None and (match := _W3C_YEAR_MONTH.match(text)):
            at = datetime.datetime(int(match[1]), int(match[2] or 1), 1)
    except ValueError:
        raise refused from None
    if at is None:
        raise refused
    return _within_range(timezone.make_aware(at) if timezone.is_naive(at) else at)


def _within_range(at: datetime.datetime) -> datetime.datetime:
    """The instant in UTC, held inside the range a filter can name (0001-01-01 in the station's
    time is before the first instant Python can write in UTC)."""
    try:
        utc = at.astimezone(datetime.UTC)
    except OverflowError:
        return EARLIEST if at.year < 2 else LATEST
    return min(max(utc, EARLIEST), LATEST)


def _shifted(at: datetime.datetime, by: datetime.timedelta) -> datetime.datetime:
    try:
        return _within_range(at + by)
    except OverflowError:
        return EARLIEST if by < datetime.timedelta(0) else LATEST


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def filtered_requests(params: Any, *, now: datetime.datetime) -> QuerySet[WorkOrder]:
    workorders = public_requests()
    if ids := _listed(params.get("service_request_id", "")):
        if not all(ID.fullmatch(item) for item in ids):
            raise Open311Error(400, _("service_request_id must be a comma-separated list of ids."))
        if len(ids) > MAX_REQUESTS:
            raise Open311Error(
                400,
                _("At most %(n)s service_request_id values may be asked for at once.")
                % {"n": MAX_REQUESTS},
            )
        # The spec: a list of ids overrides every other argument.
        return workorders.filter(pk__in=[int(item) for item in ids])
    if codes := _listed(params.get("service_code", "")):
        workorders = workorders.filter(category__code__in=codes)
    if statuses := _listed(params.get("status", "").lower()):
        unknown = set(statuses) - {"open", "closed"}
        if unknown:
            raise Open311Error(
                400,
                _("Unknown status “%(status)s”: use open or closed.")
                % {"status": sorted(unknown)[0][:20]},
            )
        if set(statuses) == {"open"}:
            workorders = workorders.filter(status__in=WorkOrder.OPEN_STATUSES)
        elif set(statuses) == {"closed"}:
            workorders = workorders.exclude(status__in=WorkOrder.OPEN_STATUSES)
    start_text = params.get("start_date", "").strip()
    end_text = params.get("end_date", "").strip()
    start = parse_w3c(start_text, parameter="start_date") if start_text else None
    end = parse_w3c(end_text, parameter="end_date") if end_text else None
    if start is None and end is None:
        end = now
    if start is None:
        assert end is not None
        start = _shifted(end, -MAX_SPAN)
    if end is None:
        end = _shifted(start, MAX_SPAN)
    if start > end:
        raise Open311Error(400, _("start_date must not be after end_date."))
    if end - start > MAX_SPAN:
        raise Open311Error(
            400, _("start_date and end_date may not span more than %(days)s days.") % {"days": 90}
        )
    return workorders.filter(created_at__gte=start, created_at__lte=end)
