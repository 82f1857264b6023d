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

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import AttributeValue, ProductVariant
from customers.models import Customer
from customers.services import customer_for_user
from inventory import selectors as inventory_selectors
from inventory import services as inventory
from omni.db import converted, create, savepoint, select_one
from omni.errors import Conflict, NotFound, ValidationError
from orders.locks import cart_lock, carts_lock
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
    # What promotions' goods conditions look at (read by the same statement; see LineInput).
    product_id: int | None = None
    brand_id: int | None = None
    category_path: str | None = None
    attribute_values: frozenset[int] = frozenset()

    @property
    def sellable(self) -> bool:
        return self.price is not None and self.published


def _translated(values: dict[str, str]) -> str:
    """A translated field as modeltranslation reads it: the active language's value, else the
    first fallback language's that is not empty."""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    for code in (language, *settings.MODELTRANSLATION_FALLBACK_LANGUAGES):
        if values.get(code):
            return values[code]
    return ""


@dataclass(frozen=True)
class _LinesStatement:
    sql: str
    fields: list  # the model field of each selected column, in order
    line_fields: list[str]  # CartLine's attnames (the first columns)


@functools.cache
def _lines_statement() -> _LinesStatement:
    """The cart-lines statement, built from the models (a checkout's hottest read: written
    once as SQL rather than compiled by the ORM on every request). One row per line and
    attribute value, in the variant's attribute order; plain joins, so SQLite runs it too."""
    product = ProductVariant.product.field.related_model
    price = ProductVariant.channel_prices.rel.related_model
    listing = product.channel_listings.rel.related_model
    tax = product.tax_class.field.related_model
    category = product.category.field.related_model
    through = ProductVariant.attribute_values.through
    attribute = AttributeValue.attribute.field.related_model
    languages = [code for code, _name in settings.LANGUAGES]
    columns = [(f"cl.{f.column}", f) for f in CartLine._meta.concrete_fields]
    columns += [("v.sku", ProductVariant._meta.get_field("sku"))]
    columns += [("p.is_active", product._meta.get_field("is_active"))]
    columns += [(f"p.name_{c}", product._meta.get_field(f"name_{c}")) for c in languages]
    columns += [
        ("t.rate", tax._meta.get_field("rate")),
        ("cp.price", price._meta.get_field("price")),
    ]
    columns += [("pl.is_published", listing._meta.get_field("is_published"))]
    columns += [("pl.published_at", listing._meta.get_field("published_at"))]
    # The facts promotions' goods conditions look at (the discount provider then reads none).
    columns += [
        ("v.product_id", ProductVariant._meta.get_field("product")),
        ("p.brand_id", product._meta.get_field("brand")),
        ("pc.path", category._meta.get_field("path")),
        ("av.id", AttributeValue._meta.get_field("id")),
    ]
    columns += [(f"av.name_{c}", AttributeValue._meta.get_field(f"name_{c}")) for c in languages]
    sql = f"""
        SELECT {", ".join(column for column, _field in columns)}
        FROM {CartLine._meta.db_table} cl
        JOIN {ProductVariant._meta.db_table} v ON v.id = cl.variant_id
        JOIN {product._meta.db_table} p ON p.id = v.product_id
        JOIN {tax._meta.db_table} t ON t.id = p.tax_class_id
        JOIN {category._meta.db_table} pc ON pc.id = p.category_id
        LEFT JOIN {price._meta.db_table} cp ON cp.variant_id = v.id AND cp.channel_id = %s
        LEFT JOIN {listing._meta.db_table} pl ON pl.product_id = p.id AND pl.channel_id = %s
        LEFT JOIN {through._meta.db_table} va ON va.productvariant_id = v.id
        LEFT JOIN {AttributeValue._meta.db_table} av ON av.id = va.attributevalue_id
        LEFT JOIN {attribute._meta.db_table} a ON a.id = av.attribute_id
        WHERE cl.cart_id = %s
        ORDER BY cl.created_at, cl.id, a.sort_order, av.sort_order
    """  # noqa: S608 (table and column names from the models; values are parameters)
    return _LinesStatement(
        sql=sql,
        fields=[f for _column, f in columns],
        line_fields=[f.attname for f in CartLine._meta.concrete_fields],
    )


