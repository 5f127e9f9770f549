from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wudian.notify import services
from wudian.notify.models import CallTask, CircleEndpoint, Message, Preference


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "address",
        "template",
        "source",
        "state",
        "attempts",
        "next_attempt_at",
        "urgent",
    ]
    list_filter = ["state", "channel", "urgent", "template"]
    search_fields = ["address", "idempotency_key", "source", "event_key"]
    raw_id_fields = ["user", "household", "compound"]
    date_hierarchy = "created_at"
    readonly_fields = ["idempotency_key", "event_key", "claim_token", "claimed_at", "sent_at"]
    actions = ["retry"]
    list_select_related = True

    @admin.action(description=_("Send the chosen failed messages again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = services.message_retry(messages=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(CircleEndpoint)
class CircleEndpointAdmin(admin.ModelAdmin):
    list_display = ["compound", "kind", "name", "enabled"]
    list_filter = ["kind", "enabled"]
    search_fields = ["compound__name", "compound__code", "name"]
    autocomplete_fields = ["compound"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "sms", "email", "quiet_start_hour", "quiet_end_hour"]
    search_fields = ["user__username", "user__display_name"]
    raw_id_fields = ["user"]


@admin.register(CallTask)
class CallTaskAdmin(admin.ModelAdmin):
    list_display = ["created_at", "household", "assignee", "reason", "state", "outcome"]
    list_filter = ["state", "outcome"]
    search_fields = ["household__account_no", "assignee__username", "source"]
    raw_id_fields = ["assignee", "household", "done_by"]
