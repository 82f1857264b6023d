"""The iyzico gateway against a fake iyzico on a local port (no network): 3-D Secure
initialise and completion, declines, a failed 3-D Secure step, cancel, partial refunds across
basket items, notifications, and no card number anywhere but in the request to iyzico."""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal

import pytest

from payments.gateways.base import (
    Buyer,
    Card,
    GatewayError,
    InvalidSignature,
    Item,
    PaymentRef,
    PaymentRequest,
    Status,
    gateway_class,
)
from payments.gateways.iyzico import IyzicoGateway, basket_items, refund_plan
from tests.payments import fake_iyzico as fake_cards
from tests.payments.fake_iyzico import FakeIyzico, fixture


@pytest.fixture
def iyzico():
    server = FakeIyzico().start()
    yield server
    server.stop()


@pytest.fixture
def gateway(iyzico) -> IyzicoGateway:
    return IyzicoGateway(iyzico.config())


BUYER = Buyer(id="42", name="Ayşe", surname="Kaya", email="ayse@example.com", phone="+905551112233")
ITEMS = (
    Item(id="SKU-1", name="Keten elbise", category="Giyim", price=Decimal("300.00")),
    Item(id="SKU-2", name="Kemer", category="Aksesuar", price=Decimal("150.50")),
)


def payment_request(number: str = fake_cards.APPROVE, **overrides) -> PaymentRequest:
    values = {
        "reference": "PAY-0123456789ABCDEF",
        "amount": Decimal("500.40"),  # the lines and 49.90 shipping
        "currency": "TRY",
        "order_number": "ME1001",
        "buyer": BUYER,
        "items": ITEMS,
        "return_url": "https://shop.example/pay/return/",
        "card": Card(holder="Ayşe Kaya", number=number, exp_month="12", exp_year="2030", cvc="123"),
    }
    return PaymentRequest(**(values | overrides))


def started(gateway: IyzicoGateway, request: PaymentRequest) -> PaymentRef:
    result = gateway.authorise(request)
    assert result.status == Status.ACTION_REQUIRED, result
    return PaymentRef(
        reference=request.reference,
        provider_reference=result.provider_reference,
        amount=request.amount,
        currency=request.currency,
        data=result.data,
    )


def paid(gateway: IyzicoGateway, iyzico: FakeIyzico, request: PaymentRequest) -> PaymentRef:
    ref = started(gateway, request)
    result = gateway.complete(ref, iyzico.callback_params(ref.provider_reference))
    assert result.status == Status.CAPTURED, result
    return PaymentRef(
        reference=ref.reference,
        provider_reference=result.provider_reference,
        amount=ref.amount,
        currency=ref.currency,
        captured=result.amount,
        data=result.data,
    )


def test_the_gateway_is_registered_as_iyzico():
    assert gateway_class("iyzico") is IyzicoGateway
    assert IyzicoGateway.online is True


# --- 3-D Secure -----------------------------------------------------------------------------


def test_initialise_returns_the_bank_page_and_completion_captures(gateway, iyzico):
    request = payment_request()

    result = gateway.authorise(request)

    assert result.status == Status.ACTION_REQUIRED
    assert result.provider_reference in iyzico.payments
    assert result.amount == Decimal("500.40")
    # the decoded threeDSHtmlContent: a form that posts the bank's answer to our return URL
    assert 'action="https://shop.example/pay/return/"' in result.html
    assert 'name="mdStatus" value="1"' in result.html
    path, sent = iyzico.requests[-1]
    assert path == "/payment/3dsecure/initialize"
    assert sent["price"] == sent["paidPrice"] == "500.40"
    assert sent["conversationId"] == "PAY-0123456789ABCDEF"
    assert sent["callbackUrl"] == "https://shop.example/pay/return/"
    assert [(i["id"], i["price"]) for i in sent["basketItems"]] == [
        ("SKU-1", "300.00"),
        ("SKU-2", "150.50"),
        ("SHIPPING", "49.90"),
    ]

    ref = PaymentRef(
        reference=request.reference,
        provider_reference=result.provider_reference,
        amount=request.amount,
        currency="TRY",
        data=result.data,
    )
    done = gateway.complete(ref, iyzico.callback_params(result.provider_reference))

    assert done.status == Status.CAPTURED
    assert done.amount == Decimal("500.40")
    assert done.provider_reference == result.provider_reference
    assert [i["paid"] for i in done.data["items"]] == ["300.00", "150.50", "49.90"]
    assert done.raw["lastFourDigits"] == "0009"
    assert iyzico.requests[-1][0] == "/payment/3dsecure/auth"
    assert (
        iyzico.requests[-1][1]["conversationData"]
        == (iyzico.payments[result.provider_reference]["conversation_data"])
    )
    assert iyzico.payments[result.provider_reference]["status"] == "SUCCESS"


