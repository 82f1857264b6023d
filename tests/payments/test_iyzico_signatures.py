"""Omni's iyzico signatures, and the fake iyzico's, against fixed vectors that neither computed:
iyzico's published examples (hex values copied from its documentation and official samples)
and the documented formula written out here with nothing but `hmac`.

Sources:
- X-IYZ-SIGNATURE-V3: iyzico's webhook documentation and the official iyzipay-php sample
  samples/webhook_Signature_Validation.php, which gives a payload, its secret key and the
  header iyzico sent for it, for the direct (API) and the hosted-page format.
- Answer `signature`: docs.iyzico.com "Response Signature Validation" (fields, their order,
  joined with ":", HMAC-SHA256 keyed with the secret key); the example payment answer
  (paymentId 22416032, 10.5 TRY) and its hex are the published sandbox vector.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from iyzipay.iyzipay_resource import IyzipayResource

from payments.gateways.base import InvalidSignature
from payments.gateways.iyzico import (
    INITIALIZE_SIGNED,
    PAYMENT_SIGNED,
    IyzicoGateway,
    answer_signature,
    webhook_signature,
)
from tests.payments import fake_iyzico

# --- notifications (X-IYZ-SIGNATURE-V3) -----------------------------------------------------

WEBHOOK_SECRET = "sandbox-UuLnD7wZa0a3DmytfIrwHQqAMfqCNJrs"
DIRECT = {
    "paymentConversationId": "conversationId",
    "merchantId": 3382172,
    "paymentId": 22484059,
    "status": "SUCCESS",
    "iyziReferenceCode": "a9af8e6b-4401-4928-b6b8-40419aaa3d0f",
    "iyziEventType": "API_AUTH",
    "iyziEventTime": 1721825828467,
    "iyziPaymentId": 22484059,
}
DIRECT_SIGNATURE = "92c7a72b7741bc83eb696066605c894778c87297b2c88d6037670666230e18ae"
HOSTED = {
    "paymentConversationId": "conversationId",
    "merchantId": 3382172,
    "token": "e828c62d-fd12-4b1a-ad5a-380f15fe6596",
    "status": "SUCCESS",
    "iyziReferenceCode": "77e1635c-6b39-475a-8b7b-ca15ad0cd4ac",
    "iyziEventType": "CHECKOUT_FORM_AUTH",
    "iyziEventTime": 1721825036103,
    "iyziPaymentId": 22483975,
}
HOSTED_SIGNATURE = "4031c575763486a2d2bf3f7ace0baebfcd6bed65393ab4df3fe80c00d5fd6878"


def _documented_v3(secret: str, *fields: str) -> str:
    key = secret + "".join(fields)
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def test_the_published_notification_examples_follow_the_documented_formula():
    assert (
        _documented_v3(WEBHOOK_SECRET, "API_AUTH", "22484059", "conversationId", "SUCCESS")
        == DIRECT_SIGNATURE
    )
    assert (
        _documented_v3(
            WEBHOOK_SECRET,
            "CHECKOUT_FORM_AUTH",
            "22483975",
            "e828c62d-fd12-4b1a-ad5a-380f15fe6596",
            "conversationId",
            "SUCCESS",
        )
        == HOSTED_SIGNATURE
    )


@pytest.mark.parametrize(
    ("payload", "signature"), [(DIRECT, DIRECT_SIGNATURE), (HOSTED, HOSTED_SIGNATURE)]
)
def test_omni_signs_notifications_as_iyzico_published(payload, signature):
    assert webhook_signature(WEBHOOK_SECRET, payload) == signature


@pytest.mark.parametrize(
    ("payload", "signature"), [(DIRECT, DIRECT_SIGNATURE), (HOSTED, HOSTED_SIGNATURE)]
)
def test_omni_accepts_iyzicos_published_notifications_and_only_those(payload, signature):
    gateway = IyzicoGateway({"api_key": "k", "secret_key": WEBHOOK_SECRET})
    body = json.dumps(payload).encode()

    event = gateway.parse_webhook({"X-IYZ-SIGNATURE-V3": signature}, body)

    assert event.provider_reference == str(payload["iyziPaymentId"])
    assert event.reference == "conversationId"
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook({"X-IYZ-SIGNATURE-V3": signature[:-1] + "0"}, body)


@pytest.mark.parametrize(
    ("payload", "signature"), [(DIRECT, DIRECT_SIGNATURE), (HOSTED, HOSTED_SIGNATURE)]
)
def test_the_fake_signs_notifications_as_iyzico_published(payload, signature):
    assert fake_iyzico.notification_signature(WEBHOOK_SECRET, payload) == signature


# --- answers (`signature` of 3-D Secure initialise, 3-D Secure auth, payment detail) ---------

ANSWER_SECRET = "sandbox-qaIiLIxhjMgx3LSKIVvp6j17NunHOFtD"
PAYMENT_ANSWER = {
    "status": "success",
    "paymentId": "22416032",
    "currency": "TRY",
    "basketId": "basketId",
    "conversationId": "conversationId",
    "paidPrice": 10.5,  # as iyzico's JSON has it
    "price": 10.5,
}
PAYMENT_SIGNATURE = "836c3a6c8db86c81043f2ca74edb13518b54a813f454f8dd762f0dd658610173"
# 3-D Secure initialise signs paymentId:conversationId; its hex, from the formula alone.
INITIALIZE_ANSWER = {
    "status": "success",
    "paymentId": "22416032",
    "conversationId": "conversationId",
}
INITIALIZE_SIGNATURE = "6d8d68328d5a78677c637a39805ca2b5a9ac7ff858229a2be918def884d198d8"


def test_the_published_answer_example_follows_the_documented_formula():
    message = b"22416032:TRY:basketId:conversationId:10.5:10.5"
    assert (
        hmac.new(ANSWER_SECRET.encode(), message, hashlib.sha256).hexdigest() == PAYMENT_SIGNATURE
    )
    assert (
        hmac.new(ANSWER_SECRET.encode(), b"22416032:conversationId", hashlib.sha256).hexdigest()
        == INITIALIZE_SIGNATURE
    )
    # iyzico's own Python package agrees (its helper, not Omni's).
    assert (
        IyzipayResource.calculate_hmac_sha256_signature(
            ["22416032", "TRY", "basketId", "conversationId", "10.5", "10.5"], ANSWER_SECRET
        )
        == PAYMENT_SIGNATURE
    )


def test_omni_signs_answers_as_iyzico_documents():
    assert answer_signature(ANSWER_SECRET, PAYMENT_ANSWER, PAYMENT_SIGNED) == PAYMENT_SIGNATURE
    assert (
        answer_signature(ANSWER_SECRET, INITIALIZE_ANSWER, INITIALIZE_SIGNED)
        == INITIALIZE_SIGNATURE
    )
    # Prices lose only trailing zeros: 10.50 and 10.5 sign alike, 10 is "10", not "10.0".
    assert (
        answer_signature(ANSWER_SECRET, PAYMENT_ANSWER | {"paidPrice": "10.50"}, PAYMENT_SIGNED)
        == PAYMENT_SIGNATURE
    )
    whole = PAYMENT_ANSWER | {"price": 10.0}
    assert (
        answer_signature(ANSWER_SECRET, whole, PAYMENT_SIGNED)
        == hmac.new(
            ANSWER_SECRET.encode(), b"22416032:TRY:basketId:conversationId:10.5:10", hashlib.sha256
        ).hexdigest()
    )


def test_omni_trusts_a_signed_answer_and_only_that_one():
    gateway = IyzicoGateway({"api_key": "k", "secret_key": ANSWER_SECRET})

    assert gateway._verify(PAYMENT_ANSWER | {"signature": PAYMENT_SIGNATURE}, PAYMENT_SIGNED)
    assert gateway._verify(
        INITIALIZE_ANSWER | {"signature": INITIALIZE_SIGNATURE}, INITIALIZE_SIGNED
    )
    tampered = PAYMENT_ANSWER | {"paidPrice": 1.5, "signature": PAYMENT_SIGNATURE}
    assert not gateway._verify(tampered, PAYMENT_SIGNED)
    assert not gateway._verify(PAYMENT_ANSWER, PAYMENT_SIGNED)  # no signature at all


def test_the_fake_signs_answers_as_iyzico_documents():
    assert (
        fake_iyzico.response_signature(
            ANSWER_SECRET,
            "22416032",
            "TRY",
            "basketId",
            "conversationId",
            fake_iyzico.price_text(10.5),
            fake_iyzico.price_text(10.5),
        )
        == PAYMENT_SIGNATURE
    )
    assert (
        fake_iyzico.response_signature(ANSWER_SECRET, "22416032", "conversationId")
        == INITIALIZE_SIGNATURE
    )
    assert fake_iyzico.price_text(10.0) == "10"


def test_the_fake_does_not_borrow_omnis_signing_code():
    source = Path(fake_iyzico.__file__).read_text(encoding="utf-8")

    assert "payments.gateways.iyzico" not in source
