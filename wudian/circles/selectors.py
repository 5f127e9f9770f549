"""Reads of the circles, all starting from grid.scope: which circles a person sees, who a
circle's members are (derived from the scope module, so a household bound today makes its
resident a member today), a circle's feed paged by keyset, the report queue, and what the
compound window shows of a circle."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from wudian.accounts.models import RoleCode, User
from wudian.circles.models import Circle, CircleMember, Delivery, Message, Post, PostRead, Report
from wudian.core.errors import OutsideScope
from wudian.grid.models import Compound, Household
from wudian.grid.scope import (
    Purpose,
    compounds_for,
    everyone_by_compound,
    everyone_of,
    own_households,
    serving_ids,
)

FEED_PAGE = 20
REPLIES_SHOWN = 50


def _compound_ids(compounds: Iterable[Compound] | QuerySet[Compound]) -> Any:
    if isinstance(compounds, QuerySet):
        return compounds.values("pk")
    return [compound.pk for compound in compounds]


def circles_of_compounds(compounds: Iterable[Compound] | QuerySet[Compound]) -> QuerySet[Circle]:
    """The circles covering any of the compounds (each once)."""
    covering = Circle.compounds.through.objects.filter(compound_id__in=_compound_ids(compounds))
    return Circle.objects.filter(pk__in=covering.values("circle_id"))


def circles_visible_to(user: User) -> QuerySet[Circle]:
    """The circles a person sees: a resident those of their own homes' compounds; staff those
    of the compounds they serve; supervisors and departments those they oversee (to read)."""
    overseen = compounds_for(user, Purpose.OVERSEE)
    homes = compounds_for(user, Purpose.HOME)
    if user.is_superuser:
        return Circle.objects.all()
    return Circle.objects.filter(
        pk__in=Circle.compounds.through.objects.filter(
            Q(compound_id__in=overseen.values("pk")) | Q(compound_id__in=homes.values("pk"))
        ).values("circle_id")
    )


def circle_for(user: User, pk: int) -> Circle:
    """One circle the person sees, or OutsideScope (404)."""
    found = circles_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise OutsideScope()
    return found


def oversees(user: User, circle: Circle) -> bool:
    """Whether the person reaches one of the circle's compounds for OVERSEE (staff, their
    supervisors and departments): they read it as staff do, hidden items included."""
    if user.is_superuser:
        return True
    return (
        compounds_for(user, Purpose.OVERSEE)
        .filter(pk__in=Circle.compounds.through.objects.filter(circle=circle).values("compound_id"))
        .exists()
    )


def compound_names(circle: Circle) -> list[str]:
    return [str(name) for name in circle.compounds.order_by("code").values_list("name", flat=True)]


def compound_names_of(circle_ids: list[int]) -> dict[int, list[str]]:
    """Each circle's compound names, in one query."""
    names: dict[int, list[str]] = {pk: [] for pk in circle_ids}
    for circle_id, name in (
        Circle.compounds.through.objects.filter(circle_id__in=circle_ids)
        .order_by("compound__code")
        .values_list("circle_id", "compound__name")
    ):
        names[circle_id].append(name)
    return names


def circle_rows(user: User) -> QuerySet[Circle]:
    """The person's circles for their list, each with its latest visible post's title and
    time (two subqueries, one query whatever their number)."""
    latest = published_posts().filter(circle=OuterRef("pk")).order_by("-published_at", "-pk")
    return (
        circles_visible_to(user)
        .annotate(
            latest_title=Subquery(latest.values("title")[:1]),
            latest_at=Subquery(latest.values("published_at")[:1]),
        )
        .order_by("name", "pk")
    )


