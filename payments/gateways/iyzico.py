"""iyzico, the virtual POS most Turkish merchants use, through its official `iyzipay` package.

The flow is 3-D Secure only:

1. `authorise` calls ThreedsInitialize with the card; iyzico answers with `threeDSHtmlContent`
   (base64 HTML of a self-submitting form to the bank), which we show the shopper
   (`GatewayResult.html`, status action_required).
2. The bank sends the shopper back to `return_url` with a POST of `status`, `paymentId`,
   `conversationId`, `conversationData` and `mdStatus`. `complete` takes those: anything but
   `status=success` and `mdStatus=1` is a decline and nothing more is sent; otherwise
   ThreedsPayment (server to server, with `paymentId` and `conversationData`) takes the money.
3. `void` is iyzico's Cancel (the same day, the whole payment); `refund` is iyzico's Refund,
   which works per basket item (`paymentTransactionId`): an amount is spread over the items in
   a fixed order, so what each item still holds follows from the total refunded so far.
4. Notifications (webhooks) are verified with `X-IYZ-SIGNATURE-V3`, as iyzico documents it:
   hex HMAC-SHA256, keyed with the secret key, of secretKey + iyziEventType + paymentId +
   paymentConversationId + status (the hosted-page format puts iyziPaymentId + token in place
   of paymentId). iyzico does not sign a timestamp, so no tolerance window can be enforced on
   it: a replayed genuine notification is harmless (the payment services drop a duplicate
   event id and never move a payment backwards). A notification says no amount, so before
   one moves money the payment services ask `retrieve` (iyzico's payment detail) and apply
   its signed answer instead.
5. Answers are signed (`signature`): hex HMAC-SHA256, keyed with the secret key, of the
   documented fields joined with ":" (3-D Secure initialise: paymentId, conversationId;
   3-D Secure auth and payment detail: paymentId, currency, basketId, conversationId,
   paidPrice, price, the prices without trailing zeros). tests/payments/test_iyzico_signatures.py
   checks both formulas against iyzico's published examples.

Configuration per channel (payments.models.ChannelGateway.config, over the defaults of
settings): `api_key`, `secret_key`, `base_url` (default https://sandbox-api.iyzipay.com;
production https://api.iyzipay.com), optional `timeout` (seconds, 20).

Why the transport is our own: `iyzipay` opens `http.client.HTTPSConnection(base_url)` with no
timeout, and keeps the request headers (the Authorization signature among them) in a dict
shared by every instance and thread. `_Transport.connect` keeps the package's resources, paths
and IYZWSv2 request signing, but builds its headers per call, sets a timeout, and speaks plain
HTTP to an `http://` base URL (the local fake iyzico the tests start).

Card data goes to iyzico in the request body only; it is never logged and never put in `raw`
(which keeps iyzico's answer minus the 3-D Secure page, the bank's conversation data and the
card's BIN).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import iyzipay
from django.utils.translation import gettext_lazy as _

from omni import safejson
from payments.gateways.base import (
    Card,
    Gateway,
    GatewayError,
    GatewayResult,
    InstalmentOption,
    InstalmentPlan,
    InvalidSignature,
    PaymentRef,
    PaymentRequest,
    Status,
    WebhookEvent,
    register,
    single_payment,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://sandbox-api.iyzipay.com"
SIGNATURE_HEADER = "x-iyz-signature-v3"
CENT = Decimal("0.01")

# What iyzico's answer may keep: the rest is big (the bank's page), opaque or card data.
RAW_DROPPED = frozenset(
    {"threeDSHtmlContent", "conversationData", "binNumber", "cardToken", "cardUserKey"}
)
# iyzico's error codes for a card the bank refused or that cannot pay (a decline, final for
# this attempt); any other failure (bad request, configuration, system error) is "failed".
INVALID_CARD_CODES = frozenset({"12", "15", "17", "10012", "10034", "10054", "10084", "10093"})
MD_STATUS_MESSAGES = {
    "0": _("3-D Secure verification failed."),
    "2": _("The card is not enrolled in 3-D Secure."),
    "3": _("The card's bank is not enrolled in 3-D Secure."),
    "4": _("3-D Secure verification was not completed."),
    "5": _("3-D Secure verification is not possible."),
    "6": _("3-D Secure error."),
    "7": _("System error during 3-D Secure."),
    "8": _("Unknown card."),
}


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def signature_number(value: Any) -> str:
    """A price as iyzico puts it in a response signature: no trailing zeros ("1.1", "1")."""
    number = Decimal(str(value)).normalize()
    return format(number, "f")


def hmac_hex(secret: str, *parts: str, sep: str = ":") -> str:
    return hmac.new(
        secret.encode(), sep.join(str(p) for p in parts).encode(), hashlib.sha256
    ).hexdigest()


# The fields iyzico signs in an answer, in its documented order (prices as signature_number).
INITIALIZE_SIGNED = ("paymentId", "conversationId")
PAYMENT_SIGNED = ("paymentId", "currency", "basketId", "conversationId", "paidPrice", "price")
_PRICES = frozenset({"paidPrice", "price"})


def answer_signature(secret: str, answer: dict[str, Any], fields: tuple[str, ...]) -> str:
    """The `signature` iyzico puts in an answer: hex HMAC-SHA256, keyed with the secret key, of
    the answer's `fields` joined with ":"."""
    return hmac_hex(
        secret,
        *(
            signature_number(answer.get(name, "0"))
            if name in _PRICES
            else str(answer.get(name, ""))
            for name in fields
        ),
    )


