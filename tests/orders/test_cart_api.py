"""The cart API: one cart that the app, the web and staff share, anonymous carts by token,
saved items, the merge on sign-in, and nobody reaching anyone else's cart."""

from decimal import Decimal

import pytest

from catalog import services as catalog
from inventory.models import Reservation
from orders.models import Cart, CartLine, SavedItem
from tests import factories as f
from tests.orders.api_support import item, money, signed_in, url, visitor
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web", cart_reservation_minutes=10)


@pytest.fixture
def app():
    return f.ChannelFactory(code="app", kind="app")


def new_visitor_cart(channel="web"):
    response = visitor().post(url("cart/", channel))
    assert response.status_code == 201, response.json()
    return response.json()["token"]


# --- reading and changing the cart ----------------------------------------------------------


def test_a_visitor_starts_a_cart_and_fills_it_by_its_token(web):
    variant = item(web, price="249.90")
    token = new_visitor_cart()
    client = visitor(token)

    added = client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 2})

    assert added.status_code == 201, added.json()
    body = client.get(url("cart/")).json()
    line = CartLine.objects.get()
    assert body == {
        "token": token,
        "channel": "web",
        "currency": "TRY",
        "item_count": 2,
        "lines": [
            {
                "id": line.pk,
                "sku": variant.sku,
                "product_name": variant.product.name,
                "variant_name": "",
                "quantity": 2,
                "seen_price": money("249.90"),
                "price": money("249.90"),
                "line_total": money("499.80"),
                "available": True,
                "discount": money("0.00"),
                "promotions": [],
            }
        ],
        "subtotal": money("499.80"),
        "discount_total": money("0.00"),
        "tax_by_rate": {"20": money("83.30")},
        "tax_total": money("83.30"),
        "total": money("499.80"),
        "changes": [],
        "reserved_until": None,
        "promotions": [],
        "shipping_discount": money("0.00"),
        "savings": money("0.00"),
        "gifts": [],
        "rejected_codes": [],
    }
    assert added.json() == body


def test_an_item_added_in_the_app_is_in_the_web_cart_on_the_next_request(web, app):
    variant = item(web, also=(app,))
    user, client = signed_in()

    client.post(url("cart/lines/", "app"), {"sku": variant.sku, "quantity": 1})
    client.post(url("cart/lines/", "web"), {"sku": variant.sku, "quantity": 2})

    on_web = client.get(url("cart/", "web")).json()
    assert [(line["sku"], line["quantity"]) for line in on_web["lines"]] == [(variant.sku, 3)]
    cart = Cart.objects.get(customer__user=user)
    assert (cart.origin_channel, cart.last_channel) == (app, web)
    assert str(cart.token) == on_web["token"]


def test_the_review_shows_a_changed_price_and_refresh_applies_it(web):
    variant = item(web, price="100.00")
    _user, client = signed_in()
    client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 1})
    catalog.variant_price_set(variant=variant, channel=web, price="120.00")
    line_id = CartLine.objects.get().pk

    before = client.get(url("cart/")).json()
    assert before["lines"][0]["seen_price"] == money("100.00")
    assert before["lines"][0]["price"] == money("120.00")
    assert before["total"] == money("120.00")
    change = {"line": line_id, "sku": variant.sku, "change": "price_up"}
    assert before["changes"] == [{**change, "before": "100.00", "after": "120.00"}]

    refreshed = client.post(url("cart/refresh/"))

    assert refreshed.status_code == 200
    assert refreshed.json()["changes"] == before["changes"]
    assert refreshed.json()["cart"]["changes"] == []
    assert refreshed.json()["cart"]["lines"][0]["seen_price"] == money("120.00")


