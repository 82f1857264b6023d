"""The footer and the cookie notice of every storefront page (templates/storefront/base.html)."""

from __future__ import annotations

from django import template

from storefront import content

register = template.Library()


@register.inclusion_tag("storefront/partials/footer.html")
def shop_footer() -> dict:
    return {"frame": content.shop_frame()}


@register.inclusion_tag("storefront/partials/cookie_notice.html", takes_context=True)
def cookie_notice(context) -> dict:
    request = context["request"]
    seen = request.COOKIES.get(content.COOKIE_NOTICE_COOKIE) == "seen"
    return {
        "show": not seen,
        "frame": None if seen else content.shop_frame(),
        "cookie_policy_slug": content.COOKIE_POLICY_SLUG,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
