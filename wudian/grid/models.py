"""Places and the supply network: district → street → community → compound → building →
household, and feeder → station area → meter; plus who serves what."""

from __future__ import annotations

from decimal import Decimal

from auditlog.models import AuditlogHistoryField
from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wudian.accounts.models import RoleCode

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
    _("Use letters, digits, '-' or '_' (at most 32)."),
)
account_no_validator = RegexValidator(r"^\d{10,16}$", _("An account number is 10 to 16 digits."))
phone_validator = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|95598|400-?\d{3}-?\d{4})$",
    _("Enter a mainland mobile number (11 digits) or a landline such as 0552-1234567."),
)


class District(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=64)
    city = models.CharField(_("city"), max_length=64)

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("district")
    )
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        ordering = ["code"]
        verbose_name = _("street")
        verbose_name_plural = _("streets")

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """A community (社区): one grid cell, hosting a liaison service point (物电联络站)."""

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street")
    )
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=64)
    service_point_name = models.CharField(_("service point"), max_length=100, blank=True)
    service_point_address = models.CharField(_("service point address"), max_length=200, blank=True)
    service_point_phone = models.CharField(
        _("service point phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    service_hours = models.CharField(_("opening hours"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name


class PropertyCompany(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="compounds", verbose_name=_("community")
    )
    property_company = models.ForeignKey(
        PropertyCompany,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="compounds",
        verbose_name=_("property company"),
    )
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=64, db_index=True)
    address = models.CharField(_("address"), max_length=200)
    property_office_phone = models.CharField(
        _("property office phone"), max_length=20, blank=True, validators=[phone_validator]
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("compound")
    )
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=32)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)

    class Meta:
        ordering = ["compound", "code"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["compound", "name"], name="building_name_per_compound")
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.name}"


class Feeder(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=64)
    substation = models.CharField(_("substation"), max_length=64, blank=True)
    voltage_kv = models.DecimalField(
        _("voltage (kV)"), max_digits=5, decimal_places=1, default=Decimal("10.0")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("feeder")
        verbose_name_plural = _("feeders")

    def __str__(self) -> str:
        return self.name


class StationArea(models.Model):
    """A station area (台区): the customers of one distribution transformer."""

    feeder = models.ForeignKey(
        Feeder, on_delete=models.PROTECT, related_name="station_areas", verbose_name=_("feeder")
    )
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=64)
    capacity_kva = models.PositiveIntegerField(
        _("transformer capacity (kVA)"), null=True, blank=True
    )
    compounds = models.ManyToManyField(
        Compound, blank=True, related_name="station_areas", verbose_name=_("compounds")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("station area")
        verbose_name_plural = _("station areas")

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name=_("building")
    )
    station_area = models.ForeignKey(
        StationArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("station area"),
    )
    account_no = models.CharField(
        _("account number"), max_length=16, unique=True, validators=[account_no_validator]
    )
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    room = models.CharField(_("room"), max_length=16)
    address = models.CharField(_("address"), max_length=200)
    holder_name = models.CharField(_("account holder"), max_length=64)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    # Special-group status (elderly, sick, disabled, pregnant) is sensitive personal information:
    # set only with the resident's separate consent (PIPL art. 29), never shown publicly.
    special_group = models.BooleanField(
        _("special-group household"),
        default=False,
        help_text=_("Only with the resident's separate consent. Gets phone calls for outages."),
    )
    # Who changed and who was shown the special-group status (django-auditlog's entries).
    history = AuditlogHistoryField()

    class Meta:
        ordering = ["building", "unit", "room"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="household_room_per_building"
            )
        ]

    def __str__(self) -> str:
        return self.account_no

    @property
    def compound(self) -> Compound:
        return self.building.compound