def test_a_declined_card_is_declined_with_iyzicos_code(gateway, iyzico):
    result = gateway.authorise(payment_request(fake_cards.INSUFFICIENT_FUNDS))

    assert result.status == Status.DECLINED
    assert result.error_code == "10051"
    assert result.error_message == "Kart limiti yetersiz, yetersiz bakiye"
    assert result.provider_reference == ""
    assert iyzico.payments == {}


def test_do_not_honour_is_a_decline_too(gateway):
    result = gateway.authorise(payment_request(fake_cards.DO_NOT_HONOUR))

    assert (result.status, result.error_code) == (Status.DECLINED, "10005")


def test_a_failed_3ds_step_declines_and_asks_iyzico_for_nothing(gateway, iyzico):
    ref = started(gateway, payment_request(fake_cards.THREE_DS_FAILS))
    calls = len(iyzico.requests)

    result = gateway.complete(ref, iyzico.callback_params(ref.provider_reference, md_status="0"))

    assert result.status == Status.DECLINED
    assert result.error_code == "md_status_0"
    assert len(iyzico.requests) == calls  # no ThreedsPayment: no money moved
    assert iyzico.payments[ref.provider_reference]["status"] == "INIT_THREEDS"


def test_a_refusal_after_3ds_is_a_decline(gateway, iyzico):
    ref = started(gateway, payment_request(fake_cards.REFUSED_AT_AUTH))

    result = gateway.complete(ref, iyzico.callback_params(ref.provider_reference))

    assert (result.status, result.error_code) == (Status.DECLINED, "10051")


def test_a_callback_for_another_payment_is_refused_without_a_call(gateway, iyzico):
    ref = started(gateway, payment_request())
    other = started(gateway, payment_request(reference="PAY-OTHER"))
    calls = len(iyzico.requests)

    result = gateway.complete(ref, iyzico.callback_params(other.provider_reference))

    assert (result.status, result.error_code) == (Status.FAILED, "callback_mismatch")
    assert len(iyzico.requests) == calls


def test_wrong_keys_fail_and_say_why(iyzico):
    gateway = IyzicoGateway(iyzico.config(secret_key="not-the-secret"))

    result = gateway.authorise(payment_request())

    assert (result.status, result.error_code) == (Status.FAILED, "1001")


def test_an_answer_with_a_forged_signature_is_not_trusted(iyzico, monkeypatch):
    gateway = IyzicoGateway(iyzico.config())
    original = iyzico.initialize
    monkeypatch.setattr(iyzico, "initialize", lambda b, c: original(b, c) | {"signature": "0" * 64})

    result = gateway.authorise(payment_request())

    assert (result.status, result.error_code) == (Status.FAILED, "invalid_signature")


def test_an_unreachable_iyzico_is_a_gateway_error(iyzico):
    config = iyzico.config()
    iyzico.stop()

    with pytest.raises(GatewayError):
        IyzicoGateway(config).authorise(payment_request())


def test_missing_keys_are_a_gateway_error():
    with pytest.raises(GatewayError):
        IyzicoGateway({"base_url": "http://127.0.0.1:9"}).authorise(payment_request())


