"""`{% load money %}`: the `money` filter for templates outside the storefront (e-mails)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from omni.money import money_format

register = template.Library()


@register.filter
def money(amount, currency: str = "TRY") -> str:
    """{{ order.total|money:order.currency }} -> "1.298,99 ₺" (in the active language)."""
    return money_format(amount, currency)


@register.filter
def plus(amount, other) -> Decimal:
    """Two amounts added exactly (Django's `add` would go through int)."""
    return Decimal(amount or 0) + Decimal(other or 0)
