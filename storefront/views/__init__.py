"""The web storefront: thin views over the same services and selectors as the API, one module
per page family (catalog, cart, checkout and payment, account; shopper holds whose cart and
whose order). storefront.urls reaches every view from here.

Whose cart: a signed-in customer's one active cart (the one the app and the stores see), or a
guest's cart whose token is kept in the session (the web's Cart-Token). Anything that is not
the shopper's (an order, a line, an address) is a 404.
"""

from storefront.views.account import (
    PasswordResetCompleteView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
    PasswordResetView,
    SignInView,
    SignOutView,
    account,
    addresses,
    order_cancel,
    order_detail,
    order_return,
    profile,
    saved,
    sign_up,
)
from storefront.views.cart import (
    cart_add,
    cart_line,
    cart_refresh,
    cart_view,
    saved_add,
    saved_change,
)
from storefront.views.catalog import category_view, home, product_view, search, search_suggestions
from storefront.views.checkout import checkout_view, done, pay, pay_instalments, pay_return
from storefront.views.gift_cards import gift_cards_page, pay_gift_card
from storefront.views.legal import legal_form
from storefront.views.loyalty import loyalty, loyalty_card
from storefront.views.pages import cookie_notice_seen, page_view
from storefront.views.privacy import consents, my_data, my_data_download
from storefront.views.promotions import cart_code_add, cart_code_drop

__all__ = [
    "PasswordResetCompleteView",
    "PasswordResetConfirmView",
    "PasswordResetDoneView",
    "PasswordResetView",
    "SignInView",
    "SignOutView",
    "account",
    "addresses",
    "cart_add",
    "cart_code_add",
    "cart_code_drop",
    "cart_line",
    "cart_refresh",
    "cart_view",
    "category_view",
    "checkout_view",
    "consents",
    "cookie_notice_seen",
    "done",
    "gift_cards_page",
    "home",
    "legal_form",
    "loyalty",
    "loyalty_card",
    "my_data",
    "my_data_download",
    "order_cancel",
    "order_detail",
    "order_return",
    "page_view",
    "pay",
    "pay_gift_card",
    "pay_instalments",
    "pay_return",
    "product_view",
    "profile",
    "saved",
    "saved_add",
    "saved_change",
    "search",
    "search_suggestions",
    "sign_up",
]