def webhook_signature(secret: str, payload: dict[str, Any]) -> str:
    """X-IYZ-SIGNATURE-V3 of a notification, as iyzico computes it."""
    if payload.get("token"):  # hosted pages (checkout form, pay with iyzico)
        fields = ("iyziEventType", "iyziPaymentId", "token", "paymentConversationId", "status")
    else:  # direct API payments (3-D Secure and non-3-D Secure)
        fields = ("iyziEventType", "paymentId", "paymentConversationId", "status")
    key = secret + "".join(str(payload.get(name, "")) for name in fields)
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


# --- transport ------------------------------------------------------------------------------


class _Transport:
    """Mixed in before an iyzipay resource: the same paths and IYZWSv2 signing, our connection."""

    def connect(self, method, url, options, request_body_dict=None):
        body = json.dumps(request_body_dict)
        random_key = self.generate_random_string(self.RANDOM_STRING_SIZE)
        headers = {
            "Accept": "application/json",
            "Content-type": "application/json",
            "x-iyzi-client-version": self.header["x-iyzi-client-version"],
            "x-iyzi-rnd": random_key,
            "Authorization": "IYZWSv2 "
            + self.generate_v2_hash(
                options["api_key"], url.split("?")[0], options["secret_key"], random_key, body
            ),
        }
        connection_class = (
            http.client.HTTPConnection
            if options["scheme"] == "http"
            else http.client.HTTPSConnection
        )
        connection = connection_class(options["host"], timeout=options["timeout"])
        connection.request(method, url, body, headers)
        return connection.getresponse()


class _ThreedsInitialize(_Transport, iyzipay.ThreedsInitialize):
    pass


class _ThreedsPayment(_Transport, iyzipay.ThreedsPayment):
    pass


class _PaymentDetail(_Transport, iyzipay.Payment):
    pass


class _Cancel(_Transport, iyzipay.Cancel):
    pass


class _Refund(_Transport, iyzipay.Refund):
    pass


class _InstallmentInfo(_Transport, iyzipay.InstallmentInfo):
    pass


# --- the gateway ----------------------------------------------------------------------------