def _on_sale(*, is_active: bool, listed: bool | None, listed_from, now) -> bool:
    """A product is sold on a channel when it is active and published there, from its start."""
    return bool(is_active and listed and (listed_from is None or listed_from <= now))


def lines_info(*, cart: Cart, channel: Channel) -> list[LineInfo]:
    """The cart's lines with their variant, product, tax rate and current price and
    publication on the channel: one query whatever the number of lines."""
    now = timezone.now()
    statement = _lines_statement()
    languages = [code for code, _name in settings.LANGUAGES]
    n, k = len(statement.line_fields), len(languages)
    fields = tuple(statement.fields)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [channel.pk, channel.pk, cart.pk])
        rows = cursor.fetchall()
    grouped: dict[int, tuple[list, list[str], set[int]]] = {}
    for raw in rows:
        row = converted(raw, fields)
        value = _translated(dict(zip(languages, row[-k:], strict=True)))
        value_id = row[n + 9 + k]
        if row[0] in grouped:
            grouped[row[0]][1].append(value)
            grouped[row[0]][2].add(value_id)
        else:
            grouped[row[0]] = (row, [value] if value else [], {value_id} if value_id else set())
    result = []
    for row, value_names, value_ids in grouped.values():
        line = CartLine.from_db(connection.alias, statement.line_fields, row[:n])
        sku, is_active = row[n], row[n + 1]
        name = _translated(dict(zip(languages, row[n + 2 : n + 2 + k], strict=True)))
        rate, price, listed, listed_from = row[n + 2 + k : n + 6 + k]
        product_id, brand_id, category_path = row[n + 6 + k : n + 9 + k]
        result.append(
            LineInfo(
                line=line,
                variant_id=line.variant_id,
                sku=sku,
                product_name=name,
                variant_name=" / ".join(value_names),
                quantity=line.quantity,
                seen_price=line.seen_price,
                price=price,
                tax_rate=rate,
                published=_on_sale(
                    is_active=is_active, listed=listed, listed_from=listed_from, now=now
                ),
                product_id=product_id,
                brand_id=brand_id,
                category_path=category_path,
                attribute_values=frozenset(value_ids),
            )
        )
    return result


# --- finding and creating carts -------------------------------------------------------------


def cart_for_customer(*, customer: Customer, channel: Channel) -> Cart:
    """The customer's one active cart, created on first need."""
    cart = cart_seen_for_customer(customer=customer, channel=channel)
    if cart is not None:
        return cart
    return _cart_create_for_customer(customer=customer, channel=channel)


def cart_seen_for_customer(*, customer: Customer, channel: Channel) -> Cart | None:
    """The customer's active cart, seen on this channel; None if they have none (a page that
    shows the cart, or a change refused, starts none: cart_add does, with its first line)."""
    cart = cart_find_for_customer(customer=customer)
    return None if cart is None else _seen_on(cart, channel)


def cart_find_for_customer(*, customer: Customer) -> Cart | None:
    """The customer's active cart, if they have one; changes nothing."""
    return select_one(
        Cart, "customer_id = %s AND status = %s", [customer.pk, Cart.Status.ACTIVE.value]
    )


def _cart_create_for_customer(*, customer: Customer, channel: Channel) -> Cart:
    try:
        with savepoint():
            return create(Cart, customer=customer, origin_channel=channel, last_channel=channel)
    except IntegrityError:  # two devices at once: both get the one that won
        return Cart.objects.get(customer=customer, status=Cart.Status.ACTIVE)


def cart_create_as_sold(*, channel: Channel, lines: list[tuple[int, int, Decimal]]) -> Cart:
    """An anonymous cart holding a sale already made at a store's till while the server was
    unreachable: each line (variant id, quantity, unit price the till charged) as it was sold,
    its price as the price seen, whatever the stock says now (the goods were handed over).
    Only the till's sync places it (order_place with as_sold=True, allocate=False)."""
    with transaction.atomic():
        cart = create(Cart, origin_channel=channel, last_channel=channel)
        CartLine.objects.bulk_create(
            [
                CartLine(
                    cart=cart,
                    variant_id=variant_id,
                    quantity=quantity,
                    seen_price=price,
                    seen_currency=channel.currency,
                    seen_channel=channel,
                )
                for variant_id, quantity, price in lines
            ],
        )
    return cart


