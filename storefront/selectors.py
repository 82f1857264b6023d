"""Reads of the web storefront's pages, each in a fixed number of queries whatever the number of
products, variants, lines or orders shown. They build on the catalog, inventory and orders
selectors (the same reads the API makes); what is only the storefront's (facets, the stock and
pickup filters, a product page's stock and stores) is here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, Max, Min, OuterRef, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import selectors as campaign_selectors
from catalog import selectors as catalog_selectors
from catalog.filters import ProductFilter
from catalog.models import AttributeValue, Category, Product, ProductVariant
from customers.models import Address, Customer
from inventory import selectors as inventory_selectors
from inventory.geo import city_position
from inventory.models import Stock, StockLocation
from orders.models import Order
from orders.services.checkout import PICKUP_READY_HOURS, TRANSFER_DAYS
from sales_channels.models import Channel
from sales_channels.selectors import channel_get_active

PAGE_SIZE = 24
HOME_PRODUCTS = 8
ORDERS_PAGE_SIZE = 20
# Filters of ProductFilter the listing passes through (category comes from the URL).
LISTING_PARAMS = ("q", "attr", "price_min", "price_max", "ordering", "brand")


def web_channel() -> Channel:
    """The channel the storefront sells on (its currency, prices and stock)."""
    return channel_get_active(getattr(settings, "OMNI_STOREFRONT_CHANNEL", "web"))


# --- home -----------------------------------------------------------------------------------


@dataclass
class HomePage:
    categories: list[dict]
    newest: list[Product]
    on_sale: list[Product]


def home_page(*, channel: Channel) -> HomePage:
    """The category tree, the newest products and some on sale: four queries (the tree, two
    product lists, their images)."""
    products = catalog_selectors.product_list(channel=channel)
    newest = list(products[:HOME_PRODUCTS])
    on_sale = list(
        products.filter(on_sale=True).order_by("price_from", "-id")[: HOME_PRODUCTS // 2]
    )
    _badge(channel, [*newest, *on_sale])
    return HomePage(categories=catalog_selectors.category_tree(), newest=newest, on_sale=on_sale)


def _badge(channel: Channel, products: list[Product]) -> None:
    """Give each product its promotion badge (`product.badge`, None without): one query, and
    one more while a promotion that is certain to apply is running."""
    badges = campaign_selectors.promotion_badges(
        channel=channel, product_ids={p.pk for p in products}
    )
    for product in products:
        product.badge = badges.get(product.pk)


# --- listing --------------------------------------------------------------------------------


@dataclass
class Facet:
    code: str
    name: str
    values: list[dict]  # {"slug", "name", "swatch", "selected"}


@dataclass
class Listing:
    page: Page
    facets: list[Facet]
    price_bounds: tuple[Decimal | None, Decimal | None]
    stores: list[StockLocation]
    errors: dict[str, list[str]]
    selected: dict[str, object] = field(default_factory=dict)

    @property
    def filters_on(self) -> int:
        """How many filters narrow the list (each attribute value, price bound, in stock, the
        pickup store; not the order): the count on the phone's filter button."""
        chosen = sum(1 for facet in self.facets for value in facet.values if value["selected"])
        keys = ("price_min", "price_max", "in_stock", "store")
        return chosen + sum(1 for key in keys if self.selected.get(key))


def _in_stock(channel: Channel) -> Exists:
    """A variant of the product sold on the channel has free stock (on hand less allocated, less
    the channel's safety stock) at one of the channel's locations. Live cart reservations are
    not subtracted here: the badge is a guide, and the cart and checkout check exactly."""
    return Exists(
        Stock.objects.filter(
            variant__product=OuterRef("pk"),
            variant__channel_prices__channel=channel,
            location__channels__channel=channel,
            location__is_active=True,
            on_hand__gt=F("allocated") + F("location__channels__safety_stock"),
        )
    )


def _at_store(code: str) -> Exists:
    """A variant of the product can be collected today at the store (free stock there)."""
    return Exists(
        Stock.objects.filter(
            variant__product=OuterRef("pk"),
            location__code=code,
            location__is_active=True,
            location__click_and_collect=True,
            on_hand__gt=F("allocated"),
        )
    )


def pickup_stores() -> list[StockLocation]:
    return list(
        StockLocation.objects.filter(is_active=True, click_and_collect=True)
        .only("code", "name", "city", "district")
        .order_by("city", "name")
    )


