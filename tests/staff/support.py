"""A small retailer for the staff screens' tests, built through the services: the web channel
and two stores (Kadıköy and Kızılay), each a channel of its own with its stock location, a
distribution centre, products priced on every channel with barcodes and stock, cash and card
terminal at the counters, a card gateway on the web, a clerk at Kadıköy, a manager at both
stores, and a customer with an account, a phone and a loyalty card."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.test import Client

from accounts.models import User
from catalog.models import Product, ProductVariant
from customers.models import Customer
from customers.services import customer_for_user
from inventory import services as inventory
from inventory.models import StockLocation
from payments.models import ChannelGateway
from sales_channels.models import Channel
from tests import factories as f

PASSWORD = f.PASSWORD


@dataclass
class Retailer:
    web: Channel
    app: Channel
    kadikoy: Channel  # a store channel; kadikoy.store_location is its stock location
    kizilay: Channel
    dc: StockLocation
    clerk: User  # store staff at Kadıköy only
    manager: User  # store staff at Kadıköy and Kızılay
    customer_user: User
    customer: Customer
    products: list[Product] = field(default_factory=list)

    def variant(self, product: int = 0, index: int = 0) -> ProductVariant:
        return self.products[product].variants.order_by("sort_order", "id")[index]


def build_retailer(*, products: int = 2, variants: int = 2, in_store: int = 3) -> Retailer:
    web = f.ChannelFactory(code="web", name="Web", kind=Channel.Kind.WEB)
    app = f.ChannelFactory(code="app", name="App", kind=Channel.Kind.APP)
    kadikoy = f.ChannelFactory(
        code="store-kadikoy", name="Kadıköy Mağaza", kind=Channel.Kind.STORE, pay_later=True
    )
    kizilay = f.ChannelFactory(
        code="store-kizilay", name="Kızılay Mağaza", kind=Channel.Kind.STORE, pay_later=True
    )
    dc = f.StockLocationFactory(
        code="dc-gebze", name="Gebze DC", city="Kocaeli",
        latitude=Decimal("40.80"), longitude=Decimal("29.43"),
    )  # fmt: skip
    kadikoy_store = f.StockLocationFactory(
        code="kadikoy", name="Kadıköy Mağaza", kind=StockLocation.Kind.STORE, city="İstanbul",
        district="Kadıköy", latitude=Decimal("40.99"), longitude=Decimal("29.03"),
        click_and_collect=True, ships_to_customers=True, channel=kadikoy,
    )  # fmt: skip
    kizilay_store = f.StockLocationFactory(
        code="kizilay", name="Kızılay Mağaza", kind=StockLocation.Kind.STORE, city="Ankara",
        district="Çankaya", latitude=Decimal("39.92"), longitude=Decimal("32.85"),
        click_and_collect=True, ships_to_customers=False, channel=kizilay,
    )  # fmt: skip
    for channel in (web, app):
        f.sells_from(channel, dc, kadikoy_store)
        f.ShippingMethodFactory(channel=channel, code="standart", name_en="Standard")
    f.sells_from(kadikoy, kadikoy_store)
    f.sells_from(kizilay, kizilay_store)
    for store in (kadikoy, kizilay):
        for gateway in ("cash", "terminal"):
            ChannelGateway.objects.get_or_create(channel=store, gateway=gateway)
    ChannelGateway.objects.get_or_create(channel=web, gateway="test")

    clerk = f.UserFactory(
        email="kasa@example.com", first_name="Kerem", last_name="Demir",
        role=User.Role.STORE_STAFF,
    )  # fmt: skip
    clerk.stores.set([kadikoy])
    manager = f.UserFactory(
        email="mudur@example.com", first_name="Selin", last_name="Aydın",
        role=User.Role.STORE_STAFF,
    )  # fmt: skip
    manager.stores.set([kadikoy, kizilay])
    customer_user = f.UserFactory(
        email="ayse@example.com", first_name="Ayşe", last_name="Kaya", phone="+905551112233"
    )
    customer = customer_for_user(user=customer_user)

    retailer = Retailer(
        web=web, app=app, kadikoy=kadikoy, kizilay=kizilay, dc=dc, clerk=clerk, manager=manager,
        customer_user=customer_user, customer=customer,
    )  # fmt: skip
    for n in range(products):
        product = f.product(
            channels=[web, app, kadikoy, kizilay],
            price=f"{100 + n * 50}.00",
            variants=variants,
            name=f"Keten Gömlek {n}",
        )
        ids = list(product.variants.values_list("id", flat=True))
        inventory.stock_receive_many(location=dc, lines=dict.fromkeys(ids, 20))
        inventory.stock_receive_many(location=kadikoy_store, lines=dict.fromkeys(ids, in_store))
        inventory.stock_receive_many(location=kizilay_store, lines=dict.fromkeys(ids, 1))
        retailer.products.append(product)
    return retailer


def staff_client(user: User, store: Channel | None = None) -> Client:
    """A browser session signed in as `user`, working at `store` (chosen in the picker)."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    if store is not None:
        session = client.session
        session["staff_store"] = store.code
        session.save()
    return client
