"""Outages in the admin: read mostly; publishing and its lifecycle go through the services
(the desk pages and the API), which check scope, rules and notify everyone."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from wudian.outages.models import AffectedHousehold, Outage, OutageEvent


class OutageEventInline(admin.TabularInline):
    model = OutageEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "by", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Outage)
class OutageAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "state", "start", "end", "sequence", "created_by")
    list_filter = ("kind", "state")
    search_fields = ("title", "reason")
    date_hierarchy = "start"
    raw_id_fields = ("created_by", "lead_time_overridden_by")
    filter_horizontal = ("feeders", "station_areas", "buildings", "compounds")
    readonly_fields = (
        "state",
        "sequence",
        "published_at",
        "restored_at",
        "cancelled_at",
        "lead_time_override_reason",
        "lead_time_overridden_by",
        "created_by",
    )
    inlines = [OutageEventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Outage]:
        return super().get_queryset(request).select_related("created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A notice created here would skip the notice-period rule and reach nobody.
        return False


@admin.register(AffectedHousehold)
class AffectedHouseholdAdmin(admin.ModelAdmin):
    list_display = ("outage", "household", "acknowledged_at")
    list_filter = ("outage__state",)
    search_fields = ("household__account_no",)
    raw_id_fields = ("outage", "household", "acknowledged_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
