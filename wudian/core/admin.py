from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wudian.core.models import ServiceRule
from wudian.core.rules import RULES, stored_rules


class ServiceRuleForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("rule"), choices=[(k, r.label) for k, r in RULES.items()])

    class Meta:
        model = ServiceRule
        fields = ["key", "value"]


@admin.register(ServiceRule)
class ServiceRuleAdmin(admin.ModelAdmin):
    form = ServiceRuleForm
    list_display = ["label", "value", "unit", "source", "updated_at"]
    search_fields = ["key"]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ServiceRule]) -> None:
        # The bulk action deletes in SQL, past ServiceRule.delete(): forget the kept rules here.
        super().delete_queryset(request, queryset)
        stored_rules.changed()

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
