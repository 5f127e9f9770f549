from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wudian.metrics.models import Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("metric", "value", "scope_name", "note", "updated_at")
    list_filter = ("metric",)
    autocomplete_fields = ("district", "community", "compound", "manager")
    search_fields = ("metric", "note")
    fieldsets = (
        (None, {"fields": ("metric", "value", "note")}),
        (
            _("Scope (none: city-wide)"),
            {"fields": ("district", "community", "compound", "manager")},
        ),
    )
