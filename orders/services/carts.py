"""Carts: one active cart per customer that every channel sees and changes.

Rules
- A signed-in customer has one active cart; the web, the app and store staff acting for them
  all read and change that cart, so an item added in the app is in the web cart on the next
  request. An anonymous visitor's cart is found by its token.
- A line keeps the price the shopper saw when adding it (and on which channel). At checkout the
  prices and availability are checked again on the channel being used, and the shopper is told
  what changed: price up or down, no longer available, quantity cut.
- On sign-in an anonymous cart merges into the customer's: lines of the same variant add their
  quantities, capped by what the channel can sell; the other lines move over; the anonymous
  cart is closed as merged.
- A channel may hold stock while a cart is in checkout (Channel.cart_reservation_minutes)
  through inventory reservations under "cart:<token>".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F, FilteredRelation, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import AttributeValue, ProductVariant
from customers.models import Customer
from inventory import selectors as inventory_selectors
from inventory import services as inventory
from omni.errors import Conflict, NotFound, ValidationError
from orders.models import Cart, CartLine, SavedItem
from sales_channels.models import Channel

MAX_LINE_QUANTITY = 99


# --- what a cart holds, loaded once ---------------------------------------------------------


@dataclass
class LineInfo:
    """A cart line with everything checkout needs of it on one channel (loaded once)."""

    line: CartLine
    variant_id: int
    sku: str
    product_name: str
    variant_name: str
    quantity: int
    seen_price: Decimal
    price: Decimal | None  # on the channel now; None: not sold there
    tax_rate: Decimal
    published: bool

    @property
    def sellable(self) -> bool:
        return self.price is not None and self.published


def lines_info(*, cart: Cart, channel: Channel) -> list[LineInfo]:
    """The cart's lines with their variant, product, tax rate and current price and
    publication on the channel: two queries whatever the number of lines."""
    now = timezone.now()
    lines = (
        CartLine.objects.filter(cart=cart)
        .select_related("variant__product__tax_class")
        .annotate(
            channel_price=FilteredRelation(
                "variant__channel_prices", condition=Q(variant__channel_prices__channel=channel)
            ),
            listing=FilteredRelation(
                "variant__product__channel_listings",
                condition=Q(variant__product__channel_listings__channel=channel),
            ),
            price_now=F("channel_price__price"),
            listed=F("listing__is_published"),
            listed_from=F("listing__published_at"),
        )
        .prefetch_related(
            Prefetch(
                "variant__attribute_values",
                queryset=AttributeValue.objects.select_related("attribute").order_by(
                    "attribute__sort_order", "sort_order"
                ),
            )
        )
        .order_by("created_at", "id")
    )
    result = []
    for line in lines:
        variant = line.variant
        product = variant.product
        published = bool(
            line.listed
            and product.is_active
            and (line.listed_from is None or line.listed_from <= now)
        )
        result.append(
            LineInfo(
                line=line,
                variant_id=variant.pk,
                sku=variant.sku,
                product_name=product.name,
                variant_name=" / ".join(v.name for v in variant.attribute_values.all()),
                quantity=line.quantity,
                seen_price=line.seen_price,
                price=line.price_now,
                tax_rate=product.tax_class.rate,
                published=published,
            )
        )
    return result


# --- finding and creating carts -------------------------------------------------------------


def cart_for_customer(*, customer: Customer, channel: Channel) -> Cart:
    """The customer's one active cart, created on first need."""
    cart = Cart.objects.filter(customer=customer, status=Cart.Status.ACTIVE).first()
    if cart is not None:
        return _seen_on(cart, channel)
    try:
        with transaction.atomic():
            return Cart.objects.create(
                customer=customer, origin_channel=channel, last_channel=channel
            )
    except IntegrityError:  # two devices at once: both get the one that won
        return Cart.objects.get(customer=customer, status=Cart.Status.ACTIVE)


def cart_create_anonymous(*, channel: Channel) -> Cart:
    return Cart.objects.create(origin_channel=channel, last_channel=channel)


