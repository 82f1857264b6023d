"""The orders admin: every page opens, orders are found by what a merchant knows of them, the
list runs a fixed number of queries, nothing is edited past the services, and the actions go
through the lifecycle services, reporting a refusal and changing nothing for that order."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Address
from inventory.models import Stock, StockMovement
from omni.models import OutboxEvent
from orders.models import Notification, Order, OrderEvent, Return, ReturnLine, ShippingMethod
from orders.services import carts, checkout, lifecycle
from tests import factories as f
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db

ORDER_LIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", kind="web")


@pytest.fixture
def app():
    return f.ChannelFactory(code="app", kind="app")


@pytest.fixture
def dc(web, app):
    location = f.StockLocationFactory(code="dc-gebze", city="Kocaeli")
    f.sells_from(web, location)
    f.sells_from(app, location)
    return location


@pytest.fixture
def store(web, app, dc):
    location = f.StockLocationFactory(
        code="store-kadikoy", kind="store", click_and_collect=True, city="İstanbul"
    )
    f.sells_from(web, dc, location)
    f.sells_from(app, dc, location)
    return location


@pytest.fixture
def customer():
    return f.CustomerFactory(
        email="ayse@example.com", phone="+905321112233", first_name="Ayşe", last_name="Kaya"
    )


@pytest.fixture
def user():
    return f.UserFactory(role="merchant_staff", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages are asserted in English
    return client


def stocked_variant(channels, location, *, price="100.00", quantity=10):
    variant = f.product(channels=channels, price=price).variants.get()
    from inventory import services as inventory

    inventory.stock_receive(variant=variant, location=location, quantity=quantity)
    return variant


def place(channel, customer, *variants, quantity=1, pickup=None, **kwargs) -> Order:
    """An order through the services: a cart on the channel, then order_place."""
    cart = carts.cart_create_anonymous(channel=channel)
    for variant in variants:
        carts.cart_add(cart=cart, channel=channel, variant_id=variant.pk, quantity=quantity)
    if pickup:
        delivery = checkout.delivery_build(
            channel=channel, method="pickup", pickup_location=pickup.code
        )
    else:
        f.ShippingMethodFactory(channel=channel)
        delivery = checkout.delivery_build(
            channel=channel, method="home", shipping_method="standart", address=f.ADDRESS
        )
    return checkout.order_place(
        cart=cart, channel=channel, delivery=delivery, customer=customer, **kwargs
    )


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def snapshot():
    return (
        sorted(Order.objects.values_list("pk", "status")),
        OrderEvent.objects.count(),
        StockMovement.objects.count(),
        sorted(Stock.objects.values_list("pk", "on_hand", "allocated")),
        OutboxEvent.objects.count(),
        Notification.objects.count(),
    )


@pytest.fixture
def orders(web, app, dc, store, customer):
    """An order on the web delivered home, and one in the app collected at Kadıköy."""
    shirt = stocked_variant([web, app], dc)
    towel = stocked_variant([web, app], store, price="40.00")
    home = place(web, customer, shirt)
    pickup = place(app, customer, towel, pickup=store)
    return home, pickup


# --- every page opens -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    ["orders_order", "orders_cart", "orders_return", "orders_shippingmethod", "customers_customer"],
)
def test_every_changelist_opens_with_a_search(admin_client, orders, model):
    url = reverse(f"admin:{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "kadikoy"}).status_code == 200


def test_the_change_pages_open_and_show_the_order(admin_client, orders, customer, dc):
    home, _pickup = orders
    Return.objects.create(order=home, channel=home.channel, currency="TRY")
    page = admin_client.get(reverse("admin:orders_order_change", args=[home.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    line = home.lines.get()
    assert f"1 x {line.sku}" in text and dc.name in text  # the lines and the fulfilment
    assert "placed" in text and "allocated" in text  # the history
    assert "Moda Caddesi No:12 D:3" in text  # the address
    assert "KDV %20: 24.98 TRY" in text and "tax_by_rate" in text  # totals and the snapshot
    assert f"R{Return.objects.get().pk}" in text  # the returns
    assert 'name="_save"' not in text and 'name="_continue"' not in text
    for name, args in [
        ("orders_cart_change", [home.cart_id]),
        ("orders_return_change", [Return.objects.get().pk]),
        ("customers_customer_change", [customer.pk]),
        ("orders_shippingmethod_change", [home.shipping_method_id]),
        ("orders_shippingmethod_add", []),
    ]:
        assert admin_client.get(reverse(f"admin:{name}", args=args)).status_code == 200, name


# --- finding orders -------------------------------------------------------------------------


def result_numbers(response) -> set[str]:
    return {o.number for o in response.context["cl"].result_list}


def test_orders_are_found_by_number_email_phone_and_sku(admin_client, web, dc, orders):
    home, pickup = orders
    other = place(
        web,
        f.CustomerFactory(email="mehmet@example.com", phone="+905449998877"),
        stocked_variant([web], dc),
    )
    for query, expected in [
        (home.number, {home.number}),
        ("ayse@example", {home.number, pickup.number}),
        ("5449998877", {other.number}),
        (pickup.lines.get().sku, {pickup.number}),
    ]:
        response = admin_client.get(ORDER_LIST, {"q": query})
        assert result_numbers(response) == expected, query


def test_orders_are_filtered_by_channel_status_delivery_and_location(
    admin_client, web, app, store, orders
):
    home, pickup = orders
    lifecycle.order_confirm(order=pickup)
    for params, expected in [
        ({"channel__id__exact": web.pk}, {home.number}),
        ({"channel__id__exact": app.pk}, {pickup.number}),
        ({"status__exact": "confirmed"}, {pickup.number}),
        ({"status__exact": "pending"}, {home.number}),
        ({"delivery__exact": "pickup"}, {pickup.number}),
        ({"fulfilments__location__id__exact": store.pk}, {pickup.number}),
    ]:
        response = admin_client.get(ORDER_LIST, params)
        assert response.status_code == 200
        assert result_numbers(response) == expected, params


def test_the_order_list_has_a_fixed_number_of_queries(admin_client, web, app, dc, store, customer):
    variant = stocked_variant([web, app], dc, quantity=50)
    at_store = stocked_variant([web, app], store, quantity=50)
    place(web, customer, variant)
    with assert_num_queries(10):
        response = admin_client.get(ORDER_LIST)
    assert response.context["cl"].result_count == 1

    for n in range(9):
        buyer = f.CustomerFactory()
        if n % 2:
            place(app, buyer, at_store, pickup=store)
        else:
            place(web, buyer, variant, at_store)  # from two locations
    with assert_num_queries(10):
        response = admin_client.get(ORDER_LIST)
    assert response.context["cl"].result_count == 10
    with assert_num_queries(10):
        admin_client.get(ORDER_LIST, {"q": variant.sku, "status__exact": "pending"})


# --- nothing is edited past the services ----------------------------------------------------


def test_orders_cannot_be_added_edited_or_deleted_here(admin_client, orders):
    home, _pickup = orders
    before = snapshot()
    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    admin_client.post(
        reverse("admin:orders_order_change", args=[home.pk]),
        {"status": "cancelled", "total": "0.00", "email": "x@example.com"},
    )
    assert admin_client.get(reverse("admin:orders_order_delete", args=[home.pk])).status_code == 403
    home.refresh_from_db()
    assert (home.status, home.total, home.email) == ("pending", Decimal("149.90"), home.email)
    assert snapshot() == before


@pytest.mark.parametrize("model", ["cart", "return"])
def test_carts_and_returns_are_read_only(admin_client, orders, model):
    home, _pickup = orders
    Return.objects.create(order=home, channel=home.channel, currency="TRY")
    obj = home.cart if model == "cart" else Return.objects.get()
    assert admin_client.get(reverse(f"admin:orders_{model}_add")).status_code == 403
    page = admin_client.get(reverse(f"admin:orders_{model}_change", args=[obj.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False


# --- actions through the services -----------------------------------------------------------


def test_confirm_goes_through_the_service_and_reports_each_refusal(admin_client, user, orders):
    home, pickup = orders
    lifecycle.order_confirm(order=pickup)  # paid already
    events = OrderEvent.objects.filter(order=pickup).count()

    response = admin_client.post(
        ORDER_LIST,
        {"action": "confirm_orders", "_selected_action": [home.pk, pickup.pk]},
        follow=True,
    )

    assert shown(response) == [
        f"Order {pickup.number} is confirmed and cannot become confirmed.",
        "1 order confirmed.",
    ]
    home.refresh_from_db()
    assert home.status == "confirmed" and home.confirmed_at is not None
    event = home.events.filter(kind="status_changed").get()
    assert (event.from_status, event.to_status, event.actor) == ("pending", "confirmed", user)
    assert OutboxEvent.objects.filter(
        topic="orders.order.status_changed", key=f"order:{home.pk}"
    ).exists()
    assert home.notifications.filter(kind="order_confirmed").exists()
    assert OrderEvent.objects.filter(order=pickup).count() == events  # nothing for the refused


def test_cancel_asks_first_then_cancels_through_the_service(admin_client, user, web, orders):
    home, pickup = orders
    before = snapshot()
    selected = {"action": "cancel_orders", "_selected_action": [home.pk]}

    page = admin_client.post(ORDER_LIST, selected)
    assert page.status_code == 200
    assert home.number in page.content.decode()
    assert snapshot() == before  # asking changes nothing

    response = admin_client.post(
        ORDER_LIST, {**selected, "apply": "1", "reason": "Müşteri vazgeçti"}, follow=True
    )

    assert shown(response) == ["1 order cancelled; its stock is released."]
    home.refresh_from_db()
    assert home.status == "cancelled"
    event = home.events.filter(kind="status_changed").get()
    assert (event.to_status, event.message, event.actor) == ("cancelled", "Müşteri vazgeçti", user)
    stock = Stock.objects.get(variant_id=home.lines.get().variant_id)
    assert (stock.on_hand, stock.allocated) == (10, 0)
    assert set(home.fulfilments.values_list("status", flat=True)) == {"cancelled"}
    pickup.refresh_from_db()
    assert pickup.status == "pending"  # not selected


def test_an_order_that_cannot_be_cancelled_is_reported_and_left_as_it_is(
    admin_client, customer, orders
):
    home, _pickup = orders
    counter = f.ChannelFactory(code="store-kadikoy", kind="store", pay_later=True)
    till = f.StockLocationFactory(
        code="kadikoy-till", kind="store", click_and_collect=True, channel=counter
    )
    variant = stocked_variant([counter], till, quantity=2)
    f.sells_from(counter, till)
    sold = place(counter, customer, variant, pickup=till, handed_over=True)
    assert sold.status == "collected"
    before_sold = (
        list(sold.events.values_list("id", flat=True)),
        list(Stock.objects.filter(location=till).values_list("on_hand", "allocated")),
    )
    selected = {"action": "cancel_orders", "_selected_action": [sold.pk, home.pk]}

    page = admin_client.post(ORDER_LIST, selected)
    assert "cannot be cancelled" in page.content.decode()
    response = admin_client.post(ORDER_LIST, {**selected, "apply": "1"}, follow=True)

    assert shown(response) == [
        f"Order {sold.number} is collected and cannot become cancelled.",
        "1 order cancelled; its stock is released.",
    ]
    sold.refresh_from_db()
    assert sold.status == "collected"
    assert (
        list(sold.events.values_list("id", flat=True)),
        list(Stock.objects.filter(location=till).values_list("on_hand", "allocated")),
    ) == before_sold
    home.refresh_from_db()
    assert home.status == "cancelled"


# --- shipping methods, customers, returns ---------------------------------------------------


def test_a_shipping_method_is_configured_with_its_names_in_both_languages(admin_client, web):
    response = admin_client.post(
        reverse("admin:orders_shippingmethod_add"),
        {
            "channel": web.pk,
            "code": "hizli",
            "name_tr": "Hızlı Kargo",
            "name_en": "Express delivery",
            "kind": "home",
            "country": "TR",
            "price": "89.90",
            "free_over": "",
            "tax_rate": "20",
            "min_days": "1",
            "max_days": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    method = ShippingMethod.objects.get(code="hizli")
    assert (method.name_tr, method.name_en, method.price, method.free_over) == (
        "Hızlı Kargo",
        "Express delivery",
        Decimal("89.90"),
        None,
    )


def test_customers_are_found_by_email_phone_and_name(admin_client, customer):
    other = f.CustomerFactory(
        email="mehmet@example.com", phone="+905449998877", first_name="Mehmet"
    )
    url = reverse("admin:customers_customer_changelist")
    for query, expected in [
        ("ayse@example", {customer.pk}),
        ("5449998877", {other.pk}),
        ("Mehmet", {other.pk}),
        ("Kaya", {customer.pk, other.pk}),
    ]:
        response = admin_client.get(url, {"q": query})
        assert {c.pk for c in response.context["cl"].result_list} == expected, query


def test_a_customer_shows_their_addresses_and_orders_from_every_channel(
    admin_client, customer, orders
):
    home, pickup = orders
    Address.objects.create(
        customer=customer, label="Ev", full_name="Ayşe Kaya", line1="Moda Cad. 12", city="İstanbul"
    )
    page = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    text = page.content.decode()
    assert "Moda Cad. 12" in text
    assert home.number in text and pickup.number in text
    assert "web" in text and "app" in text
    assert "All 2 orders" in text
    inline = next(fs for fs in page.context["inline_admin_formsets"] if fs.opts.model is Order)
    assert inline.has_change_permission is False and inline.has_add_permission is False

    listed = admin_client.get(ORDER_LIST, {"customer__id__exact": customer.pk})
    assert result_numbers(listed) == {home.number, pickup.number}


def test_a_customers_name_is_edited_but_not_an_account_holders_email(admin_client, customer):
    account = f.UserFactory(email="ayse@example.com")
    customer.user = account
    customer.save(update_fields=["user"])
    response = admin_client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        {
            "first_name": "Ayşe Nur",
            "last_name": "Kaya",
            "email": "someone@else.com",
            "phone": "+905321112233",
            "language": "tr",
            "addresses-TOTAL_FORMS": "0",
            "addresses-INITIAL_FORMS": "0",
            "orders-TOTAL_FORMS": "0",
            "orders-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert (customer.first_name, customer.email) == ("Ayşe Nur", "ayse@example.com")


def test_returns_are_listed_with_filters(admin_client, web, app, store, orders):
    home, pickup = orders
    first = Return.objects.create(order=home, channel=web, currency="TRY")
    ReturnLine.objects.create(
        return_request=first, order_line=home.lines.get(), quantity=1, reason="size"
    )
    second = Return.objects.create(
        order=pickup, channel=app, location=store, status="received", currency="TRY"
    )
    url = reverse("admin:orders_return_changelist")
    for params, expected in [
        ({"status__exact": "requested"}, {first.pk}),
        ({"channel__id__exact": app.pk}, {second.pk}),
        ({"location__id__exact": store.pk}, {second.pk}),
        ({"q": home.number}, {first.pk}),
        ({"q": home.lines.get().sku}, {first.pk}),
    ]:
        response = admin_client.get(url, params)
        assert {r.pk for r in response.context["cl"].result_list} == expected, params


def test_received_returns_are_refunded_through_the_service_and_others_refused(
    admin_client, user, web, store, orders
):
    home, pickup = orders
    # The rows as the return services leave them (a test shortcut): one received, one not.
    received = Return.objects.create(
        order=home,
        channel=web,
        location=store,
        status="received",
        refund_amount=Decimal("100.00"),
        currency="TRY",
    )
    requested = Return.objects.create(order=pickup, channel=web, currency="TRY")
    events = OrderEvent.objects.filter(order=pickup).count()

    response = admin_client.post(
        reverse("admin:orders_return_changelist"),
        {"action": "refund_returns", "_selected_action": [received.pk, requested.pk]},
        follow=True,
    )

    assert shown(response) == [
        f"Return {requested.pk} is requested and cannot become refunded.",
        "1 return refunded.",
    ]
    assert dict(Return.objects.values_list("pk", "status")) == {
        received.pk: "refunded",
        requested.pk: "requested",
    }
    event = home.events.get(kind="return_refunded")
    assert event.actor == user
    refund = OutboxEvent.objects.get(topic="orders.refund.due")
    assert refund.payload["amount"] == "100.00"
    assert OrderEvent.objects.filter(order=pickup).count() == events
