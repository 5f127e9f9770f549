from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wudian.accounts.models import ApiToken, Certificate, Department, Duty, Role, User
from wudian.accounts.services import api_tokens_revoke


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            _("Wudian"),
            {"fields": ("display_name", "phone", "title", "photo", "roles", "department")},
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Wudian"), {"fields": ("display_name", "phone", "roles", "department")}),
    )
    filter_horizontal = ("roles", "groups", "user_permissions")
    list_display = (
        "username",
        "display_name",
        "phone",
        "role_list",
        "department",
        "is_active",
        "is_superuser",
    )
    list_filter = ("roles", "department", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "display_name", "phone", "email")
    list_select_related = ("department",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("roles"))
    def role_list(self, user: User) -> str:
        return ", ".join(role.display_name for role in user.roles.all())


class DutyInline(admin.TabularInline):
    model = Duty
    extra = 1
    fields = ("order", "text", "text_en")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "order")
    list_editable = ("order",)
    search_fields = ("code", "name", "name_en")
    inlines = [DutyInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "district", "phone")
    list_filter = ("kind", "district")
    search_fields = ("code", "name")
    list_select_related = ("district",)


class TokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("expired", _("Expired")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by POST /api/v1/auth/token; the admin only reads and revokes them.
    Only the prefix and the SHA-256 digest are stored, so no secret can be shown."""

    list_display = (
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "active",
    )
    list_filter = (TokenStateFilter,)
    search_fields = ("prefix", "name", "user__username", "user__display_name")
    list_select_related = ("user",)
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "digest",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    actions = ["revoke_selected"]
    date_hierarchy = "created_at"

    @admin.display(boolean=True, description=_("active"))
    def active(self, token: ApiToken) -> bool:
        return token.is_active

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    @admin.action(description=_("Revoke selected tokens"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = api_tokens_revoke(tokens=queryset)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


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