def product_listing(
    *,
    channel: Channel,
    request,
    data: QueryDict,
    category: Category | None = None,
    page_number: str | int | None = 1,
) -> Listing:
    """A page of the channel's products in a category (subcategories included) or for a text
    search, filtered (attributes, price range, brand, in stock only, available for pickup at
    a store), sorted and paged, with the facets to narrow it: a fixed number of queries."""
    request.omni_channel = channel  # the attribute filter reads the channel from the request
    base = catalog_selectors.product_list(channel=channel)
    if category is not None:
        base = base.filter(category__path__startswith=category.path)
    scoped = base
    if data.get("q"):
        scoped = ProductFilter(data={"q": data["q"]}, queryset=base, request=request).qs
    params = QueryDict(mutable=True)
    for name in LISTING_PARAMS:
        if name in data:
            params.setlist(name, data.getlist(name))
    filters = ProductFilter(data=params, queryset=base, request=request)
    errors = {} if filters.is_valid() else {k: list(v) for k, v in filters.errors.items()}
    products = filters.qs
    selected: dict[str, object] = {
        "in_stock": data.get("in_stock") == "1",
        "store": data.get("store", ""),
        "ordering": data.get("ordering", ""),
        "price_min": data.get("price_min", ""),
        "price_max": data.get("price_max", ""),
        "q": data.get("q", ""),
    }
    if selected["in_stock"]:
        products = products.filter(_in_stock(channel))
    stores = pickup_stores()
    if selected["store"] and any(s.code == selected["store"] for s in stores):
        products = products.filter(_at_store(selected["store"]))
    page = Paginator(products, PAGE_SIZE).get_page(page_number)
    page.object_list = list(page.object_list)
    _badge(channel, page.object_list)
    chosen = filters.form.cleaned_data.get("attr") or {}
    return Listing(
        page=page,
        facets=_facets(channel=channel, products=scoped, chosen=chosen),
        price_bounds=_price_bounds(scoped),
        stores=stores,
        errors=errors,
        selected=selected,
    )


def _facets(*, channel: Channel, products: QuerySet, chosen: dict[str, set[str]]) -> list[Facet]:
    """The attribute values of the variants sold on the channel among these products (before
    the attribute filter, so choosing one value does not hide the others): one query."""
    values = (
        AttributeValue.objects.filter(
            Exists(
                ProductVariant.attribute_values.through.objects.filter(
                    attributevalue_id=OuterRef("pk"),
                    productvariant__product__in=products.values("pk"),
                    productvariant__channel_prices__channel=channel,
                )
            )
        )
        .select_related("attribute")
        .order_by("attribute__sort_order", "attribute__code", "sort_order", "slug")
    )
    facets: dict[str, Facet] = {}
    for value in values:
        code = value.attribute.code
        facet = facets.setdefault(code, Facet(code=code, name=value.attribute.name, values=[]))
        facet.values.append(
            {
                "slug": value.slug,
                "name": value.name,
                "swatch": value.swatch,
                "selected": value.slug in chosen.get(code, ()),
            }
        )
    return list(facets.values())


def _price_bounds(products: QuerySet) -> tuple[Decimal | None, Decimal | None]:
    bounds = products.order_by().aggregate(low=Min("price_from"), high=Max("price_to"))
    return bounds["low"], bounds["high"]


# --- product page ---------------------------------------------------------------------------


