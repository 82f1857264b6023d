"""Clienteling: the staff's customer search and the customer's profile at a store (orders of every
channel, the live cart, notes, recommendations), through the pages."""

from __future__ import annotations

import pytest
from django.db.models import F

from customers.identities import loyalty_card_issue
from customers.models import Customer, StaffNote, TimelineEvent
from inventory import services as inventory
from orders.models import Order
from orders.services import carts, checkout
from tests import factories as f
from tests.queries import assert_num_queries
from tests.staff.support import build_retailer, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def retailer():
    return build_retailer(products=4, variants=2, in_store=20)


@pytest.fixture
def clerk(retailer):
    return staff_client(retailer.clerk, retailer.kadikoy)


def _order(retailer, channel, *variants, customer=None) -> Order:
    """An order of one of each variant on the channel: home delivery online, a counter sale
    handed over at once in a store."""
    customer = customer or retailer.customer
    cart = carts.cart_create_anonymous(channel=channel)
    for variant in variants:
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk)
    if channel.kind == "store":
        delivery = checkout.delivery_build(
            channel=channel, method="pickup", pickup_location=channel.store_location.code
        )
    else:
        delivery = checkout.delivery_build(
            channel=channel, method="home", shipping_method="standart", address=f.ADDRESS
        )
    return checkout.order_place(
        cart=cart,
        channel=channel,
        delivery=delivery,
        customer=customer,
        email=customer.email or "misafir@example.com",
        handed_over=channel.kind == "store",
    )


# --- the search ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["0555 111 22 33", "+90 (555) 111 2233", "5551112233"])
def test_a_phone_typed_any_way_finds_the_customer(retailer, clerk, typed):
    page = clerk.get("/staff/customers/", {"q": typed})
    assert page.status_code == 200
    assert [c.pk for c in page.context["rows"]] == [retailer.customer.pk]
    assert f'href="/staff/customers/{retailer.customer.pk}/"' in page.content.decode()


@pytest.mark.parametrize(
    "typed", ["ayse@example.com", "AYSE@example.com", "Ayşe Kay", "kaya", "ayse", "AYSE KAYA"]
)
def test_an_email_or_a_name_finds_the_customer(retailer, clerk, typed):
    page = clerk.get("/staff/customers/", {"q": typed})
    assert [c.pk for c in page.context["rows"]] == [retailer.customer.pk]


def test_a_loyalty_card_finds_the_customer_with_their_order_count(retailer, clerk):
    card = loyalty_card_issue(customer=retailer.customer)
    _order(retailer, retailer.web, retailer.variant(0))
    f.CustomerFactory(email="baska@example.com", phone="+905320000000", first_name="Başka")

    page = clerk.get("/staff/customers/", {"q": card.value})

    rows = page.context["rows"]
    assert [(c.pk, c.order_count) for c in rows] == [(retailer.customer.pk, 1)]
    assert "1 sipariş" in page.content.decode()