def staff_among(user_ids: Iterable[int]) -> set[int]:
    """Which of the users hold a staff role (anyone but a resident only)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(
        User.roles.through.objects.filter(user_id__in=ids)
        .exclude(role__code=RoleCode.RESIDENT)
        .values_list("user_id", flat=True)
    ) | set(User.objects.filter(pk__in=ids, is_superuser=True).values_list("pk", flat=True))


def representatives_among(circle: Circle | None, user_ids: Iterable[int]) -> set[int]:
    ids = list(user_ids)
    if circle is None or not ids:
        return set()
    return set(
        CircleMember.objects.filter(
            circle=circle, user_id__in=ids, representative=True
        ).values_list("user_id", flat=True)
    )


def replies_of(message: Message, *, staff: bool) -> QuerySet[Message]:
    replies = message.replies.select_related("author", "hidden_by").order_by("created_at", "pk")
    return replies if staff else replies.filter(hidden_at__isnull=True)


def request_of(message: Message) -> Any:
    """The request the message became (workorders keeps the link: `WorkOrder.circle_message`),
    or None. Read through the reverse relation, so circles imports nothing above it."""
    try:
        return message.workorder
    except ObjectDoesNotExist:
        return None


def read_count(post: Post) -> int:
    return PostRead.objects.filter(post=post).count()


def compound_ids_of(circle: Circle) -> list[int]:
    return list(
        Circle.compounds.through.objects.filter(circle=circle).values_list("compound_id", flat=True)
    )


def _opted(circle_ids: Any, condition: Q) -> QuerySet[CircleMember]:
    return CircleMember.objects.filter(condition, circle_id__in=circle_ids)


def members_of(circle: Circle, *, compound_ids: list[int] | None = None) -> QuerySet[User]:
    """Everyone in the circle: the people serving its compounds and the residents of their
    households (`grid.scope.everyone_of`, one UNION of ids), active, but not those who left
    it."""
    ids = compound_ids if compound_ids is not None else compound_ids_of(circle)
    left = _opted([circle.pk], Q(left_at__isnull=False)).values("user_id")
    return User.objects.filter(pk__in=everyone_of(ids), is_active=True).exclude(pk__in=left)


def inbox_members(circle: Circle, *, author: User | None = None) -> QuerySet[User]:
    """The members who hear of a new post in the app: all but those who chose not to (or
    left), and the author. A query, for notify's INSERT … SELECT."""
    quiet = _opted([circle.pk], Q(left_at__isnull=False) | Q(delivery=Delivery.NONE))
    members = User.objects.filter(pk__in=everyone_of(compound_ids_of(circle)), is_active=True)
    members = members.exclude(pk__in=quiet.values("user_id"))
    if author is not None:
        members = members.exclude(pk=author.pk)
    return members


def inbox_recipients(
    circle_ids: list[int], *, author_id: int | None = None
) -> tuple[str, list[Any]]:
    """Who hears of a new post in each of the circles, as `inbox_members` says for one, for
    all of them in ONE query: rows (user_id, tag = the circle's id) for notify's broadcast,
    as SQL and parameters. Everyone of the circles' compounds (`grid.scope.
    everyone_by_compound`) joined to the circles, but those who chose not to hear or left
    that circle, and the author. A member may come twice (notify tells them once); inactive
    users are left out by notify."""
    if not circle_ids:
        return "SELECT 1 AS user_id, 1 AS tag WHERE 1 = 0", []
    through = Circle.compounds.through._meta.db_table
    compound_ids = list(
        Circle.compounds.through.objects.filter(circle_id__in=circle_ids).values_list(
            "compound_id", flat=True
        )
    )
    everyone, everyone_params = everyone_by_compound(compound_ids).query.sql_with_params()
    placeholders = ", ".join(["%s"] * len(circle_ids))
    # Names are ours (the models' tables and columns), never input; values are parameters.
    sql = (
        f"SELECT p.user_id AS user_id, cc.circle_id AS tag FROM ({everyone}) p "  # noqa: S608
        f"JOIN {through} cc ON cc.compound_id = p.compound_id "
        f"WHERE cc.circle_id IN ({placeholders}) AND NOT EXISTS (SELECT 1 FROM "
        f"{CircleMember._meta.db_table} m WHERE m.circle_id = cc.circle_id "
        "AND m.user_id = p.user_id AND (m.left_at IS NOT NULL OR m.delivery = %s))"
    )
    params = [*everyone_params, *circle_ids, Delivery.NONE.value]
    if author_id is not None:
        sql += " AND p.user_id <> %s"
        params.append(author_id)
    return sql, params


def staff_to_tell(circle: Circle, *, author: User | None = None) -> QuerySet[User]:
    """The staff serving the circle who hear of what residents write there in the app (not
    those who chose to hear nothing, or left), but the author."""
    quiet = _opted([circle.pk], Q(left_at__isnull=False) | Q(delivery=Delivery.NONE))
    staff = User.objects.filter(pk__in=serving_ids(compound_ids_of(circle)), is_active=True)
    staff = staff.exclude(pk__in=quiet.values("user_id"))
    return staff.exclude(pk=author.pk) if author is not None else staff


