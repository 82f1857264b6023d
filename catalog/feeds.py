"""Shopping feeds of a channel: Google Merchant Center (RSS 2.0 with the g: namespace) and CSV.

Always current: built from the database on each request and streamed, product by product, in
chunks of FEED_CHUNK products; each chunk costs a fixed number of queries (products, their
images, their variants priced on the channel, the stock of those variants), whatever the number
of variants. Only active products published and visible on the channel, and only their variants
with a price there, are listed. An unknown or inactive channel is a 404. Whether a variant is in
stock is inventory's answer, which inventory hands to catalog (feeds_set_stock_reader).

    GET /feeds/<channel>/google.xml
    GET /feeds/<channel>/products.csv
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.views.decorators.http import require_GET

from catalog.models import ProductImage, ProductVariant
from catalog.selectors import product_list, variants_on_channel
from catalog.services.prices import sale_active
from sales_channels.models import Channel

FEED_CHUNK = 500
ISTANBUL = ZoneInfo("Europe/Istanbul")
CSV_COLUMNS = [
    "id", "item_group_id", "title", "description", "link", "image_link", "price", "sale_price",
    "sale_price_effective_date", "availability", "gtin", "brand", "mpn",
]  # fmt: skip


# reader(*, channel, variant_ids) -> {variant id: units the channel can sell}. Catalog sits
# below inventory, so inventory registers its selector here in its AppConfig.ready(); until
# then no variant is in stock.
StockReader = Callable[..., dict[int, int]]


def _no_stock(*, channel: Channel, variant_ids: Iterable[int]) -> dict[int, int]:
    return {}


_stock_reader: StockReader = _no_stock


def feeds_set_stock_reader(reader: StockReader | None) -> None:
    """How the feeds learn each variant's stock on a channel (inventory sets its selector)."""
    global _stock_reader
    _stock_reader = reader or _no_stock


def product_url(*, slug: str, language: str) -> str:
    """Where the storefront shows a product (a path). OMNI_FEED_PRODUCT_PATH, e.g.
    "/{lang}/p/{slug}/", overrides the storefront's own URL."""
    pattern = getattr(settings, "OMNI_FEED_PRODUCT_PATH", "")
    if pattern:
        return pattern.format(lang=language, slug=slug)
    try:
        with translation.override(language):
            return reverse("storefront:product", args=[slug])
    except NoReverseMatch:
        return f"/{language}/products/{slug}/"


@dataclass(frozen=True)
class FeedItem:
    id: str
    item_group_id: str
    title: str
    description: str
    link: str
    image_link: str
    price: str
    sale_price: str
    sale_price_effective_date: str
    availability: str
    gtin: str
    brand: str
    mpn: str


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01'))} {currency}"


def _feed_time(moment: datetime) -> str:
    """ISO 8601 to the minute with the offset, as Google's sale_price_effective_date wants."""
    return moment.astimezone(ISTANBUL).strftime("%Y-%m-%dT%H:%M%z")


def _prices(variant: ProductVariant, now: datetime) -> tuple[Decimal, Decimal | None, str]:
    """(the regular price, the sale price or None, the sale's effective dates or ""). A sale
    is an automatic promotion's (campaigns keeps it on the price row), else a compare-at
    price above the price; the regular price is the compare-at one where there is one."""
    compared = variant.compare_at_price is not None and variant.compare_at_price > variant.price
    regular = variant.compare_at_price if compared else variant.price
    if sale_active(variant, now=now):
        ends = variant.sale_ends_at
        # Google wants both ends; a sale running now with no recorded start runs from now.
        dates = f"{_feed_time(variant.sale_starts_at or now)}/{_feed_time(ends)}" if ends else ""
        return regular, variant.sale_price, dates
    return regular, variant.price if compared else None, ""