def cart_by_token(*, token: str | UUID, channel: Channel | None = None) -> Cart:
    """An anonymous cart by its token. Unknown, closed or someone's: not found."""
    try:
        token = UUID(str(token))
    except ValueError:
        raise NotFound(_("Cart not found."), code="cart_not_found") from None
    cart = Cart.objects.filter(
        token=token, status=Cart.Status.ACTIVE, customer__isnull=True
    ).first()
    if cart is None:
        raise NotFound(_("Cart not found."), code="cart_not_found")
    return _seen_on(cart, channel) if channel else cart


def _seen_on(cart: Cart, channel: Channel) -> Cart:
    if cart.last_channel_id != channel.pk:
        cart.last_channel = channel
        cart.save(update_fields=["last_channel", "updated_at"])
    return cart


def _locked(cart: Cart) -> Cart:
    locked = Cart.objects.select_for_update().get(pk=cart.pk)
    if locked.status != Cart.Status.ACTIVE:
        raise Conflict(_("This cart is closed."), code="cart_closed")
    return locked


# --- changing lines -------------------------------------------------------------------------


def _variant_on_channel(*, variant_id: int, channel: Channel) -> tuple[ProductVariant, Decimal]:
    """The variant with its price on the channel, if it is sold there now (one query)."""
    variant = (
        ProductVariant.objects.select_related("product")
        .annotate(
            channel_price=FilteredRelation(
                "channel_prices", condition=Q(channel_prices__channel=channel)
            ),
            listing=FilteredRelation(
                "product__channel_listings",
                condition=Q(product__channel_listings__channel=channel),
            ),
            price_now=F("channel_price__price"),
            listed=F("listing__is_published"),
            listed_from=F("listing__published_at"),
        )
        .filter(pk=variant_id, channel_price__isnull=False)
        .first()
    )
    now = timezone.now()
    if variant is None or not (
        variant.product.is_active
        and variant.listed
        and (variant.listed_from is None or variant.listed_from <= now)
    ):
        raise ValidationError.for_field(
            "variant", _("This item is not sold on this channel."), code="not_sold_here"
        )
    return variant, variant.price_now


def _check_quantity(quantity: int) -> None:
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 1 <= quantity <= MAX_LINE_QUANTITY
    ):
        raise ValidationError.for_field(
            "quantity",
            _("Enter a quantity from 1 to %(max)d.") % {"max": MAX_LINE_QUANTITY},
            code="invalid_quantity",
        )


def _check_available(
    *, cart: Cart, channel: Channel, variant: ProductVariant, quantity: int
) -> None:
    available = inventory_selectors.availability_for_channel(
        channel=channel, variant_ids=[variant.pk], exclude_reservation=cart.reservation_reference
    )[variant.pk]
    if quantity > available:
        raise ValidationError.for_field(
            "quantity",
            _("Only %(n)d of %(sku)s available.") % {"n": available, "sku": variant.sku}
            if available
            else _("%(sku)s is out of stock.") % {"sku": variant.sku},
            code="insufficient_stock",
        )


def cart_add(*, cart: Cart, channel: Channel, variant_id: int, quantity: int = 1) -> CartLine:
    """Add a variant (or more of it) at the price it has on this channel now."""
    _check_quantity(quantity)
    variant, price = _variant_on_channel(variant_id=variant_id, channel=channel)
    with transaction.atomic():
        cart = _locked(cart)
        line = CartLine.objects.filter(cart=cart, variant=variant).first()
        wanted = quantity + (line.quantity if line else 0)
        _check_quantity(wanted)
        _check_available(cart=cart, channel=channel, variant=variant, quantity=wanted)
        if line is None:
            line = CartLine.objects.create(
                cart=cart,
                variant=variant,
                quantity=wanted,
                seen_price=price,
                seen_currency=channel.currency,
                seen_channel=channel,
            )
        else:
            line.quantity, line.seen_price = wanted, price
            line.seen_currency, line.seen_channel = channel.currency, channel
            line.save(
                update_fields=[
                    "quantity",
                    "seen_price",
                    "seen_currency",
                    "seen_channel",
                    "updated_at",
                ]
            )
        _touch(cart, channel)
    return line


