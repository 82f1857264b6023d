from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    """The staff screens: the store counter, click and collect, returns, stock, clienteling and
    the end of the day, server-rendered for a till or a tablet (htmx, no build step)."""

    name = "staff"
    verbose_name = _("Staff screens")