class Meter(models.Model):
    class Role(models.TextChoices):
        SUPPLY = "supply", _("Station-area supply meter")
        USER = "user", _("User meter")

    station_area = models.ForeignKey(
        StationArea, on_delete=models.PROTECT, related_name="meters", verbose_name=_("station area")
    )
    meter_no = models.CharField(_("meter number"), max_length=32, unique=True)
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.USER)
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=10,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    household = models.OneToOneField(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meter",
        verbose_name=_("household"),
    )

    class Meta:
        ordering = ["meter_no"]
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.CheckConstraint(
                condition=Q(role="user") | Q(household__isnull=True),
                name="supply_meter_has_no_household",
            )
        ]

    def __str__(self) -> str:
        return self.meter_no


class CompoundAssignment(models.Model):
    """Who serves a compound: its customer manager (one per compound; one manager serves
    1 + N compounds), its property electricians and its property office staff."""

    ROLES = [
        (RoleCode.CUSTOMER_MANAGER.value, RoleCode.CUSTOMER_MANAGER.label),
        (RoleCode.ELECTRICIAN.value, RoleCode.ELECTRICIAN.label),
        (RoleCode.PROPERTY_STAFF.value, RoleCode.PROPERTY_STAFF.label),
    ]
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="compound_assignments",
        verbose_name=_("user"),
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("compound")
    )
    role = models.CharField(_("role"), max_length=32, choices=ROLES)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        ordering = ["compound", "role", "user"]
        verbose_name = _("compound assignment")
        verbose_name_plural = _("compound assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "compound", "role"], name="compound_assignment_unique"
            ),
            models.UniqueConstraint(
                fields=["compound"],
                condition=Q(role="customer_manager"),
                name="one_customer_manager_per_compound",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound} · {self.get_role_display()} · {self.user}"

    def get_additional_data(self) -> dict[str, int]:
        """Where the audit log files a change of this assignment (read by django-auditlog)."""
        return {"compound": self.compound_id}


class CommunityAssignment(models.Model):
    """A community grid administrator's communities."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_assignments",
        verbose_name=_("user"),
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("community")
    )

    class Meta:
        verbose_name = _("community assignment")
        verbose_name_plural = _("community assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"], name="community_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.user}"

    def get_additional_data(self) -> dict[str, int]:
        """Where the audit log files a change of this assignment (read by django-auditlog)."""
        return {"community": self.community_id}


class DistrictAssignment(models.Model):
    """A supervisor's districts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="district_assignments",
        verbose_name=_("user"),
    )
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("district")
    )

    class Meta:
        verbose_name = _("district assignment")
        verbose_name_plural = _("district assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "district"], name="district_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.district} · {self.user}"

    def get_additional_data(self) -> dict[str, int]:
        """Where the audit log files a change of this assignment (read by django-auditlog)."""
        return {"district": self.district_id}


class HouseholdMembership(models.Model):
    """A resident's link to a household account."""

    class Relation(models.TextChoices):
        HOLDER = "holder", _("Account holder")
        FAMILY = "family", _("Family member")
        TENANT = "tenant", _("Tenant")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="household_memberships",
        verbose_name=_("user"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("household")
    )
    relation = models.CharField(
        _("relation"), max_length=10, choices=Relation.choices, default=Relation.HOLDER
    )

    class Meta:
        verbose_name = _("household membership")
        verbose_name_plural = _("household memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "household"], name="household_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.user}"


class DutyShift(models.Model):
    """The weekly roster of a compound's electricians: who is on duty which weekday."""

    class Weekday(models.IntegerChoices):
        MONDAY = 1, _("Monday")
        TUESDAY = 2, _("Tuesday")
        WEDNESDAY = 3, _("Wednesday")
        THURSDAY = 4, _("Thursday")
        FRIDAY = 5, _("Friday")
        SATURDAY = 6, _("Saturday")
        SUNDAY = 7, _("Sunday")

    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="duty_shifts", verbose_name=_("compound")
    )
    electrician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="duty_shifts",
        verbose_name=_("electrician"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)

    class Meta:
        ordering = ["compound", "weekday"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "electrician", "weekday"], name="duty_shift_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.compound} · {self.get_weekday_display()} · {self.electrician}"
