"""Tariffs in the admin: an administrator edits a tariff and its tiers together, and the
whole is checked by `billing.services.tariff_check` (nothing is saved if it is refused)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wudian.billing.models import MeterReading, Tariff, TariffTier
from wudian.billing.services import TierInput, tariff_check
from wudian.core.errors import messages_of


class TierFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        rows.sort(key=lambda row: (row.get("position") is None, row.get("position") or 0))
        positions = [row.get("position") for row in rows]
        if positions != list(range(1, len(rows) + 1)):
            raise ValidationError(_("Number the tiers 1, 2, 3… without gaps."))
        tiers = [
            TierInput(row.get("lower_kwh"), row.get("upper_kwh"), row.get("price")) for row in rows
        ]
        try:
            tariff_check(self.instance, tiers)
        except ValidationError as refusal:
            raise ValidationError(messages_of(refusal)) from None


class TariffTierInline(admin.TabularInline):
    model = TariffTier
    formset = TierFormSet
    extra = 1
    fields = ("position", "lower_kwh", "upper_kwh", "price")


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("region", "name", "effective_from", "effective_to", "tier_period")
    list_filter = ("region", "tier_period")
    inlines = (TariffTierInline,)
    fieldsets = (
        (
            None,
            {
                "fields": ("region", "name", "effective_from", "effective_to", "tier_period"),
                "description": _(
                    "Every figure must be verified against the provincial price document "
                    "before it is used for real bills; name the document below."
                ),
            },
        ),
        (
            _("Peak and valley"),
            {"fields": ("peak_price", "valley_price", "peak_hours", "valley_hours")},
        ),
        (None, {"fields": ("source",)}),
    )


@admin.register(MeterReading)
class MeterReadingAdmin(admin.ModelAdmin):
    list_display = ("household", "month", "kwh", "peak_kwh", "valley_kwh", "source")
    list_filter = ("source",)
    raw_id_fields = ("household",)
    date_hierarchy = "month"

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False