@register
class IyzicoGateway(Gateway):
    code = "iyzico"
    label = _("iyzico (card, 3-D Secure)")
    online = True
    secret_fields = ("api_key", "secret_key")

    # -- plumbing

    def _options(self) -> dict[str, Any]:
        api_key, secret_key = self.config.get("api_key"), self.config.get("secret_key")
        if not api_key or not secret_key:
            raise GatewayError("iyzico needs api_key and secret_key in the channel's config")
        base = str(self.config.get("base_url") or DEFAULT_BASE_URL)
        if "://" not in base:  # iyzipay's own form: a bare host name
            base = f"https://{base}"
        parts = urlsplit(base)
        return {
            "api_key": api_key,
            "secret_key": secret_key,
            "scheme": parts.scheme,
            "host": parts.netloc,
            "timeout": float(self.config.get("timeout", 20)),
        }

    def _call(self, resource: type[_Transport], method: str, request: dict) -> dict[str, Any]:
        options = self._options()
        try:
            response = getattr(resource(), method)(request, options)
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise GatewayError(f"iyzico could not be reached: {type(error).__name__}") from None
        try:
            answer = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise GatewayError(f"iyzico answered HTTP {response.status} with no JSON") from None
        if not isinstance(answer, dict) or answer.get("status") not in ("success", "failure"):
            raise GatewayError(f"iyzico answered HTTP {response.status} without a status")
        return answer

    def _verify(self, answer: dict[str, Any], fields: tuple[str, ...]) -> bool:
        """iyzico signs its successful answers; a missing or wrong signature is not iyzico."""
        given = str(answer.get("signature") or "")
        expected = answer_signature(self.config["secret_key"], answer, fields)
        return bool(given) and hmac.compare_digest(given, expected)

    @staticmethod
    def _raw(answer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer.items() if k not in RAW_DROPPED}

    def _failure(self, answer: dict[str, Any]) -> GatewayResult:
        code = str(answer.get("errorCode") or "")
        declined = code in INVALID_CARD_CODES or (len(code) == 5 and code.startswith("10"))
        return GatewayResult(
            status=Status.DECLINED if declined else Status.FAILED,
            error_code=code or "failure",
            error_message=str(answer.get("errorMessage") or "")[:300],
            raw=self._raw(answer),
        )

    @staticmethod
    def _forged(answer: dict[str, Any]) -> GatewayResult:
        logger.error(
            "iyzico answer with a bad signature (conversation %s)", answer.get("conversationId")
        )
        return GatewayResult(
            status=Status.FAILED,
            error_code="invalid_signature",
            error_message="The answer's signature does not verify.",
        )

    # -- instalments

    def instalments(self, *, bin_number: str, amount: Decimal, currency: str) -> InstalmentPlan:
        """iyzico's instalment info (InstallmentInfo, POST /payment/iyzipos/installment with
        `binNumber` and `price`): per instalment count, `installmentPrice` (each) and
        `totalPrice` (in all, with the bank's charge passed on to the shopper). iyzico
        instalments are in Turkish lira only; a debit card, or a BIN iyzico does not know, has
        the single payment only."""
        single = single_payment(bin_number=bin_number, amount=amount, currency=currency)
        if currency != "TRY":
            return single
        answer = self._call(
            _InstallmentInfo,
            "retrieve",
            {
                "locale": "tr",
                "conversationId": f"instalments-{bin_number}",
                "binNumber": bin_number,
                "price": _money(amount),
            },
        )
        if answer["status"] != "success":
            return single  # e.g. 5.. "invalid BIN": a card it cannot split
        return instalment_plan(answer, bin_number=bin_number, amount=amount, currency=currency)

    # -- payments

    def authorise(self, request: PaymentRequest) -> GatewayResult:
        if request.card is None:
            return GatewayResult(
                status=Status.FAILED, error_code="card_required", error_message="No card given."
            )
        if not request.capture:
            # iyzico's pre-authorisation (initialize/preauth + postauth) is not wired yet.
            return GatewayResult(
                status=Status.FAILED,
                error_code="capture_required",
                error_message="iyzico payments are captured at once.",
            )
        items = basket_items(request)
        body = _initialize_body(request, request.card, items)
        answer = self._call(_ThreedsInitialize, "create", body)
        if answer["status"] != "success":
            return self._failure(answer)
        payment_id = str(answer.get("paymentId") or "")
        if not self._verify(answer, INITIALIZE_SIGNED):
            return self._forged(answer)
        try:
            page = base64.b64decode(answer.get("threeDSHtmlContent") or "").decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise GatewayError("iyzico's 3-D Secure page is not base64 HTML") from None
        return GatewayResult(
            status=Status.ACTION_REQUIRED,
            provider_reference=payment_id,
            amount=request.amount,
            html=page,
            raw=self._raw(answer),
            data={"payment_id": payment_id, "basket": items},
        )

    def complete(self, payment: PaymentRef, params: dict[str, Any]) -> GatewayResult:
        params = {k: (v[0] if isinstance(v, list | tuple) else v) for k, v in params.items()}
        callback = {
            k: str(params.get(k) or "")
            for k in ("status", "paymentId", "conversationId", "mdStatus")
        }
        if callback["paymentId"] != payment.provider_reference or (
            callback["conversationId"] and callback["conversationId"] != payment.reference
        ):
            return GatewayResult(
                status=Status.FAILED,
                error_code="callback_mismatch",
                error_message="The 3-D Secure callback is for another payment.",
                raw=callback,
            )
        md_status = callback["mdStatus"]
        if callback["status"] != "success" or md_status != "1":
            return GatewayResult(
                status=Status.DECLINED,
                provider_reference=payment.provider_reference,
                error_code=f"md_status_{md_status or 'missing'}",
                error_message=str(MD_STATUS_MESSAGES.get(md_status, _("3-D Secure failed."))),
                raw=callback,
            )
        body = {
            "locale": "tr",
            "conversationId": payment.reference,
            "paymentId": payment.provider_reference,
        }
        if params.get("conversationData"):
            body["conversationData"] = str(params["conversationData"])
        answer = self._call(_ThreedsPayment, "create", body)
        if answer["status"] != "success":
            return self._failure(answer)
        return self._paid(answer, payment)

    def retrieve(self, payment: PaymentRef) -> GatewayResult:
        """Payment detail (/payment/detail): what iyzico holds for the payment, signed as the
        3-D Secure completion is. A notification carries no amount, so the services ask here."""
        answer = self._call(
            _PaymentDetail,
            "retrieve",
            {
                "locale": "tr",
                "conversationId": payment.reference,
                "paymentId": payment.provider_reference,
                "paymentConversationId": payment.reference,
            },
        )
        if answer["status"] != "success":
            return self._failure(answer)
        state = str(answer.get("paymentStatus") or "").upper()
        if state == "SUCCESS":
            return self._paid(answer, payment)
        if not self._verify(answer, PAYMENT_SIGNED):
            return self._forged(answer)
        waiting = {
            "INIT_THREEDS": Status.ACTION_REQUIRED,
            "CALLBACK_THREEDS": Status.ACTION_REQUIRED,
        }
        return GatewayResult(
            status=Status.DECLINED if state == "FAILURE" else waiting.get(state, Status.PENDING),
            provider_reference=payment.provider_reference,
            error_code=str(answer.get("errorCode") or "") if state == "FAILURE" else "",
            error_message=str(answer.get("errorMessage") or "")[:300],
            raw=self._raw(answer),
        )

    def _paid(self, answer: dict[str, Any], payment: PaymentRef) -> GatewayResult:
        """A successful payment answer (3-D Secure auth or payment detail), verified."""
        if not self._verify(answer, PAYMENT_SIGNED):
            return self._forged(answer)
        try:
            paid = Decimal(str(answer.get("paidPrice"))).quantize(CENT)
        except InvalidOperation:
            raise GatewayError("iyzico's answer has no paid price") from None
        expected = payment.instalment_total if payment.instalments > 1 else payment.amount
        if paid != Decimal(expected or 0).quantize(CENT) or answer.get("currency") != (
            payment.currency
        ):
            logger.error("iyzico took %s for payment %s of %s", paid, payment.reference, expected)
        elif payment.instalments > 1:
            # In instalments the shopper pays `paidPrice` (the bank's charge on top); what
            # counts towards the order is the basket's `price`.
            try:
                paid = Decimal(str(answer.get("price"))).quantize(CENT)
            except InvalidOperation:
                raise GatewayError("iyzico's answer has no price") from None
        items = [
            {
                "id": str(t.get("itemId", "")),
                "transaction": str(t.get("paymentTransactionId", "")),
                "paid": _money(Decimal(str(t.get("paidPrice", "0")))),
            }
            for t in answer.get("itemTransactions") or []
        ]
        # fraudStatus 0: iyzico holds the payment for review; its notification settles it.
        held = str(answer.get("fraudStatus", "1")) == "0"
        return GatewayResult(
            status=Status.PENDING if held else Status.CAPTURED,
            provider_reference=str(answer.get("paymentId") or payment.provider_reference),
            amount=paid,
            currency=str(answer.get("currency") or ""),
            raw=self._raw(answer),
            data={"payment_id": str(answer.get("paymentId")), "items": items},
        )

    def void(self, payment: PaymentRef) -> GatewayResult:
        answer = self._call(
            _Cancel,
            "create",
            {
                "locale": "tr",
                "conversationId": payment.reference,
                "paymentId": payment.provider_reference,
                "reason": "other",
                "description": "cancelled by the merchant",
            },
        )
        if answer["status"] != "success":
            return self._failure(answer)
        return GatewayResult(
            status=Status.VOIDED,
            provider_reference=payment.provider_reference,
            amount=Decimal(str(answer.get("price", payment.captured or payment.amount))),
            raw=self._raw(answer),
        )

    def refund(self, payment: PaymentRef, amount: Decimal, *, reference: str) -> GatewayResult:
        """Refund `amount` across the payment's basket items, first item first. The items
        already refunded follow from the total refunded so far (PaymentRef.refunded, or what
        this gateway recorded), because every refund fills them in the same order."""
        items = payment.data.get("items") or []
        if not items:
            return GatewayResult(
                status=Status.FAILED,
                error_code="no_items",
                error_message="The payment has no iyzico item transactions to refund.",
            )
        already = max(
            Decimal(payment.refunded or 0), Decimal(str(payment.data.get("refunded", "0")))
        )
        plan = refund_plan(items, already=already, amount=Decimal(amount))
        if plan is None:
            return GatewayResult(
                status=Status.FAILED,
                error_code="refund_exceeds_captured",
                error_message="More than what is left to refund.",
            )
        refunded, answers = Decimal(0), []
        for n, (transaction_id, part) in enumerate(plan):
            answer = self._call(
                _Refund,
                "create",
                {
                    "locale": "tr",
                    # ours, the same on a retry of this refund
                    "conversationId": f"{reference}-{n}",
                    "paymentTransactionId": transaction_id,
                    "price": _money(part),
                    "currency": payment.currency,
                    "reason": "other",
                    "description": reference,
                },
            )
            answers.append(self._raw(answer))
            if answer["status"] != "success":
                if refunded == 0:
                    failed = self._failure(answer)
                    return GatewayResult(
                        status=Status.FAILED,
                        error_code=failed.error_code,
                        error_message=failed.error_message,
                        raw={"refunds": answers},
                    )
                break
            refunded += part
        return GatewayResult(
            status=Status.REFUNDED,
            provider_reference=payment.provider_reference,
            amount=refunded,
            error_code="" if refunded == amount else "partial_refund",
            error_message=""
            if refunded == amount
            else f"iyzico refunded {_money(refunded)} of {_money(amount)}.",
            raw={"refunds": answers},
            data={"refunded": _money(already + refunded)},
        )

    # -- notifications

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), "")
        try:
            payload = safejson.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise InvalidSignature("the body is not JSON") from None
        if not isinstance(payload, dict) or not given:
            raise InvalidSignature("no X-IYZ-SIGNATURE-V3 header")
        secret = str(self.config.get("secret_key") or "")
        if not secret or not hmac.compare_digest(
            str(given).lower(), webhook_signature(secret, payload)
        ):
            raise InvalidSignature("the X-IYZ-SIGNATURE-V3 signature does not verify")
        status = str(payload.get("status") or "").upper()
        mapped = {"SUCCESS": Status.CAPTURED, "FAILURE": Status.DECLINED}.get(
            status, Status.PENDING
        )
        payment_id = str(payload.get("paymentId") or payload.get("iyziPaymentId") or "")
        try:
            occurred = float(payload.get("iyziEventTime") or 0) / 1000
        except (TypeError, ValueError):
            occurred = 0.0
        return WebhookEvent(
            event_id=str(payload.get("iyziReferenceCode") or f"{payment_id}:{status}"),
            reference=str(payload.get("paymentConversationId") or ""),
            provider_reference=payment_id,
            status=mapped,
            amount=None,
            occurred_at=occurred,
            raw=payload,
        )