_TOKEN = Cart._meta.get_field("token")


def cart_create_anonymous(*, channel: Channel) -> Cart:
    return create(Cart, origin_channel=channel, last_channel=channel)


def cart_by_token(*, token: str | UUID, channel: Channel | None = None) -> Cart:
    """An anonymous cart by its token. Unknown, closed or someone's: not found."""
    try:
        token = UUID(str(token))
    except ValueError:
        raise NotFound(_("Cart not found."), code="cart_not_found") from None
    cart = select_one(
        Cart,
        "token = %s AND status = %s AND customer_id IS NULL",
        [_TOKEN.get_db_prep_value(token, connection), Cart.Status.ACTIVE.value],
    )
    if cart is None:
        raise NotFound(_("Cart not found."), code="cart_not_found")
    return _seen_on(cart, channel) if channel else cart


def _seen_on(cart: Cart, channel: Channel) -> Cart:
    if cart.last_channel_id != channel.pk:
        cart.last_channel = channel
        cart.save(update_fields=["last_channel", "updated_at"])
    return cart


def _locked(cart: Cart, *, touch: Channel | None = None) -> Cart:
    """The cart, locked for the rest of the transaction; Conflict if it is closed. `touch`:
    also record the channel it was last changed on, in the same statement (orders.locks); a
    closed cart's update is rolled back with the error. Follow with _follow_reservation() once
    the lines have changed."""
    locked = cart_lock(cart.pk, touch_channel_id=None if touch is None else touch.pk)
    if locked is not None and touch is not None:
        locked.last_channel = touch
    if locked is None or locked.status != Cart.Status.ACTIVE:
        raise Conflict(_("This cart is closed."), code="cart_closed")
    return locked


# --- changing lines -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sellable:
    variant_id: int
    sku: str
    price: Decimal


@functools.cache
def _sellable_statement(by: str) -> tuple[str, tuple]:
    product = ProductVariant.product.field.related_model
    price = ProductVariant.channel_prices.rel.related_model
    listing = product.channel_listings.rel.related_model
    fields = (
        ProductVariant._meta.pk,
        ProductVariant._meta.get_field("sku"),
        price._meta.get_field("price"),
        product._meta.get_field("is_active"),
        listing._meta.get_field("is_published"),
        listing._meta.get_field("published_at"),
    )
    sql = f"""
        SELECT v.id, v.sku, cp.price, p.is_active, pl.is_published, pl.published_at
        FROM {ProductVariant._meta.db_table} v
        JOIN {product._meta.db_table} p ON p.id = v.product_id
        LEFT JOIN {price._meta.db_table} cp ON cp.variant_id = v.id AND cp.channel_id = %s
        LEFT JOIN {listing._meta.db_table} pl ON pl.product_id = p.id AND pl.channel_id = %s
        WHERE v.{by} = %s
    """  # noqa: S608 (table names are the models' own; values are parameters)
    return sql, fields


def _variant_on_channel(
    *, channel: Channel, variant_id: int | None = None, sku: str | None = None
) -> _Sellable:
    """The variant (by id or SKU) with its price on the channel, if it is sold there now: one
    statement, on every add to cart. An unknown SKU is an error on "sku"; a variant not sold
    on the channel one on "variant"."""
    by, value = ("id", variant_id) if sku is None else ("sku", sku)
    sql, fields = _sellable_statement(by)
    with connection.cursor() as cursor:
        cursor.execute(sql, [channel.pk, channel.pk, value])
        row = cursor.fetchone()
    if row is None and sku is not None:
        raise ValidationError.for_field(
            "sku", _("Unknown SKU: %(sku)s.") % {"sku": sku}, code="unknown_sku"
        )
    if row is not None:
        pk, found_sku, price, is_active, listed, listed_from = converted(row, fields)
        on_sale = _on_sale(
            is_active=is_active, listed=listed, listed_from=listed_from, now=timezone.now()
        )
        if price is not None and on_sale:
            return _Sellable(pk, found_sku, price)
    raise ValidationError.for_field(
        "variant", _("This item is not sold on this channel."), code="not_sold_here"
    )


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
    *, cart: Cart, channel: Channel, variant_id: int, sku: str, quantity: int
) -> None:
    available = inventory_selectors.availability_for_channel(
        channel=channel, variant_ids=[variant_id], exclude_reservation=cart.reservation_reference
    )[variant_id]
    if quantity > available:
        raise ValidationError.for_field(
            "quantity",
            _("Only %(n)d of %(sku)s available.") % {"n": available, "sku": sku}
            if available
            else _("%(sku)s is out of stock.") % {"sku": sku},
            code="insufficient_stock",
        )