def test_change_and_remove_a_line(web):
    variant = item(web)
    _user, client = signed_in()
    client.post(url("cart/lines/"), {"sku": variant.sku})
    line_id = CartLine.objects.get().pk

    changed = client.patch(url(f"cart/lines/{line_id}/"), {"quantity": 4})
    assert changed.status_code == 200
    assert changed.json()["lines"][0]["quantity"] == 4

    removed = client.delete(url(f"cart/lines/{line_id}/"))
    assert removed.status_code == 200
    assert removed.json()["lines"] == []
    assert not CartLine.objects.exists()


def test_reserve_holds_the_carts_stock_for_the_channels_checkout_time(web):
    variant = item(web)
    _user, client = signed_in()
    client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 3})

    response = client.post(url("cart/reserve/"))

    assert response.status_code == 200
    cart = Cart.objects.get()
    assert response.json()["reserved_until"] is not None
    assert cart.reserved_until is not None
    assert list(
        Reservation.objects.filter(reference=cart.reservation_reference).values_list(
            "variant_id", "quantity"
        )
    ) == [(variant.pk, 3)]


def test_reserving_more_than_can_be_had_is_a_conflict_that_holds_nothing(web):
    variant = item(web, quantity=2)
    _user, client = signed_in()
    client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 2})
    from inventory.models import Stock

    Stock.objects.filter(variant=variant).update(on_hand=1)  # sold meanwhile (test shortcut)

    response = client.post(url("cart/reserve/"))

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert not Reservation.objects.exists()


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"sku": "NOPE-1", "quantity": 1}, "sku", "unknown_sku"),
        ({"sku": "{sku}", "quantity": 0}, "quantity", "min_value"),
        ({"sku": "{sku}", "quantity": 1000}, "quantity", "max_value"),
        ({"sku": "{sku}", "quantity": "many"}, "quantity", "invalid"),
        ({"quantity": 1}, "sku", "invalid"),
        ({"sku": "{sku}", "quantity": 11}, "quantity", "insufficient_stock"),
        ({"sku": "{hidden}", "quantity": 1}, "sku", "not_sold_here"),
    ],
)
def test_bad_lines_are_refused_field_by_field_and_change_nothing(web, body, field, code):
    variant = item(web, quantity=10)
    hidden = f.product(channels=[web], published=False).variants.get()
    _user, client = signed_in()
    client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 1})
    body = {k: v.format(sku=variant.sku, hidden=hidden.sku) if isinstance(v, str) else v
            for k, v in body.items()}  # fmt: skip

    response = client.post(url("cart/lines/"), body)

    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == [field]
    assert response.json()["code"] == code
    assert list(CartLine.objects.values_list("variant_id", "quantity")) == [(variant.pk, 1)]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sku": "NOPE-1"}, "unknown_sku"),
        ({"sku": "{sku}", "quantity": 11}, "insufficient_stock"),
        ({"sku": "{hidden}"}, "not_sold_here"),
    ],
)
def test_a_refused_first_line_leaves_no_cart_behind(web, body, code):
    variant = item(web, quantity=10)
    hidden = f.product(channels=[web], published=False).variants.get()
    body = {k: v.format(sku=variant.sku, hidden=hidden.sku) if isinstance(v, str) else v
            for k, v in body.items()}  # fmt: skip
    _user, client = signed_in()

    response = client.post(url("cart/lines/"), body)

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert not Cart.objects.exists()
    added = client.post(url("cart/lines/"), {"sku": variant.sku})  # the cart comes with a line
    assert added.status_code == 201
    assert Cart.objects.get().lines.get().variant_id == variant.pk


def test_changing_a_line_of_a_cart_not_yet_started_is_not_found_and_starts_none(web):
    _user, client = signed_in()
    assert client.patch(url("cart/lines/1/"), {"quantity": 2}).status_code == 404
    assert client.delete(url("cart/lines/1/")).status_code == 404
    assert not Cart.objects.exists()


