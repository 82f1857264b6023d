"""The storefront's pages, inside i18n_patterns (/tr/..., /en/...): every view runs on the web
channel, looked up once per request."""

from __future__ import annotations

from functools import wraps

from django.urls import path

from storefront import selectors, views

app_name = "storefront"


def on_web(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.channel = selectors.web_channel()
        return view(request, *args, **kwargs)

    return wrapper


urlpatterns = [
    path("", on_web(views.home), name="home"),
    path("c/<slug:slug>/", on_web(views.category_view), name="category"),
    path("search/", on_web(views.search), name="search"),
    path("search/suggest/", on_web(views.search_suggestions), name="search-suggest"),
    path("p/<slug:slug>/", on_web(views.product_view), name="product"),
    # the merchant's pages (storefront.models.ShopPage): returns, delivery, KVKK, cookies...
    path("page/<slug:slug>/", on_web(views.page_view), name="page"),
    path("cookies/seen/", views.cookie_notice_seen, name="cookie-notice"),
    path("cart/", on_web(views.cart_view), name="cart"),
    path("cart/add/", on_web(views.cart_add), name="cart-add"),
    path("cart/lines/<int:line_id>/", on_web(views.cart_line), name="cart-line"),
    path("cart/refresh/", on_web(views.cart_refresh), name="cart-refresh"),
    # promotion codes on the cart
    path("cart/codes/", on_web(views.cart_code_add), name="cart-code"),
    path("cart/codes/remove/", on_web(views.cart_code_drop), name="cart-code-remove"),
    path("saved/add/", on_web(views.saved_add), name="saved-add"),
    path("saved/<str:sku>/", on_web(views.saved_change), name="saved-change"),
    path("checkout/", on_web(views.checkout_view), name="checkout"),
    path("checkout/<str:number>/pay/", on_web(views.pay), name="pay"),
    path(
        "checkout/<str:number>/pay/instalments/",
        on_web(views.pay_instalments),
        name="pay-instalments",
    ),
    path("checkout/<str:number>/pay/return/", on_web(views.pay_return), name="pay-return"),
    path(
        "checkout/<str:number>/pay/gift-card/",
        on_web(views.pay_gift_card),
        name="pay-gift-card",
    ),
    path("checkout/<str:number>/done/", on_web(views.done), name="done"),
    path("account/", on_web(views.account), name="account"),
    path("account/orders/<str:number>/", on_web(views.order_detail), name="order"),
    path(
        "account/orders/<str:number>/forms/<str:kind>/",
        on_web(views.legal_form),
        name="order-legal-form",
    ),
    path("account/orders/<str:number>/cancel/", on_web(views.order_cancel), name="order-cancel"),
    path("account/orders/<str:number>/return/", on_web(views.order_return), name="order-return"),
    path("account/saved/", on_web(views.saved), name="saved"),
    path("account/addresses/", on_web(views.addresses), name="addresses"),
    path("account/profile/", on_web(views.profile), name="profile"),
    path("account/consents/", on_web(views.consents), name="consents"),
    path("account/my-data/", on_web(views.my_data), name="my-data"),
    path("account/points/", on_web(views.loyalty), name="loyalty"),
    path("account/points/card.svg", on_web(views.loyalty_card), name="loyalty-card"),
    path("account/gift-cards/", on_web(views.gift_cards_page), name="gift-cards"),
    path(
        "account/my-data/<int:request_id>/download/",
        on_web(views.my_data_download),
        name="my-data-download",
    ),
    path("account/sign-in/", on_web(views.SignInView.as_view()), name="sign-in"),
    path("account/sign-up/", on_web(views.sign_up), name="sign-up"),
    path("account/sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path(
        "account/password-reset/",
        views.PasswordResetView.as_view(),
        name="password-reset",
    ),
    path(
        "account/password-reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "account/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "account/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]