def cart_set_quantity(
    *, cart: Cart, channel: Channel, line_id: int, quantity: int
) -> CartLine | None:
    """Set a line's quantity; 0 removes it."""
    if quantity == 0:
        cart_remove(cart=cart, channel=channel, line_id=line_id)
        return None
    _check_quantity(quantity)
    with transaction.atomic():
        cart = _locked(cart)
        line = CartLine.objects.filter(cart=cart, pk=line_id).select_related("variant").first()
        if line is None:
            raise NotFound(_("Cart line not found."), code="line_not_found")
        if quantity > line.quantity:
            _check_available(cart=cart, channel=channel, variant=line.variant, quantity=quantity)
        line.quantity = quantity
        line.save(update_fields=["quantity", "updated_at"])
        _touch(cart, channel)
    return line


def cart_remove(*, cart: Cart, channel: Channel, line_id: int) -> None:
    with transaction.atomic():
        cart = _locked(cart)
        deleted, _rows = CartLine.objects.filter(cart=cart, pk=line_id).delete()
        if not deleted:
            raise NotFound(_("Cart line not found."), code="line_not_found")
        _touch(cart, channel)


def _touch(cart: Cart, channel: Channel) -> None:
    """Record the channel; a cart that holds stock follows its new lines."""
    cart.last_channel = channel
    cart.save(update_fields=["last_channel", "updated_at"])
    if cart.reserved_until and cart.reserved_until > timezone.now():
        cart_reserve(cart=cart, channel=channel)


# --- merging on sign-in ---------------------------------------------------------------------


def cart_merge(*, anonymous: Cart, customer: Customer, channel: Channel) -> Cart:
    """Merge a visitor's cart into the customer's cart on sign-in (see the rule above)."""
    target = cart_for_customer(customer=customer, channel=channel)
    if anonymous.pk == target.pk:
        return target
    with transaction.atomic():
        # Lock both carts in id order, as everywhere.
        first, second = sorted([anonymous.pk, target.pk])
        locked = {
            c.pk: c
            for c in Cart.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")
        }
        source, target = locked[anonymous.pk], locked[target.pk]
        if source.status != Cart.Status.ACTIVE or source.customer_id is not None:
            return target
        theirs = {line.variant_id: line for line in target.lines.all()}
        moving = list(source.lines.all())
        available = inventory_selectors.availability_for_channel(
            channel=channel,
            variant_ids=[line.variant_id for line in moving],
            exclude_reservation=source.reservation_reference,
        )
        for line in moving:
            cap = min(available.get(line.variant_id, 0), MAX_LINE_QUANTITY)
            if line.variant_id in theirs:
                mine = theirs[line.variant_id]
                mine.quantity = max(mine.quantity, min(mine.quantity + line.quantity, cap))
                mine.save(update_fields=["quantity", "updated_at"])
                line.delete()
            else:
                line.cart = target
                line.quantity = max(1, min(line.quantity, cap)) if cap else line.quantity
                line.save(update_fields=["cart", "quantity", "updated_at"])
        source.status = Cart.Status.MERGED
        source.save(update_fields=["status", "updated_at"])
        if source.reserved_until:
            inventory.reservations_release(reference=source.reservation_reference)
        _touch(target, channel)
    return target


# --- checking again at checkout -------------------------------------------------------------


@dataclass(frozen=True)
class CartChange:
    line_id: int
    sku: str
    kind: str  # price_up, price_down, unavailable, quantity_cut
    before: str
    after: str

    def as_dict(self) -> dict:
        return {
            "line": self.line_id,
            "sku": self.sku,
            "change": self.kind,
            "before": self.before,
            "after": self.after,
        }


def cart_review(
    *, cart: Cart, channel: Channel, info: Sequence[LineInfo] | None = None
) -> list[CartChange]:
    """What changed since the lines were added, on this channel: prices, availability,
    quantities that can no longer be had. Changes nothing."""
    info = lines_info(cart=cart, channel=channel) if info is None else info
    available = inventory_selectors.availability_for_channel(
        channel=channel,
        variant_ids=[i.variant_id for i in info],
        exclude_reservation=cart.reservation_reference,
    )
    changes = []
    for item in info:
        if not item.sellable or available.get(item.variant_id, 0) == 0:
            changes.append(
                CartChange(item.line.pk, item.sku, "unavailable", str(item.quantity), "0")
            )
            continue
        if item.price != item.seen_price:
            kind = "price_up" if item.price > item.seen_price else "price_down"
            changes.append(
                CartChange(item.line.pk, item.sku, kind, str(item.seen_price), str(item.price))
            )
        if item.quantity > available[item.variant_id]:
            changes.append(
                CartChange(
                    item.line.pk,
                    item.sku,
                    "quantity_cut",
                    str(item.quantity),
                    str(available[item.variant_id]),
                )
            )
    return changes


