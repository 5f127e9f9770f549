"""Every write of the circles: a circle for each compound, staff posts (published now or on
schedule, told to the members in the app and mirrored to the group robots), resident
messages and replies, moderation (hide, report, mute), reads and members' choices, and the
daily SMS digest.

Other apps publish into circles through `post_publish` (knowledge's articles and seasonal
reminders, civic posts); its keyword names are a fixed interface."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wudian.accounts.models import User
from wudian.circles.models import (
    LINK_MAX,
    MESSAGE_MAX,
    POST_BODY_MAX,
    REASON_MAX,
    TITLE_MAX,
    Circle,
    CircleMember,
    Delivery,
    Message,
    Post,
    PostRead,
    Report,
)
from wudian.circles.policy import CIRCLE_POLICY, MESSAGE_POLICY, POST_POLICY, CircleParties
from wudian.circles.selectors import (
    circles_visible_to,
    due_posts,
    homes_in_circle,
    inbox_recipients,
    staff_to_tell,
)
from wudian.core.errors import NotAllowed, OutsideScope, invalid
from wudian.core.throttle import Throttled, throttle_wait
from wudian.grid.models import Compound
from wudian.notify.services import (
    Audience,
    Broadcast,
    Recipients,
    inbox_withdraw,
    notify_broadcast,
    notify_cancel,
    notify_publish,
    notify_texts_each,
)

# How long staff may mute a resident for, in hours: 30 days at most.
MUTE_HOURS_MAX = 30 * 24
DIGEST_TITLES = 3


def clean_text(text: str | None, *, field: str, limit: int, required: bool = True) -> str:
    """The text as it will be stored: stripped; HTML is kept as the resident typed it and
    escaped wherever it is shown."""
    text = (text or "").strip()
    if required and not text:
        raise invalid(field, _("This field is required."), "required")
    if "\x00" in text:
        raise invalid(field, _("The text contains a NUL character."), "nul")
    if len(text) > limit:
        raise invalid(
            field,
            _("At most %(limit)s characters are allowed (this one has %(n)s).")
            % {"limit": limit, "n": len(text)},
            "max_length",
        )
    return text


def clean_link(link: str | None) -> str:
    """A page of this site ("/…") or a web address (http, https); empty when none."""
    link = clean_text(link, field="link", limit=LINK_MAX, required=False)
    if not link:
        return ""
    if link.startswith("/") and not link.startswith("//") and " " not in link:
        return link
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        raise invalid(
            "link",
            _("A link is a page of this site (starting with /) or a web address (http or https)."),
            "link",
        ) from None
    return link


# Circles -------------------------------------------------------------------------------------


def circle_for_compound(compound: Compound) -> Circle:
    """The compound's circle: the one covering it, or a new circle of its own."""
    found = Circle.objects.filter(compounds=compound).order_by("pk").first()
    if found is not None:
        return found
    with transaction.atomic():
        circle = Circle.objects.create(name=str(compound.name))
        circle.compounds.add(compound)
    return circle


# Posts ---------------------------------------------------------------------------------------


