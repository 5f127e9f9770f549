"""Targets: what a figure should reach, per metric and scope; data an administrator edits."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wudian.grid.models import Community, Compound, District
from wudian.metrics.registry import METRICS, Good, metric_choices


class Target(models.Model):
    """A target for one metric, city-wide (no scope) or for one district, community, compound
    or customer manager. The most specific target that applies wins: compound, community,
    district, then city-wide; a customer manager's, then city-wide. Its direction is the
    metric's: at least the value where higher is better, at most where lower is."""

    metric = models.CharField(_("metric"), max_length=60, choices=metric_choices)
    value = models.DecimalField(_("target"), max_digits=12, decimal_places=3)
    district = models.ForeignKey(
        District, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("district")
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("compound")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"roles__code": "customer_manager"},
        verbose_name=_("customer manager"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    SCOPES = ("district", "community", "compound", "manager")

    class Meta:
        ordering = ["metric", "pk"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(community__isnull=True, compound__isnull=True, manager__isnull=True)
                    | models.Q(district__isnull=True, compound__isnull=True, manager__isnull=True)
                    | models.Q(district__isnull=True, community__isnull=True, manager__isnull=True)
                    | models.Q(district__isnull=True, community__isnull=True, compound__isnull=True)
                ),
                name="target_one_scope_at_most",
            ),
            models.UniqueConstraint(
                fields=["metric"],
                condition=models.Q(
                    district__isnull=True,
                    community__isnull=True,
                    compound__isnull=True,
                    manager__isnull=True,
                ),
                name="target_once_city_wide",
            ),
            *(
                models.UniqueConstraint(
                    fields=["metric", name],
                    condition=models.Q(**{f"{name}__isnull": False}),
                    name=f"target_once_per_{name}",
                )
                for name in ("district", "community", "compound", "manager")
            ),
        ]

    def __str__(self) -> str:
        metric = METRICS.get(self.metric)
        sign = "≥" if metric is None or metric.good == Good.UP else "≤"
        return f"{metric.name if metric else self.metric} {sign} {self.value.normalize():f}"

    @property
    def scope_name(self) -> str:
        for name in self.SCOPES:
            obj = getattr(self, name)
            if obj is not None:
                return str(obj)
        return str(_("City-wide"))

    def met_by(self, value: Decimal | None) -> bool | None:
        if value is None:
            return None
        if METRICS[self.metric].good == Good.DOWN:
            return value <= self.value
        return value >= self.value

    def clean(self) -> None:
        metric = METRICS.get(self.metric)
        if metric is None:
            raise ValidationError({"metric": _("Choose a metric from the list.")})
        if not metric.targetable:
            raise ValidationError(
                {"metric": _("This figure describes the structure; it has no good direction.")}
            )
        if sum(getattr(self, f"{name}_id") is not None for name in self.SCOPES) > 1:
            raise ValidationError(
                _("A target is for one district, community, compound or manager, or city-wide.")
            )
        if (
            self.value is not None
            and metric.unit == "percent"
            and not (
                Decimal(-100) <= self.value <= Decimal(100)
                if self.metric.endswith("change")
                else Decimal(0) <= self.value <= Decimal(100)
            )
        ):
            raise ValidationError({"value": _("A share is between 0 and 100 %.")})
        if self.value is not None and metric.unit == "rating" and not 1 <= self.value <= 5:
            raise ValidationError({"value": _("A rating target is between 1 and 5.")})
        if self.value is not None and metric.unit in ("count", "hours") and self.value < 0:
            raise ValidationError({"value": _("This target cannot be negative.")})
