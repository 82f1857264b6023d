"""The admin's warning that the test payment gateway is on (templates/admin/base_site.html)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def test_gateway_warning() -> bool:
    """True where production allows the test gateway (OMNI_ALLOW_TEST_GATEWAY): every admin
    page then says that orders may be paid with test cards."""
    return bool(settings.OMNI_ALLOW_TEST_GATEWAY and settings.OMNI_TEST_GATEWAY_WARNING)