@pytest.mark.parametrize("quantity", [0, 1000, -1])
def test_a_bad_quantity_change_is_refused_and_changes_nothing(web, quantity):
    variant = item(web)
    _user, client = signed_in()
    client.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 2})
    line = CartLine.objects.get()

    response = client.patch(url(f"cart/lines/{line.pk}/"), {"quantity": quantity})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["quantity"]
    line.refresh_from_db()
    assert line.quantity == 2


@pytest.mark.parametrize(
    ("path", "code"), [("cart/?channel=nope", "unknown_channel"), ("cart/", "required")]
)
def test_an_unknown_or_missing_channel_is_a_field_error(web, path, code):
    _user, client = signed_in()
    response = client.get(f"/api/v1/{path}")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert list(response.json()["fields"]) == ["channel"]
    assert not Cart.objects.exists()


# --- nobody reaches anyone else's cart -------------------------------------------------------


def test_another_customers_cart_line_is_not_found_and_stays_as_it_was(web):
    variant = item(web)
    _ayse, ayse = signed_in()
    _mehmet, mehmet = signed_in()
    ayse.post(url("cart/lines/"), {"sku": variant.sku, "quantity": 2})
    line = CartLine.objects.get()

    assert mehmet.patch(url(f"cart/lines/{line.pk}/"), {"quantity": 5}).status_code == 404
    assert mehmet.delete(url(f"cart/lines/{line.pk}/")).status_code == 404
    assert mehmet.get(url("cart/")).json()["lines"] == []
    line.refresh_from_db()
    assert line.quantity == 2
    # The same URLs answer the owner.
    assert ayse.patch(url(f"cart/lines/{line.pk}/"), {"quantity": 3}).status_code == 200
    assert ayse.delete(url(f"cart/lines/{line.pk}/")).status_code == 200


def test_a_customers_cart_token_is_no_key_for_a_visitor(web):
    variant = item(web)
    _user, client = signed_in()
    token = client.post(url("cart/lines/"), {"sku": variant.sku}).json()["token"]
    line = CartLine.objects.get()
    intruder = visitor(token)

    assert intruder.get(url("cart/")).status_code == 404
    assert intruder.post(url("cart/lines/"), {"sku": variant.sku}).status_code == 404
    assert intruder.patch(url(f"cart/lines/{line.pk}/"), {"quantity": 3}).status_code == 404
    assert intruder.delete(url(f"cart/lines/{line.pk}/")).status_code == 404
    assert intruder.post(url("cart/refresh/")).status_code == 404
    assert intruder.post(url("cart/reserve/")).status_code == 404
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [1]
    # The same URLs answer the customer, signed in.
    owner = [
        client.get(url("cart/")),
        client.patch(url(f"cart/lines/{line.pk}/"), {"quantity": 3}),
        client.post(url("cart/refresh/")),
        client.post(url("cart/reserve/")),
        client.delete(url(f"cart/lines/{line.pk}/")),
    ]
    assert [r.status_code for r in owner] == [200] * 5, [r.json() for r in owner]


def test_one_visitors_line_is_not_found_through_another_visitors_cart(web):
    variant = item(web)
    first, second = visitor(new_visitor_cart()), visitor(new_visitor_cart())
    first.post(url("cart/lines/"), {"sku": variant.sku})
    line = CartLine.objects.get()

    assert second.patch(url(f"cart/lines/{line.pk}/"), {"quantity": 3}).status_code == 404
    assert second.delete(url(f"cart/lines/{line.pk}/")).status_code == 404
    assert CartLine.objects.get().quantity == 1
    # The same URLs answer the visitor whose cart it is.
    assert first.patch(url(f"cart/lines/{line.pk}/"), {"quantity": 3}).status_code == 200
    assert first.delete(url(f"cart/lines/{line.pk}/")).status_code == 200


@pytest.mark.parametrize("token", [None, "not-a-uuid", "0b8e4b3c-7a51-4a49-9d0c-6f1a2e0b9c11"])
def test_a_visitor_without_a_valid_cart_token_finds_no_cart(web, token):
    response = visitor(token).get(url("cart/"))
    assert response.status_code == 404
    assert response.json()["code"] == "cart_not_found"


