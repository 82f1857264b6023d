"""Orders for the click-and-collect and ship-from-store screens' tests, placed through checkout
on the retailer's web channel: collected at Kadıköy, or shipped from the Kadıköy store."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from catalog.models import ProductVariant
from orders.models import Fulfilment, Order
from orders.services import checkout
from orders.services import fulfilment as ful
from tests import factories as f
from tests.orders import fulfilment_helpers
from tests.staff.support import Retailer


def pickup_order(
    retailer: Retailer, items: dict[ProductVariant, int] | None = None, *, confirm: bool = True
) -> Order:
    """A web order collected at the Kadıköy store, paid (confirmed) unless told not to."""
    delivery = fulfilment_helpers.pickup_delivery(retailer.web, retailer.kadikoy.store_location)
    return fulfilment_helpers.place(
        retailer.web,
        items or {retailer.variant(): 1},
        delivery=delivery,
        customer=retailer.customer,
        confirm=confirm,
    )


def ready_order(retailer: Retailer, *, overdue: bool = False) -> Order:
    """A click-and-collect order made ready at Kadıköy (its deadline passed when `overdue`)."""
    order = ful.order_ready_for_pickup(order=pickup_order(retailer))
    if overdue:
        Order.objects.filter(pk=order.pk).update(
            pickup_deadline=timezone.now() - timedelta(hours=1)
        )
    return Order.objects.get(pk=order.pk)


def ship_from_store_order(
    retailer: Retailer, items: dict[ProductVariant, int] | None = None
) -> Fulfilment:
    """A web order shipped from the Kadıköy store: its fulfilment there, to pick."""
    method = f.ShippingMethodFactory(
        channel=retailer.web,
        code="magazadan",
        kind="ship_from_store",
        name_tr="Mağazadan Kargo",
        name_en="Ship from store",
    )
    delivery = checkout.delivery_build(
        channel=retailer.web,
        method="ship_from_store",
        shipping_method=method.code,
        address=f.ADDRESS,
    )
    order = fulfilment_helpers.place(
        retailer.web,
        items or {retailer.variant(): 1},
        delivery=delivery,
        customer=retailer.customer,
    )
    return order.fulfilments.get(location=retailer.kadikoy.store_location)