# --- cancel and refunds ---------------------------------------------------------------------


def test_cancel_voids_the_payment(gateway, iyzico):
    ref = paid(gateway, iyzico, payment_request())

    result = gateway.void(ref)

    assert result.status == Status.VOIDED
    assert result.amount == Decimal("500.40")
    assert iyzico.payments[ref.provider_reference]["status"] == "CANCELLED"


def test_cancel_after_a_refund_fails(gateway, iyzico):
    ref = paid(gateway, iyzico, payment_request())
    gateway.refund(ref, Decimal("10.00"), reference="RF-1")

    result = gateway.void(ref)

    assert (result.status, result.error_code) == (Status.FAILED, "5093")


def test_partial_refunds_spread_over_the_basket_items_in_order(gateway, iyzico):
    ref = paid(gateway, iyzico, payment_request())
    items = iyzico.payments[ref.provider_reference]["items"]

    first = gateway.refund(ref, Decimal("250.00"), reference="RF-1")

    assert (first.status, first.amount, first.error_code) == (
        Status.REFUNDED,
        Decimal("250.00"),
        "",
    )
    assert [i["refunded"] for i in items] == [Decimal("250.00"), 0, 0]

    # the next refund starts where the first stopped: 50 left on item 1, then item 2
    ref = PaymentRef(**{**_fields(ref), "refunded": Decimal("250.00")})
    second = gateway.refund(ref, Decimal("120.00"), reference="RF-2")

    assert (second.status, second.amount) == (Status.REFUNDED, Decimal("120.00"))
    assert [i["refunded"] for i in items] == [Decimal("300.00"), Decimal("70.00"), 0]
    refunds = [body for path, body in iyzico.requests if path == "/payment/refund"]
    assert [(r["paymentTransactionId"], r["price"], r["conversationId"]) for r in refunds] == [
        (items[0]["paymentTransactionId"], "250.00", "RF-1-0"),
        (items[0]["paymentTransactionId"], "50.00", "RF-2-0"),
        (items[1]["paymentTransactionId"], "70.00", "RF-2-1"),
    ]
    assert second.data == {"refunded": "370.00"}


def test_a_refund_beyond_what_is_left_is_refused_without_a_call(gateway, iyzico):
    ref = paid(gateway, iyzico, payment_request())
    ref = PaymentRef(**{**_fields(ref), "refunded": Decimal("500.00")})
    calls = len(iyzico.requests)

    result = gateway.refund(ref, Decimal("0.50"), reference="RF-3")

    assert (result.status, result.error_code) == (Status.FAILED, "refund_exceeds_captured")
    assert len(iyzico.requests) == calls


def test_a_refund_iyzico_refuses_is_failed(gateway, iyzico):
    ref = paid(gateway, iyzico, payment_request())
    # iyzico knows better than our bookkeeping: it already refunded the first item
    iyzico.payments[ref.provider_reference]["items"][0]["refunded"] = Decimal("300.00")

    result = gateway.refund(ref, Decimal("100.00"), reference="RF-4")

    assert (result.status, result.error_code) == (Status.FAILED, "5084")


def _fields(ref: PaymentRef) -> dict:
    return {
        "reference": ref.reference,
        "provider_reference": ref.provider_reference,
        "amount": ref.amount,
        "currency": ref.currency,
        "captured": ref.captured,
        "data": ref.data,
    }


# --- notifications --------------------------------------------------------------------------


def test_a_signed_notification_is_read(gateway, iyzico):
    ref = paid(gateway, iyzico, payment_request())
    headers, body = iyzico.webhook(ref.provider_reference)

    event = gateway.parse_webhook(headers, body)

    assert event.status == Status.CAPTURED
    assert event.reference == "PAY-0123456789ABCDEF"
    assert event.provider_reference == ref.provider_reference
    assert event.event_id == json.loads(body)["iyziReferenceCode"]
    assert event.occurred_at == json.loads(body)["iyziEventTime"] / 1000
    assert event.amount is None


