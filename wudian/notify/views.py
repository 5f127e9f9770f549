from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from wudian.accounts.models import User
from wudian.audit.services import special_group_reads_record
from wudian.notify import selectors, services
from wudian.notify.models import CallTask, Message

PAGE_SIZE = 20
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


@dataclass(frozen=True)
class InboxItem:
    message: Message
    title: str
    body: str
    link: str


def _rendered(message: Message) -> InboxItem:
    """The message in the reader's language (the request's), from its template and values."""
    try:
        shown = services.render(message.template, message.context, language=get_language())
    except services.NotifyError:
        shown = services.Rendered(title=message.template, body="")
    return InboxItem(message=message, title=shown.title, body=shown.body, link=shown.link)


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
        "open_count": tasks.count() if not done else selectors.call_tasks_of(user, done=False).count(),
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


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def failed(request: HttpRequest) -> HttpResponse:
    """Messages that failed for good, for the customer managers and supervisors in scope."""
    user: User = request.user  # type: ignore[assignment]
    if not selectors.may_see_failed(user):
        raise PermissionDenied
    visible = selectors.failed_visible_to(user)
    if request.method == "POST":
        ids = _int_list(request.POST.getlist("message"))
        chosen = visible.filter(pk__in=ids) if "all" not in request.POST else visible
        if not ids and "all" not in request.POST:
            messages.error(request, _("Choose the messages to send again."))
            return redirect("notify:failed")
        count = services.message_retry(messages=Message.objects.filter(pk__in=chosen.values("pk")))
        messages.success(request, _("%(count)d messages will be sent again.") % {"count": count})
        return redirect("notify:failed")
    page = Paginator(
        visible.select_related("household__building__compound", "compound", "user"), PAGE_SIZE * 2
    ).get_page(request.GET.get("page"))
    rows = selectors.failed_rows(user, list(page.object_list))
    return render(request, "notify/failed.html", {"page": page, "rows": rows})
