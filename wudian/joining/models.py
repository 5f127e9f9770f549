"""Residents joining by themselves: one-time login codes sent to a phone, the checks a resident
made to bind a household as its holder, and the applications of family members and tenants
that the compound's property office or customer manager decide."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wudian.core.badges import Badge, Tone, badge
from wudian.grid.models import Compound, Household, HouseholdMembership


class PhoneCode(models.Model):
    """The one live login code of a phone number. Only a keyed digest of the code is stored;
    a new code replaces the old one, and a code dies when used, expired or tried too often."""

    phone = models.CharField(_("mobile number"), max_length=11, unique=True)
    digest = models.CharField(_("code digest"), max_length=64)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # The outbox event that carries the code: its copy of the code is forgotten once the code
    # is used or replaced.
    event_key = models.CharField(_("event"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


class BindingCheck(models.Model):
    """One attempt to bind a household as its holder (account number, holder's surname, last
    digits of the holder's phone). Wrong ones are counted to lock further attempts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="binding_checks",
        verbose_name=_("user"),
    )
    account_no = models.CharField(_("account number"), max_length=16)
    passed = models.BooleanField(_("passed"), default=False)
    client = models.CharField(_("client address"), max_length=64, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("binding check")
        verbose_name_plural = _("binding checks")
        indexes = [
            models.Index(fields=["user", "at"], name="joining_check_user"),
            models.Index(fields=["account_no", "at"], name="joining_check_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account_no} · {self.user_id}"


class Application(models.Model):
    """A family member's or tenant's application to join a household, decided by the
    compound's property office or customer manager. The household is the one of that account
    number in that compound when filed, or none: the applicant is never told which."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    RELATIONS = [
        (HouseholdMembership.Relation.FAMILY.value, HouseholdMembership.Relation.FAMILY.label),
        (HouseholdMembership.Relation.TENANT.value, HouseholdMembership.Relation.TENANT.label),
    ]

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="join_applications",
        verbose_name=_("applicant"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.CASCADE,
        related_name="join_applications",
        verbose_name=_("compound"),
    )
    account_no = models.CharField(_("account number"), max_length=16)
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="join_applications",
        verbose_name=_("household"),
    )
    relation = models.CharField(_("relation"), max_length=10, choices=RELATIONS)
    name = models.CharField(_("applicant's name"), max_length=32)
    note = models.CharField(_("note"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="join_decisions",
        verbose_name=_("decided by"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("join application")
        verbose_name_plural = _("join applications")
        indexes = [models.Index(fields=["compound", "state"], name="joining_app_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "compound", "account_no"],
                condition=Q(state="pending"),
                name="joining_one_pending_application",
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound} · {self.account_no} · {self.name}"

    @property
    def state_badge(self) -> Badge:
        return badge(Application.State, self.state, STATE_TONES, default=Tone.MUTED)

    @property
    def matches(self) -> bool:
        """Whether the account number is a household of the compound (staff only)."""
        return self.household_id is not None


STATE_TONES = {
    Application.State.PENDING: Tone.WARN,
    Application.State.APPROVED: Tone.OK,
    Application.State.REJECTED: Tone.MUTED,
    Application.State.WITHDRAWN: Tone.MUTED,
}
