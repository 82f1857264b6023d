"""The end-of-day report's filters."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def absolute(amount: Decimal | None) -> Decimal | None:
    """How much a till is short, without its sign (the badge says "Short")."""
    return None if amount is None else abs(amount)