# --- baskets and refunds --------------------------------------------------------------------


def _initialize_body(
    request: PaymentRequest, card: Card, items: list[dict[str, str]]
) -> dict[str, Any]:
    """The 3-D Secure initialize request: the payment, its card, the buyer, the addresses and
    the basket."""
    buyer = request.buyer
    address = {
        "contactName": f"{buyer.name} {buyer.surname}".strip() or "-",
        "city": buyer.city or "Istanbul",
        "country": "Turkey" if buyer.country.upper() == "TR" else buyer.country,
        "address": buyer.address or buyer.city or "-",
    }
    body = {
        "locale": "tr",
        "conversationId": request.reference,
        "price": _money(request.amount),
        # With instalments the shopper pays the total with the bank's charge for them.
        "paidPrice": _money(
            request.instalment_total
            if request.instalments > 1 and request.instalment_total
            else request.amount
        ),
        "currency": request.currency,
        "installment": str(max(1, request.instalments)),
        "basketId": request.order_number,
        "paymentChannel": "WEB",
        "paymentGroup": "PRODUCT",
        "callbackUrl": request.return_url,
        "paymentCard": {
            "cardHolderName": card.holder,
            "cardNumber": card.number,
            "expireMonth": card.exp_month,
            "expireYear": card.exp_year,
            "cvc": card.cvc,
            "registerCard": "0",
        },
        "buyer": {
            "id": buyer.id,
            "name": buyer.name or "-",
            "surname": buyer.surname or "-",
            "gsmNumber": buyer.phone,
            "email": buyer.email,
            # iyzico asks for a national id; its documented placeholder for foreigners.
            "identityNumber": buyer.national_id or "11111111111",
            "registrationAddress": address["address"],
            "ip": buyer.ip or "127.0.0.1",
            "city": address["city"],
            "country": address["country"],
        },
        "shippingAddress": address,
        "billingAddress": address,
        "basketItems": [
            {
                "id": item["id"],
                "name": item["name"],
                "category1": item["category"],
                "itemType": "PHYSICAL",
                "price": item["price"],
            }
            for item in items
        ],
    }
    return body


