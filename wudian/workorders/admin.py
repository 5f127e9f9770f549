from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wudian.core.admin import KeptRowsAdmin
from wudian.workorders.models import (
    Category,
    Open311Key,
    UsageReport,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
)
from wudian.workorders.open311.keys import open311_key_issue


@admin.register(Category)
class CategoryAdmin(KeptRowsAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "routing",
        "accept_target",
        "accept_unit",
        "arrive_target",
        "resolve_target",
        "resolve_unit",
        "resident_may_report",
        "active",
        "order",
    ]
    list_editable = ["active", "order"]
    list_filter = ["kind", "routing", "active"]
    search_fields = ["code", "name", "name_en"]


class EventInline(admin.TabularInline):
    model = WorkOrderEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "by", "to_user", "to_department", "note"]
    readonly_fields = ["at", "kind", "by", "to_user", "to_department", "note"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PhotoInline(admin.TabularInline):
    model = WorkOrderPhoto
    extra = 0
    can_delete = False
    fields = ["image", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = ["image", "content_type", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    """Read-only: every change to a request goes through its steps on the desk or the API,
    so that the timeline, the clocks and the notifications stay true."""

    list_display = [
        "pk",
        "category",
        "compound",
        "status",
        "channel",
        "assignee",
        "department",
        "priority",
        "opinion_risk",
        "next_due",
        "created_at",
    ]
    list_filter = ["status", "channel", "category", "priority", "opinion_risk"]
    search_fields = ["pk", "description", "household__account_no", "compound__name"]
    list_select_related = ["category", "compound", "assignee", "department"]
    date_hierarchy = "created_at"
    inlines = [PhotoInline, EventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(UsageReport)
class UsageReportAdmin(admin.ModelAdmin):
    """Read-only: an analysis is a snapshot of what was shown, attached by the desk or the
    API."""

    list_display = ["pk", "workorder", "until", "months", "made_by", "made_at"]
    list_select_related = ["workorder__category", "made_by"]
    search_fields = ["workorder__pk", "household__account_no"]
    date_hierarchy = "made_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organisation",
        "prefix",
        "account",
        "active",
        "created_at",
        "last_used_at",
    ]
    fields = [
        "name",
        "organisation",
        "compounds",
        "account",
        "active",
        "prefix",
        "created_at",
        "last_used_at",
    ]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    filter_horizontal = ["compounds"]

    def save_model(self, request: HttpRequest, obj: Open311Key, form: object, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued, key = open311_key_issue(
            name=obj.name, organisation=obj.organisation, account=obj.account
        )
        # The form's compounds are saved onto this row next (save_related).
        obj.pk = issued.pk
        obj._state = issued._state
        messages.warning(
            request,
            _("The new key is %(key)s. Copy it now: it is not shown again.") % {"key": key},
        )
