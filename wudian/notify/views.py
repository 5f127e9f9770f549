from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wudian.accounts.models import User
from wudian.audit.services import special_group_reads_record
from wudian.notify import selectors, services
from wudian.notify.delivery import IDEMPOTENCY_HEADER
from wudian.notify.models import CallTask, Channel, Message

PAGE_SIZE = 20
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


@dataclass(frozen=True)
class InboxItem:
    message: Message
    title: str
    body: str
    link: str
    # When this reader read it (a broadcast's own read_at is no one's).
    read_at: datetime.datetime | None = None


def _rendered(message: Message) -> InboxItem:
    """The message in the reader's language (the request's), from its template and values."""
    try:
        shown = services.render(message.template, message.context, language=get_language())
    except services.NotifyError:
        shown = services.Rendered(title=message.template, body="")
    return InboxItem(
        message=message,
        title=shown.title,
        body=shown.body,
        link=shown.link,
        read_at=getattr(message, "seen_at", message.read_at),
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        ids = None if "all" in request.POST else _int_list(request.POST.getlist("message"))
        if ids == []:
            messages.error(request, _("Choose a message to mark as read."))
            return redirect("notify:inbox")
        services.inbox_mark_read(user=user, message_ids=ids)
        return redirect("notify:inbox")
    page = Paginator(selectors.inbox_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "items": [_rendered(message) for message in page],
        "unread": selectors.unread_count(user),
    }
    return render(request, "notify/inbox.html", context)


def _int_list(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


class PreferenceForm(forms.Form):
    sms = forms.BooleanField(label=gettext_lazy("SMS to my phone"), required=False)
    email = forms.BooleanField(label=gettext_lazy("E-mail"), required=False)
    quiet_start_hour = forms.TypedChoiceField(
        label=gettext_lazy("Quiet hours from"), choices=HOURS, coerce=int
    )
    quiet_end_hour = forms.TypedChoiceField(
        label=gettext_lazy("Quiet hours until"), choices=HOURS, coerce=int
    )


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    current = services.preference_of(user)
    form = PreferenceForm(
        request.POST or None,
        initial={
            "sms": current.sms,
            "email": current.email,
            "quiet_start_hour": current.quiet_start_hour,
            "quiet_end_hour": current.quiet_end_hour,
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.preference_update(user=user, **form.cleaned_data)
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notify:preferences")
        status = 400
    return render(request, "notify/preferences.html", {"form": form}, status=status)


@dataclass(frozen=True)
class CallItem:
    task: CallTask
    title: str
    body: str
    link: str


def _call_item(task: CallTask) -> CallItem:
    """What to tell, in the caller's language; tasks written before it was kept show their
    reason."""
    if task.template:
        try:
            shown = services.render(task.template, task.context, language=get_language())
        except services.NotifyError:
            shown = services.Rendered(title=task.reason, body="")
        return CallItem(task=task, title=shown.title, body=shown.body, link=shown.link)
    return CallItem(task=task, title=task.reason, body="", link="")


def _calls_page(request: HttpRequest, user: User, *, status: int = 200) -> HttpResponse:
    done = request.GET.get("done") == "1"
    tasks = selectors.call_tasks_of(user, done=done)
    page = Paginator(tasks, PAGE_SIZE * 2).get_page(request.GET.get("page"))
    special_group_reads_record(viewer=user, households=[task.household for task in page])
    context = {
        "page": page,
        "items": [_call_item(task) for task in page],
        "done": done,
        "filter_query": "done=1" if done else "",
        "open_count": selectors.call_tasks_of(user, done=False).count(),
        "outcomes": CallTask.Outcome.choices,
    }
    return render(request, "notify/calls.html", context, status=status)


@login_required
@require_http_methods(["GET"])
@never_cache
def calls(request: HttpRequest) -> HttpResponse:
    """The phone calls to special-group households assigned to the user."""
    return _calls_page(request, request.user)  # type: ignore[arg-type]


@login_required
@require_POST
def call_done(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    task = get_object_or_404(selectors.call_tasks_of(user), pk=pk)
    try:
        done = services.call_task_done(
            task=task,
            by=user,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", "").strip(),
        )
    except services.NotifyError:
        messages.error(request, _("Choose how the call went."))
        return _calls_page(request, user, status=400)
    if done:
        messages.success(request, _("The call is recorded as done."))
    else:
        messages.info(request, _("This call was already recorded as done."))
    return redirect("notify:calls")


def _visible_failed(request: HttpRequest) -> tuple[User, QuerySet[Message], str]:
    """The failed messages the user may see and retry (PermissionDenied for a role that may
    see none), narrowed to one source (`?source=outage:12`) when asked."""
    user: User = request.user  # type: ignore[assignment]
    if not selectors.may_see_failed(user):
        raise PermissionDenied
    visible = selectors.failed_visible_to(user)
    source = (request.GET.get("source") or request.POST.get("source") or "").strip()[:100]
    if source:
        visible = visible.filter(source=source)
    return user, visible, source


@login_required
@require_http_methods(["GET"])
@never_cache
def failed(request: HttpRequest) -> HttpResponse:
    """Messages that failed for good, for the customer managers and supervisors in scope."""
    user, visible, source = _visible_failed(request)
    page = Paginator(
        visible.select_related("household__building__compound", "compound", "user"), PAGE_SIZE * 2
    ).get_page(request.GET.get("page"))
    rows = selectors.failed_rows(user, list(page.object_list))
    context = {
        "page": page,
        "rows": rows,
        "source": source,
        "count": page.paginator.count,
        "filter_query": urlencode({"source": source}) if source else "",
    }
    return render(request, "notify/failed.html", context)


def _retried(request: HttpRequest, chosen: QuerySet[Message], source: str) -> HttpResponse:
    """Send the chosen messages again, say how many, and go back to the failed page."""
    count = services.message_retry(messages=chosen)
    messages.success(
        request,
        ngettext(
            "%(count)d message will be sent again.",
            "%(count)d messages will be sent again.",
            count,
        )
        % {"count": count},
    )
    url = reverse("notify:failed")
    return redirect(f"{url}?{urlencode({'source': source})}" if source else url)


@login_required
@require_POST
def failed_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one failed message again (only one the user may see)."""
    _user, visible, source = _visible_failed(request)
    message = get_object_or_404(visible, pk=pk)
    return _retried(request, Message.objects.filter(pk=message.pk), source)


@login_required
@require_POST
def failed_retry_all(request: HttpRequest) -> HttpResponse:
    """Send again every failed message the user may see (of one source when it is given)."""
    _user, visible, source = _visible_failed(request)
    return _retried(request, Message.objects.filter(pk__in=visible.values("pk")), source)


# The development gateway (debug mode only) -------------------------------------------------
#
# With WUDIAN_DEBUG on and no real gateway set, SMS and e-mail are sent by Apprise (json://)
# to this site, and the demo's circle robots point here too; the page lists what a real
# gateway would have delivered. Without debug every route below answers 404.


GATEWAY_ADDRESSES_SHOWN = 30


def _debug_only() -> None:
    if not settings.DEBUG:
        raise Http404


@csrf_exempt
@require_POST
def dev_gateway_receive(request: HttpRequest, channel: str, name: str = "") -> HttpResponse:
    """Where Apprise posts (json://host/dev/gateway/sms/ etc.): record one message."""
    _debug_only()
    if (channel != "circle") if name else (channel not in (Channel.SMS, Channel.EMAIL)):
        raise Http404
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return HttpResponse("A JSON object is expected.", status=400, content_type="text/plain")
    address = f"{channel}/{name}" if name else str(payload.get("to") or "")
    try:
        services.dev_gateway_record(
            channel=Channel.WEBHOOK if name else channel,
            address=address,
            title=str(payload.get("title") or ""),
            body=str(payload.get("message") or ""),
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        )
    except services.NotifyError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    return HttpResponse(status=204)


@require_GET
@never_cache
def dev_gateway(request: HttpRequest) -> HttpResponse:
    """What the development gateway received, per phone number, e-mail address and circle."""
    _debug_only()
    address = request.GET.get("address", "").strip()
    page = Paginator(selectors.dev_gateway_messages(address=address), PAGE_SIZE * 2).get_page(
        request.GET.get("page")
    )
    addresses = selectors.dev_gateway_addresses()
    context = {
        "addresses": addresses[:GATEWAY_ADDRESSES_SHOWN],
        "more_addresses": max(len(addresses) - GATEWAY_ADDRESSES_SHOWN, 0),
        "address": address,
        "filter_query": urlencode({"address": address}) if address else "",
        "page": page,
    }
    return render(request, "notify/dev_gateway.html", context)
