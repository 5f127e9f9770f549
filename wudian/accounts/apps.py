from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "wudian.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")


class WudianAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the site of wudian/accounts/admin_site.py."""

    default = False
    default_site = "wudian.accounts.admin_site.WudianAdminSite"