def feed_items(*, channel: Channel, base_url: str) -> Iterator[FeedItem]:
    """The channel's feed, one item per variant sold there, in chunks of products."""
    language = channel.default_language
    products = product_list(channel=channel).prefetch_related(None).select_related("brand")
    ids = list(products.values_list("id", flat=True))
    for start in range(0, len(ids), FEED_CHUNK):
        chunk = ids[start : start + FEED_CHUNK]
        rows = (
            products.filter(pk__in=chunk)
            .prefetch_related(
                Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id")),
                Prefetch(
                    "variants",
                    queryset=variants_on_channel(channel=channel).prefetch_related(None),
                    to_attr="channel_variants",
                ),
            )
            .order_by("-created_at", "-id")
        )
        rows = list(rows)
        stock = _stock_reader(
            channel=channel, variant_ids=[v.pk for p in rows for v in p.channel_variants]
        )
        with translation.override(language):
            for product in rows:
                yield from _product_items(product, channel, base_url, language, stock)


def _product_items(product, channel, base_url, language, stock) -> Iterator[FeedItem]:
    raster = [i for i in product.images.all() if _feed_accepts(i.image.name)]
    image = f"{base_url}{raster[0].image.url}" if raster else ""
    link = f"{base_url}{product_url(slug=product.slug, language=language)}"
    title = product.name
    description = " ".join(strip_tags(product.description or "").split())[:5000] or title
    variants: list[ProductVariant] = product.channel_variants
    now = timezone.now()
    for variant in variants:
        price, sale, sale_dates = _prices(variant, now)
        yield FeedItem(
            id=variant.sku,
            item_group_id=product.slug if len(variants) > 1 else "",
            title=title,
            description=description,
            link=link,
            image_link=image,
            price=_money(price, variant.currency),
            sale_price=_money(sale, variant.currency) if sale is not None else "",
            sale_price_effective_date=sale_dates,
            availability="in_stock" if stock.get(variant.pk, 0) > 0 else "out_of_stock",
            gtin=variant.barcode or "",
            brand=product.brand.name if product.brand_id else "",
            mpn=variant.sku,
        )


def _feed_accepts(name: str) -> bool:
    """Google Merchant Center takes raster images (JPEG, PNG, WebP, GIF, BMP, TIFF), not SVG:
    an item's image_link (XML and CSV feeds) is its first image Google can show, or none."""
    return not name.lower().endswith((".svg", ".svgz"))


def _channel(code: str) -> Channel:
    channel = Channel.objects.filter(code=code, is_active=True).first()
    if channel is None:
        raise Http404("unknown channel")
    return channel


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _google_xml(channel: Channel, base_url: str) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
    yield f"<title>{escape(channel.name)}</title>\n<link>{escape(base_url)}/</link>\n"
    yield f"<description>{escape(channel.name)}</description>\n"
    for item in feed_items(channel=channel, base_url=base_url):
        parts = ["<item>"]
        for tag in (
            "id", "item_group_id", "title", "description", "link", "image_link", "price",
            "sale_price", "sale_price_effective_date", "availability", "gtin", "brand", "mpn",
        ):  # fmt: skip
            value = getattr(item, tag)
            if value:
                parts.append(f"<g:{tag}>{escape(value)}</g:{tag}>")
        parts.append("<g:condition>new</g:condition>")
        parts.append("</item>\n")
        yield "".join(parts)
    yield "</channel>\n</rss>\n"


def _csv(channel: Channel, base_url: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return value

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for item in feed_items(channel=channel, base_url=base_url):
        writer.writerow([getattr(item, c) for c in CSV_COLUMNS])
        yield flush()


@require_GET
def google_feed(request: HttpRequest, channel_code: str) -> StreamingHttpResponse:
    channel = _channel(channel_code)
    return StreamingHttpResponse(
        _google_xml(channel, _base_url(request)), content_type="application/xml; charset=utf-8"
    )


@require_GET
def csv_feed(request: HttpRequest, channel_code: str) -> StreamingHttpResponse:
    channel = _channel(channel_code)
    response = StreamingHttpResponse(
        _csv(channel, _base_url(request)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{channel.code}-products.csv"'
    return response


app_name = "feeds"
urlpatterns = [
    path("<slug:channel_code>/google.xml", google_feed, name="google"),
    path("<slug:channel_code>/products.csv", csv_feed, name="csv"),
]