def is_member(user: User, circle: Circle) -> bool:
    return members_of(circle).filter(pk=user.pk).exists()


def member_row(circle: Circle, user: User) -> CircleMember | None:
    return CircleMember.objects.filter(circle=circle, user=user).first()


def homes_in_circle(user: User, circle: Circle) -> QuerySet[Household]:
    """The user's own households in the circle's compounds."""
    return own_households(user).filter(building__compound_id__in=compound_ids_of(circle))


def households_of_author(message: Message) -> QuerySet[Household]:
    """The message author's households in its circle's compounds (a request's household)."""
    return homes_in_circle(message.author, message.circle).select_related("building__compound")


# Posts -------------------------------------------------------------------------------------


def published_posts(circle: Circle | None = None, *, hidden: bool = False) -> QuerySet[Post]:
    posts = Post.objects.filter(published_at__isnull=False)
    if circle is not None:
        posts = posts.filter(circle=circle)
    return posts if hidden else posts.filter(hidden_at__isnull=True)


def recent_staff_posts(
    compound: Compound, limit: int = 5, *, leave_out: Iterable[str] = ()
) -> list[Post]:
    """The latest published, visible posts of the compound's circles, for its public window:
    titles, kinds, text and times only (no author's contacts, no resident's words); posts of
    the kinds in `leave_out` are not among them (the window lists knowledge on its own)."""
    circles = circles_of_compounds([compound]).values("pk")
    return list(
        published_posts()
        .filter(circle__in=circles)
        .exclude(kind__in=list(leave_out))
        .only("pk", "circle_id", "kind", "title", "body", "link", "pinned", "published_at")
        .order_by("-published_at", "-pk")[:limit]
    )


def due_posts(now: datetime.datetime) -> QuerySet[Post]:
    """Scheduled posts whose time has come."""
    return Post.objects.filter(
        published_at__isnull=True, hidden_at__isnull=True, publish_at__lte=now
    ).order_by("publish_at", "pk")


def scheduled_posts(circle: Circle) -> QuerySet[Post]:
    return Post.objects.filter(
        circle=circle, published_at__isnull=True, hidden_at__isnull=True
    ).order_by("publish_at", "pk")


def pinned_posts(circle: Circle, *, staff: bool) -> list[Post]:
    posts = published_posts(circle, hidden=staff).filter(pinned=True)
    return list(
        with_read_counts(posts.select_related("author")).order_by("-published_at", "-pk")[:10]
    )


