from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = _("People and permissions")


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Omni's admin site as the default, whose login is throttled
    (accounts.admin_site); INSTALLED_APPS names it in the admin's place."""

    default = False
    default_site = "accounts.admin_site.AdminSite"
