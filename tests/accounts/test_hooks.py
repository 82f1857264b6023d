"""accounts.hooks: how orders, a layer above, merges a visitor's cart on the API's sign-in,
and customers joins the visitor's timeline events, without accounts importing either."""

from accounts import hooks
from customers import timeline
from orders.services import carts


def test_orders_and_customers_register_their_handlers_when_the_apps_are_ready():
    # The merge itself is proved through the API in tests/orders/test_cart_api.py (sign-in and
    # sign-up with a cart token) and through the storefront's in tests/storefront; the join in
    # tests/customers/test_timeline_api.py.
    assert hooks.signed_in.handlers == (carts.on_signed_in, timeline.on_signed_in)
