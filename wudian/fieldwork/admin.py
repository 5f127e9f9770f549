from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wudian.fieldwork.models import Certificate


class ValidityFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("valid", _("Valid today")),
            ("expired", _("Expired")),
            ("future", _("Not yet valid")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        if self.value() == "valid":
            return queryset.filter(issued_on__lte=today, expires_on__gte=today)
        if self.value() == "expired":
            return queryset.filter(expires_on__lt=today)
        if self.value() == "future":
            return queryset.filter(issued_on__gt=today)
        return queryset


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "holder", "kind", "issuer", "issued_on", "expires_on", "valid_today"]
    list_filter = [ValidityFilter, "kind", "issuer"]
    search_fields = ["=number", "holder__username", "holder__display_name"]
    raw_id_fields = ["holder"]
    date_hierarchy = "expires_on"
    list_select_related = ["holder"]

    @admin.display(description=_("valid today"), boolean=True)
    def valid_today(self, obj: Certificate) -> bool:
        return obj.is_valid_on(timezone.localdate())
