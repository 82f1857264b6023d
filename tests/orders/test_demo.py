"""The demo's orders: shipping methods and channel settings, and a few believable orders of the
demo customer placed through the order service, once however often seed_demo runs."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory import services as inventory
from inventory.models import StockMovement
from omni.models import OutboxEvent
from orders.models import Cart, Order, ShippingMethod
from sales_channels.models import Channel

pytestmark = pytest.mark.django_db


def test_seed_demo_places_the_demo_orders_once(capsys):
    call_command("seed_demo", "--no-images")
    orders = list(Order.objects.order_by("id").values_list("pk", "number", "status"))
    counts = (
        Order.objects.count(),
        StockMovement.objects.count(),
        OutboxEvent.objects.count(),
        ShippingMethod.objects.count(),
        Cart.objects.count(),
    )
    promotions = _the_demo_promotions()

    call_command("seed_demo", "--no-images")
    out = capsys.readouterr().out

    assert list(Order.objects.order_by("id").values_list("pk", "number", "status")) == orders
    assert (
        Order.objects.count(),
        StockMovement.objects.count(),
        OutboxEvent.objects.count(),
        ShippingMethod.objects.count(),
        Cart.objects.count(),
    ) == counts
    assert "not placed" not in out
    assert inventory.stock_audit() == []
    _the_demo_profiles_have_a_year_of_history_on_every_channel()
    assert _the_demo_promotions() == promotions
    assert "Promotions: 4 (0 new), code ACILIS; 0 channel sale prices set." in out
    _the_demo_promotions_run_on_every_channel()


def _the_demo_promotions() -> tuple:
    from campaigns.models import Code, Promotion
    from catalog.models import VariantChannelPrice

    return (
        sorted(Promotion.objects.values_list("pk", "kind", "value", "requires_code")),
        list(Code.objects.values_list("code", "promotion__name")),
        sorted(
            VariantChannelPrice.objects.filter(sale_price__isnull=False).values_list(
                "pk", "sale_price", "version"
            )
        ),
    )


def _the_demo_promotions_run_on_every_channel():
    from django.utils import translation

    from campaigns.models import Code, Promotion
    from catalog.models import VariantChannelPrice

    assert list(Code.objects.values_list("code", flat=True)) == ["ACILIS"]
    dresses = Promotion.objects.get(kind=Promotion.Kind.BUY_X_GET_Y)
    assert dresses.config == {"buy": 1, "get": 1, "percent": 50}
    assert [c.slug for c in dresses.categories.all()] == ["kadin-elbise"]
    shipping = Promotion.objects.get(kind=Promotion.Kind.SHIPPING)
    assert (shipping.value, shipping.min_subtotal) == (Decimal("100.00"), Decimal("750.00"))
    # the conditional ones on our own channels (Trendyol cannot say them), the others on all
    own = set(Channel.objects.exclude(kind="marketplace").values_list("pk", flat=True))
    assert {c.pk for c in dresses.channels.all()} == own == {c.pk for c in shipping.channels.all()}
    assert not Promotion.objects.filter(kind="percent", channels__isnull=False).exists()
    assert dresses.label_tr == "2. ürüne %50 indirim"
    with translation.override("en"):
        assert dresses.label == "50% off the 2nd item"
    # the blouses' automatic 20 % is every channel's sale price (feeds, Trendyol)
    on_sale = VariantChannelPrice.objects.filter(sale_price__isnull=False)
    assert set(on_sale.values_list("variant__product__category__slug", flat=True)) == {"kadin-bluz"}
    assert set(on_sale.values_list("channel_id", flat=True)) == set(
        Channel.objects.values_list("pk", flat=True)
    )
    sample = on_sale.first()
    assert sample.sale_price == (sample.price * Decimal("0.8")).quantize(Decimal("0.01"))


def _the_demo_profiles_have_a_year_of_history_on_every_channel():
    from customers.demo import EMAIL_DOMAIN
    from customers.models import ConsentDecision, Customer, TimelineEvent

    people = Customer.objects.filter(email__endswith=EMAIL_DOMAIN)
    assert people.count() == 300
    assert people.filter(user__isnull=True).exists() and people.filter(user__isnull=False).exists()
    history = Order.objects.filter(customer__in=people)
    assert history.values("customer").distinct().count() > 200
    assert set(history.values_list("channel__code", flat=True)) >= {
        "web",
        "app",
        "store-kadikoy",
        "trendyol",
    }
    assert history.filter(returns__isnull=False).exists()
    assert set(ConsentDecision.objects.values_list("status", flat=True)) == {"ONAY", "RET"}
    kinds = set(TimelineEvent.objects.filter(customer__in=people).values_list("kind", flat=True))
    assert kinds >= {"order_placed", "product_viewed", "search", "return", "store_visit"}
    # the demo's segments are kept over that history, each with members
    from customers.models import Segment

    counts = dict(Segment.objects.values_list("name", "member_count"))
    assert len(counts) == 3 and all(counts.values()), counts


def test_the_demo_customer_has_orders_from_several_channels_that_sell_their_own_way():
    call_command("seed_demo", "--no-images")

    orders = {
        (o.channel.code, o.origin_channel.code, o.delivery, o.status): o
        for o in Order.objects.filter(customer__email="musteri@omni.test").select_related(
            "channel", "origin_channel", "pickup_location", "placed_by"
        )
    }
    assert set(orders) == {
        ("web", "web", "home", "confirmed"),
        ("app", "web", "pickup", "confirmed"),
        ("store-kadikoy", "store-kadikoy", "pickup", "collected"),
        ("app", "app", "home", "pending"),
    }
    home = orders["web", "web", "home", "confirmed"]
    assert home.shipping_method.code == "standart"
    assert home.subtotal >= Decimal("750.00") and home.shipping_total == 0  # free over 750
    express = orders["app", "app", "home", "pending"]
    assert (express.shipping_method.code, express.shipping_total) == ("hizli", Decimal("89.90"))
    pickup = orders["app", "web", "pickup", "confirmed"]
    assert pickup.pickup_location.code == "store-kadikoy"
    counter = orders["store-kadikoy", "store-kadikoy", "pickup", "collected"]
    assert counter.placed_by.email == "kasa.kadikoy@omni.test"
    assert set(counter.fulfilments.values_list("status", flat=True)) == {"handed_over"}
    # every placed order holds or has consumed its stock through the ledger
    for order in orders.values():
        assert StockMovement.objects.filter(reference=order.reference).exists()

    # how each channel sells
    channels = {c.code: c for c in Channel.objects.all()}
    for code in ("store-kadikoy", "store-kizilay", "store-alsancak"):
        assert (channels[code].pay_later, channels[code].cart_reservation_minutes) == (True, 30)
        assert list(
            ShippingMethod.objects.filter(channel=channels[code]).values_list("code", "kind")
        ) == [("magazadan", "ship_from_store")]
    for code in ("web", "app"):
        assert (channels[code].pay_later, channels[code].cart_reservation_minutes) == (False, 10)
        methods = {
            m.code: (m.name_tr, m.price, m.free_over, m.min_days, m.max_days)
            for m in ShippingMethod.objects.filter(channel=channels[code])
        }
        assert methods == {
            "standart": ("Standart Kargo", Decimal("49.90"), Decimal("750.00"), 2, 4),
            "hizli": ("Hızlı Kargo", Decimal("89.90"), None, 1, 1),
        }
