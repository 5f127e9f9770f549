from django.contrib import admin
from django.http import HttpRequest

from wudian.joining.models import Application, BindingCheck, PhoneCode


class ReadOnly(admin.ModelAdmin):
    """Records of what happened: looked at, never written by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PhoneCode)
class PhoneCodeAdmin(ReadOnly):
    list_display = ["__str__", "sent_at", "expires_at", "attempts", "used_at"]
    exclude = ["digest", "phone"]


@admin.register(BindingCheck)
class BindingCheckAdmin(ReadOnly):
    list_display = ["account_no", "user", "passed", "client", "at"]
    list_filter = ["passed"]
    search_fields = ["account_no", "user__username"]
    date_hierarchy = "at"


@admin.register(Application)
class ApplicationAdmin(ReadOnly):
    list_display = ["compound", "account_no", "name", "relation", "state", "created_at"]
    list_filter = ["state", "relation"]
    search_fields = ["account_no", "name", "compound__name"]
    list_select_related = ["compound"]
