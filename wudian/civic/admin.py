"""Civic work in the admin: read only. Visits, appeals and activities change through the
services (the desk pages and the API), which check scope and policy and tell people."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from wudian.civic.models import Activity, Appeal, SignUp, Visit


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AppealInline(admin.TabularInline):
    model = Appeal
    extra = 0
    fields = ("text", "kind", "status", "answer", "work_order")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnly):
    list_display = ("visited_on", "compound", "building", "recorded_by", "people_met")
    list_filter = ("compound__community",)
    search_fields = ("summary", "compound__name")
    date_hierarchy = "visited_on"
    inlines = [AppealInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Visit]:
        return super().get_queryset(request).select_related("compound", "building", "recorded_by")


@admin.register(Appeal)
class AppealAdmin(ReadOnly):
    list_display = ("text", "kind", "status", "visit", "work_order")
    list_filter = ("kind", "status")
    search_fields = ("text", "answer")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Appeal]:
        return super().get_queryset(request).select_related("visit", "work_order__category")


class SignUpInline(admin.TabularInline):
    model = SignUp
    extra = 0
    fields = ("user", "status", "signed_up_at", "attendance", "hours")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Activity)
class ActivityAdmin(ReadOnly):
    list_display = ("title", "state", "starts_at", "place", "capacity", "organiser")
    list_filter = ("state",)
    search_fields = ("title", "place")
    date_hierarchy = "starts_at"
    inlines = [SignUpInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Activity]:
        return super().get_queryset(request).select_related("organiser")