def instalment_plan(
    answer: dict[str, Any], *, bin_number: str, amount: Decimal, currency: str
) -> InstalmentPlan:
    """An InstalmentPlan from iyzico's instalment info answer (`installmentDetails[0]`:
    `bankName`, `cardFamilyName`, `installmentPrices` of `installmentNumber`,
    `installmentPrice`, `totalPrice`). The single payment is always the first option."""
    details = answer.get("installmentDetails") or []
    detail = details[0] if details and isinstance(details[0], dict) else {}
    options = {1: InstalmentOption(count=1, total=amount, monthly=amount, currency=currency)}
    for price in detail.get("installmentPrices") or []:
        try:
            count = int(price["installmentNumber"])
            total = Decimal(str(price["totalPrice"])).quantize(CENT, rounding=ROUND_HALF_UP)
            monthly = Decimal(str(price["installmentPrice"])).quantize(CENT, rounding=ROUND_HALF_UP)
        except (KeyError, TypeError, ValueError, InvalidOperation):
            continue
        if 1 < count <= 12 and total >= amount and monthly > 0:
            options[count] = InstalmentOption(
                count=count, total=total, monthly=monthly, currency=currency
            )
    bank = " · ".join(str(detail.get(k)) for k in ("bankName", "cardFamilyName") if detail.get(k))
    return InstalmentPlan(
        bin_number=bin_number,
        amount=amount,
        currency=currency,
        options=tuple(options[c] for c in sorted(options)),
        bank=bank,
    )


