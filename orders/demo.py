"""Demo orders for Moda Ev: how each channel sells (shipping methods, paying later at a store,
how long a cart holds stock) and a few orders of the demo customer on different channels.

The orders are placed through orders.services.checkout.order_place, as a shopper or a clerk
would place them, so stock, ledger and events are exactly those of a real order. Each demo order
is placed under an Idempotency-Key of its own (scope "demo"): running the demo again finds the
key done and places nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F

from accounts.models import User
from catalog.models import ProductVariant
from customers.models import Address, Customer
from customers.services import customer_for_user
from inventory import selectors as inventory_selectors
from inventory.models import Stock, StockLocation
from omni.errors import OmniError
from omni.seeding import DemoRun
from orders.models import Cart, IdempotencyKey, Order, ShippingMethod
from orders.services import carts, checkout, lifecycle
from sales_channels.models import Channel

# The demo customer and clerk sign in with their accounts; the orders take the stock; the CRM's
# demo profiles get their year of history (orders.demo_history).
SEED_AFTER = ("accounts", "inventory", "customers")

CUSTOMER_EMAIL = "musteri@omni.test"
CLERK_EMAIL = "kasa.kadikoy@omni.test"
IDEMPOTENCY_SCOPE = "demo"

ONLINE = ("web", "app")
STORES = ("store-kadikoy", "store-kizilay", "store-alsancak")

# code, Turkish name, English name, kind, price, free over, days from, days to
HOME_METHODS = [
    ("standart", "Standart Kargo", "Standard delivery", "home", "49.90", "750.00", 2, 4),
    ("hizli", "Hızlı Kargo", "Express delivery", "home", "89.90", None, 1, 1),
]
STORE_METHODS = [
    ("magazadan", "Mağazadan Kargo", "Ship from store", "ship_from_store", "49.90", "750.00", 1, 3),
]

ADDRESS = {
    "full_name": "Ayşe Kaya",
    "phone": "+905321234567",
    "line1": "Moda Caddesi No:12 D:3",
    "line2": "",
    "district": "Kadıköy",
    "city": "İstanbul",
    "postal_code": "34710",
    "country": "TR",
}


@dataclass(frozen=True)
class DemoOrder:
    key: str
    channel: str  # where the order is placed
    started_on: str  # where the cart was started
    delivery: str  # Order.Delivery
    lines: tuple[tuple[str, int], ...]  # (product name, quantity)
    shipping_method: str = ""
    pickup_store: str = ""
    paid: bool = False  # payment received: confirmed after placing
    handed_over: bool = False  # a counter sale, by the store's clerk


ORDERS = [
    # On the web, delivered home; paid by card.
    DemoOrder(
        key="web-home",
        channel="web",
        started_on="web",
        delivery="home",
        lines=(("Keten Midi Elbise", 1), ("Bambu Yüz Havlusu", 2)),
        shipping_method="standart",
        paid=True,
    ),
    # Started on the web, finished in the app, collected at Kadıköy; paid in the app.
    DemoOrder(
        key="app-pickup-kadikoy",
        channel="app",
        started_on="web",
        delivery="pickup",
        lines=(("Basic Pamuklu Tişört", 1),),
        pickup_store="store-kadikoy",
        paid=True,
    ),
    # At the Kadıköy counter: paid and handed over at once.
    DemoOrder(
        key="kadikoy-counter",
        channel="store-kadikoy",
        started_on="store-kadikoy",
        delivery="pickup",
        lines=(("Kokulu Mum", 1), ("Türk Kahvesi Fincan Takımı", 1)),
        pickup_store="store-kadikoy",
        handed_over=True,
    ),
    # In the app, express delivery, still awaiting payment (the admin's "Confirm" has work).
    DemoOrder(
        key="app-express-pending",
        channel="app",
        started_on="app",
        delivery="home",
        lines=(("Bisiklet Yaka Pamuklu Tişört", 2),),
        shipping_method="hizli",
    ),
]


def seed(channels: dict[str, Channel]) -> dict[str, Any]:
    """Shipping methods, how each channel sells, and the demo customer's orders."""
    methods = 0
    for code in ONLINE:
        methods += _shipping_methods(channels[code], HOME_METHODS)
    for code in STORES:
        methods += _shipping_methods(channels[code], STORE_METHODS)
    Channel.objects.filter(code__in=STORES).update(pay_later=True, cart_reservation_minutes=30)
    Channel.objects.filter(code__in=ONLINE).update(cart_reservation_minutes=10)
    for channel in channels.values():
        channel.refresh_from_db(fields=["pay_later", "cart_reservation_minutes"])

    customer = _customer(channels["web"])
    placed = 0
    skipped = []
    for spec in ORDERS if customer else []:
        outcome = _place(spec, customer=customer, channels=channels)
        if outcome == "placed":
            placed += 1
        elif outcome != "exists":
            skipped.append(f"{spec.key}: {outcome}")
    return {
        "shipping_methods": methods,
        "orders_placed": placed,
        "orders": Order.objects.filter(customer=customer).count() if customer else 0,
        "skipped": skipped,
    }


def _shipping_methods(channel: Channel, specs: list) -> int:
    for code, name_tr, name_en, kind, price, free_over, min_days, max_days in specs:
        ShippingMethod.objects.get_or_create(
            channel=channel,
            code=code,
            defaults={
                "name_tr": name_tr,
                "name_en": name_en,
                "kind": kind,
                "country": "TR",
                "price": Decimal(price),
                "free_over": Decimal(free_over) if free_over else None,
                "tax_rate": Decimal(20),
                "min_days": min_days,
                "max_days": max_days,
            },
        )
    return len(specs)


