"""The frame around every storefront page (the retailer's details and the links to the shop's
pages in the footer) and the merchant's pages themselves (storefront.models.ShopPage).

The frame is on every page, so it is read once and kept in the shared cache (Redis in
production: every process sees a change at once) until a page or the retailer is saved
(StorefrontConfig.ready connects `shop_frame_forget`): no query on a warm page.

A page's body is plain text with a few conventions (models.BODY_HELP), rendered here with
everything escaped: no HTML is ever taken from the database, so a merchant (or whoever gets
hold of an admin account) cannot put a script on the shop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from sales_channels.models import Channel, Retailer
from sales_channels.selectors import retailer_get
from storefront.models import ShopPage

FRAME_KEY = "storefront:frame:1"
FRAME_SECONDS = 600  # a change is seen at once (the signals); this only bounds a missed one
# The cookie policy's slug: the cookie notice links to it while it is published.
COOKIE_POLICY_SLUG = "cerez-politikasi"
# The cookie that remembers the cookie notice was read (itself essential: it only keeps the
# notice from showing again). Every cookie Omni sets is named in the cookie policy.
COOKIE_NOTICE_COOKIE = "cookie_notice"
COOKIE_NOTICE_DAYS = 365


@dataclass(frozen=True)
class PageLink:
    slug: str
    title_tr: str
    title_en: str

    @property
    def title(self) -> str:
        english = (get_language() or "tr").startswith("en")
        return (self.title_en or self.title_tr) if english else self.title_tr


@dataclass(frozen=True)
class ShopFrame:
    retailer: Retailer
    pages: tuple[PageLink, ...]  # published and linked in the footer, in their order
    cookie_policy: bool  # the cookie policy page is published (the notice links to it)


def shop_frame() -> ShopFrame:
    """The retailer and the footer's pages: two queries when the cache is cold, none after."""
    frame = cache.get(FRAME_KEY)
    if frame is None:
        published = ShopPage.objects.filter(is_published=True)
        links = tuple(
            PageLink(slug=slug, title_tr=title_tr or "", title_en=title_en or "")
            for slug, title_tr, title_en in published.filter(in_footer=True)
            .order_by("sort_order", "id")
            .values_list("slug", "title_tr", "title_en")
        )
        frame = ShopFrame(
            retailer=retailer_get(),
            pages=links,
            cookie_policy=any(link.slug == COOKIE_POLICY_SLUG for link in links)
            or published.filter(slug=COOKIE_POLICY_SLUG).exists(),
        )
        cache.set(FRAME_KEY, frame, FRAME_SECONDS)
    return frame


def shop_frame_forget(**_signal) -> None:
    cache.delete(FRAME_KEY)


def shop_page_get(*, slug: str) -> ShopPage | None:
    return ShopPage.objects.filter(slug=slug, is_published=True).first()


# --- the body ---------------------------------------------------------------------------------

RETAILER_FIELDS = (
    "legal_name",
    "trade_name",
    "address",
    "city",
    "phone",
    "email",
    "kep_address",
    "mersis_number",
    "tax_office",
    "tax_number",
    "trade_registry_number",
    "website",
)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_LINK = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)])"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def page_values(*, retailer: Retailer, channel: Channel | None) -> dict[str, str]:
    """What the placeholders of a page's body stand for."""
    values = {name: str(getattr(retailer, name) or "") for name in RETAILER_FIELDS}
    values["return_days"] = str(channel.return_window_days if channel else 14)
    values["pickup_days"] = str(channel.pickup_hold_days if channel else 7)
    return values


def _inline(text: str, values: dict[str, str]) -> str:
    """One line: placeholders filled, escaped, then bold and links (on the escaped text, so
    nothing the merchant typed becomes markup)."""
    filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    html = str(escape(filled))
    html = _BOLD.sub(r"<strong>\1</strong>", html)

    def link(match: re.Match) -> str:
        if match.group("url"):
            url = match.group("url")
            return f'<a href="{url}" rel="nofollow noopener">{url}</a>'
        email = match.group("email")
        return f'<a href="mailto:{email}">{email}</a>'

    return _LINK.sub(link, html)


def page_body_html(text: str, *, values: dict[str, str]) -> SafeString:
    """The body as HTML: "## " and "### " headings, "- " lists, paragraphs (one line break kept
    as <br>), all of it escaped."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def close() -> None:
        if paragraph:
            out.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            items.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            close()
        elif line.startswith("### "):
            close()
            out.append(f"<h3>{_inline(line[4:].strip(), values)}</h3>")
        elif line.startswith("## "):
            close()
            out.append(f"<h2>{_inline(line[3:].strip(), values)}</h2>")
        elif line.startswith(("- ", "* ")):
            if paragraph:
                close()
            items.append(_inline(line[2:].strip(), values))
        else:
            if items:
                close()
            paragraph.append(_inline(line, values))
    close()
    return mark_safe("\n".join(out))  # noqa: S308 (built from escaped text above)
