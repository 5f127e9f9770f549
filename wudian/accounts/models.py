from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class RoleCode(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    ELECTRICIAN = "electrician", _("Property electrician")
    PROPERTY_STAFF = "property_staff", _("Property office staff")
    CUSTOMER_MANAGER = "customer_manager", _("Grid customer manager")
    GRID_ADMIN = "grid_admin", _("Community grid administrator")
    DEPARTMENT = "department", _("Utility department")
    SUPERVISOR = "supervisor", _("Service supervisor")


STAFF_ROLES = frozenset(RoleCode) - {RoleCode.RESIDENT}


class Role(models.Model):
    """One role of the duty catalogue ("one list", 一份清单)."""

    code = models.CharField(_("code"), max_length=32, choices=RoleCode.choices, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=64, blank=True)
    summary = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def display_summary(self) -> str:
        return localized(self.summary, self.summary_en)


class Duty(models.Model):
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="duties")
    text = models.CharField(_("duty (Chinese)"), max_length=200)
    text_en = models.CharField(_("duty (English)"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["role", "order", "id"]
        verbose_name = _("duty")
        verbose_name_plural = _("duties")

    def __str__(self) -> str:
        return self.display_text

    @property
    def display_text(self) -> str:
        return localized(self.text, self.text_en)


def localized(chinese: str, english: str) -> str:
    """Catalogue text is data kept in both languages; English falls back to Chinese."""
    if english and (get_language() or "").startswith("en"):
        return english
    return chinese


class Department(models.Model):
    """A back-office team of the utility that takes escalated work."""

    class Kind(models.TextChoices):
        REPAIR_CREW = "repair_crew", _("Repair crew")
        BUSINESS_HALL = "business_hall", _("Business hall")
        METERING = "metering", _("Metering centre")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    district = models.ForeignKey(
        "grid.District",
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("district"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("work phone"), max_length=20, blank=True)
    title = models.CharField(_("job title"), max_length=64, blank=True)
    photo = models.ImageField(_("photo"), upload_to="staff/", blank=True)
    roles = models.ManyToManyField(Role, blank=True, related_name="users", verbose_name=_("roles"))
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(self.roles.values_list("code", flat=True))

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes.intersection(codes))

    @property
    def is_resident_only(self) -> bool:
        return self.role_codes <= {RoleCode.RESIDENT} and not self.is_superuser


class ApiToken(models.Model):
    """A bearer token for the API. Only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


def certificate_scan_path(instance: Certificate, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    stem = filename.rsplit(".", 1)[0][:16] or "scan"
    return f"certificates/{instance.holder_id}/{stem}.{suffix}"


class Certificate(models.Model):
    """An electrician's operation certificate: a person's qualification, like their roles.
    Only holders of a valid low-voltage certificate (低压电工作业证) may take fault repairs."""

    class Kind(models.TextChoices):
        LOW_VOLTAGE = "low_voltage", _("Low-voltage electrician operation certificate")

    holder = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="certificates",
        verbose_name=_("holder"),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.LOW_VOLTAGE
    )
    number = models.CharField(_("certificate number"), max_length=40, unique=True)
    issuer = models.CharField(_("issued by"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))
    # The scanned copy: checked and re-encoded like a photo (wudian.core.photos), served only
    # by the view that checks who may see it.
    scan = models.ImageField(_("scanned copy"), upload_to=certificate_scan_path, blank=True)

    class Meta:
        ordering = ["holder", "-expires_on"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("issued_on")),
                name="certificate_expires_after_issue",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.issued_on <= day <= self.expires_on