def _customer(channel: Channel) -> Customer | None:
    user = User.objects.filter(email=CUSTOMER_EMAIL).first()
    if user is None:
        return None
    customer = customer_for_user(user=user, channel=channel)
    if not customer.phone:
        customer.phone = ADDRESS["phone"]
        customer.save(update_fields=["phone", "updated_at"])
    if not customer.addresses.exists():
        Address.objects.create(customer=customer, label="Ev", is_default=True, **ADDRESS)
    return customer


def _place(spec: DemoOrder, *, customer: Customer, channels: dict[str, Channel]) -> str:
    """Place one demo order unless its key says it was placed: "placed", "exists", or why it
    could not be placed (the demo goes on without it)."""
    channel = channels[spec.channel]
    existing = IdempotencyKey.objects.filter(scope=IDEMPOTENCY_SCOPE, key=spec.key).first()
    if existing is not None and existing.state == IdempotencyKey.State.DONE:
        return "exists"
    if existing is not None:  # left in flight by an interrupted run: it placed nothing
        checkout.idempotency_forget(record=existing)
    store = (
        StockLocation.objects.filter(code=spec.pickup_store).first() if spec.pickup_store else None
    )
    lines = _variants(spec, channel=channel, store=store)
    if lines is None:
        return "no stock for it"
    record = checkout.idempotency_begin(
        scope=IDEMPOTENCY_SCOPE,
        key=spec.key,
        fingerprint=checkout.request_fingerprint({"key": spec.key, "lines": lines}),
    )
    clerk = User.objects.filter(email=CLERK_EMAIL).first() if spec.handed_over else None
    try:
        cart = _cart(customer, started_on=channels[spec.started_on])
        for variant_id, quantity in lines.items():
            carts.cart_add(
                cart=cart,
                channel=channels[spec.started_on],
                variant_id=variant_id,
                quantity=quantity,
            )
        delivery = checkout.delivery_build(
            channel=channel,
            method=spec.delivery,
            shipping_method=spec.shipping_method or None,
            address=ADDRESS if spec.delivery != "pickup" else None,
            pickup_location=spec.pickup_store or None,
        )
        order = checkout.order_place(
            cart=cart,
            channel=channel,
            delivery=delivery,
            customer=customer,
            actor=clerk,
            idempotency=record,
            handed_over=spec.handed_over,
        )
    except OmniError as exc:
        checkout.idempotency_forget(record=record)
        return exc.message
    if spec.paid:
        lifecycle.order_confirm(order=order, channel=channel, message="Ödeme alındı (kart)")
    return "placed"


def _cart(customer: Customer, *, started_on: Channel) -> Cart:
    """The customer's own cart, unless it holds something already (someone has been shopping
    in the demo): then a cart of its own, so their cart is left as it is."""
    cart = carts.cart_for_customer(customer=customer, channel=started_on)
    if cart.lines.exists():
        return carts.cart_create_anonymous(channel=started_on)
    return cart


def _variants(
    spec: DemoOrder, *, channel: Channel, store: StockLocation | None
) -> dict[int, int] | None:
    """{variant id: quantity}: for each product of the spec, its first variant that can be had
    (at the store for a pickup, else on the channel); failing that, the first variant of the
    catalog that can be. None if nothing can be had."""
    chosen: dict[int, int] = {}
    for name, quantity in spec.lines:
        named = ProductVariant.objects.filter(product__name_tr=name).order_by("sort_order", "id")
        anything = ProductVariant.objects.exclude(sku__startswith="BENCH-").order_by("sku")
        for candidates in (named, anything):
            ids = [vid for vid in candidates.values_list("id", flat=True) if vid not in chosen]
            free = _free(ids, channel=channel, store=store)
            found = next((vid for vid in ids if free.get(vid, 0) >= quantity), None)
            if found is not None:
                chosen[found] = quantity
                break
        else:
            return None
    return chosen


def _free(ids: list[int], *, channel: Channel, store: StockLocation | None) -> dict[int, int]:
    if store is None:
        return inventory_selectors.availability_for_channel(channel=channel, variant_ids=ids)
    return dict(
        Stock.objects.filter(variant_id__in=ids, location=store)
        .annotate(free=F("on_hand") - F("allocated"))
        .values_list("variant_id", "free")
    )


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding): how each channel sells, and the demo orders."""
    orders = seed(run.made["channels"])
    run.write(
        f"Orders: {orders['shipping_methods']} shipping methods; {orders['orders_placed']} "
        f"demo orders placed ({orders['orders']} in all for {CUSTOMER_EMAIL})."
    )
    for skipped in orders["skipped"]:
        run.write(f"  not placed: {skipped}")
    from orders import demo_history

    history = demo_history.seed(run.made.get("crm_people", []), run.made["channels"])
    # The CRM's metrics of every customer (customers.metrics' full path, as crm_recompute).
    from customers.metrics import metrics_recompute_all

    metrics = metrics_recompute_all()
    run.write(
        f"Customer history: {history['orders']} past orders on every channel, "
        f"{history['events']} timeline events written; metrics of {metrics.customers} "
        f"customers ({metrics.buyers} buyers)."
    )
    # The demo's segments, over that history (customers' own demo step runs before orders).
    from customers.demo_segments import segments_demo_seed

    for line in segments_demo_seed():
        run.write(line)
