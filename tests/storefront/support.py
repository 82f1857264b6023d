"""A small shop on the web channel, built through the services: categories, products with
colour and size, prices (some on sale), stock at a distribution centre and at a store that
offers click and collect, and shipping methods. Used by the page tests and the e2e tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from catalog.models import Category, ProductVariant
from inventory import services as inventory
from inventory.models import StockLocation
from sales_channels.models import Channel
from tests import factories as f

PASSWORD = f.PASSWORD


@dataclass
class Shop:
    web: Channel
    women: Category
    dresses: Category
    dc: StockLocation
    store: StockLocation
    products: list = field(default_factory=list)

    def variant(self, product, index: int = 0) -> ProductVariant:
        return product.variants.order_by("sort_order", "id")[index]


def build_shop(*, products: int = 2, variants: int = 2, stock: int = 10) -> Shop:
    web = f.ChannelFactory(code="web", name="Web", kind=Channel.Kind.WEB)
    women = f.category("kadin", name="Kadın")
    dresses = f.category("elbise", parent=women, name="Elbise")
    colour = f.AttributeFactory(code="renk", name_tr="Renk", name_en="Colour")
    size = f.AttributeFactory(code="beden", name_tr="Beden", name_en="Size", sort_order=1)
    black = f.AttributeValueFactory(
        attribute=colour, slug="siyah", name_tr="Siyah", name_en="Black"
    )
    red = f.AttributeValueFactory(
        attribute=colour, slug="kirmizi", name_tr="Kırmızı", name_en="Red"
    )
    sizes = [
        f.AttributeValueFactory(attribute=size, slug=s, name_tr=s.upper(), sort_order=i)
        for i, s in enumerate(["s", "m", "l", "xl", "xxl", "3xl", "4xl", "5xl"])
    ]
    dc = f.StockLocationFactory(
        code="dc-gebze", name="Gebze DC", city="Kocaeli",
        latitude=Decimal("40.80"), longitude=Decimal("29.43"),
    )  # fmt: skip
    store = f.StockLocationFactory(
        code="kadikoy", name="Kadıköy Mağaza", kind=StockLocation.Kind.STORE, city="İstanbul",
        district="Kadıköy", latitude=Decimal("40.99"), longitude=Decimal("29.03"),
        click_and_collect=True, ships_to_customers=False,
    )  # fmt: skip
    f.sells_from(web, dc)
    f.ShippingMethodFactory(
        channel=web, code="standart", name_tr="Standart Kargo", name_en="Standard"
    )
    f.ShippingMethodFactory(
        channel=web, code="magazadan", name_tr="Mağazadan Kargo", name_en="Ship from store",
        kind="ship_from_store",
    )  # fmt: skip
    shop = Shop(web=web, women=women, dresses=dresses, dc=dc, store=store)
    for n in range(products):
        shop.products.append(
            add_product(
                shop, n=n, variants=variants, stock=stock, colours=(black, red), sizes=sizes
            )
        )
    return shop


def add_product(shop: Shop, *, n: int, variants: int, stock: int, colours, sizes):
    product = f.product(
        channels=[shop.web],
        price=f"{100 + n * 10}.00",
        compare_at=f"{200 + n * 10}.00" if n % 2 else None,
        variants=variants,
        name=f"Keten Elbise {n}",
        in_category=shop.dresses,
        attributes=[[colours[n % 2], sizes[i % len(sizes)]] for i in range(variants)],
    )
    ids = list(product.variants.values_list("id", flat=True))
    inventory.stock_receive_many(location=shop.dc, lines=dict.fromkeys(ids, stock))
    inventory.stock_receive_many(location=shop.store, lines=dict.fromkeys(ids, 2))
    return product