def cart_refresh(*, cart: Cart, channel: Channel) -> list[CartChange]:
    """Apply what cart_review found, so the shopper can go on: prices become this channel's,
    quantities are cut to what can be had, and lines that cannot be had leave the cart (a
    customer's are saved for later). Returns the changes made."""
    with transaction.atomic():
        cart = _locked(cart)
        info = lines_info(cart=cart, channel=channel)
        changes = cart_review(cart=cart, channel=channel, info=info)
        by_line = {i.line.pk: i for i in info}
        for change in changes:
            item = by_line[change.line_id]
            line = item.line
            if change.kind == "unavailable":
                if cart.customer_id:
                    SavedItem.objects.get_or_create(
                        customer_id=cart.customer_id, variant_id=item.variant_id
                    )
                line.delete()
            elif change.kind in ("price_up", "price_down"):
                line.seen_price, line.seen_channel, line.seen_currency = (
                    item.price,
                    channel,
                    channel.currency,
                )
                line.save(
                    update_fields=["seen_price", "seen_channel", "seen_currency", "updated_at"]
                )
            elif change.kind == "quantity_cut":
                line.quantity = int(change.after)
                line.save(update_fields=["quantity", "updated_at"])
        _touch(cart, channel)
    return changes


# --- holding stock during checkout ----------------------------------------------------------


def cart_reserve(*, cart: Cart, channel: Channel, minutes: int | None = None) -> list:
    """Hold the cart's stock for the channel's checkout time (10 minutes on the web, say);
    calling it again follows the cart's lines and restarts the clock. A channel that holds
    nothing (0 minutes) makes this a no-op. InsufficientStock if a line cannot be had."""
    minutes = channel.cart_reservation_minutes if minutes is None else minutes
    if not minutes:
        return []
    lines = dict(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity"))
    if not lines:
        cart_release(cart=cart)
        return []
    held = inventory.reservations_set(
        channel=channel,
        reference=cart.reservation_reference,
        lines=lines,
        ttl=timedelta(minutes=minutes),
    )
    Cart.objects.filter(pk=cart.pk).update(
        reserved_until=timezone.now() + timedelta(minutes=minutes)
    )
    return held


def cart_release(*, cart: Cart) -> None:
    inventory.reservations_release(reference=cart.reservation_reference)
    Cart.objects.filter(pk=cart.pk).update(reserved_until=None)


# --- saved for later ------------------------------------------------------------------------


def saved_item_add(*, customer: Customer, variant_id: int) -> SavedItem:
    if not ProductVariant.objects.filter(pk=variant_id).exists():
        raise ValidationError.for_field("variant", _("Unknown variant."), code="unknown_variant")
    item, _created = SavedItem.objects.get_or_create(customer=customer, variant_id=variant_id)
    return item


def saved_item_remove(*, customer: Customer, variant_id: int) -> None:
    """Remove a saved item; one the customer has not saved is not found (whoever saved it)."""
    deleted, _rows = SavedItem.objects.filter(customer=customer, variant_id=variant_id).delete()
    if not deleted:
        raise NotFound(_("Saved item not found."), code="saved_item_not_found")


def saved_item_move_to_cart(*, customer: Customer, channel: Channel, variant_id: int) -> CartLine:
    """Move one saved item into the customer's cart (one unit); only an item they saved."""
    cart = cart_for_customer(customer=customer, channel=channel)
    with transaction.atomic():
        deleted, _rows = SavedItem.objects.filter(customer=customer, variant_id=variant_id).delete()
        if not deleted:
            raise NotFound(_("Saved item not found."), code="saved_item_not_found")
        line = cart_add(cart=cart, channel=channel, variant_id=variant_id, quantity=1)
    return line
