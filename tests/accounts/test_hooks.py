"""accounts.hooks: how orders, a layer above, merges a visitor's cart on the API's sign-in
without accounts importing it."""

from accounts import hooks
from orders.services import carts


def test_orders_registers_its_cart_merge_when_the_apps_are_ready():
    # The merge itself is proved through the API in tests/orders/test_cart_api.py (sign-in and
    # sign-up with a cart token) and through the storefront's in tests/storefront.
    assert hooks.signed_in.handlers == (carts.on_signed_in,)
