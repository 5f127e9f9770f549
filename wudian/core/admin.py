from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wudian.core.kept import Kept
from wudian.core.models import ServiceRule
from wudian.core.rule_catalogue import RULES


class KeptRowsAdmin(admin.ModelAdmin):
    """The admin of a model whose rows processes keep (wudian.core.kept.KeptRows)."""

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # The bulk action deletes in SQL, past the model's delete(): tell the kept copies here.
        super().delete_queryset(request, queryset)
        Kept.rows_changed(queryset.model)


class ServiceRuleForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("rule"), choices=[(k, r.label) for k, r in RULES.items()])

    class Meta:
        model = ServiceRule
        fields = ["key", "value"]


@admin.register(ServiceRule)
class ServiceRuleAdmin(KeptRowsAdmin):
    form = ServiceRuleForm
    list_display = ["label", "value", "unit", "source", "updated_at"]
    search_fields = ["key"]

    @admin.display(description=_("rule"))
    def label(self, obj: ServiceRule) -> str:
        rule = RULES.get(obj.key)
        return str(rule.label) if rule else obj.key

    @admin.display(description=pgettext_lazy("measurement", "unit"))
    def unit(self, obj: ServiceRule) -> str:
        rule = RULES.get(obj.key)
        return str(rule.unit) if rule else ""

    @admin.display(description=_("source"))
    def source(self, obj: ServiceRule) -> str:
        rule = RULES.get(obj.key)
        return rule.source if rule else ""
