from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from wudian.core.kept import KeptRows
from wudian.core.rule_catalogue import RULES


class ServiceRule(KeptRows):
    """One configurable number of the service rules (DOMAIN.md, "Rules with numbers"),
    editable by an administrator. Defaults live in wudian.core.rule_catalogue.RULES."""

    key = models.CharField(_("rule"), max_length=64, unique=True)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("service rule")
        verbose_name_plural = _("service rules")

    def __str__(self) -> str:
        rule = RULES.get(self.key)
        return f"{rule.label if rule else self.key} = {self.value.normalize()}"

    @property
    def as_decimal(self) -> Decimal:
        return self.value
