"""Cart, checkout and account on the web: the same carts and orders as the API, CSRF on every
form, the sign-in limit, field errors that keep the input, and query counts that do not grow."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from catalog import services as catalog_services
from customers import services as customers_services
from customers.services import customer_for_user
from orders.models import Cart, Fulfilment, Order, Return
from orders.services import carts, checkout, fulfilment, lifecycle
from sales_channels.demo import seed_retailer
from tests import factories as f
from tests.orders.api_support import signed_in
from tests.queries import assert_num_queries
from tests.storefront.support import PASSWORD

pytestmark = pytest.mark.django_db

ADDRESS = {
    "full_name": "Ayşe Kaya",
    "address_phone": "+905551112233",
    "line1": "Moda Caddesi No:12",
    "district": "Kadıköy",
    "city": "İstanbul",
    "postal_code": "34710",
}


def add(client, variant, quantity: int = 1):
    return client.post("/tr/cart/add/", {"sku": variant.sku, "quantity": quantity})


def checkout_form(client) -> dict:
    body = client.get("/tr/checkout/").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', body)[1]
    return {"idempotency_key": key}


def get(client, url: str, queries: int) -> None:
    """GET the page, warm (the session and the per-process caches), in exactly `queries`."""
    client.get(url)
    with assert_num_queries(queries):
        assert client.get(url).status_code == 200


def customer_client(user=None):
    user = user or f.UserFactory()
    client = Client()
    client.force_login(user)
    return user, client


# --- cart -----------------------------------------------------------------------------------


def test_guest_adds_to_cart_and_sees_it(client, shop):
    variant = shop.variant(shop.products[0])
    response = add(client, variant, 2)
    assert response.status_code == 302 and response.headers["Location"] == "/tr/cart/"
    body = client.get("/tr/cart/").content.decode()
    assert variant.sku in body and "200,00\u00a0₺" in body
    cart = Cart.objects.get(token=client.session["storefront_cart"])
    assert cart.customer is None and cart.lines.get().quantity == 2


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "customer"])
def test_an_item_refused_at_the_first_add_starts_no_cart(client, shop, signed_in):
    if signed_in:
        _user, client = customer_client()
    variant = shop.variant(shop.products[0])

    for quantity in (99, 1):  # more than the stock; then one of a product no longer sold
        if quantity == 1:
            shop.products[0].channel_listings.update(is_published=False)
        response = add(client, variant, quantity)
        assert response.status_code == 302

    assert not Cart.objects.exists()
    assert "storefront_cart" not in client.session


def test_changing_a_line_before_any_cart_is_404_and_starts_none(shop):
    _user, client = customer_client()
    assert client.post("/tr/cart/lines/1/", {"quantity": 2}).status_code == 404
    assert client.get("/tr/cart/").status_code == 200  # an empty cart, shown, not started
    assert not Cart.objects.exists()


def test_cart_shows_what_changed_since_added(client, shop):
    variant = shop.variant(shop.products[0])
    add(client, variant)
    catalog_services.prices_set(
        channel=shop.web, changes=[catalog_services.PriceChange(variant.pk, Decimal("90.00"), None)]
    )
    body = client.get("/en/cart/").content.decode()
    assert 'data-testid="cart-changes"' in body and "price went down" in body
    client.post("/en/cart/refresh/")
    assert 'data-testid="cart-changes"' not in client.get("/en/cart/").content.decode()


def test_cart_queries_do_not_grow_with_lines(shop):
    _user, client = customer_client()
    add(client, shop.variant(shop.products[0]))
    get(client, "/tr/cart/", 10)  # 13 while it wrote the header's count into the session
    for product in shop.products:
        for variant in product.variants.all():
            add(client, variant)
    get(client, "/tr/cart/", 10)


def test_a_line_of_someone_elses_cart_is_404(client, shop):
    add(client, shop.variant(shop.products[0]))
    other = Client()
    add(other, shop.variant(shop.products[1]))
    line = Cart.objects.get(token=other.session["storefront_cart"]).lines.get()
    assert client.post(f"/tr/cart/lines/{line.pk}/", {"quantity": 5}).status_code == 404
    line.refresh_from_db()
    assert line.quantity == 1
    # The same form changes the line for the shopper whose cart it is.
    assert other.post(f"/tr/cart/lines/{line.pk}/", {"quantity": 5}).status_code == 302
    line.refresh_from_db()
    assert line.quantity == 5


def test_every_form_needs_the_csrf_token(shop):
    client = Client(enforce_csrf_checks=True)
    variant = shop.variant(shop.products[0])
    assert add(client, variant).status_code == 403
    assert (
        client.post("/tr/account/sign-in/", {"username": "a@b.c", "password": "x"}).status_code
        == 403
    )
    assert not Cart.objects.exists()


def test_save_for_later_and_move_back(shop):
    user, client = customer_client()
    variant = shop.variant(shop.products[0])
    client.post("/tr/saved/add/", {"sku": variant.sku})
    assert variant.sku in client.get("/tr/account/saved/").content.decode()
    client.post(f"/tr/saved/{variant.sku}/", {"action": "move"})
    cart = carts.cart_for_customer(customer=customer_for_user(user=user), channel=shop.web)
    assert cart.lines.get().variant_id == variant.pk


# --- checkout -------------------------------------------------------------------------------


def test_guest_checks_out_with_home_delivery_once(client, shop):
    variant = shop.variant(shop.products[0])
    add(client, variant, 2)
    data = {
        **checkout_form(client),
        **ADDRESS,
        "email": "misafir@example.com",
        "delivery": "home",
        "shipping_method": "standart",
    }
    response = client.post("/tr/checkout/", data)
    order = Order.objects.get()
    assert (
        response.status_code == 302
        and response.headers["Location"] == f"/tr/checkout/{order.number}/pay/"
    )
    assert order.email == "misafir@example.com" and order.delivery == "home"
    assert order.shipping_address["city"] == "İstanbul" and order.channel == shop.web
    assert order.total == Decimal("249.90")  # 2 x 100 + 49.90 shipping
    # the same form sent again (a double click): the same order, not a second one
    again = client.post("/tr/checkout/", data)
    assert again.headers["Location"] == f"/tr/checkout/{order.number}/pay/"
    assert Order.objects.count() == 1
    page = client.get(f"/tr/checkout/{order.number}/pay/")
    assert page.status_code == 200 and order.number in page.content.decode()
    assert client.get(f"/tr/checkout/{order.number}/done/").status_code == 200
    # another browser does not see it
    assert Client().get(f"/tr/checkout/{order.number}/done/").status_code == 404


def test_checkout_errors_name_fields_and_keep_input(client, shop):
    add(client, shop.variant(shop.products[0]))
    data = {**checkout_form(client), **ADDRESS, "city": "", "email": "misafir@example.com",
            "delivery": "home", "shipping_method": "standart"}  # fmt: skip
    response = client.post("/tr/checkout/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="Moda Caddesi No:12"' in body and 'class="errorlist' in body
    assert not Order.objects.exists()


def test_checkout_page_queries_do_not_grow(shop):
    _user, client = customer_client()
    add(client, shop.variant(shop.products[0]))
    get(client, "/tr/checkout/", 27)
    for product in shop.products:
        for variant in product.variants.all():
            add(client, variant)
    get(client, "/tr/checkout/", 27)


def test_customer_checks_out_click_and_collect(shop):
    user, client = customer_client()
    add(client, shop.variant(shop.products[0]))
    data = {**checkout_form(client), "delivery": "pickup", "pickup_location": shop.store.code}
    response = client.post("/tr/checkout/", data)
    order = Order.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert order.delivery == "pickup" and order.pickup_location == shop.store
    assert order.customer.user == user
    assert order.number in client.get("/tr/account/").content.decode()


# --- accounts -------------------------------------------------------------------------------


def test_cart_started_in_the_app_is_on_the_web_after_sign_in(client, shop):
    _user, api = signed_in(f.UserFactory(email="app@example.com"))
    variant = shop.variant(shop.products[1])
    assert (
        api.post(
            "/api/v1/cart/lines/?channel=web",
            {"sku": variant.sku, "quantity": 1},
        ).status_code
        == 201
    )
    guest_variant = shop.variant(shop.products[0])
    add(client, guest_variant)
    response = client.post(
        "/tr/account/sign-in/", {"username": "app@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    body = client.get("/tr/cart/").content.decode()
    assert variant.sku in body and guest_variant.sku in body  # the guest cart merged in
    assert Cart.objects.filter(status=Cart.Status.MERGED).count() == 1


def test_sign_in_is_limited_to_five_failures(client, shop):
    user = f.UserFactory(email="limit@example.com")
    for _ in range(5):
        response = client.post(
            "/tr/account/sign-in/", {"username": user.email, "password": "wrong"}
        )
        assert response.status_code == 400
        assert 'value="limit@example.com"' in response.content.decode()  # input kept
    response = client.post("/tr/account/sign-in/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_up_signs_in(client, shop):
    response = client.post(
        "/en/account/sign-up/",
        {"email": "yeni@example.com", "password": "a-long-pass-2026", "first_name": "Can"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/en/account/"
    assert client.get("/en/account/").status_code == 200


def test_password_reset_sends_a_link(client, shop, mailoutbox):
    seed_retailer()
    f.UserFactory(email="unuttum@example.com")
    response = client.post("/tr/account/password-reset/", {"email": "unuttum@example.com"})
    assert response.status_code == 302
    link = re.search(r"http://testserver(/tr/account/reset/\S+/)", mailoutbox[0].body)[1]
    assert mailoutbox[0].from_email == "Moda Ev <siparis@modaev.test>"  # the retailer's
    assert mailoutbox[0].subject == "Moda Ev şifreniz"
    assert f'href="http://testserver{link}"' in mailoutbox[0].alternatives[0][0]
    page = client.get(link, follow=True)
    assert page.status_code == 200 and b"new_password1" in page.content


def test_account_pages_need_sign_in(client, shop):
    for url in [
        "/tr/account/",
        "/tr/account/saved/",
        "/tr/account/addresses/",
        "/tr/account/profile/",
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith(
            "/tr/account/sign-in/"
        )


def _order_for(user, shop, variant=None):
    customer = customer_for_user(user=user, channel=shop.web)
    cart = carts.cart_for_customer(customer=customer, channel=shop.web)
    carts.cart_add(
        cart=cart,
        channel=shop.web,
        variant_id=(variant or shop.variant(shop.products[0])).pk,
        quantity=1,
    )
    delivery = checkout.delivery_build(
        channel=shop.web, method="home", shipping_method="standart", address=f.ADDRESS
    )
    return checkout.order_place(cart=cart, channel=shop.web, delivery=delivery, customer=customer)


def test_orders_page_queries_do_not_grow(shop):
    user, client = customer_client()
    _order_for(user, shop)
    get(client, "/tr/account/", 8)  # 7 before the header's cart count, read from the cart
    for _ in range(5):
        _order_for(user, shop)
    get(client, "/tr/account/", 8)


def test_the_order_page_runs_the_same_queries_for_1_line_and_many(shop):
    user, client = customer_client()
    small = _order_for(user, shop)
    customer = customer_for_user(user=user, channel=shop.web)
    cart = carts.cart_for_customer(customer=customer, channel=shop.web)
    for product in shop.products:
        for variant in product.variants.all():
            carts.cart_add(cart=cart, channel=shop.web, variant_id=variant.pk, quantity=1)
    delivery = checkout.delivery_build(
        channel=shop.web, method="home", shipping_method="standart", address=f.ADDRESS
    )
    large = checkout.order_place(cart=cart, channel=shop.web, delivery=delivery, customer=customer)
    assert large.lines.count() > 1
    for order in (small, large):
        # +1 the header's cart count; the order's accepted legal forms and its payments
        get(client, f"/tr/account/orders/{order.number}/", 11)
        # what is due, by gift cards, the cart count; the legal forms to accept: whether they
        # are accepted and the retailer who sells (kept by the process outside the tests)
        get(client, f"/tr/checkout/{order.number}/pay/", 13)


def test_someone_elses_order_is_404(shop):
    owner, owner_client = customer_client()
    order = _order_for(owner, shop)
    _user, client = customer_client()
    assert client.get(f"/tr/account/orders/{order.number}/").status_code == 404
    assert client.get(f"/tr/checkout/{order.number}/pay/").status_code == 404
    # The same pages answer the owner.
    assert owner_client.get(f"/tr/account/orders/{order.number}/").status_code == 200
    assert owner_client.get(f"/tr/checkout/{order.number}/pay/").status_code == 200


def test_order_timeline_and_a_return(shop):
    user, client = customer_client()
    order = _order_for(user, shop)
    lifecycle.order_confirm(order=order)
    for each in Fulfilment.objects.filter(order=order):
        fulfilment.fulfilment_pack(fulfilment=each)
        fulfilment.fulfilment_ship(fulfilment=each, carrier="Yurtiçi", tracking_number="YK1")
        fulfilment.fulfilment_deliver(fulfilment=each)
    page = client.get(f"/en/account/orders/{order.number}/").content.decode()
    body = page[page.index('<ol class="timeline">') :]
    assert body.index("Confirmed") < body.index("Shipped") < body.index("Delivered")
    line = order.lines.get()
    bad = client.post(f"/en/account/orders/{order.number}/return/", {f"qty_{line.pk}": 1})
    assert bad.status_code == 400 and not Return.objects.exists()  # no reason given
    response = client.post(
        f"/en/account/orders/{order.number}/return/",
        {f"qty_{line.pk}": 1, f"reason_{line.pk}": "size", "note": "Dar geldi"},
    )
    assert response.status_code == 302
    assert Return.objects.get().lines.get().quantity == 1


def test_addresses_and_profile(shop):
    user, client = customer_client()
    response = client.post(
        "/tr/account/addresses/", {"full_name": "Ayşe", "line1": "Moda", "city": ""}
    )
    assert response.status_code == 400 and 'value="Moda"' in response.content.decode()
    client.post(
        "/tr/account/addresses/", {"full_name": "Ayşe", "line1": "Moda", "city": "İstanbul"}
    )
    assert "Moda" in client.get("/tr/account/addresses/").content.decode()
    client.post(
        "/tr/account/profile/",
        {"first_name": "Zeynep", "last_name": "K", "phone": "", "language": "en"},
    )
    user.refresh_from_db()
    assert user.first_name == "Zeynep" and user.language == "en"


@pytest.mark.parametrize(
    ("url", "queries"),
    # Each +1 since the header's cart count is read from the cart.
    [("/tr/account/saved/", 7), ("/tr/account/addresses/", 6), ("/tr/account/profile/", 5)],
)
def test_account_pages_queries_do_not_grow(shop, url, queries):
    user, client = customer_client()
    customer = customer_for_user(user=user)
    carts.saved_item_add(customer=customer, variant_id=shop.variant(shop.products[0]).pk)
    customers_services.address_save(
        customer=customer, data={"full_name": "A", "line1": "B", "city": "C"}
    )
    get(client, url, queries)
    for product in shop.products:
        for variant in product.variants.all():
            carts.saved_item_add(customer=customer, variant_id=variant.pk)
            customers_services.address_save(
                customer=customer, data={"full_name": "A", "line1": "B", "city": "C"}
            )
    get(client, url, queries)
