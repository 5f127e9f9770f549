from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceRule(models.Model):
    """One configurable number of the service rules (DOMAIN.md, "Rules with numbers"),
    editable by an administrator. Defaults live in wudian.core.rules.RULES."""

    key = models.CharField(_("rule"), max_length=64, unique=True)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("service rule")
        verbose_name_plural = _("service rules")

    def __str__(self) -> str:
        from wudian.core.rules import RULES

        rule = RULES.get(self.key)
        return f"{rule.label if rule else self.key} = {self.value.normalize()}"

    # Each process keeps the rules for a while (wudian.core.rules): tell it of a change.
    def save(self, *args: Any, **kwargs: Any) -> None:
        from wudian.core.rules import stored_rules

        super().save(*args, **kwargs)
        stored_rules.changed()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        from wudian.core.rules import stored_rules

        deleted = super().delete(*args, **kwargs)
        stored_rules.changed()
        return deleted

    @property
    def as_decimal(self) -> Decimal:
        return self.value
