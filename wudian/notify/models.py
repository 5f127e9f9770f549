"""The notification outbox: one row per recipient × channel, written in the transaction of
the event that caused it and sent later by the task consumers."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INAPP = "inapp", _("In-app inbox")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WEBHOOK = "webhook", _("Webhook")


class Failure(models.TextChoices):
    """Why a message failed, told to staff in their language (the channel's own words stay
    in `last_error` for whoever configures it)."""

    NO_SMS_GATEWAY = (
        "no_sms_gateway",
        _(
            "No SMS gateway is set up on this server yet. The administrator must configure one; "
            "then send the messages again."
        ),
    )
    NO_EMAIL_SERVER = (
        "no_email_server",
        _(
            "No e-mail server is set up on this server yet. The administrator must configure one; "
            "then send the messages again."
        ),
    )
    STAFF_CHANNEL_GONE = "staff_channel_gone", _("This staff channel is no longer set up.")
    ENDPOINT_GONE = "endpoint_gone", _("The circle's group robot was removed or switched off.")
    BAD_ADDRESS = "bad_address", _("The channel's address is not valid: check it in the admin.")
    BAD_TEMPLATE = "bad_template", _("The message could not be written: its template is missing.")
    REFUSED = (
        "refused",
        _(
            "The channel did not accept the message after every attempt: check the phone number "
            "or the robot, then send it again."
        ),
    )


class Message(models.Model):
    """One message to one recipient on one channel (the outbox row)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        # The channel has no gateway on this server (no SMS gateway, no mail server): not
        # attempted and not a failure; retried like a failure once the gateway is set up.
        UNCONFIGURED = "no_gateway", _("Not sent: no gateway configured")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("user"),
        # notify_msg_inbox starts with the user.
        db_index=False,
    )
    household = models.ForeignKey(
        "grid.Household",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("household"),
    )
    compound = models.ForeignKey(
        "grid.Compound",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("compound"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # A phone number, an e-mail address, or a reference ("endpoint:12", "staff:<hash>") so
    # that secrets in robot URLs are never copied into the outbox.
    address = models.CharField(_("address"), max_length=254, blank=True)
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # Indexed by Meta.indexes and Meta.constraints rather than db_index / unique: on
    # PostgreSQL those add a second, varchar_pattern_ops index per column (`…_like`) for LIKE
    # queries, which nothing runs, and which every outbox row paid for.
    event_key = models.CharField(_("event"), max_length=150)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_token = models.CharField(_("claim token"), max_length=32, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    failure = models.CharField(
        _("failure"), max_length=20, choices=Failure.choices, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notify_msg_sweep"),
            models.Index(fields=["user", "channel", "-created_at"], name="notify_msg_inbox"),
            models.Index(fields=["event_key"], name="notify_msg_event"),
            models.Index(fields=["source"], name="notify_msg_source"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="notify_msg_idempotency")
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.address} · {self.template}"


class InboxEntry(models.Model):
    """One member's copy of an in-app broadcast: a message written once for many readers (a
    circle post to its members: the Message has no user) appears in each reader's inbox
    through an entry, which holds only what is the reader's own, whether they read it.

    Narrow on purpose: a city's seasonal post writes 1,200,000 entries in one INSERT … SELECT
    (docs/benchmarks.md, "Circles"). The primary key (user, message) is the inbox's index
    (a user's entries, newest message first); the message's index serves withdrawing one.
    No foreign-key constraints in the database: their checks (a trigger and a row lock on
    the user per entry) took 15 of the 23 s of that post; the ORM deletes a user's or a
    message's entries with them (CASCADE), and nothing deletes either in raw SQL."""

    pk = models.CompositePrimaryKey("user", "message")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="inbox_entries",
        verbose_name=_("user"),
        # The primary key starts with the user.
        db_index=False,
        db_constraint=False,
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="entries",
        verbose_name=_("message"),
        db_constraint=False,
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox entry")
        verbose_name_plural = _("inbox entries")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.message_id}"


class CircleEndpoint(models.Model):
    """A group robot (WeCom, DingTalk) or webhook, as an Apprise URL. One with a compound
    hears that compound's outage notices; circles (`circles.Circle.robots`) choose the robots
    their staff posts are mirrored to, with or without a compound."""

    class Kind(models.TextChoices):
        WECOM = Channel.WECOM.value, Channel.WECOM.label
        DINGTALK = Channel.DINGTALK.value, Channel.DINGTALK.label
        WEBHOOK = Channel.WEBHOOK.value, Channel.WEBHOOK.label

    compound = models.ForeignKey(
        "grid.Compound",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="circle_endpoints",
        verbose_name=_("compound"),
        help_text=_("Its outage notices reach this robot. Leave empty for a circle's robot only."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.CharField(
        _("Apprise URL"),
        max_length=500,
        help_text=_("For example wecombot://KEY, dingtalk://TOKEN/ or json://host/path."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["compound", "kind", "pk"]
        verbose_name = _("circle endpoint")
        verbose_name_plural = _("circle endpoints")

    def __str__(self) -> str:
        place = f"{self.compound} · " if self.compound_id else ""
        return f"{place}{self.get_kind_display()} {self.name}".strip()


class Preference(models.Model):
    """A user's channels besides the in-app inbox, and their quiet hours."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notify_preference",
        verbose_name=_("user"),
    )
    sms = models.BooleanField(_("SMS"), default=True)
    email = models.BooleanField(_("e-mail"), default=False)
    quiet_start_hour = models.PositiveSmallIntegerField(
        _("quiet hours start"), validators=[MaxValueValidator(23)]
    )
    quiet_end_hour = models.PositiveSmallIntegerField(
        _("quiet hours end"), validators=[MaxValueValidator(23)]
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class CallTask(models.Model):
    """A phone call to a special-group household, tracked until someone has made it."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached, informed")
        NO_ANSWER = "no_answer", _("No answer")
        VISITED = "visited", _("Visited in person")
        OTHER = "other", _("Other")

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="call_tasks",
        verbose_name=_("assignee"),
    )
    household = models.ForeignKey(
        "grid.Household",
        on_delete=models.CASCADE,
        related_name="call_tasks",
        verbose_name=_("household"),
    )
    event_key = models.CharField(_("event"), max_length=150)
    source = models.CharField(_("source"), max_length=100, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=200)
    # What to tell, written for the caller: rendered in their language when they read it.
    template = models.CharField(_("template"), max_length=100, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        ordering = ["state", "-created_at", "-pk"]
        verbose_name = _("call task")
        verbose_name_plural = _("call tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "household"], name="call_task_once_per_event"
            ),
            # One call per household and purpose (an outage, a request): a later step of
            # the same matter updates the open task instead of adding one.
            models.UniqueConstraint(
                fields=["source", "household"],
                condition=models.Q(state="open") & ~models.Q(source=""),
                name="call_task_open_once_per_source",
            ),
        ]
        indexes = [models.Index(fields=["assignee", "state"], name="notify_call_assignee")]

    def __str__(self) -> str:
        return f"{self.household} · {self.reason}"


class DevGatewayMessage(models.Model):
    """What the development gateway received (debug mode only): the SMS, e-mail and circle
    robot messages a real gateway would have delivered, posted to it by Apprise."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # The phone number or e-mail address, or the circle endpoint's path for a robot.
    address = models.CharField(_("address"), max_length=254)
    title = models.CharField(_("title"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # A message sent again (at least once) is recorded once, with how often it came.
    times = models.PositiveIntegerField(_("times received"), default=1)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("development gateway message")
        verbose_name_plural = _("development gateway messages")
        indexes = [models.Index(fields=["address"], name="notify_devgw_address")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.address}"
