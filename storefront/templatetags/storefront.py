from __future__ import annotations

from django import template
from django.http import QueryDict
from django.urls import translate_url
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from omni.templatetags.money import money, plus
from storefront.views import shopper

register = template.Library()

_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


# Amounts read the same on every page and in every e-mail: omni.money.money_format.
register.filter("money", money)
register.filter("plus", plus)


@register.filter
def order_promotions(order):
    """What the promotions took off an order, from its price snapshot (no queries)."""
    from orders.selectors import order_promotions as read

    return read(order)


@register.filter
def for_line(promotions, line) -> list:
    """An order line's discounts (OrderPromotions.for_line) in a template."""
    return promotions.for_line(line.variant_id)


@register.simple_tag
def query(base: str, **changes) -> str:
    """The current query string with some parameters set (None or "" removes one); the page
    always starts again at 1 unless given."""
    params = QueryDict(base, mutable=True)
    params.pop("page", None)
    for name, value in changes.items():
        if value in (None, ""):
            params.pop(name, None)
        else:
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def attr_toggle(base: str, code: str, slug: str) -> str:
    """The query string with the attribute value `code:slug` added to or taken from `attr`."""
    params = QueryDict(base, mutable=True)
    params.pop("page", None)
    wanted: dict[str, list[str]] = {}
    for raw in params.getlist("attr"):
        c, _sep, slugs = raw.partition(":")
        wanted.setdefault(c, []).extend(s for s in slugs.split(",") if s)
    values = wanted.setdefault(code, [])
    if slug in values:
        values.remove(slug)
    else:
        values.append(slug)
    params.setlist("attr", [f"{c}:{','.join(v)}" for c, v in wanted.items() if v])
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def cart_count(context) -> int:
    """The number of items in the shopper's cart now (storefront.views.shopper.cart_count)."""
    request = context.get("request")
    return shopper.cart_count(request) if request is not None else 0


@register.simple_tag
def ld_json(data: str):
    """A JSON-LD script block, with <, > and & escaped so that no text can close it."""
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(data.translate(_JSON_ESCAPES)),  # noqa: S308 (escaped just above)
    )


@register.simple_tag(takes_context=True)
def in_language(context, code: str) -> str:
    """This page's address in another language (/tr/p/x/?a=1 -> /en/p/x/?a=1). The path is
    resolved in its own language: set_language alone resolves it in the cookie's."""
    request = context["request"]
    with translation.override(getattr(request, "LANGUAGE_CODE", None) or get_language()):
        return translate_url(request.get_full_path(), code)
