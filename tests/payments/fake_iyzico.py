"""A fake iyzico API on a free local port, answering like iyzico's sandbox with the recorded
responses in tests/payments/fixtures/iyzico/ (ids, amounts and signatures filled in).

It checks each request's IYZWSv2 signature with the merchant's keys (iyzico's errorCode 1001
otherwise), keeps the payments it took with their item transactions, and refunds per item
transaction as iyzico does. It keeps only the last four digits of a card.

Cards (any expiry, any CVC), as in iyzico's sandbox where one exists:

    5406 6700 0000 0009   approved; the bank's page answers mdStatus=1
    4111 1111 1111 1129   declined at initialise: 10051 insufficient funds
    4129 1111 1111 1111   declined at initialise: 10005 do not honour
    4059 0300 0000 0009   3-D Secure passes, then the payment is refused: 10051
    4603 4500 0000 0000   the bank's page answers mdStatus=0 (3-D Secure failed)

Instalment info (/payment/iyzipos/installment): any BIN answers with the recorded credit card's
instalments scaled to the price asked, but 589004 (a debit card: the single payment only).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import html
import itertools
import json
import secrets
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CENT = Decimal("0.01")

# --- iyzico's signatures, written out from its documentation ---------------------------------
# Deliberately not Omni's code (payments/gateways/iyzico.py): the fake must sign as iyzico
# documents it, so that a wrong formula in Omni fails the tests instead of agreeing with
# itself. tests/payments/test_iyzico_signatures.py pins both functions to iyzico's published
# examples.


def response_signature(secret_key: str, *fields: str) -> str:
    """The `signature` of an answer (docs.iyzico.com, "Response Signature Validation"): hex
    HMAC-SHA256, keyed with the merchant's secret key, of the endpoint's fields in its
    documented order joined with ":"."""
    message = ":".join(fields)
    return hmac.new(secret_key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def price_text(value: Any) -> str:
    """A price as it stands in a signature: the JSON number iyzico answers with, without a
    trailing ".0" (as iyzipay's own `strip_zero` writes it: 1.0 -> "1", 10.5 -> "10.5")."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def notification_signature(secret_key: str, payload: dict[str, Any]) -> str:
    """X-IYZ-SIGNATURE-V3 of a notification (docs.iyzico.com, "Webhook"; iyzipay-php
    samples/webhook_Signature_Validation.php): hex HMAC-SHA256, keyed with the secret key, of
    secretKey + iyziEventType + paymentId + paymentConversationId + status (direct format), or
    secretKey + iyziEventType + iyziPaymentId + token + paymentConversationId + status
    (hosted pages)."""
    if "token" in payload:
        parts = [
            payload["iyziEventType"],
            payload["iyziPaymentId"],
            payload["token"],
            payload["paymentConversationId"],
            payload["status"],
        ]
    else:
        parts = [
            payload["iyziEventType"],
            payload["paymentId"],
            payload["paymentConversationId"],
            payload["status"],
        ]
    key = secret_key + "".join(str(part) for part in parts)
    return hmac.new(secret_key.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()


FIXTURES = Path(__file__).parent / "fixtures" / "iyzico"

APPROVE = "5406670000000009"
INSUFFICIENT_FUNDS = "4111111111111129"
DO_NOT_HONOUR = "4129111111111111"
REFUSED_AT_AUTH = "4059030000000009"
THREE_DS_FAILS = "4603450000000000"
DEBIT_BIN = "589004"  # a debit card: iyzico offers it the single payment only


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


class FakeIyzico:
    def __init__(
        self,
        *,
        api_key: str = "sandbox-api-key",
        secret_key: str = "sandbox-secret",  # noqa: S107 (the fake's own)
    ):
        self.api_key, self.secret_key = api_key, secret_key
        self.payments: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []  # path, body without the card
        self.raw_bodies: list[bytes] = []
        self._ids = itertools.count(25149157)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle

    def start(self) -> FakeIyzico:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer = fake.handle(self.path, dict(self.headers), raw)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def config(self, **extra) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "secret_key": self.secret_key,
            "base_url": self.base_url,
            "timeout": 5,
            **extra,
        }

    # -- requests

    def _authentic(self, path: str, headers: dict[str, str], raw: bytes) -> bool:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        rnd = next((v for k, v in headers.items() if k.lower() == "x-iyzi-rnd"), "")
        if not auth.startswith("IYZWSv2 "):
            return False
        try:
            fields = dict(
                part.split(":", 1)
                for part in base64.b64decode(auth.removeprefix("IYZWSv2 ")).decode().split("&")
            )
        except (ValueError, UnicodeDecodeError):
            return False
        expected = hmac.new(
            self.secret_key.encode(), (rnd + path).encode() + raw, hashlib.sha256
        ).hexdigest()
        return fields.get("apiKey") == self.api_key and hmac.compare_digest(
            fields.get("signature", ""), expected
        )

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        self.raw_bodies.append(raw)
        body = json.loads(raw or b"{}")
        card = body.pop("paymentCard", None)
        self.requests.append((path, body))
        if not self._authentic(path, headers, raw):
            return 200, fixture("auth_failure_1001")
        routes = {
            "/payment/3dsecure/initialize": self.initialize,
            "/payment/3dsecure/auth": self.auth,
            "/payment/cancel": self.cancel,
            "/payment/refund": self.refund,
            "/payment/detail": self.detail,
            "/payment/iyzipos/installment": self.installment,
        }
        if path not in routes:
            return 404, {"status": "failure", "errorCode": "11", "errorMessage": "Geçersiz istek"}
        with self._lock:
            return 200, routes[path](body, card or {})

    def installment(self, body: dict, card: dict) -> dict:
        """Instalment info for `binNumber` and `price`, in the documented shape."""
        bin_number, price = str(body.get("binNumber") or ""), Decimal(str(body.get("price")))
        answer = fixture("installment_info_success")
        answer.update(conversationId=body.get("conversationId", ""))
        detail = answer["installmentDetails"][0]
        scale = price / Decimal(str(detail["price"]))
        rows = [
            {
                "installmentNumber": row["installmentNumber"],
                "totalPrice": float((Decimal(str(row["totalPrice"])) * scale).quantize(CENT)),
                "installmentPrice": float(
                    (Decimal(str(row["totalPrice"])) * scale / row["installmentNumber"]).quantize(
                        CENT
                    )
                ),
            }
            for row in detail["installmentPrices"]
        ]
        if bin_number == DEBIT_BIN:
            detail.update(cardType="DEBIT_CARD", cardFamilyName="Paraf", bankName="Halkbank")
            rows = rows[:1]
        detail.update(binNumber=bin_number, price=float(price), installmentPrices=rows)
        return answer

    def _failure(self, name: str, body: dict) -> dict:
        answer = fixture(name)
        answer["conversationId"] = body.get("conversationId", "")
        answer["systemTime"] = int(time.time() * 1000)
        return answer

    def initialize(self, body: dict, card: dict) -> dict:
        number = str(card.get("cardNumber", ""))
        if number == INSUFFICIENT_FUNDS:
            return self._failure("threeds_initialize_failure_10051", body)
        if number == DO_NOT_HONOUR:
            return self._failure("threeds_initialize_failure_10005", body)
        items = body.get("basketItems") or []
        if sum(Decimal(i["price"]) for i in items) != Decimal(body["price"]):
            return {
                "status": "failure",
                "errorCode": "5152",
                "errorMessage": "Sepet tutarı ile ödeme tutarı eşleşmiyor",
                "locale": "tr",
                "conversationId": body.get("conversationId", ""),
            }
        payment_id = str(next(self._ids))
        conversation_data = secrets.token_hex(12)
        self.payments[payment_id] = {
            "conversation_id": body.get("conversationId", ""),
            "conversation_data": conversation_data,
            "price": Decimal(body["price"]),
            "paid_price": Decimal(body["paidPrice"]),
            "currency": body.get("currency", "TRY"),
            "basket_id": body.get("basketId", ""),
            "last4": number[-4:],
            "refuse_at_auth": number == REFUSED_AT_AUTH,
            "callback": body.get("callbackUrl", ""),
            "status": "INIT_THREEDS",
            "items": [
                {
                    "itemId": i["id"],
                    "paymentTransactionId": str(next(self._ids) + 1_000_000),
                    "price": Decimal(i["price"]),
                    "refunded": Decimal(0),
                }
                for i in items
            ],
        }
        md_status = "0" if number == THREE_DS_FAILS else "1"
        page = self.bank_page(payment_id, md_status=md_status)
        answer = fixture("threeds_initialize_success")
        answer.update(
            conversationId=body.get("conversationId", ""),
            paymentId=payment_id,
            systemTime=int(time.time() * 1000),
            threeDSHtmlContent=base64.b64encode(page.encode()).decode(),
        )
        answer["signature"] = response_signature(
            self.secret_key, payment_id, answer["conversationId"]
        )
        return answer

    def callback_params(self, payment_id: str, *, md_status: str = "1") -> dict[str, str]:
        """What the bank posts to the merchant's callbackUrl after its 3-D Secure page."""
        payment = self.payments[payment_id]
        return {
            "status": "success" if md_status == "1" else "failure",
            "paymentId": payment_id,
            "conversationData": payment["conversation_data"],
            "conversationId": payment["conversation_id"],
            "mdStatus": md_status,
        }

    def bank_page(self, payment_id: str, *, md_status: str = "1") -> str:
        payment = self.payments[payment_id]
        inputs = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
            for k, v in self.callback_params(payment_id, md_status=md_status).items()
        )
        return (
            '<!doctype html><html><body onload="document.forms[0].submit()">'
            f'<form method="post" action="{html.escape(payment["callback"])}">{inputs}'
            "<noscript><button>Devam</button></noscript></form></body></html>"
        )

    def auth(self, body: dict, card: dict) -> dict:
        payment = self.payments.get(str(body.get("paymentId")))
        if payment is None or payment["status"] != "INIT_THREEDS":
            return self._failure("threeds_auth_failure_10051", body) | {
                "errorCode": "5088",
                "errorMessage": "Ödeme bulunamadı veya tamamlanmış",
                "errorGroup": None,
            }
        if body.get("conversationData") != payment["conversation_data"]:
            return {
                "status": "failure",
                "errorCode": "5136",
                "errorMessage": "conversationData geçersiz",
                "locale": "tr",
            }
        if payment["refuse_at_auth"]:
            payment["status"] = "FAILURE"
            return self._failure("threeds_auth_failure_10051", body)
        payment["status"] = "SUCCESS"
        return self._payment_answer(str(body["paymentId"]))

    def _payment_answer(self, payment_id: str) -> dict:
        """A payment as the 3-D Secure auth and the payment detail answer with it, signed."""
        payment = self.payments[payment_id]
        answer = fixture("threeds_auth_success")
        template = answer["itemTransactions"][0]
        answer.update(
            conversationId=payment["conversation_id"],
            paymentId=payment_id,
            price=float(payment["price"]),
            paidPrice=float(payment["paid_price"]),
            basketId=payment["basket_id"],
            currency=payment["currency"],
            lastFourDigits=payment["last4"],
            systemTime=int(time.time() * 1000),
            itemTransactions=[
                copy.deepcopy(template)
                | {
                    "itemId": item["itemId"],
                    "paymentTransactionId": item["paymentTransactionId"],
                    "price": float(item["price"]),
                    "paidPrice": float(item["price"]),
                }
                for item in payment["items"]
            ],
        )
        answer["signature"] = response_signature(
            self.secret_key,
            answer["paymentId"],
            answer["currency"],
            answer["basketId"],
            answer["conversationId"],
            price_text(answer["paidPrice"]),
            price_text(answer["price"]),
        )
        return answer

    def detail(self, body: dict, card: dict) -> dict:
        """Payment detail (/payment/detail): the payment as iyzico holds it now."""
        payment_id = str(body.get("paymentId") or "")
        if payment_id not in self.payments:
            return self._failure("refund_failure_exceeds", body) | {
                "errorCode": "5087",
                "errorMessage": "Ödeme bulunamadı",
            }
        answer = self._payment_answer(payment_id)
        answer["paymentStatus"] = self.payments[payment_id]["status"]
        return answer

    def cancel(self, body: dict, card: dict) -> dict:
        payment = self.payments.get(str(body.get("paymentId")))
        if (
            payment is None
            or payment["status"] != "SUCCESS"
            or any(i["refunded"] for i in payment["items"])
        ):
            return self._failure("cancel_failure", body)
        payment["status"] = "CANCELLED"
        answer = fixture("cancel_success")
        answer.update(
            conversationId=body.get("conversationId", ""),
            paymentId=str(body["paymentId"]),
            price=float(payment["paid_price"]),
            currency=payment["currency"],
        )
        return answer

    def refund(self, body: dict, card: dict) -> dict:
        txn = str(body.get("paymentTransactionId"))
        found = [
            (pid, p, i)
            for pid, p in self.payments.items()
            for i in p["items"]
            if i["paymentTransactionId"] == txn
        ]
        if not found or found[0][1]["status"] != "SUCCESS":
            return self._failure("refund_failure_exceeds", body) | {
                "errorCode": "5087",
                "errorMessage": "İşlem bulunamadı",
            }
        payment_id, payment, item = found[0]
        price = Decimal(body["price"])
        if price <= 0 or item["refunded"] + price > item["price"]:
            return self._failure("refund_failure_exceeds", body)
        item["refunded"] += price
        answer = fixture("refund_success")
        answer.update(
            conversationId=body.get("conversationId", ""),
            paymentId=payment_id,
            paymentTransactionId=txn,
            price=float(price),
            currency=payment["currency"],
        )
        return answer

    # -- notifications

    def webhook(
        self, payment_id: str, *, status: str = "SUCCESS", secret: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """A direct-format notification for a payment, signed as iyzico signs it (with
        `secret` instead, to forge one)."""
        payload = fixture("webhook_direct_success")
        payload.update(
            paymentConversationId=self.payments[payment_id]["conversation_id"],
            paymentId=int(payment_id),
            status=status,
            iyziReferenceCode=secrets.token_hex(16),
            iyziEventTime=int(time.time() * 1000),
        )
        signature = notification_signature(secret or self.secret_key, payload)
        return {"X-IYZ-SIGNATURE-V3": signature}, json.dumps(payload).encode()
