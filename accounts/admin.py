from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import DeviceToken, User


class DeviceTokenInline(admin.TabularInline):
    """The user's signed-in devices; staff can sign one out (delete), never see its token."""

    model = DeviceToken
    fields = ["name", "user_agent", "created", "last_used", "expiry"]
    readonly_fields = fields
    extra = 0
    can_delete = True
    verbose_name_plural = _("signed-in devices (API tokens)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "role",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = ["role", "is_staff", "is_superuser", "is_active", "groups", "stores"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    filter_horizontal = ["groups", "user_permissions", "stores"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("first_name", "last_name", "phone", "language")}),
        (_("Role"), {"fields": ("role", "stores")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    inlines = [DeviceTokenInline]