def test_a_too_short_query_is_a_form_error_and_searches_nothing(retailer, clerk):
    page = clerk.get("/staff/customers/", {"q": "a"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400
    assert page.context["rows"] == []
    assert "Enter at least 2 characters" in page.content.decode()


def test_nobody_found_says_so(retailer, clerk):
    page = clerk.get("/staff/customers/", {"q": "0532 999 88 77"})
    assert page.status_code == 200 and page.context["rows"] == []


def test_the_search_runs_the_same_queries_for_one_and_many_customers(retailer, clerk):
    clerk.get("/staff/")
    with assert_num_queries(4):  # session, user, stores, the search
        clerk.get("/staff/customers/", {"q": "0555 111 22 33"})
    for n in range(8):
        f.CustomerFactory(email=f"ikiz{n}@example.com")  # the same phone
    with assert_num_queries(4):
        page = clerk.get("/staff/customers/", {"q": "0555 111 22 33"})
    assert len(page.context["rows"]) == 9


# --- the profile --------------------------------------------------------------------------


def test_the_profile_shows_orders_of_the_web_the_app_and_the_store(retailer, clerk):
    web = _order(retailer, retailer.web, retailer.variant(0))
    app = _order(retailer, retailer.app, retailer.variant(1))
    store = _order(retailer, retailer.kadikoy, retailer.variant(2))

    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/")

    assert page.status_code == 200
    body = page.content.decode()
    recent = page.context["p"].view.orders.recent
    assert {o.number for o in recent} == {web.number, app.number, store.number}
    assert {o.channel for o in recent} == {"web", "app", "store-kadikoy"}
    for order in (web, app, store):
        assert f'href="/staff/returns/orders/{order.number}/"' in body
    assert "Kadıköy Mağaza" in body and "App" in body and "Web" in body


def test_the_profile_shows_the_live_cart_started_in_the_app_with_the_finish_button(retailer, clerk):
    sku = retailer.variant(1, 1).sku
    carts.cart_add(customer=retailer.customer, channel=retailer.app, sku=sku, quantity=2)

    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")

    cart = page.context["p"].cart
    assert [(line.sku, line.quantity) for line in cart.lines] == [(sku, 2)]
    assert cart.quote.total == 300  # 150.00 at the store, twice
    body = page.content.decode()
    assert "last touched on App" in body
    assert f'href="/staff/pos/?customer={retailer.customer.pk}"' in body
    assert "Finish at the counter" in body


def test_no_cart_no_cart_panel(retailer, clerk):
    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/")
    assert page.context["p"].cart is None
    assert 'data-testid="live-cart"' not in page.content.decode()


def test_a_merged_away_customer_opens_the_survivor_and_an_unknown_one_is_a_404(retailer, clerk):
    merged = f.CustomerFactory(email="", phone="")
    Customer.objects.filter(pk=merged.pk).update(merged_into=retailer.customer)

    answer = clerk.get(f"/staff/customers/{merged.pk}/")
    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/customers/{retailer.customer.pk}/"
    assert clerk.get("/staff/customers/999999999/").status_code == 404


def test_opening_a_profile_at_a_store_records_one_visit_a_day(retailer, clerk):
    clerk.get(f"/staff/customers/{retailer.customer.pk}/")
    clerk.get(f"/staff/customers/{retailer.customer.pk}/")
    visits = TimelineEvent.objects.filter(customer=retailer.customer, kind="store_visit")
    assert [(v.channel, v.store_id) for v in visits] == [
        (retailer.kadikoy, retailer.kadikoy.store_location.pk)
    ]


def test_a_customer_who_may_not_be_viewed_is_refused_to_merchant_staff_without_the_permission(
    retailer,
):
    merchant = f.merchant("orders.add_order")  # may use the screens, may not view customers
    page = staff_client(merchant, retailer.kadikoy).get(f"/staff/customers/{retailer.customer.pk}/")
    assert page.status_code == 403


# --- notes --------------------------------------------------------------------------------


def test_staff_add_a_note_signed_with_their_store_and_it_is_on_the_timeline(retailer, clerk):
    url = f"/staff/customers/{retailer.customer.pk}/notes/"
    answer = clerk.post(url, {"text": "  Beden M giyiyor, keten sever.  "})

    assert answer.status_code == 302
    assert answer["Location"] == f"/staff/customers/{retailer.customer.pk}/#notes"
    note = StaffNote.objects.get()
    assert (note.customer, note.author, note.store, note.text) == (
        retailer.customer,
        retailer.clerk,
        retailer.kadikoy,
        "Beden M giyiyor, keten sever.",
    )
    event = TimelineEvent.objects.get(kind="staff_note")
    assert (event.customer, event.channel, event.data["text"]) == (
        retailer.customer,
        retailer.kadikoy,
        note.text,
    )
    assert event.event_id == f"note-{note.pk}"
    later = StaffNote.objects.create(customer=retailer.customer, author=retailer.manager, text="B")
    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/")
    assert [n.pk for n in page.context["p"].notes] == [later.pk, note.pk]  # newest first
    assert "Beden M giyiyor" in page.content.decode()


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_an_empty_or_too_long_note_is_refused_and_nothing_is_written(retailer, clerk, text):
    answer = clerk.post(
        f"/staff/customers/{retailer.customer.pk}/notes/", {"text": text}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "Write the note." in body or "Keep the note under 2000 characters." in body
    assert StaffNote.objects.count() == 0
    assert not TimelineEvent.objects.filter(kind="staff_note").exists()


def test_a_note_on_an_unknown_customer_is_a_404(retailer, clerk):
    assert clerk.post("/staff/customers/999999999/notes/", {"text": "x"}).status_code == 404
    assert StaffNote.objects.count() == 0


# --- recommendations ----------------------------------------------------------------------


def test_bought_together_offers_what_others_bought_with_their_items_in_stock_here(retailer, clerk):
    shirt, trousers, belt = (retailer.variant(n) for n in range(3))
    _order(retailer, retailer.web, shirt)  # the customer bought the shirt
    someone, other = f.CustomerFactory(email="b@example.com"), f.CustomerFactory(email="c@x.com")
    _order(retailer, retailer.web, shirt, trousers, customer=someone)
    _order(retailer, retailer.web, shirt, trousers, belt, customer=other)

    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/")

    offers = page.context["p"].bought_together
    assert [(r.sku, r.together) for r in offers] == [(trousers.sku, 2), (belt.sku, 1)]
    assert all(r.in_stock > 0 for r in offers)
    link = f"/staff/pos/?customer={retailer.customer.pk}&amp;add={trousers.sku}"
    assert f'href="{link}"' in page.content.decode()


def test_bought_together_leaves_out_what_is_not_in_stock_here(retailer, clerk):
    shirt, trousers = retailer.variant(0), retailer.variant(1)
    _order(retailer, retailer.web, shirt)
    _order(retailer, retailer.web, shirt, trousers, customer=f.CustomerFactory(email="b@x.com"))
    _empty(retailer, trousers)

    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/")

    assert page.context["p"].bought_together == []


def test_bought_together_leaves_out_what_is_in_their_cart(retailer, clerk):
    shirt, trousers = retailer.variant(0), retailer.variant(1)
    _order(retailer, retailer.web, shirt)
    _order(retailer, retailer.web, shirt, trousers, customer=f.CustomerFactory(email="b@x.com"))
    carts.cart_add(customer=retailer.customer, channel=retailer.app, sku=retailer.variant(1, 1).sku)

    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/")

    assert page.context["p"].bought_together == []


def _empty(retailer, variant):
    from inventory.models import Stock

    Stock.objects.filter(location=retailer.kadikoy.store_location, variant=variant).update(
        on_hand=F("allocated")
    )


def _sized(retailer, name, category, sizes):
    product = f.product(
        channels=[retailer.web, retailer.kadikoy],
        variants=len(sizes),
        name=name,
        in_category=category,
        attributes=[[size] for size in sizes],
    )
    ids = list(product.variants.values_list("id", flat=True))
    inventory.stock_receive_many(location=retailer.dc, lines=dict.fromkeys(ids, 5))
    inventory.stock_receive_many(
        location=retailer.kadikoy.store_location, lines=dict.fromkeys(ids, 2)
    )
    return product


def test_in_their_size_offers_their_most_bought_size_in_their_categories_in_stock_here(
    retailer, clerk
):
    size = f.AttributeFactory(code="beden", name_tr="Beden")
    s, m = (f.AttributeValueFactory(attribute=size, slug=x, name_tr=x.upper()) for x in "sm")
    dresses, shoes = f.category("elbise"), f.category("ayakkabi")
    bought = _sized(retailer, "Keten Elbise", dresses, [s, m])
    _order(retailer, retailer.web, bought.variants.get(attribute_values=m))
    _order(retailer, retailer.web, bought.variants.get(attribute_values=m))
    _order(retailer, retailer.web, bought.variants.get(attribute_values=s))
    offered = _sized(retailer, "Saten Elbise", dresses, [s, m])
    _sized(retailer, "Spor Ayakkabı", shoes, [m])  # another category
    unstocked = _sized(retailer, "Yazlık Elbise", dresses, [m])
    _empty(retailer, unstocked.variants.get())

    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/")

    profile = page.context["p"]
    assert profile.size_name == "M"
    assert [r.sku for r in profile.in_size] == [offered.variants.get(attribute_values=m).sku]
    assert "Saten Elbise" in page.content.decode()


def test_in_their_size_is_empty_when_they_bought_nothing_sized(retailer, clerk):
    _order(retailer, retailer.web, retailer.variant(0))
    page = clerk.get(f"/staff/customers/{retailer.customer.pk}/")
    assert (page.context["p"].size_name, page.context["p"].in_size) == ("", [])


# --- the profile's query count ------------------------------------------------------------


def _history(retailer, customer, n):
    for i in range(n):
        _order(retailer, (retailer.web, retailer.app, retailer.kadikoy)[i % 3], retailer.variant(0),
               customer=customer)  # fmt: skip
        StaffNote.objects.create(customer=customer, author=retailer.clerk, text=f"not {i}")
        carts.saved_item_add(customer=customer, variant_id=retailer.variant(i % 3, i % 2).pk)
    _order(retailer, retailer.web, retailer.variant(0), retailer.variant(1),
           customer=f.CustomerFactory(email=f"komsu{n}@example.com"))  # fmt: skip
    carts.cart_add(customer=customer, channel=retailer.app, sku=retailer.variant(3).sku)


# session, user, stores; the customer; the store visit (savepoint, insert, segments pending,
# release); the 360 (10: timeline, orders 3, segments, loyalty, identities, addresses,
# consents, data requests); the live cart priced here (5); bought together (3); in their size
# (4); saved items (2); returns; notes.
PROFILE_QUERIES = 34


def test_the_profile_runs_the_same_queries_for_a_short_and_a_long_history(retailer, clerk):
    size = f.AttributeFactory(code="beden", name_tr="Beden")
    m = f.AttributeValueFactory(attribute=size, slug="m", name_tr="M")
    retailer.variant(0).attribute_values.add(m)  # what they buy
    retailer.variant(2, 1).attribute_values.add(m)  # offered in their size
    for n in (1, 6):
        customer = f.CustomerFactory(email=f"kisi{n}@example.com", phone="")
        _history(retailer, customer, n)
        url = f"/staff/customers/{customer.pk}/"
        clerk.get(url)  # the visit of the day is recorded

        with assert_num_queries(PROFILE_QUERIES):
            page = clerk.get(url)

        profile = page.context["p"]
        assert len(profile.notes) == n and profile.view.orders.count == n
        assert len(profile.saved) == min(n, 6) and profile.cart is not None
        assert profile.bought_together and profile.in_size and profile.size_name == "M"