def test_a_failure_notification_declines(gateway, iyzico):
    ref = started(gateway, payment_request())
    headers, body = iyzico.webhook(ref.provider_reference, status="FAILURE")

    assert gateway.parse_webhook(headers, body).status == Status.DECLINED


def test_the_documented_signature_of_a_direct_notification():
    # X-IYZ-SIGNATURE-V3 = hex HMAC-SHA256(secretKey, secretKey + iyziEventType + paymentId +
    # paymentConversationId + status), computed here independently of the gateway.
    import hashlib
    import hmac

    payload = fixture("webhook_direct_success")
    key = "sandbox-secret" + "THREE_DS_AUTH" + "25149157" + "123456789" + "SUCCESS"
    signature = hmac.new(b"sandbox-secret", key.encode(), hashlib.sha256).hexdigest()

    event = IyzicoGateway({"secret_key": "sandbox-secret", "api_key": "k"}).parse_webhook(
        {"X-Iyz-Signature-V3": signature}, json.dumps(payload).encode()
    )

    assert event.provider_reference == "25149157"


@pytest.mark.parametrize(
    "tamper",
    ["forged", "no_header", "body_changed", "not_json"],
)
def test_a_bad_notification_signature_is_refused(gateway, iyzico, tamper):
    ref = paid(gateway, iyzico, payment_request())
    headers, body = iyzico.webhook(ref.provider_reference)
    if tamper == "forged":
        headers, body = iyzico.webhook(ref.provider_reference, secret="someone-else")
    elif tamper == "no_header":
        headers = {}
    elif tamper == "body_changed":
        body = body.replace(b'"SUCCESS"', b'"FAILURE"')
    else:
        body = b"<xml/>"

    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(headers, body)


# --- card data ------------------------------------------------------------------------------


def test_card_numbers_never_reach_raw_data_or_logs(gateway, iyzico, caplog):
    caplog.set_level(logging.DEBUG)
    number = fake_cards.APPROVE
    request = payment_request(number)

    results = [gateway.authorise(request)]
    ref = PaymentRef(
        reference=request.reference,
        provider_reference=results[0].provider_reference,
        amount=request.amount,
        currency="TRY",
        data=results[0].data,
    )
    results.append(gateway.complete(ref, iyzico.callback_params(ref.provider_reference)))
    results.append(gateway.authorise(payment_request(fake_cards.INSUFFICIENT_FUNDS)))

    stored = json.dumps([[r.raw, r.data, r.error_message] for r in results], default=str)
    assert number not in stored
    assert fake_cards.INSUFFICIENT_FUNDS not in stored
    assert "123" not in re.findall(r'"cvc"\s*:\s*"(\d+)"', stored)
    assert "binNumber" not in stored and "threeDSHtmlContent" not in stored
    assert number not in caplog.text
    assert "sandbox-secret" not in stored and "sandbox-api-key" not in stored
    assert "…0009" in repr(request.card) and number not in repr(request.card)
    # the card did reach iyzico, in the body of the initialise request only
    assert [number.encode() in raw for raw in iyzico.raw_bodies] == [True, False, False]


# --- pure helpers ---------------------------------------------------------------------------


def test_basket_items_are_scaled_down_to_a_part_payment():
    request = payment_request(amount=Decimal("225.25"))

    items = basket_items(request)

    assert [i["price"] for i in items] == ["150.00", "75.25"]
    assert sum(Decimal(i["price"]) for i in items) == Decimal("225.25")


def test_refund_plan_fills_items_in_order():
    items = [
        {"transaction": "a", "paid": "10.00"},
        {"transaction": "b", "paid": "5.00"},
    ]
    assert refund_plan(items, already=Decimal("0"), amount=Decimal("12")) == [
        ("a", Decimal("10.00")),
        ("b", Decimal("2")),
    ]
    assert refund_plan(items, already=Decimal("12"), amount=Decimal("3")) == [("b", Decimal("3"))]
    assert refund_plan(items, already=Decimal("12"), amount=Decimal("3.01")) is None
