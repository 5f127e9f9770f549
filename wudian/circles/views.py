"""The circles' pages: my circles (/circles/), one circle with its pinned posts, its feed of
posts and messages (keyset-paged) and the forms its member may use, one post, one message
with its replies and the actions on it, the member's choices, and the staff's report queue.
Who may do what is policy.py (the forms shown come from it); rules are in services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wudian.accounts.models import User
from wudian.circles import selectors, services
from wudian.circles.forms import (
    DeliveryForm,
    MessageForm,
    MuteForm,
    PostForm,
    ReasonForm,
    ReplyForm,
)
from wudian.circles.models import Circle, Delivery, Message, Post
from wudian.circles.policy import CIRCLE_POLICY, MESSAGE_POLICY, POST_POLICY, CircleParties
from wudian.core.errors import REFUSED, refusal_text, status_of
from wudian.core.privacy import mask_name
from wudian.core.throttle import Throttled, throttled_response


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff_view(parties: CircleParties, circle: Circle) -> bool:
    """Whether the viewer sees the circle as staff (hidden items with their reasons, read
    counts): those serving it and those overseeing its compounds."""
    return "server" in parties or selectors.oversees(parties.user, circle)


def _label_authors(
    items: list[Message], *, staff_view: bool, circle: Circle | None, viewer: User | None = None
) -> None:
    """Each message's author as the viewer may see them: staff by name and role; residents
    by name to staff, masked to residents (a circle is read by a whole compound)."""
    ids = {message.author_id for message in items}
    staff = selectors.staff_among(ids)
    representatives = selectors.representatives_among(circle, ids)
    for message in items:
        author = message.author
        name = str(author)
        message.author_is_staff = author.pk in staff  # type: ignore[attr-defined]
        message.author_representative = author.pk in representatives  # type: ignore[attr-defined]
        if author.pk in staff or staff_view or (viewer is not None and author.pk == viewer.pk):
            message.author_label = name  # type: ignore[attr-defined]
        else:
            message.author_label = mask_name(author.display_name) or _("Resident")  # type: ignore[attr-defined]


def _post_kinds(circle: Circle, parties: CircleParties) -> list[str]:
    return [
        kind for kind in Post.Kind.values if CIRCLE_POLICY.allows(f"post_{kind}", circle, parties)
    ]


def _write_refusal(circle: Circle, parties: CircleParties) -> str:
    refusal = CIRCLE_POLICY.refusal("write", circle, parties)
    return str(refusal.messages[0] if hasattr(refusal, "messages") else refusal) if refusal else ""


@login_required
@require_GET
def circle_list(request: HttpRequest) -> HttpResponse:
    """The circles the person sees, with the latest post of each."""
    user = _user(request)
    circles = list(selectors.circle_rows(user))
    return render(request, "circles/list.html", {"circles": circles})


def _render_circle(
    request: HttpRequest,
    circle: Circle,
    *,
    post_form: PostForm | None = None,
    message_form: MessageForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    parties = CircleParties(user, circle)
    staff_view = _staff_view(parties, circle)
    cursor = selectors.Cursor.parse(request.GET.get("before", ""))
    feed = selectors.circle_feed(circle, staff=staff_view, cursor=cursor)
    pinned = selectors.pinned_posts(circle, staff=staff_view) if cursor is None else []
    posts = pinned + [item.post for item in feed.items if item.post is not None]
    unread = (
        set()
        if staff_view
        else {post.pk for post in posts} - selectors.read_by(user, [post.pk for post in posts])
    )
    services.posts_read_record(user=user, posts=[p for p in posts if p.pk in unread])
    shown = [item.message for item in feed.items if item.message is not None]
    shown += [reply for item in feed.items for reply in item.replies]
    _label_authors(shown, staff_view=staff_view, circle=circle, viewer=user)
    kinds = _post_kinds(circle, parties)
    may_write = CIRCLE_POLICY.allows("write", circle, parties)
    member = parties.member
    context: dict[str, Any] = {
        "circle": circle,
        "compounds": selectors.compound_names(circle),
        "pinned": pinned,
        "feed": feed,
        "unread": unread,
        "staff_view": staff_view,
        "may_reply": "server" in parties or "resident" in parties,
        "post_form": post_form or (PostForm(kinds=kinds) if kinds else None),
        "message_form": message_form or (MessageForm() if may_write else None),
        "write_refusal": ""
        if may_write or "server" in parties
        else _write_refusal(circle, parties),
        "scheduled": list(selectors.scheduled_posts(circle)) if "server" in parties else [],
        "report_count": selectors.open_report_count(circle) if "server" in parties else 0,
        "delivery_form": DeliveryForm(
            initial={"delivery": member.delivery if member else Delivery.INAPP}
        )
        if "resident" in parties or "server" in parties
        else None,
        "left": bool(member and member.left_at),
        "refusal": refusal,
        "next_url": "?" + urlencode({"before": feed.next_cursor.text()})
        if feed.next_cursor
        else "",
    }
    return render(request, "circles/detail.html", context, status=status)


@login_required
@require_GET
@never_cache
def circle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    circle = selectors.circle_for(_user(request), pk)
    return _render_circle(request, circle)


@login_required
@require_POST
def post_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A staff post, now or scheduled."""
    user = _user(request)
    circle = selectors.circle_for(user, pk)
    parties = CircleParties(user, circle)
    kinds = _post_kinds(circle, parties)
    if not kinds:
        raise PermissionDenied(_("Only the staff serving this circle may post here."))
    form = PostForm(request.POST, kinds=kinds)
    if not form.is_valid():
        return _render_circle(request, circle, post_form=form, status=422)
    data = form.cleaned_data
    try:
        [post] = services.post_publish(
            author=user,
            circles=[circle],
            kind=data["kind"],
            title=data["title"],
            body=data["body"],
            link=data["link"],
            pinned=data["pinned"],
            publish_at=data["publish_at"],
        )
    except REFUSED as error:
        refusal = refusal_text(error, form)
        return _render_circle(
            request, circle, post_form=form, refusal=refusal, status=status_of(error)
        )
    if post.published_at is None:
        messages.success(request, _("The post is scheduled."))
    else:
        messages.success(request, _("The post is published."))
    return redirect("circles:detail", pk=circle.pk)


