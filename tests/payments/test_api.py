"""The payments API: shoppers pay and follow their own orders' payments (another's is a 404),
staff record counter payments and refund, and list endpoints keep a fixed number of queries."""

from decimal import Decimal

import pytest

from customers.services import customer_for_user
from payments import services
from payments.models import Payment, StoreCreditAccount
from tests import factories as f
from tests.orders.api_support import signed_in
from tests.payments import support
from tests.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper():
    user, client = signed_in()
    return user, customer_for_user(user=user), client


def _pay(client, order, **body):
    return client.post(
        f"/api/v1/orders/{order.number}/payments/",
        {"gateway": "test", "card": support.card_json(), **body},
        format="json",
    )


def test_a_shopper_pays_their_order_by_card(provider, shopper):
    _user, customer, client = shopper
    order = support.place(support.web_channel(), customer)

    answer = _pay(client, order)

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "captured"
    assert body["amount"] == {"amount": "100.00", "currency": "TRY"}
    assert body["card_last4"] == "4242"
    assert "number" not in str(body) and "4242424242424242" not in str(body)
    status = client.get(f"/api/v1/payments/{body['reference']}/").json()
    assert status["status"] == "captured"
    listing = client.get(f"/api/v1/orders/{order.number}/payments/").json()
    assert listing["due"] == {"amount": "0.00", "currency": "TRY"}
    assert listing["gateways"] == ["test"]


def test_three_d_secure_through_the_api(provider, shopper):
    _user, customer, client = shopper
    order = support.place(support.web_channel(), customer)

    started = _pay(client, order, card=support.card_json(support.THREE_DS)).json()
    assert started["status"] == "action_required"
    assert started["next_action"]["redirect_url"].startswith(provider.url + "/3ds/")
    provider.three_ds_decide(Payment.objects.get().provider_reference, "approve")

    done = client.post(f"/api/v1/payments/{started['reference']}/complete/", {}, format="json")

    assert done.status_code == 200
    assert done.json()["status"] == "captured"


def test_amount_or_currency_tampering_is_a_400(provider, shopper):
    _user, customer, client = shopper
    order = support.place(support.web_channel(), customer)

    too_much = _pay(client, order, amount="1000.00")
    other_currency = _pay(client, order, currency="USD")
    negative = _pay(client, order, amount="-5.00")
    no_card = client.post(
        f"/api/v1/orders/{order.number}/payments/", {"gateway": "test"}, format="json"
    )
    bad_card = _pay(client, order, card={**support.card_json(), "number": "12ab"})

    assert (too_much.status_code, too_much.json()["code"]) == (400, "amount_exceeds_due")
    assert "amount" in too_much.json()["fields"]
    assert (other_currency.status_code, other_currency.json()["code"]) == (400, "currency_mismatch")
    assert negative.status_code == 400
    assert no_card.status_code == 400 and "card" in no_card.json()["fields"]
    assert bad_card.status_code == 400 and "card.number" in bad_card.json()["fields"]
    assert not Payment.objects.exists()


def test_another_customers_order_and_payment_are_not_found(provider, shopper):
    _user, _customer, client = shopper
    owner_user, owner = signed_in()
    order = support.place(
        support.web_channel(), customer_for_user(user=owner_user)
    )  # someone else's
    payment, _ = services.payment_start(order=order, gateway_code="test", card=support.card())

    assert _pay(client, order).status_code == 404
    assert client.get(f"/api/v1/orders/{order.number}/payments/").status_code == 404
    assert client.get(f"/api/v1/payments/{payment.reference}/").status_code == 404
    assert (
        client.post(
            f"/api/v1/payments/{payment.reference}/complete/", {}, format="json"
        ).status_code
        == 404
    )
    # The same URLs answer the owner.
    assert owner.get(f"/api/v1/orders/{order.number}/payments/").status_code == 200
    assert owner.get(f"/api/v1/payments/{payment.reference}/").status_code == 200
    assert _pay(owner, order).status_code == 400  # theirs, and nothing more is due


def test_payments_need_a_signed_in_shopper(api):
    assert api.get("/api/v1/payments/PAY-X/").status_code == 401


def test_the_order_payments_list_keeps_its_queries(provider, shopper):
    _user, customer, client = shopper
    order = support.place(support.web_channel(), customer)
    services.payment_start(
        order=order, gateway_code="test", amount=Decimal("10.00"), card=support.card()
    )

    def count() -> None:
        with assert_num_queries(7):
            response = client.get(f"/api/v1/orders/{order.number}/payments/")
        assert response.status_code == 200

    count()
    for _ in range(4):
        services.payment_start(
            order=order,
            gateway_code="test",
            amount=Decimal("10.00"),
            card=support.card(support.DECLINE),
        )
    count()


# --- staff ----------------------------------------------------------------------------------


@pytest.fixture
def store():
    return support.store_channel()


@pytest.fixture
def clerk(store):
    user = f.UserFactory(role="store_staff")
    user.stores.add(store)
    _u, client = signed_in(user)
    return client