def cart_add(
    *,
    cart: Cart | None = None,
    customer: Customer | None = None,
    channel: Channel,
    variant_id: int | None = None,
    sku: str | None = None,
    quantity: int = 1,
) -> CartLine:
    """Add a variant (by id or SKU), or more of it, at the price it has on this channel now.

    Without `cart`, the line goes into the customer's one cart, or for a visitor (no
    `customer`) into a new anonymous cart, found or created in the line's own transaction: a
    refused change (an unknown SKU, too many) leaves no cart behind. The line's `cart` is the
    cart it went into."""
    _check_quantity(quantity)
    variant = _variant_on_channel(channel=channel, variant_id=variant_id, sku=sku)
    if cart is not None or customer is None:
        return _cart_add(cart, customer, channel, variant, quantity)
    try:
        return _cart_add(cart, customer, channel, variant, quantity)
    except IntegrityError:  # another device started the customer's cart meanwhile: use it
        return _cart_add(cart, customer, channel, variant, quantity)


def _cart_add(
    cart: Cart | None,
    customer: Customer | None,
    channel: Channel,
    variant: _Sellable,
    quantity: int,
) -> CartLine:
    with transaction.atomic():
        if cart is None and customer is not None:
            cart = cart_find_for_customer(customer=customer)
        if cart is None:  # a cart new in this transaction: no one else sees it, nor its lines
            cart = create(Cart, customer=customer, origin_channel=channel, last_channel=channel)
            line = None
        else:
            cart = _locked(cart, touch=channel)
            line = select_one(
                CartLine, "cart_id = %s AND variant_id = %s", [cart.pk, variant.variant_id]
            )
        wanted = quantity + (line.quantity if line else 0)
        _check_quantity(wanted)
        _check_available(
            cart=cart,
            channel=channel,
            variant_id=variant.variant_id,
            sku=variant.sku,
            quantity=wanted,
        )
        if line is None:
            line = create(
                CartLine,
                cart=cart,
                variant_id=variant.variant_id,
                quantity=wanted,
                seen_price=variant.price,
                seen_currency=channel.currency,
                seen_channel=channel,
            )
        else:
            line.quantity, line.seen_price = wanted, variant.price
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
        line.cart = cart
        _follow_reservation(cart, channel)
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
        cart = _locked(cart, touch=channel)
        line = CartLine.objects.filter(cart=cart, pk=line_id).select_related("variant").first()
        if line is None:
            raise NotFound(_("Cart line not found."), code="line_not_found")
        if quantity > line.quantity:
            _check_available(
                cart=cart,
                channel=channel,
                variant_id=line.variant_id,
                sku=line.variant.sku,
                quantity=quantity,
            )
        line.quantity = quantity
        line.save(update_fields=["quantity", "updated_at"])
        _follow_reservation(cart, channel)
    return line


def cart_remove(*, cart: Cart, channel: Channel, line_id: int) -> None:
    with transaction.atomic():
        cart = _locked(cart, touch=channel)
        deleted, _rows = CartLine.objects.filter(cart=cart, pk=line_id).delete()
        if not deleted:
            raise NotFound(_("Cart line not found."), code="line_not_found")
        _follow_reservation(cart, channel)