# --- the number of queries ------------------------------------------------------------------


def test_reading_the_cart_runs_the_same_queries_for_1_and_20_lines(web):
    variants = [item(web, price="10.00") for _ in range(20)]
    for held in (variants[:1], variants):
        _user, client = signed_in()
        for variant in held:
            client.post(url("cart/lines/"), {"sku": variant.sku})
        catalog.variant_price_set(variant=held[0], channel=web, price=f"{11 + len(held)}.00")

        with assert_num_queries(7):
            response = client.get(url("cart/"))

        assert response.status_code == 200
        assert len(response.json()["lines"]) == len(held)
        assert len(response.json()["changes"]) == 1


# --- saved items ----------------------------------------------------------------------------


def test_saved_items_are_the_customers_on_every_channel(web, app):
    variant = item(web, price="300.00", also=(app,))
    catalog.variant_price_set(variant=variant, channel=app, price="280.00")
    _user, client = signed_in()

    saved = client.post(url("saved-items/", "web"), {"sku": variant.sku})

    assert saved.status_code == 201, saved.json()
    assert saved.json()["price"] == money("300.00")
    listed = client.get(url("saved-items/", "app")).json()
    assert listed["count"] == 1
    assert (listed["results"][0]["sku"], listed["results"][0]["price"]) == (
        variant.sku,
        money("280.00"),
    )


def test_a_saved_item_moves_to_the_cart(web):
    variant = item(web)
    _user, client = signed_in()
    client.post(url("saved-items/"), {"sku": variant.sku})

    moved = client.post(url(f"saved-items/{variant.sku}/move-to-cart/"))

    assert moved.status_code == 200, moved.json()
    assert [(line["sku"], line["quantity"]) for line in moved.json()["lines"]] == [(variant.sku, 1)]
    assert not SavedItem.objects.exists()


def test_moving_an_item_not_saved_starts_no_cart(web):
    variant = item(web)
    _user, client = signed_in()

    moved = client.post(url(f"saved-items/{variant.sku}/move-to-cart/"))

    assert (moved.status_code, moved.json()["code"]) == (404, "saved_item_not_found")
    assert not Cart.objects.exists()


def test_a_saved_item_is_removed(web):
    variant = item(web)
    _user, client = signed_in()
    client.post(url("saved-items/"), {"sku": variant.sku})

    assert client.delete(f"/api/v1/saved-items/{variant.sku}/").status_code == 204
    assert not SavedItem.objects.exists()


def test_another_customers_saved_items_are_not_found_and_stay(web):
    variant = item(web)
    ayse_user, ayse = signed_in()
    _mehmet, mehmet = signed_in()
    ayse.post(url("saved-items/"), {"sku": variant.sku})

    assert mehmet.get(url("saved-items/")).json()["count"] == 0
    assert mehmet.delete(f"/api/v1/saved-items/{variant.sku}/").status_code == 404
    assert mehmet.post(url(f"saved-items/{variant.sku}/move-to-cart/")).status_code == 404
    assert list(SavedItem.objects.values_list("customer__user", flat=True)) == [ayse_user.pk]
    assert not CartLine.objects.exists()
    # The same URLs answer the owner.
    assert ayse.get(url("saved-items/")).json()["count"] == 1
    assert ayse.post(url(f"saved-items/{variant.sku}/move-to-cart/")).status_code == 200
    ayse.post(url("saved-items/"), {"sku": variant.sku})
    assert ayse.delete(f"/api/v1/saved-items/{variant.sku}/").status_code == 204


