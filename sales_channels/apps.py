from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesChannelsConfig(AppConfig):
    name = "sales_channels"
    verbose_name = _("Sales channels")