def post_publish(
    *,
    author: User | None,
    circles: Iterable[Circle] | QuerySet[Circle],
    kind: str,
    title: str,
    body: str,
    link: str = "",
    pinned: bool = False,
    publish_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> list[Post]:
    """Post to each of the circles: now (told to the members and mirrored to the robots in
    this transaction's outbox), or at `publish_at` by the periodic task. `author=None` is the
    system (a seasonal reminder); an author must see each circle (else OutsideScope) and may
    post that kind there (else NotAllowed). Returns the posts written, one per circle;
    nothing is written when any circle refuses."""
    now = now or timezone.now()
    if kind not in Post.Kind.values:
        raise invalid("kind", _("Choose what kind of post it is."), "kind")
    title = clean_text(title, field="title", limit=TITLE_MAX)
    body = clean_text(body, field="body", limit=POST_BODY_MAX)
    link = clean_link(link)
    if publish_at is not None and publish_at.tzinfo is None:
        raise invalid("publish_at", _("Give the time with its time zone."), "naive")
    if publish_at is not None and publish_at > now + datetime.timedelta(days=366):
        raise invalid("publish_at", _("A post may be scheduled at most a year ahead."), "far")
    chosen = list(circles)
    if not chosen:
        raise invalid("circles", _("Choose at least one circle."), "required")
    if author is not None:
        visible = set(
            circles_visible_to(author)
            .filter(pk__in=[circle.pk for circle in chosen])
            .values_list("pk", flat=True)
        )
        if any(circle.pk not in visible for circle in chosen):
            raise OutsideScope()
        for circle in chosen:
            CIRCLE_POLICY.check(f"post_{kind}", circle, CircleParties(author, circle, at=now))
    due = publish_at is None or publish_at <= now
    with transaction.atomic():
        posts = Post.objects.bulk_create(
            [
                Post(
                    circle=circle,
                    kind=kind,
                    title=title,
                    body=body,
                    link=link,
                    pinned=pinned,
                    author=author,
                    created_at=now,
                    publish_at=publish_at or now,
                    published_at=now if due else None,
                )
                for circle in chosen
            ]
        )
        if due:
            _deliver(posts, now=now)
    return posts


def _context(post: Post, *, body: bool) -> dict[str, object]:
    """What the messages of a post keep. The inbox's broadcast leaves the text out (the link
    opens the post); the robots' rows carry it, for the group to read."""
    context: dict[str, object] = {
        "post_id": post.pk,
        "circle": post.circle.name,
        "kind": post.kind,
        "title": post.title,
        "url": f"/circles/posts/{post.pk}/",
    }
    if body:
        context["body"] = post.body
    return context


def _deliver(posts: Sequence[Post], *, now: datetime.datetime) -> int:
    """The posts' outbox rows: each post one in-app broadcast (event
    `circle_post:<id>:inbox`) put in the inbox of every member of its circle who hears of
    posts, by ONE INSERT … SELECT over all the posts' circles however many members they
    have (a city's seasonal post to 300 circles: docs/benchmarks.md, "Circles"); and one
    row per enabled robot of each circle (event `circle_post:<id>`)."""
    written = 0
    by_author: dict[int | None, list[Post]] = defaultdict(list)
    for post in posts:
        by_author[post.author_id].append(post)
    for author_id, authored in by_author.items():
        sql, params = inbox_recipients(
            sorted({post.circle_id for post in authored}), author_id=author_id
        )
        written += notify_broadcast(
            broadcasts=[
                Broadcast(
                    tag=post.circle_id,
                    event_key=post.inbox_event_key,
                    context=_context(post, body=False),
                    source=f"circle:{post.circle_id}",
                )
                for post in authored
            ],
            recipients=Recipients(sql=sql, params=params),
            template="circle_post",
            now=now,
        )
    circle_ids = [post.circle_id for post in posts]
    first_compound: dict[int, int] = {}
    for circle_id, compound_id in (
        Circle.compounds.through.objects.filter(circle_id__in=circle_ids)
        .order_by("pk")
        .values_list("circle_id", "compound_id")
    ):
        first_compound.setdefault(circle_id, compound_id)
    robots: dict[int, list[int]] = defaultdict(list)
    for circle_id, endpoint_id in (
        Circle.robots.through.objects.filter(circle_id__in=circle_ids, circleendpoint__enabled=True)
        .order_by("pk")
        .values_list("circle_id", "circleendpoint_id")
    ):
        robots[circle_id].append(endpoint_id)
    for post in posts:
        if robots.get(post.circle_id):
            written += notify_publish(
                audience=Audience(
                    robots=[
                        (pk, first_compound.get(post.circle_id)) for pk in robots[post.circle_id]
                    ]
                ),
                template="circle_post",
                context=_context(post, body=True),
                event_key=post.event_key,
                source=f"circle:{post.circle_id}",
                now=now,
            )
    return written


def posts_publish_due(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Publish the scheduled posts whose time has come (the periodic task): each is taken
    under a row lock, so two workers never publish one twice. Returns how many."""
    now = now or timezone.now()
    published = 0
    for pk in list(due_posts(now).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            post = (
                Post.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, published_at__isnull=True, hidden_at__isnull=True)
                .select_related("circle")
                .first()
            )
            if post is None:
                continue
            post.published_at = now
            post.save(update_fields=["published_at"])
            _deliver([post], now=now)
            published += 1
    return published


def _post_parties(post: Post, by: User) -> CircleParties:
    if not circles_visible_to(by).filter(pk=post.circle_id).exists():
        raise OutsideScope()
    return CircleParties(by, post.circle)


def post_pin(*, post: Post, by: User, pinned: bool) -> Post:
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("circle").get(pk=post.pk)
        POST_POLICY.check("pin" if pinned else "unpin", post, _post_parties(post, by))
        post.pinned = pinned
        post.save(update_fields=["pinned"])
    return post


def post_hide(*, post: Post, by: User, reason: str, now: datetime.datetime | None = None) -> Post:
    """Hide a post: gone for residents (its inbox rows too), kept for staff with the reason.
    Mirrors not yet sent are cancelled; a group robot cannot recall what it already posted."""
    now = now or timezone.now()
    with transaction.atomic():
        post = Post.objects.select_for_update().select_related("circle").get(pk=post.pk)
        POST_POLICY.check("hide", post, _post_parties(post, by))
        reason = clean_text(reason, field="reason", limit=REASON_MAX)
        post.hidden_at, post.hidden_by, post.hidden_reason = now, by, reason
        post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        notify_cancel(event_key=post.event_key)
        inbox_withdraw(event_key=post.inbox_event_key)
    return post


def posts_withdraw(*, link: str, reason: str, now: datetime.datetime | None = None) -> int:
    """Hide, as the system, every post not yet hidden that points at `link`: what the app that
    posted it took back (a withdrawn knowledge article). As with post_hide, they are gone for
    residents and their inboxes and kept for staff with the reason, and mirrors not yet sent
    are cancelled. Returns how many were hidden."""
    now = now or timezone.now()
    with transaction.atomic():
        posts = list(
            Post.objects.select_for_update()
            .filter(link=link, hidden_at__isnull=True)
            .order_by("pk")
        )
        for post in posts:
            post.hidden_at, post.hidden_by, post.hidden_reason = now, None, reason
            notify_cancel(event_key=post.event_key)
            inbox_withdraw(event_key=post.inbox_event_key)
        Post.objects.bulk_update(posts, ["hidden_at", "hidden_by", "hidden_reason"])
    return len(posts)


def posts_read_record(
    *, user: User, posts: Sequence[Post], now: datetime.datetime | None = None
) -> int:
    """Record that the user has seen these published posts (once each); one INSERT."""
    now = now or timezone.now()
    shown = [post for post in posts if post.published_at is not None]
    if not shown or not user.is_authenticated:
        return 0
    created = PostRead.objects.bulk_create(
        [PostRead(post=post, user=user, read_at=now) for post in shown], ignore_conflicts=True
    )
    return len(created)


# Messages ------------------------------------------------------------------------------------


def _circle_parties(
    circle: Circle, by: User, now: datetime.datetime, **kwargs: object
) -> CircleParties:
    if not circles_visible_to(by).filter(pk=circle.pk).exists():
        raise OutsideScope()
    return CircleParties(by, circle, at=now, **kwargs)  # type: ignore[arg-type]


def _count_words(parties: CircleParties) -> None:
    """Count one message or reply of a resident (staff serving the circle are not counted):
    beyond settings.CIRCLE_WORDS_PER_HOUR in the hour, Throttled until the hour ends."""
    if parties.user.is_superuser or parties.roles:
        return
    wait = throttle_wait(
        scope="circle-words",
        key=f"user:{parties.user.pk}",
        limit=settings.CIRCLE_WORDS_PER_HOUR,
        window=3600,
    )
    if wait:
        raise Throttled(
            _(
                "You have written many messages in a short time. Please try again in "
                "%(minutes)d min, or call your customer manager if it is urgent."
            )
            % {"minutes": max(1, round(wait / 60))},
            retry_after=wait,
        )


def message_write(
    *, circle: Circle, by: User, body: str, now: datetime.datetime | None = None
) -> Message:
    """A resident's message to their circle."""
    now = now or timezone.now()
    parties = _circle_parties(circle, by, now)
    CIRCLE_POLICY.check("write", circle, parties)
    body = clean_text(body, field="body", limit=MESSAGE_MAX)
    _count_words(parties)
    with transaction.atomic():
        message = Message.objects.create(circle=circle, author=by, body=body, created_at=now)
        # The circle's staff hear of it in the app: what residents ask becomes their work.
        notify_publish(
            audience=Audience(inbox=staff_to_tell(circle, author=by)),
            template="circle_message",
            context=_message_context(message),
            event_key=f"circle_message:{message.pk}",
            source=f"circle:{circle.pk}",
            now=now,
            new_event=True,
        )
    return message


def _message_context(message: Message) -> dict[str, object]:
    return {
        "message_id": message.pk,
        "circle": message.circle.name,
        "excerpt": message.body[:60],
        "url": f"/circles/messages/{message.parent_id or message.pk}/",
    }


def message_reply(
    *, message: Message, by: User, body: str, now: datetime.datetime | None = None
) -> Message:
    """A reply (staff or a resident of the circle) to a message."""
    now = now or timezone.now()
    parties = _circle_parties(message.circle, by, now, message=message)
    MESSAGE_POLICY.check("reply", message, parties)
    body = clean_text(body, field="body", limit=MESSAGE_MAX)
    _count_words(parties)
    with transaction.atomic():
        reply = Message.objects.create(
            circle=message.circle, parent=message, author=by, body=body, created_at=now
        )
        if message.author_id != by.pk:
            # The one who asked hears of the answer.
            notify_publish(
                audience=Audience(inbox=User.objects.filter(pk=message.author_id)),
                template="circle_reply",
                context=_message_context(reply),
                event_key=f"circle_message:{reply.pk}",
                source=f"circle:{message.circle_id}",
                now=now,
                new_event=True,
            )
    return reply


def message_hide(
    *, message: Message, by: User, reason: str, now: datetime.datetime | None = None
) -> Message:
    """Hide a message (and so its replies) from residents; staff still see it, with the
    reason. Its open reports are handled by this."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .select_related("circle", "author")
            .get(pk=message.pk)
        )
        MESSAGE_POLICY.check("hide", message, _circle_parties(message.circle, by, now))
        reason = clean_text(reason, field="reason", limit=REASON_MAX)
        message.hidden_at, message.hidden_by, message.hidden_reason = now, by, reason
        message.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        Report.objects.filter(message=message, handled_at__isnull=True).update(
            handled_at=now, handled_by=by
        )
    return message


def message_report(
    *, message: Message, by: User, reason: str, now: datetime.datetime | None = None
) -> Report:
    """A resident reports a message to the circle's staff (once per message)."""
    now = now or timezone.now()
    MESSAGE_POLICY.check(
        "report", message, _circle_parties(message.circle, by, now, message=message)
    )
    reason = clean_text(reason, field="reason", limit=REASON_MAX)
    report, _created = Report.objects.get_or_create(
        message=message, reporter=by, defaults={"reason": reason, "created_at": now}
    )
    return report


def report_dismiss(*, report: Report, by: User, now: datetime.datetime | None = None) -> Report:
    """Staff looked at a report and leave the message as it is."""
    now = now or timezone.now()
    circle = report.message.circle
    CIRCLE_POLICY.check("moderate", circle, _circle_parties(circle, by, now))
    Report.objects.filter(pk=report.pk, handled_at__isnull=True).update(
        handled_at=now, handled_by=by
    )
    report.refresh_from_db()
    return report


def member_mute(
    *,
    message: Message,
    by: User,
    hours: int,
    reason: str,
    now: datetime.datetime | None = None,
) -> CircleMember:
    """Mute the message's author in its circle for some hours: they cannot write there until
    then. 0 hours lifts a mute."""
    now = now or timezone.now()
    MESSAGE_POLICY.check("mute", message, _circle_parties(message.circle, by, now, message=message))
    if not isinstance(hours, int) or not 0 <= hours <= MUTE_HOURS_MAX:
        raise invalid(
            "hours",
            _("Mute for 1 to %(n)s hours (0 lifts the mute).") % {"n": MUTE_HOURS_MAX},
            "hours",
        )
    reason = clean_text(reason, field="reason", limit=REASON_MAX, required=hours > 0)
    member, _created = CircleMember.objects.update_or_create(
        circle=message.circle,
        user=message.author,
        defaults={
            "muted_until": now + datetime.timedelta(hours=hours) if hours else None,
            "muted_by": by,
            "muted_reason": reason,
        },
    )
    return member


# A member's own choices ----------------------------------------------------------------------


def member_choose(
    *,
    circle: Circle,
    user: User,
    delivery: str | None = None,
    leave: bool | None = None,
    now: datetime.datetime | None = None,
) -> CircleMember:
    """How the user hears of new posts in the circle; leaving it (no more posts told, no
    writing) or coming back."""
    now = now or timezone.now()
    if not circles_visible_to(user).filter(pk=circle.pk).exists():
        raise OutsideScope()
    parties = CircleParties(user, circle, at=now)
    if "server" not in parties and not homes_in_circle(user, circle).exists():
        raise NotAllowed(_("Only members of this circle have settings in it."))
    if delivery is not None and delivery not in Delivery.values:
        raise invalid("delivery", _("Choose how you hear of new posts."), "delivery")
    member, _created = CircleMember.objects.get_or_create(circle=circle, user=user)
    if delivery is not None:
        member.delivery = delivery
    if leave is not None:
        member.left_at = now if leave else None
    member.save()
    return member


# The daily SMS digest ------------------------------------------------------------------------


def digest_send(*, now: datetime.datetime | None = None) -> int:
    """One SMS to each member who chose the daily digest, with the number and the first
    titles of the posts of their circles published since their last digest (at most a day)
    that they have not opened. Held until their quiet hours end, like any SMS. A handful of
    queries for all members; the rows go through notify's COPY and INSERT writers. Returns
    the SMS written."""
    now = now or timezone.now()
    day_ago = now - datetime.timedelta(days=1)
    members = list(
        CircleMember.objects.filter(delivery=Delivery.DIGEST, left_at__isnull=True).values_list(
            "pk", "circle_id", "user_id", "digest_sent_at"
        )
    )
    if not members:
        return 0
    circle_ids = {circle_id for _pk, circle_id, _user, _sent in members}
    posts = list(
        Post.objects.filter(
            circle_id__in=circle_ids,
            published_at__gt=day_ago,
            published_at__lte=now,
            hidden_at__isnull=True,
        )
        .order_by("-published_at", "-pk")
        .values_list("pk", "circle_id", "title", "published_at")
    )
    by_circle: dict[int, list[tuple[int, str, datetime.datetime]]] = defaultdict(list)
    for pk, circle_id, title, published_at in posts:
        by_circle[circle_id].append((pk, title, published_at or now))
    user_ids = {user_id for _pk, _c, user_id, _s in members}
    read = set(
        PostRead.objects.filter(
            user_id__in=user_ids, post_id__in=[pk for pk, *_rest in posts]
        ).values_list("user_id", "post_id")
    )
    unread: dict[int, list[str]] = defaultdict(list)
    for _pk, circle_id, user_id, sent_at in members:
        since = max(sent_at or day_ago, day_ago)
        unread[user_id].extend(
            title
            for pk, title, published_at in by_circle.get(circle_id, [])
            if published_at > since and (user_id, pk) not in read
        )
    users = {
        user.pk: user for user in User.objects.filter(pk__in=[u for u, t in unread.items() if t])
    }
    texts = [
        (users[user_id], {"count": len(titles), "titles": titles[:DIGEST_TITLES]})
        for user_id, titles in sorted(unread.items())
        if titles and user_id in users
    ]
    with transaction.atomic():
        written = notify_texts_each(
            texts=texts,
            template="circle_digest",
            event_key=f"circle_digest:{timezone.localdate(now).isoformat()}",
            source="circles",
            now=now,
        )
        CircleMember.objects.filter(pk__in=[pk for pk, *_rest in members]).update(
            digest_sent_at=now
        )
    return written