def test_saved_items_need_a_sign_in_and_a_known_sku(web):
    item(web)
    assert visitor().get(url("saved-items/")).status_code == 401
    _user, client = signed_in()
    response = client.post(url("saved-items/"), {"sku": "NOPE-1"})
    assert (response.status_code, list(response.json()["fields"])) == (400, ["sku"])
    assert client.delete("/api/v1/saved-items/NOPE-1/").status_code == 404
    assert not SavedItem.objects.exists()


# --- signing in merges the visitor's cart ---------------------------------------------------


def test_signing_in_merges_the_visitors_cart_into_the_customers(web):
    shirt, towel = item(web, quantity=5), item(web, quantity=5)
    user, client = signed_in()
    client.post(url("cart/lines/"), {"sku": shirt.sku, "quantity": 4})
    token = new_visitor_cart()
    guest = visitor(token)
    guest.post(url("cart/lines/"), {"sku": shirt.sku, "quantity": 3})  # 4 + 3 > 5 available
    guest.post(url("cart/lines/"), {"sku": towel.sku, "quantity": 1})

    response = visitor().post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": f.PASSWORD, "cart_token": token},
    )

    assert response.status_code == 200, response.json()
    lines = client.get(url("cart/")).json()["lines"]
    assert sorted((line["sku"], line["quantity"]) for line in lines) == sorted(
        [(shirt.sku, 5), (towel.sku, 1)]
    )
    assert Cart.objects.get(token=token).status == Cart.Status.MERGED
    assert guest.get(url("cart/")).status_code == 404


def test_signing_up_takes_the_visitors_cart_along(web):
    variant = item(web)
    token = new_visitor_cart()
    visitor(token).post(url("cart/lines/"), {"sku": variant.sku, "quantity": 2})

    response = visitor().post(
        "/api/v1/auth/signup/",
        {"email": "yeni@example.com", "password": "kapadokya-balon-42", "cart_token": token},
    )

    assert response.status_code == 201, response.json()
    cart = Cart.objects.get(customer__user__email="yeni@example.com")
    assert list(cart.lines.values_list("variant_id", "quantity")) == [(variant.pk, 2)]


def test_a_stale_or_foreign_cart_token_does_not_stop_a_sign_in(web):
    variant = item(web)
    owner, owner_client = signed_in()
    foreign = owner_client.post(url("cart/lines/"), {"sku": variant.sku}).json()["token"]
    user = f.UserFactory()

    for token in (foreign, "0b8e4b3c-7a51-4a49-9d0c-6f1a2e0b9c11"):
        response = visitor().post(
            "/api/v1/auth/token/",
            {"email": user.email, "password": f.PASSWORD, "cart_token": token},
        )
        assert response.status_code == 200

    assert Cart.objects.get(token=foreign).customer.user == owner
    assert not Cart.objects.filter(customer__user=user).exists()
    bad = visitor().post(
        "/api/v1/auth/token/", {"email": user.email, "password": f.PASSWORD, "cart_token": "x"}
    )
    assert (bad.status_code, list(bad.json()["fields"])) == (400, ["cart_token"])


def test_prices_are_money_with_the_channels_currency(web):
    euro = f.ChannelFactory(code="eu-web", kind="web", currency="EUR")
    variant = item(euro, price="19.99")
    _user, client = signed_in()
    client.post(url("cart/lines/", "eu-web"), {"sku": variant.sku, "quantity": 3})
    body = client.get(url("cart/", "eu-web")).json()
    assert body["total"] == money("59.97", "EUR")
    assert Decimal(body["tax_total"]["amount"]) == Decimal("10.00")  # 9.995, rounded half up


def test_listing_saved_items_runs_the_same_queries_for_1_and_15_items(web):
    variants = [item(web) for _ in range(15)]
    for saved in (variants[:1], variants):
        _user, client = signed_in()
        for variant in saved:
            client.post(url("saved-items/"), {"sku": variant.sku})

        with assert_num_queries(5):
            response = client.get(url("saved-items/"))

        assert response.json()["count"] == len(saved)
