"""Fieldwork in the admin: the patrols' checklists, which an administrator edits in versions.
A draft version's items are edited inline; a published version is frozen (its items read
only, and the services refuse a change); "publish" and "new draft from this version" are
actions on the versions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wudian.core.errors import messages_of
from wudian.fieldwork.models import Checklist, ChecklistItem, ChecklistVersion
from wudian.fieldwork.services.patrols import (
    checklist_version_editable,
    checklist_version_new_draft,
    checklist_version_publish,
)


class ChecklistItemFormSet(BaseInlineFormSet):
    """Refuses a change to the items of a version published since the page was opened."""

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is not None and self.has_changed():
            try:
                checklist_version_editable(self.instance)
            except ValidationError as error:
                raise ValidationError(messages_of(error)) from error


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    formset = ChecklistItemFormSet
    extra = 0
    fields = ("position", "area", "text", "guidance")

    def _frozen(self, obj: ChecklistVersion | None) -> bool:
        return obj is not None and obj.published_at is not None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class ChecklistVersionInline(admin.TabularInline):
    model = ChecklistVersion
    extra = 0
    fields = ("number", "note", "published_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    inlines = [ChecklistVersionInline]


@admin.register(ChecklistVersion)
class ChecklistVersionAdmin(admin.ModelAdmin):
    list_display = ("checklist", "number", "note", "published_at")
    list_filter = ("checklist",)
    inlines = [ChecklistItemInline]
    actions = ["publish", "new_draft"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("published_at",)
        if obj.published_at is not None:
            return ("checklist", "number", "note", "published_at")
        return ("checklist", "number", "published_at")

    @admin.action(description=gettext_lazy("Publish the selected draft versions"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ChecklistVersion]) -> None:
        for version in queryset:
            try:
                checklist_version_publish(version=version)
            except ValidationError as error:
                self.message_user(
                    request, f"{version}: {' '.join(messages_of(error))}", messages.ERROR
                )
            else:
                self.message_user(request, _("%(version)s published.") % {"version": version})

    @admin.action(description=gettext_lazy("New draft from the selected version"))
    def new_draft(self, request: HttpRequest, queryset: QuerySet[ChecklistVersion]) -> None:
        for version in queryset:
            try:
                draft = checklist_version_new_draft(version=version)
            except ValidationError as error:
                self.message_user(
                    request, f"{version}: {' '.join(messages_of(error))}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    _("%(version)s made as a draft: edit its items, then publish it.")
                    % {"version": draft},
                )