def cart_codes_set(*, cart: Cart, channel: Channel, codes: list[str]) -> Cart:
    """Replace the promotion codes on the cart (campaigns checks them first: campaigns.services.
    cart_code_apply). Every channel then prices the cart with them."""
    with transaction.atomic():
        cart = _locked(cart, touch=channel)
        cart.codes = list(codes)
        cart.save(update_fields=["codes", "last_channel", "updated_at"])
    return cart


def _follow_reservation(cart: Cart, channel: Channel) -> None:
    """A cart that holds stock follows its new lines."""
    if cart.reserved_until and cart.reserved_until > timezone.now():
        cart_reserve(cart=cart, channel=channel)


def _touch(cart: Cart, channel: Channel) -> None:
    """Record the channel on a cart already locked; a cart that holds stock follows its lines."""
    cart.last_channel = channel
    cart.save(update_fields=["last_channel", "updated_at"])
    _follow_reservation(cart, channel)


# --- merging on sign-in ---------------------------------------------------------------------


def cart_merge_on_sign_in(
    *, user: User, token: str | UUID | None, channel: Channel | None = None
) -> None:
    """On sign-in (or sign-up) the visitor's cart with this token joins the customer's one
    cart, on `channel` (None: the channel the visitor's cart was last used on). A token that
    names no active visitor cart (merged, ordered, someone's) is ignored: signing in does not
    fail for it."""
    if not token:
        return
    try:
        anonymous = cart_by_token(token=token)
    except NotFound:
        return
    channel = channel or anonymous.last_channel
    cart_merge(
        anonymous=anonymous,
        customer=customer_for_user(user=user, channel=channel),
        channel=channel,
    )


def on_signed_in(*, user: User, cart_token: UUID | None, **_: object) -> None:
    """accounts.hooks.signed_in: the API's sign-in (or sign-up) brings the visitor's cart, merged
    as the storefront's sign-in merges it."""
    cart_merge_on_sign_in(user=user, token=cart_token)


def cart_merge(*, anonymous: Cart, customer: Customer, channel: Channel) -> Cart:
    """Merge a visitor's cart into the customer's cart on sign-in (see the rule above)."""
    target = cart_for_customer(customer=customer, channel=channel)
    if anonymous.pk == target.pk:
        return target
    with transaction.atomic():
        locked = carts_lock([anonymous.pk, target.pk])
        source, target = locked[anonymous.pk], locked[target.pk]
        if source.status != Cart.Status.ACTIVE or source.customer_id is not None:
            return target
        _lines_join(source, target, channel)
    return target


def _lines_join(source: Cart, target: Cart, channel: Channel) -> None:
    """The merge rule, on two locked carts: a variant in both keeps the larger of the target's
    quantity and the sum (capped by what is available); a line only in the source moves over;
    the carts' promotion codes are joined. The source is then `merged` and lets go of any stock
    it held."""
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
    if joined := [code for code in source.codes if code not in target.codes]:
        # the visitor's promotion codes come along (every quote and the placement check them)
        target.codes = [*target.codes, *joined]
        target.save(update_fields=["codes", "updated_at"])
    _touch(target, channel)


def carts_move(*, source: Customer, target: Customer) -> int:
    """Two profiles merged into one (customers.merge): the source's active cart joins the
    target's by the sign-in merge rule (or becomes the target's if it has none), and its other
    carts (ordered, merged, abandoned) follow it. Runs in the merge's transaction. Returns the
    carts moved."""
    active = cart_find_for_customer(customer=source)
    target_cart = cart_find_for_customer(customer=target)
    if active is not None and target_cart is not None:
        locked = carts_lock([active.pk, target_cart.pk])
        _lines_join(locked[active.pk], locked[target_cart.pk], locked[active.pk].last_channel)
    return Cart.objects.filter(customer=source).update(customer=target)


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
    """Move one saved item into the customer's cart (one unit); only an item they saved. The
    cart is created, on first need, with the line (nothing is written if the move fails)."""
    with transaction.atomic():
        deleted, _rows = SavedItem.objects.filter(customer=customer, variant_id=variant_id).delete()
        if not deleted:
            raise NotFound(_("Saved item not found."), code="saved_item_not_found")
        line = cart_add(customer=customer, channel=channel, variant_id=variant_id, quantity=1)
    return line