def basket_items(request: PaymentRequest) -> list[dict[str, str]]:
    """iyzico's basket must add up to the price. The order's lines are its items; what they
    do not cover (shipping) is one more item, and when the payment is less than the lines
    (part paid otherwise, a discount) the items are scaled down to it, cent by cent."""
    amount = Decimal(request.amount).quantize(CENT)
    lines = [
        {
            "id": i.id[:100],
            "name": i.name[:200] or i.id,
            "category": i.category or "-",
            "price": i.price,
        }
        for i in request.items
        if i.price > 0
    ]
    total = sum((Decimal(line["price"]) for line in lines), Decimal(0))
    if total < amount:
        lines.append(
            {"id": "SHIPPING", "name": "Kargo", "category": "Kargo", "price": amount - total}
        )
    elif total > amount:
        scaled, left = [], amount
        for n, line in enumerate(lines):
            part = (
                left
                if n == len(lines) - 1
                else (Decimal(line["price"]) * amount / total).quantize(CENT)
            )
            left -= part
            scaled.append({**line, "price": part})
        lines = [line for line in scaled if line["price"] > 0]
    return [{**line, "price": _money(line["price"])} for line in lines]


def refund_plan(
    items: list[dict[str, str]], *, already: Decimal, amount: Decimal
) -> list[tuple[str, Decimal]] | None:
    """Which item transactions to refund and how much of each, filling the items in order
    after the `already` refunded ones; None when the items cannot hold `amount`."""
    plan, skip, left = [], already, amount
    for item in items:
        paid = Decimal(item["paid"])
        used = min(paid, skip)
        skip -= used
        room = paid - used
        if room <= 0 or left <= 0:
            continue
        part = min(room, left)
        plan.append((item["transaction"], part))
        left -= part
    return plan if left == 0 and amount > 0 else None