def with_read_counts(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.annotate(read_count=Count("reads", distinct=False))


def read_by(user: User, post_ids: Iterable[int]) -> set[int]:
    return set(
        PostRead.objects.filter(user=user, post_id__in=list(post_ids)).values_list(
            "post_id", flat=True
        )
    )


# The feed ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page of the feed ends: the time, kind ("p" post, "m" message) and id of its
    last item. Items are ordered by time, newest first; at one time posts before messages,
    then higher ids first."""

    at: datetime.datetime
    kind: str
    pk: int

    def text(self) -> str:
        return f"{self.at.isoformat()}~{self.kind}~{self.pk}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        """A cursor from a page link, or None when it cannot be read (the first page then)."""
        try:
            # A "+" of the time zone that came through a query string unencoded reads " ".
            at, kind, pk = text.replace(" ", "+").split("~")
            parsed = datetime.datetime.fromisoformat(at)
        except ValueError:
            return None
        if kind not in ("p", "m") or not pk.isdigit() or parsed.tzinfo is None:
            return None
        return cls(at=parsed, kind=kind, pk=int(pk))


@dataclass
class FeedItem:
    at: datetime.datetime
    post: Post | None = None
    message: Message | None = None
    replies: list[Message] = field(default_factory=list)

    @property
    def key(self) -> tuple[datetime.datetime, int, int]:
        return (self.at, 1 if self.post else 0, self.post.pk if self.post else self.message.pk)  # type: ignore[union-attr]


@dataclass
class Feed:
    items: list[FeedItem]
    next_cursor: Cursor | None


def _before(cursor: Cursor | None, time_field: str, kind: str) -> Q:
    if cursor is None:
        return Q()
    older = Q(**{f"{time_field}__lt": cursor.at})
    if kind == "p":
        same = (
            Q(**{time_field: cursor.at, "pk__lt": cursor.pk})
            if cursor.kind == "p"
            else Q(pk__in=[])
        )
    else:
        same = (
            Q(**{time_field: cursor.at, "pk__lt": cursor.pk})
            if cursor.kind == "m"
            else Q(**{time_field: cursor.at})
        )
    return older | same


def circle_feed(
    circle: Circle, *, staff: bool, cursor: Cursor | None = None, size: int = FEED_PAGE
) -> Feed:
    """One page of the circle's published posts (not the pinned ones, shown above) and its
    resident messages with their replies, newest first, from a keyset cursor: four queries
    whatever the page and however many messages the circle holds. Staff see hidden items
    (marked, with the reason); residents never."""
    posts = published_posts(circle, hidden=staff).filter(pinned=False)
    posts = with_read_counts(posts.filter(_before(cursor, "published_at", "p")))
    posts = posts.select_related("author").order_by("-published_at", "-pk")[: size + 1]
    messages = Message.objects.filter(circle=circle, parent__isnull=True)
    if not staff:
        messages = messages.filter(hidden_at__isnull=True)
    messages = (
        messages.filter(_before(cursor, "created_at", "m"))
        .select_related("author", "workorder", "hidden_by")
        .order_by("-created_at", "-pk")[: size + 1]
    )
    items = [FeedItem(at=post.published_at, post=post) for post in posts]  # type: ignore[arg-type]
    items += [FeedItem(at=message.created_at, message=message) for message in messages]
    items.sort(key=lambda item: item.key, reverse=True)
    more = len(items) > size
    items = items[:size]
    roots = {item.message.pk: item for item in items if item.message is not None}
    if roots:
        replies = Message.objects.filter(parent_id__in=list(roots))
        if not staff:
            replies = replies.filter(hidden_at__isnull=True)
        for reply in replies.select_related("author", "hidden_by").order_by("created_at", "pk"):
            shown = roots[reply.parent_id].replies  # type: ignore[index]
            if len(shown) < REPLIES_SHOWN:
                shown.append(reply)
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = Cursor(
            at=last.at,
            kind="p" if last.post else "m",
            pk=last.post.pk if last.post else last.message.pk,  # type: ignore[union-attr]
        )
    return Feed(items=items, next_cursor=next_cursor)


def message_for(user: User, pk: int) -> Message:
    """A message of a circle the person sees; a hidden one only for staff (OutsideScope
    otherwise)."""
    message = (
        Message.objects.filter(pk=pk, circle__in=circles_visible_to(user).values("pk"))
        .select_related("circle", "author", "parent", "workorder")
        .first()
    )
    if message is None:
        raise OutsideScope()
    return message


def post_for(user: User, pk: int) -> Post:
    post = (
        Post.objects.filter(pk=pk, circle__in=circles_visible_to(user).values("pk"))
        .select_related("circle", "author")
        .first()
    )
    if post is None:
        raise OutsideScope()
    return post


# Moderation ----------------------------------------------------------------------------------


def circles_served_by(user: User) -> QuerySet[Circle]:
    """The circles of the compounds the person serves (their staff's circles)."""
    if user.is_superuser:
        return Circle.objects.all()
    served = compounds_for(user, Purpose.SERVE)
    return Circle.objects.filter(
        pk__in=Circle.compounds.through.objects.filter(compound_id__in=served.values("pk")).values(
            "circle_id"
        )
    )


def open_reports(user: User) -> QuerySet[Report]:
    """The reports not yet handled, of messages in the circles the person serves."""
    return (
        Report.objects.filter(
            handled_at__isnull=True,
            message__circle__in=circles_served_by(user).values("pk"),
        )
        .select_related("message__circle", "message__author", "reporter")
        .order_by("created_at", "pk")
    )


def open_report_count(circle: Circle) -> int:
    return Report.objects.filter(handled_at__isnull=True, message__circle=circle).count()


def mute_of(circle: Circle, user: User, now: datetime.datetime) -> CircleMember | None:
    """The member's row when staff muted them and the mute still runs."""
    return CircleMember.objects.filter(circle=circle, user=user, muted_until__gt=now).first()