def test_a_clerk_records_cash_at_their_store(store, clerk):
    order = support.place(store)

    answer = clerk.post(
        f"/api/v1/staff/orders/{order.number}/payments/",
        {"gateway": "cash", "amount": "100.00"},
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == "captured"
    replay = clerk.post(
        f"/api/v1/staff/orders/{order.number}/payments/",
        {"gateway": "terminal", "amount": "100.00", "reference": "S1"},
        format="json",
    )
    assert replay.status_code == 400  # nothing more is due
    assert (
        clerk.get(f"/api/v1/staff/orders/{order.number}/payments/").json()["due"]["amount"]
        == "0.00"
    )


def test_a_clerk_cannot_see_another_stores_order(provider, clerk):
    other_store = support.store_channel("store-kizilay")
    order = support.place(other_store)
    services.payment_record_offline(
        order=order, gateway_code="cash", amount=Decimal("100.00"), actor=None, channel=other_store
    )
    refund = {"amount": "1.00", "reason": "x"}
    key = {"Idempotency-Key": "k"}
    payments_url = f"/api/v1/staff/orders/{order.number}/payments/"
    refunds_url = f"/api/v1/staff/orders/{order.number}/refunds/"

    assert clerk.get(payments_url).status_code == 404
    assert clerk.post(refunds_url, refund, format="json", headers=key).status_code == 404
    # The same URLs answer that store's own staff.
    owner = f.UserFactory(role="store_staff")
    owner.stores.add(other_store)
    _u, owner_client = signed_in(owner)
    assert owner_client.get(payments_url).status_code == 200
    refunded = owner_client.post(refunds_url, refund, format="json", headers=key)
    assert refunded.status_code == 201, refunded.json()


def test_a_shopper_is_not_staff(shopper):
    _user, _customer, client = shopper
    assert client.get("/api/v1/staff/orders/ME1/payments/").status_code == 403
    assert client.get("/api/v1/staff/customers/1/store-credit/").status_code == 403


def test_merchant_refunds_to_store_credit_once_and_reads_the_balance(
    provider, django_capture_on_commit_callbacks
):
    customer = f.CustomerFactory()
    order = support.place(support.web_channel(), customer)
    services.payment_start(order=order, gateway_code="test", card=support.card())
    _u, client = signed_in(
        merchant := f.merchant("payments.add_refund", "payments.view_storecreditaccount")
    )
    assert merchant.is_merchant_staff
    url = f"/api/v1/staff/orders/{order.number}/refunds/"
    body = {"amount": "25.00", "reason": "late delivery", "to": "store_credit"}

    first = client.post(url, body, format="json", headers={"Idempotency-Key": "r1"})
    again = client.post(url, body, format="json", headers={"Idempotency-Key": "r1"})
    no_key = client.post(url, body, format="json")
    too_much = client.post(
        url, {**body, "amount": "500.00"}, format="json", headers={"Idempotency-Key": "r2"}
    )

    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "succeeded"
    assert again.json()["id"] == first.json()["id"]
    assert no_key.status_code == 400
    assert (too_much.status_code, too_much.json()["code"]) == (400, "refund_exceeds_captured")
    assert StoreCreditAccount.objects.get(customer=customer).balance == Decimal("25.00")
    credit = client.get(f"/api/v1/staff/customers/{customer.pk}/store-credit/").json()
    assert credit["balance"] == {"amount": "25.00", "currency": "TRY"}
    assert [e["kind"] for e in credit["entries"]] == ["refund"]
    # Cash is handed back at a store's till (the staff returns screen), not through the API.
    cash = client.post(
        url, {**body, "to": "cash"}, format="json", headers={"Idempotency-Key": "r3"}
    )
    assert cash.status_code == 400 and "to" in cash.json()["fields"]


def test_merchant_without_the_permission_is_refused(provider):
    order = support.place(support.web_channel())
    _u, client = signed_in(f.merchant())

    answer = client.post(
        f"/api/v1/staff/orders/{order.number}/refunds/",
        {"amount": "1.00", "reason": "x"},
        format="json",
        headers={"Idempotency-Key": "k"},
    )

    assert answer.status_code == 403


def test_the_store_credit_entries_keep_their_queries(provider):
    customer = f.CustomerFactory()
    order = support.place(support.web_channel(), customer)
    services.payment_start(order=order, gateway_code="test", card=support.card())
    _u, client = signed_in(f.merchant("payments.view_storecreditaccount"))
    url = f"/api/v1/staff/customers/{customer.pk}/store-credit/"
    services.refund_create(
        order=order, amount=Decimal("1.00"), reason="x", to="store_credit", idempotency_key="a"
    )

    with assert_num_queries(6):
        client.get(url)
    for n in range(5):
        services.refund_create(
            order=order,
            amount=Decimal("1.00"),
            reason="x",
            to="store_credit",
            idempotency_key=f"b{n}",
        )
    with assert_num_queries(6):
        assert len(client.get(url).json()["entries"]) == 6


def test_the_schema_documents_the_payment_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/orders/{number}/payments/",
        "/api/v1/payments/{reference}/",
        "/api/v1/payments/{reference}/complete/",
        "/api/v1/staff/orders/{number}/payments/",
        "/api/v1/staff/orders/{number}/refunds/",
        "/api/v1/staff/customers/{customer_id}/store-credit/",
    ):
        assert path in schema["paths"], path
