"""Knowledge in the admin: read mostly. Writing, publishing and images go through the services
(the desk's pages and the API), which check the writer's reach and every uploaded image; the
admin corrects text and looks at counts, votes and publications."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from wudian.knowledge.models import (
    Article,
    ArticleImage,
    ArticleVote,
    SeasonalDate,
    SeasonalReminder,
)


class ArticleImageInline(admin.TabularInline):
    model = ArticleImage
    extra = 0
    fields = ("image", "is_cover", "position", "content_type", "size", "uploaded_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # An image added here would skip the checks of core.photos.
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "category",
        "state",
        "reach",
        "published_at",
        "views",
        "useful_yes",
        "useful_no",
        "author",
    )
    list_filter = ("state", "category", "reach")
    search_fields = ("title", "summary")
    date_hierarchy = "published_at"
    raw_id_fields = ("author", "reminder")
    filter_horizontal = ("compounds",)
    readonly_fields = (
        "state",
        "published_at",
        "withdrawn_at",
        "announced_at",
        "reminder",
        "season",
        "views",
        "useful_yes",
        "useful_no",
        "author",
    )
    inlines = [ArticleImageInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Written on the desk, where the target is checked against the writer's reach.
        return False


class SeasonalDateInline(admin.TabularInline):
    model = SeasonalDate
    extra = 0


@admin.register(SeasonalReminder)
class SeasonalReminderAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "anchor", "month", "day", "days_before", "reach", "active")
    list_filter = ("active", "category", "anchor")
    search_fields = ("title",)
    raw_id_fields = ("author",)
    filter_horizontal = ("compounds",)
    readonly_fields = ("author",)
    inlines = [SeasonalDateInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ("article", "useful", "created_at")
    list_filter = ("useful",)
    raw_id_fields = ("article", "user")
    readonly_fields = ("article", "voter", "user", "useful", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
