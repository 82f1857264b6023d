"""Gift cards as a means of payment: issued by staff with a reason, paid with partially on the
web API and at a store counter, a wrong PIN counted and the card locked, an expired or disabled
card refused, a refund put back onto the card, the expiry written off once, and bad input
refused with field errors and nothing saved."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from customers.services import customer_for_user
from omni.errors import Throttled, ValidationError
from payments import services
from payments.models import GiftCard, GiftCardEntry, Payment
from payments.services import gift_cards
from tests import factories as f
from tests.orders.api_support import signed_in
from tests.payments import support
from tests.payments.gift_card_support import (
    gift_card_variant,
    issued,
    place_lines,
    plain_variant,
)

pytestmark = pytest.mark.django_db


def _entries(card):
    return list(
        GiftCardEntry.objects.filter(card=card).order_by("id").values_list("kind", "amount")
    )


@pytest.fixture
def shopper():
    user, client = signed_in()
    return customer_for_user(user=user), client


@pytest.fixture
def store():
    return support.store_channel()


@pytest.fixture
def clerk(store):
    user = f.UserFactory(role="store_staff")
    user.stores.add(store)
    return signed_in(user)[1]


# --- issue ----------------------------------------------------------------------------------


def test_staff_issue_a_card_with_a_reason_and_get_its_pin_once(settings):
    settings.OMNI_GIFT_CARD_VALIDITY_DAYS = 365
    staff = f.merchant("payments.add_giftcard")

    card, pin = gift_cards.gift_card_issue(
        amount=Decimal("150.00"), currency="TRY", reason="Mağaza açılışı", actor=staff
    )

    card.refresh_from_db()
    assert (card.balance, card.initial_amount, card.status, card.source) == (
        Decimal("150.00"),
        Decimal("150.00"),
        "active",
        "issued",
    )
    assert (card.issued_by, card.reason) == (staff, "Mağaza açılışı")
    assert len(card.code) == 16 and set(card.code) <= set(gift_cards.CODE_ALPHABET)
    assert card.grouped.count("-") == 3 and card.grouped.replace("-", "") == card.code
    assert len(pin) == 6 and pin.isdigit()
    assert pin not in card.pin_hash and card.pin_hash == gift_cards.gift_card_pin_hash(
        code=card.code, pin=pin
    )
    assert abs(card.expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)
    assert _entries(card) == [("issue", Decimal("150.00"))]


def test_the_merchant_api_issues_a_card_and_lists_cards_with_filters():
    staff = f.merchant("payments.add_giftcard", "payments.view_giftcard")
    holder = f.CustomerFactory()
    client = signed_in(staff)[1]

    answer = client.post(
        "/api/v1/admin/gift-cards/",
        {"amount": "200.00", "currency": "TRY", "reason": "Şikâyet telafisi", "holder": holder.pk},
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    card = GiftCard.objects.get()
    assert body["code"] == card.grouped and body["balance"]["amount"] == "200.00"
    assert gift_cards.gift_card_authenticate(code=body["code"], pin=body["pin"]) == card
    assert (card.holder, body["holder"], body["reason"]) == (holder, holder.pk, "Şikâyet telafisi")
    listed = client.get("/api/v1/admin/gift-cards/", {"status": "active", "holder": holder.pk})
    assert [c["id"] for c in listed.json()["results"]] == [card.pk]
    assert "pin" not in listed.json()["results"][0]
    assert client.get("/api/v1/admin/gift-cards/", {"status": "expired"}).json()["count"] == 0
    assert client.get("/api/v1/admin/gift-cards/", {"code": card.code[-4:]}).json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"amount": "-5.00", "currency": "TRY", "reason": "x"}, "amount", "invalid_amount"),
        ({"amount": "0", "currency": "TRY", "reason": "x"}, "amount", "invalid_amount"),
        ({"amount": "50.00", "currency": "EUR", "reason": "x"}, "currency", "invalid_currency"),
        ({"amount": "50.00", "currency": "TRY"}, "reason", "invalid"),
        ({"amount": "50.00", "currency": "TRY", "reason": "  "}, "reason", "invalid"),
        ({"amount": "50.00", "reason": "x", "holder": 999999}, "holder", "does_not_exist"),
        (
            {"amount": "50.00", "reason": "x", "expires_at": "2020-01-01T00:00:00Z"},
            "expires_at",
            "invalid_expiry",
        ),
    ],
)
def test_bad_issue_input_is_a_field_error_and_saves_nothing(body, field, code):
    client = signed_in(f.merchant("payments.add_giftcard"))[1]

    answer = client.post("/api/v1/admin/gift-cards/", body, format="json")

    assert answer.status_code == 400, answer.json()
    assert list(answer.json()["fields"]) == [field]
    assert answer.json()["code"] == code
    assert GiftCard.objects.count() == 0 and GiftCardEntry.objects.count() == 0


def test_only_merchant_staff_with_the_permission_issue_or_list(shopper):
    _customer, client = shopper
    assert client.get("/api/v1/admin/gift-cards/").status_code == 403
    viewer = signed_in(f.merchant("payments.view_giftcard"))[1]
    assert viewer.get("/api/v1/admin/gift-cards/").status_code == 200
    refused = viewer.post("/api/v1/admin/gift-cards/", {"amount": "5", "reason": "x"})
    assert refused.status_code == 403
    assert GiftCard.objects.count() == 0


# --- paying ---------------------------------------------------------------------------------


def test_a_card_pays_part_of_an_order_on_the_web_and_the_rest_at_a_store_counter(
    shopper, store, clerk
):
    customer, client = shopper
    card, pin = issued("100.00")
    web = support.web_channel()
    first = support.place(web, customer, price="60.00")

    paid = client.post(
        f"/api/v1/orders/{first.number}/payments/",
        {"gateway": "gift_card", "gift_card_code": card.grouped.lower(), "gift_card_pin": pin},
        format="json",
    )

    assert paid.status_code == 201, paid.json()
    assert (paid.json()["status"], paid.json()["kind"]) == ("captured", "gift_card")
    assert paid.json()["amount"] == {"amount": "60.00", "currency": "TRY"}
    assert pin not in str(paid.json())
    first.refresh_from_db()
    assert first.status == "confirmed"
    # At the counter, the 40.00 left pays part of a 70.00 order; cash pays the rest.
    second = support.place(store, price="70.00")
    at_counter = clerk.post(
        f"/api/v1/staff/orders/{second.number}/payments/",
        {"gateway": "gift_card", "gift_card_code": card.code, "gift_card_pin": pin},
        format="json",
    )
    assert at_counter.status_code == 201, at_counter.json()
    assert at_counter.json()["amount"] == {"amount": "40.00", "currency": "TRY"}
    assert at_counter.json()["channel"] == store.code
    card.refresh_from_db()
    assert card.balance == Decimal("0.00")
    assert _entries(card) == [
        ("issue", Decimal("100.00")),
        ("spend", Decimal("-60.00")),
        ("spend", Decimal("-40.00")),
    ]
    spend = GiftCardEntry.objects.filter(kind="spend").order_by("id").last()
    assert (spend.order_number, spend.channel) == (second.number, store)
    empty = clerk.post(
        f"/api/v1/staff/orders/{second.number}/payments/",
        {"gateway": "gift_card", "gift_card_code": card.code, "gift_card_pin": pin},
        format="json",
    )
    assert empty.status_code == 400
    assert empty.json()["fields"] == {"gift_card_code": ["Bu hediye kartında bakiye kalmadı."]}


def test_an_amount_above_the_balance_is_refused_and_moves_nothing(store):
    card, pin = issued("30.00")
    order = support.place(store, price="50.00")

    with pytest.raises(ValidationError) as error:
        services.payment_start(
            order=order,
            gateway_code="gift_card",
            amount=Decimal("40.00"),
            channel=store,
            gift_card_code=card.code,
            gift_card_pin=pin,
        )

    assert error.value.code == "insufficient_gift_card_balance"
    assert list(error.value.fields) == ["amount"]
    card.refresh_from_db()
    assert card.balance == Decimal("30.00")
    assert Payment.objects.count() == 0


def test_a_gift_card_never_pays_for_a_gift_card(store):
    card, pin = issued("500.00")
    customer = f.CustomerFactory()
    order = place_lines(
        store,
        customer,
        [(gift_card_variant(store, price="250.00"), 1), (plain_variant(store, price="80.00"), 1)],
    )

    payment, _result = services.payment_start(
        order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin=pin
    )

    assert payment.amount == Decimal("80.00")  # the gift-card line is left to another means
    with pytest.raises(ValidationError) as error:
        services.payment_start(
            order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin=pin
        )
    assert error.value.code == "gift_card_not_for_gift_cards"
    card.refresh_from_db()
    assert card.balance == Decimal("420.00")


# --- the PIN --------------------------------------------------------------------------------


def test_five_wrong_pins_lock_the_card_for_fifteen_minutes(shopper):
    customer, client = shopper
    card, pin = issued("100.00")
    order = support.place(support.web_channel(), customer, price="60.00")
    url = f"/api/v1/orders/{order.number}/payments/"
    body = {"gateway": "gift_card", "gift_card_code": card.code, "gift_card_pin": "000000"}
    if pin == "000000":
        body["gift_card_pin"] = "111111"

    answers = [client.post(url, body, format="json") for _ in range(5)]

    assert [a.status_code for a in answers] == [400, 400, 400, 400, 429]
    assert answers[0].json()["fields"] == {
        "gift_card_pin": ["PIN yanlış; kart kilitlenmeden önce 4 deneme hakkınız kaldı."]
    }
    assert answers[4].json()["code"] == "throttled"
    assert int(answers[4]["Retry-After"]) == 15 * 60
    # Locked: even the right PIN is refused until the lock ends, and nothing was paid.
    right = client.post(url, {**body, "gift_card_pin": pin}, format="json")
    assert right.status_code == 429
    assert Payment.objects.count() == 0
    GiftCard.objects.filter(pk=card.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert client.post(url, {**body, "gift_card_pin": pin}, format="json").status_code == 201


def test_an_unknown_code_is_a_field_error():
    with pytest.raises(ValidationError) as error, translation.override("en"):
        gift_cards.gift_card_authenticate(code="AAAA-BBBB-CCCC-DDDD", pin="123456")
    assert error.value.fields == {"gift_card_code": ["No gift card has this code."]}


def test_a_wrong_pin_is_counted_even_when_the_payment_is_refused(store):
    card, _pin = issued("100.00")
    order = support.place(store, price="60.00")

    for _ in range(4):
        with pytest.raises(ValidationError):
            services.payment_start(
                order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin="x"
            )
    with pytest.raises(Throttled):
        services.payment_start(
            order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin="x"
        )

    card.refresh_from_db()
    assert card.locked_until > timezone.now() + timedelta(minutes=14)


# --- expired, disabled ----------------------------------------------------------------------


def test_an_expired_or_disabled_card_is_refused_with_a_field_error(store):
    card, pin = issued("100.00")
    order = support.place(store, price="60.00")
    GiftCard.objects.filter(pk=card.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(ValidationError) as error:
        services.payment_start(
            order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin=pin
        )
    assert error.value.code == "gift_card_expired"
    assert list(error.value.fields) == ["gift_card_code"]

    GiftCard.objects.filter(pk=card.pk).update(
        expires_at=timezone.now() + timedelta(days=1), status="disabled"
    )
    with pytest.raises(ValidationError) as error:
        services.payment_start(
            order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin=pin
        )
    assert error.value.code == "gift_card_disabled"
    card.refresh_from_db()
    assert card.balance == Decimal("100.00") and Payment.objects.count() == 0


def test_the_beat_writes_off_an_expired_balance_once():
    card, _pin = issued("100.00")
    spent, _ = issued("50.00")
    later, _ = issued("10.00")
    past = timezone.now() - timedelta(hours=1)
    GiftCard.objects.filter(pk__in=[card.pk, spent.pk]).update(expires_at=past)

    assert gift_cards.gift_cards_expire_due() == 2
    assert gift_cards.gift_cards_expire_due() == 0

    card.refresh_from_db()
    assert (card.status, card.balance) == ("expired", Decimal("0.00"))
    assert _entries(card) == [("issue", Decimal("100.00")), ("expire", Decimal("-100.00"))]
    later.refresh_from_db()
    assert (later.status, later.balance) == ("active", Decimal("10.00"))


# --- refunds --------------------------------------------------------------------------------


def test_a_refund_of_a_gift_card_payment_goes_back_onto_the_card(store):
    card, pin = issued("100.00")
    order = support.place(store, price="60.00")
    payment, _ = services.payment_start(
        order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin=pin
    )

    refund = services.refund_create(
        order=order, amount=Decimal("25.00"), reason="iade", idempotency_key="r1"
    )
    again = services.refund_create(
        order=order, amount=Decimal("25.00"), reason="iade", idempotency_key="r1"
    )

    assert refund.status == "succeeded" and again.pk == refund.pk
    card.refresh_from_db()
    assert card.balance == Decimal("65.00")
    assert _entries(card)[-1] == ("refund", Decimal("25.00"))
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", Decimal("25.00"))


def test_a_refund_onto_an_expired_card_opens_it_again(store, settings):
    settings.OMNI_GIFT_CARD_REFUND_DAYS = 90
    card, pin = issued("100.00")
    order = support.place(store, price="60.00")
    services.payment_start(
        order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin=pin
    )
    GiftCard.objects.filter(pk=card.pk).update(expires_at=timezone.now() - timedelta(days=1))
    gift_cards.gift_cards_expire_due()

    services.refund_create(
        order=order, amount=Decimal("60.00"), reason="iade", idempotency_key="r2"
    )

    card.refresh_from_db()
    assert (card.status, card.balance) == ("active", Decimal("60.00"))
    assert card.expires_at > timezone.now() + timedelta(days=89)


# --- the holder's view ----------------------------------------------------------------------


def test_the_balance_api_shows_balance_expiry_and_history_by_code_and_pin(api, store):
    card, pin = issued("100.00")
    order = support.place(store, price="60.00")
    services.payment_start(
        order=order, gateway_code="gift_card", gift_card_code=card.code, gift_card_pin=pin
    )

    answer = api.post("/api/v1/gift-cards/balance/", {"code": card.grouped, "pin": pin})

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["card"]["balance"] == {"amount": "40.00", "currency": "TRY"}
    assert body["card"]["expires_at"] is not None
    assert [(e["kind"], e["amount"]["amount"]) for e in body["entries"]] == [
        ("spend", "-60.00"),
        ("issue", "100.00"),
    ]
    assert body["entries"][0]["order_number"] == order.number
    wrong = api.post("/api/v1/gift-cards/balance/", {"code": card.code, "pin": "x"})
    assert wrong.status_code == 400 and list(wrong.json()["fields"]) == ["gift_card_pin"]


def test_the_balance_api_is_rate_limited_per_address(api, settings):
    settings.OMNI_THROTTLE_RATES = {"gift-card.address": "3/h"}
    answers = [
        api.post("/api/v1/gift-cards/balance/", {"code": "AAAABBBBCCCCDDDD", "pin": "1"})
        for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 429]


def test_a_shopper_lists_the_cards_they_hold_in_a_fixed_number_of_queries(shopper):
    from tests.queries import assert_num_queries

    customer, client = shopper
    other = f.CustomerFactory()
    mine, _ = issued("10.00", holder=customer)
    issued("20.00", holder=other)

    with assert_num_queries(3):
        one = client.get("/api/v1/me/gift-cards/")
    for _ in range(3):
        issued("30.00", holder=customer)
    with assert_num_queries(3):
        many = client.get("/api/v1/me/gift-cards/")

    assert [c["code"] for c in one.json()["results"]] == [mine.grouped]
    assert many.json()["count"] == 4


def test_the_staff_list_runs_a_fixed_number_of_queries():
    from tests.queries import assert_num_queries

    client = signed_in(f.merchant("payments.view_giftcard"))[1]
    issued("10.00", holder=f.CustomerFactory())

    with assert_num_queries(5):
        one = client.get("/api/v1/admin/gift-cards/")
    for _ in range(4):
        issued("10.00", holder=f.CustomerFactory())
    with assert_num_queries(5):
        many = client.get("/api/v1/admin/gift-cards/")

    assert (one.json()["count"], many.json()["count"]) == (1, 5)