@dataclass
class VariantChoice:
    variant: object
    sku: str
    name: str
    price: Decimal
    compare_at_price: Decimal | None
    lowest_prior_price: Decimal | None
    currency: str
    available: int
    state: str  # inventory_selectors.IN_STOCK, LOW or OUT
    # A promotion certain to apply: the price after it, beside the lowest price of the 30 days
    # before it began (campaigns.selectors.product_offers).
    offer: campaign_selectors.Offer | None = None

    @property
    def on_sale(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.price

    @property
    def pays(self) -> Decimal:
        """What one unit costs the shopper: the promotion's price when one applies."""
        return self.offer.price_after if self.offer else self.price


@dataclass
class StoreChoice:
    code: str
    name: str
    city: str
    district: str
    distance_km: float | None
    state: str
    available: int
    ready_by: datetime | None  # None: cannot be collected there


@dataclass
class ProductPage:
    product: Product
    variants: list[VariantChoice]
    selected: VariantChoice | None
    stores: list[StoreChoice]
    city: str


def product_page(*, channel: Channel, slug: str, sku: str = "", city: str = "") -> ProductPage:
    """A product with its variants on the channel, what the channel can sell of each, and for
    the chosen variant the click-and-collect stores nearest to `city` with when it would be
    ready: a fixed number of queries whatever the number of variants and stores."""
    product = catalog_selectors.product_detail(channel=channel, slug=slug)
    variants = product.channel_variants
    available = inventory_selectors.availability_for_channel(
        channel=channel, variant_ids=[v.pk for v in variants]
    )
    offers = campaign_selectors.product_offers(channel=channel, product=product, variants=variants)
    choices = [
        VariantChoice(
            variant=v,
            sku=v.sku,
            name=" / ".join(a.name for a in v.attribute_values.all()) or v.sku,
            price=v.price,
            compare_at_price=v.compare_at_price,
            lowest_prior_price=v.lowest_prior_price,
            currency=v.currency,
            available=available.get(v.pk, 0),
            state=inventory_selectors.stock_state(available.get(v.pk, 0)),
            offer=offers.get(v.pk),
        )
        for v in variants
    ]
    selected = next((c for c in choices if c.sku == sku), None) or next(
        (c for c in choices if c.available > 0), choices[0] if choices else None
    )
    stores = (
        store_choices(
            variant_id=selected.variant.pk,
            channel_available=selected.available,
            city=city,
        )
        if selected
        else []
    )
    return ProductPage(
        product=product, variants=choices, selected=selected, stores=stores, city=city
    )


def store_choices(*, variant_id: int, channel_available: int, city: str = "") -> list[StoreChoice]:
    """ "Available in these stores near you": each click-and-collect store with its stock of
    the variant, nearest to `city` first, and when one unit would be ready there (from its own
    shelf, or brought by transfer from the channel's stock): two queries."""
    now = timezone.now()
    result = []
    for store in inventory_selectors.availability_by_store(
        variant_ids=variant_id, origin=city_position(city) if city else None
    ):
        if store.available > 0:
            ready = now + timedelta(hours=PICKUP_READY_HOURS)
        elif channel_available > 0:
            ready = now + timedelta(days=TRANSFER_DAYS)
        else:
            ready = None
        result.append(
            StoreChoice(
                code=store.code,
                name=store.name,
                city=store.city,
                district=store.district,
                distance_km=store.distance_km,
                state=store.state,
                available=store.available,
                ready_by=ready,
            )
        )
    return result


# --- sitemaps -------------------------------------------------------------------------------


def sitemap_products() -> QuerySet[Product]:
    return (
        catalog_selectors.product_list(channel=web_channel())
        .prefetch_related(None)
        .select_related(None)
        .only("slug", "updated_at")
        .order_by("id")
    )


def sitemap_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).only("slug").order_by("path")


# --- account --------------------------------------------------------------------------------


def order_page(*, customer: Customer, number: int | str = 1) -> Page:
    from orders.selectors import order_list_for_customer

    return Paginator(order_list_for_customer(customer=customer), ORDERS_PAGE_SIZE).get_page(number)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str
    channel: str


def order_timeline(order: Order) -> list[TimelineEntry]:
    """The order's status changes and its returns, oldest first (events are prefetched)."""
    from orders.models import Return

    entries = []
    for event in sorted(order.events.all(), key=lambda e: (e.created_at, e.pk)):
        if event.to_status and event.to_status in Order.Status.values:
            label = str(Order.Status(event.to_status).label)
        elif event.kind.startswith("return_") and event.data.get("to") in Return.Status.values:
            label = str(_("Return: %(status)s") % {"status": Return.Status(event.data["to"]).label})
        else:
            continue
        entries.append(
            TimelineEntry(
                at=event.created_at,
                label=label,
                channel=event.channel.name if event.channel_id else "",
            )
        )
    return entries


def order_placed_with_key(*, scope: str, key: str) -> str | None:
    """The number of the order a finished checkout with this Idempotency-Key placed, if any."""
    from orders.models import IdempotencyKey

    if not key:
        return None
    return (
        IdempotencyKey.objects.filter(
            scope=scope, key=key, state=IdempotencyKey.State.DONE, order__isnull=False
        )
        .values_list("order__number", flat=True)
        .first()
    )


def address_list(*, customer: Customer) -> QuerySet[Address]:
    return Address.objects.filter(customer=customer).order_by("-is_default", "-id")


def guest_may_see(*, order: Order, numbers: list[str]) -> bool:
    """A guest sees an order placed in their own browser session only."""
    return order.number in numbers


def order_payments_shown(order: Order) -> list:
    """The order's payments that took or hold money (one query), oldest first: what the
    confirmation and the account say it was paid with (a card's instalments where the payment
    records them)."""
    from payments.models import Payment

    taken = (
        Payment.Status.CAPTURED,
        Payment.Status.AUTHORISED,
        Payment.Status.PENDING,
        Payment.Status.PARTIALLY_REFUNDED,
    )
    return list(Payment.objects.filter(order_id=order.pk, status__in=taken).order_by("id"))


def order_next_steps(order: Order) -> dict:
    """What the confirmation and the account say happens next to the order."""
    days = order.shipping_method if order.shipping_method_id else None
    return {
        "unpaid_minutes": settings.OMNI_UNPAID_ORDER_MINUTES,
        "min_days": days.min_days if days else None,
        "max_days": days.max_days if days else None,
        "return_days": order.channel.return_window_days,
        "hold_days": order.channel.pickup_hold_days,
    }