@login_required
@require_POST
def message_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident's message to the circle."""
    user = _user(request)
    circle = selectors.circle_for(user, pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _render_circle(request, circle, message_form=form, status=422)
    try:
        services.message_write(circle=circle, by=user, body=form.cleaned_data["body"])
    except REFUSED as error:
        refusal = refusal_text(error, form)
        return _render_circle(
            request, circle, message_form=form, refusal=refusal, status=status_of(error)
        )
    except Throttled as error:
        return throttled_response(
            _render_circle(request, circle, message_form=form, refusal=str(error.message)),
            error,
        )
    messages.success(request, _("Your message is posted."))
    return redirect("circles:detail", pk=circle.pk)


@login_required
@require_POST
def member_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """How the member hears of new posts; leaving the circle or coming back."""
    user = _user(request)
    circle = selectors.circle_for(user, pk)
    form = DeliveryForm(request.POST)
    leave = {"leave": True, "rejoin": False}.get(request.POST.get("membership", ""))
    if leave is None and not form.is_valid():
        return _render_circle(
            request, circle, refusal=_("Choose how you hear of new posts."), status=422
        )
    services.member_choose(
        circle=circle,
        user=user,
        delivery=form.cleaned_data["delivery"] if leave is None else None,
        leave=leave,
    )
    messages.success(request, _("Your choice is saved."))
    return redirect("circles:detail", pk=circle.pk)


# One post ------------------------------------------------------------------------------------


def _render_post(
    request: HttpRequest,
    post: Post,
    *,
    forms: dict[str, Any] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    parties = CircleParties(user, post.circle)
    staff_view = _staff_view(parties, post.circle)
    if (post.hidden_at is not None or post.published_at is None) and not staff_view:
        raise Http404
    services.posts_read_record(user=user, posts=[post])
    actions = POST_POLICY.allowed(post, parties)
    return render(
        request,
        "circles/post.html",
        {
            "post": post,
            "circle": post.circle,
            "staff_view": staff_view,
            "read_count": selectors.read_count(post) if staff_view else None,
            "member_count": selectors.members_of(post.circle).count() if staff_view else None,
            "actions": actions,
            "hide_form": (forms or {}).get("hide") or ReasonForm(prefix="hide"),
            "robots": post.circle.robots.filter(enabled=True).exists() if staff_view else False,
            "refusal": refusal,
        },
        status=status,
    )


@login_required
@require_GET
@never_cache
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(_user(request), pk)
    return _render_post(request, post)


@login_required
@require_POST
def post_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    post = selectors.post_for(user, pk)
    if action not in ("pin", "unpin", "hide"):
        raise Http404
    form = ReasonForm(request.POST, prefix="hide")
    try:
        if action == "hide":
            services.post_hide(post=post, by=user, reason=request.POST.get("hide-reason", ""))
            done = _(
                "The post is hidden from residents. A copy a group robot already posted "
                "stays in that group: robots cannot recall messages."
            )
        else:
            services.post_pin(post=post, by=user, pinned=action == "pin")
            done = _("The post is pinned.") if action == "pin" else _("The post is unpinned.")
    except REFUSED as error:
        form.is_valid()
        refusal = refusal_text(error, form)
        return _render_post(
            request, post, forms={"hide": form}, refusal=refusal, status=status_of(error)
        )
    messages.success(request, done)
    return redirect("circles:post", pk=post.pk)


# One message ---------------------------------------------------------------------------------

MESSAGE_FORMS = {"reply": ReplyForm, "report": ReasonForm, "hide": ReasonForm, "mute": MuteForm}


def _render_message(
    request: HttpRequest,
    message: Message,
    *,
    forms: dict[str, Any] | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    circle = message.circle
    parties = CircleParties(user, circle, message=message)
    staff_view = _staff_view(parties, circle)
    if not staff_view and (
        message.hidden_at is not None or (message.parent and message.parent.hidden_at is not None)
    ):
        raise Http404
    root = message.parent or message
    if root.pk != message.pk:
        return redirect(reverse("circles:message", args=[root.pk]) + f"#m{message.pk}")
    replies = list(selectors.replies_of(root, staff=staff_view))
    _label_authors([root, *replies], staff_view=staff_view, circle=circle, viewer=user)
    actions = MESSAGE_POLICY.allowed(root, parties)
    forms = forms or {}
    shown = {
        name: forms.get(name) or form_class(prefix=name)
        for name, form_class in MESSAGE_FORMS.items()
        if name in actions
    }
    return render(
        request,
        "circles/message.html",
        {
            "message": root,
            "circle": circle,
            "replies": replies,
            "staff_view": staff_view,
            "actions": actions,
            "forms": shown,
            "workorder": selectors.request_of(root),
            "mine": root.author_id == user.pk,
            "reports": list(root.reports.select_related("reporter")) if "server" in parties else [],
            "refusal": refusal,
        },
        status=status,
    )


@login_required
@require_GET
@never_cache
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_for(_user(request), pk)
    return _render_message(request, message)


@login_required
@require_POST
def message_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    message = selectors.message_for(user, pk)
    if action not in MESSAGE_FORMS:
        raise Http404
    parties = CircleParties(user, message.circle, message=message)
    if not _staff_view(parties, message.circle) and message.hidden_at is not None:
        raise Http404
    form = MESSAGE_FORMS[action](request.POST, prefix=action)
    if not form.is_valid():
        # Who may is told before what was typed wrong.
        refused = MESSAGE_POLICY.refusal(action, message, parties)
        if refused is not None:
            return _render_message(
                request, message, refusal=refusal_text(refused), status=status_of(refused)
            )
        return _render_message(request, message, forms={action: form}, status=422)
    data = form.cleaned_data
    try:
        if action == "reply":
            services.message_reply(message=message, by=user, body=data["body"])
            done = _("Your reply is posted.")
        elif action == "report":
            services.message_report(message=message, by=user, reason=data["reason"])
            done = _("Thank you: the circle's staff will look at it.")
        elif action == "hide":
            services.message_hide(message=message, by=user, reason=data["reason"])
            done = _("The message is hidden from residents.")
        else:
            services.member_mute(
                message=message, by=user, hours=data["hours"], reason=data["reason"]
            )
            done = _("The resident is muted.") if data["hours"] else _("The mute is lifted.")
    except REFUSED as error:
        refusal = refusal_text(error, form)
        return _render_message(
            request, message, forms={action: form}, refusal=refusal, status=status_of(error)
        )
    except Throttled as error:
        return throttled_response(
            _render_message(request, message, forms={action: form}, refusal=str(error.message)),
            error,
        )
    messages.success(request, done)
    return redirect("circles:message", pk=message.parent_id or message.pk)


# The report queue ----------------------------------------------------------------------------


@login_required
@require_GET
@never_cache
def report_queue(request: HttpRequest) -> HttpResponse:
    """The reports not yet handled in the circles the person serves."""
    user = _user(request)
    if user.is_resident_only:
        raise PermissionDenied(_("This page is for staff."))
    reports = list(selectors.open_reports(user)[:100])
    _label_authors([report.message for report in reports], staff_view=True, circle=None)
    return render(request, "circles/reports.html", {"reports": reports})


@login_required
@require_POST
def report_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    report = selectors.open_reports(user).filter(pk=pk).first()
    if report is None:
        raise Http404
    try:
        services.report_dismiss(report=report, by=user)
    except REFUSED as error:
        messages.error(request, refusal_text(error))
        return redirect("circles:reports")
    messages.success(request, _("The report is closed; the message stays."))
    return redirect("circles:reports")
