"""The compounds' circles (沟通圈): who is in them, what staff post there, what residents write,
and how the circle is kept civil.

Membership is derived, not stored: the staff of a circle are the people serving its compounds
(`grid.scope.people_serving`), its residents everyone holding a household in one of them
(`grid.scope.residents_of`). A row of CircleMember keeps only what is a person's own: being a
resident representative, how they want to hear of new posts, having left, and a mute staff
set on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Lengths the services check (and the forms and the API state).
TITLE_MAX = 80
POST_BODY_MAX = 2000
MESSAGE_MAX = 500
REASON_MAX = 200
LINK_MAX = 200


class Circle(models.Model):
    """One circle: by default one per compound; a service point may run one over several."""

    name = models.CharField(_("name"), max_length=100)
    compounds = models.ManyToManyField(
        "grid.Compound", related_name="circles", verbose_name=_("compounds")
    )
    robots = models.ManyToManyField(
        "notify.CircleEndpoint",
        blank=True,
        related_name="circles",
        verbose_name=_("group robots"),
        help_text=_(
            "Staff posts are mirrored to these WeCom / DingTalk group robots. A robot cannot "
            "recall a message: hiding a post later does not remove it from the group."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("circle")
        verbose_name_plural = _("circles")

    def __str__(self) -> str:
        return self.name


class Delivery(models.TextChoices):
    """How a member hears of a new post."""

    INAPP = "inapp", _("In the app")
    DIGEST = "digest", _("In the app, and a daily SMS digest")
    NONE = "none", _("Not at all")


class CircleMember(models.Model):
    """What is kept of one person in one circle; membership itself is derived."""

    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, related_name="members", verbose_name=_("circle")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="circle_memberships",
        verbose_name=_("user"),
    )
    representative = models.BooleanField(_("resident representative"), default=False)
    delivery = models.CharField(
        _("new posts"), max_length=10, choices=Delivery.choices, default=Delivery.INAPP
    )
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    # Set by staff: the member cannot write in the circle until then.
    muted_until = models.DateTimeField(_("muted until"), null=True, blank=True)
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("muted by"),
    )
    muted_reason = models.CharField(_("why muted"), max_length=REASON_MAX, blank=True)
    # The last time an SMS digest was sent to them for this circle (unread posts since).
    digest_sent_at = models.DateTimeField(_("digest sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("circle member")
        verbose_name_plural = _("circle members")
        constraints = [
            models.UniqueConstraint(fields=["circle", "user"], name="circle_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.circle} · {self.user}"


class Post(models.Model):
    """A staff post (or the system's: a seasonal reminder has no author)."""

    class Kind(models.TextChoices):
        OUTAGE = "outage", _("Outage")
        KNOWLEDGE = "knowledge", _("Power knowledge")
        SAFETY = "safety", _("Safety")
        CIVIC = "civic", _("Civic information")
        GENERAL = "general", _("General")

    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, related_name="posts", verbose_name=_("circle")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), max_length=POST_BODY_MAX)
    link = models.CharField(_("link"), max_length=LINK_MAX, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="circle_posts",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    publish_at = models.DateTimeField(_("publish at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )
    hidden_reason = models.CharField(_("why hidden"), max_length=REASON_MAX, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["circle", "-published_at", "-id"], name="circles_post_feed"),
            models.Index(
                fields=["publish_at"],
                name="circles_post_due",
                condition=Q(published_at__isnull=True, hidden_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def event_key(self) -> str:
        """The notification event of its mirrors to the circle's robots."""
        return f"circle_post:{self.pk}"

    @property
    def inbox_event_key(self) -> str:
        """The notification event of its members' in-app rows."""
        return f"circle_post:{self.pk}:inbox"


class PostRead(models.Model):
    """A member opened the post (once each)."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="reads", verbose_name=_("post")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("post read")
        verbose_name_plural = _("post reads")
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="circle_read_unique")]

    def __str__(self) -> str:
        return f"{self.post} · {self.user}"


class Message(models.Model):
    """A resident's message, or a reply (from staff or a resident) when it has a parent."""

    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, related_name="messages", verbose_name=_("circle")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("reply to"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="circle_messages",
        verbose_name=_("author"),
    )
    body = models.TextField(_("text"), max_length=MESSAGE_MAX)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )
    hidden_reason = models.CharField(_("why hidden"), max_length=REASON_MAX, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("circle message")
        verbose_name_plural = _("circle messages")
        indexes = [
            models.Index(
                fields=["circle", "-created_at", "-id"],
                name="circles_msg_feed",
                condition=Q(parent__isnull=True),
            ),
            models.Index(fields=["parent", "created_at"], name="circles_msg_replies"),
        ]

    def __str__(self) -> str:
        return self.body[:40]


class Report(models.Model):
    """A resident's report of a message, in the staff's queue until handled."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reports", verbose_name=_("message")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=REASON_MAX)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="circle_report_unique")
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="circles_report_open",
                condition=Q(handled_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.message} · {self.reason}"
