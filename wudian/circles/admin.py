"""The administrators' view of the circles: which compounds a circle covers (a service point
may run one over several), which group robots its staff posts are mirrored to, and who its
resident representatives are. Posts and messages are written through the pages and the API,
where the policy applies; here they are read."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from wudian.circles.models import Circle, CircleMember, Message, Post


class MemberInline(admin.TabularInline):
    model = CircleMember
    extra = 0
    raw_id_fields = ["user", "muted_by"]
    fields = ["user", "representative", "delivery", "left_at", "muted_until", "muted_reason"]


@admin.register(Circle)
class CircleAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name", "compounds__name", "compounds__code"]
    filter_horizontal = ["compounds", "robots"]
    inlines = [MemberInline]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(ReadOnly):
    list_display = ["title", "circle", "kind", "author", "published_at", "pinned", "hidden_at"]
    list_filter = ["kind", "pinned"]
    search_fields = ["title", "body"]
    list_select_related = ["circle", "author"]


@admin.register(Message)
class MessageAdmin(ReadOnly):
    list_display = ["__str__", "circle", "author", "created_at", "hidden_at"]
    search_fields = ["body"]
    list_select_related = ["circle", "author"]
    raw_id_fields = ["parent"]
