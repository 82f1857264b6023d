"""The "test" gateway: a card provider reached over HTTP, as a real one is, whose other end is
the fake provider in payments/fake_provider.py (test cards listed there and in the README).

Configuration (settings.OMNI_PAYMENT_GATEWAYS["test"], overridable per channel):
`url`, `api_key`, `webhook_secret`, `notify_url` (where the provider posts its webhooks),
`timeout` (seconds) and `capture` (false: authorise only, capture later).

Anyone who reads this repository knows the development secrets, so production keeps this
gateway off unless OMNI_ALLOW_TEST_GATEWAY says otherwise (then with secrets of its own, see
omni/settings/production.py, and a warning on every admin page).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from omni import safejson
from payments.gateways.base import (
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

SIGNATURE_HEADER = "Omni-Test-Signature"
_STATUSES = {s.value: s for s in Status}


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


@register
class TestCardGateway(Gateway):
    code = "test"
    label = _("Test card provider")
    online = True
    secret_fields = ("api_key", "webhook_secret")
    __test__ = False  # not a pytest test class

    # --- HTTP ---------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict]:
        url = self.config.get("url", "").rstrip("/") + path
        if not url.startswith(("http://", "https://")):
            raise GatewayError("the test gateway has no URL configured")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Authorization": f"Bearer {self.config.get('api_key', '')}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=float(self.config.get("timeout", 10))
            ) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        except OSError as error:  # refused, timed out, DNS: nothing is known to have happened
            raise GatewayError(f"test provider unreachable: {type(error).__name__}") from None
        if status >= 500:
            raise GatewayError(f"test provider answered {status}")
        try:
            data = json.loads(text or b"{}")
        except ValueError:
            raise GatewayError("test provider answered something that is not JSON") from None
        return status, data

    def _result(self, status_code: int, data: dict[str, Any]) -> GatewayResult:
        if status_code >= 400:
            return GatewayResult(
                status=Status.FAILED,
                error_code=str(data.get("error_code") or f"http_{status_code}"),
                error_message=str(data.get("error_message") or "")[:300],
                raw=data,
            )
        status = _STATUSES.get(str(data.get("status")), Status.FAILED)
        return GatewayResult(
            status=status,
            provider_reference=str(data.get("id") or ""),
            amount=_amount(data.get("amount")),
            currency=str(data.get("currency") or ""),
            redirect_url=str(data.get("redirect_url") or ""),
            error_code=str(data.get("error_code") or ""),
            error_message=str(data.get("error_message") or "")[:300],
            raw=data,
            data={"id": data.get("id", "")} if data.get("id") else {},
        )

    # --- the interface ------------------------------------------------------------------------

    def instalments(self, *, bin_number: str, amount: Decimal, currency: str) -> InstalmentPlan:
        """The provider's options for the BIN (POST /v1/instalments): [{count, total,
        monthly}]; an answer it cannot read is the single payment."""
        status, data = self._call(
            "POST",
            "/v1/instalments",
            {"bin": bin_number, "amount": str(amount), "currency": currency},
        )
        single = single_payment(bin_number=bin_number, amount=amount, currency=currency)
        if status >= 400:
            return single
        options = {1: single.options[0]}
        for row in data.get("options") or []:
            try:
                count = int(row["count"])
                total, monthly = Decimal(str(row["total"])), Decimal(str(row["monthly"]))
            except (KeyError, TypeError, ValueError, InvalidOperation):
                continue
            if 1 < count <= 12 and total >= amount and monthly > 0:
                options[count] = InstalmentOption(
                    count=count, total=total, monthly=monthly, currency=currency
                )
        return InstalmentPlan(
            bin_number=bin_number,
            amount=amount,
            currency=currency,
            options=tuple(options[c] for c in sorted(options)),
            bank=str(data.get("bank") or ""),
        )

    def authorise(self, request: PaymentRequest) -> GatewayResult:
        body: dict[str, Any] = {
            "reference": request.reference,
            "amount": str(request.amount),
            "currency": request.currency,
            "order": request.order_number,
            "return_url": request.return_url,
            "notify_url": self.config.get("notify_url", ""),
            "capture": bool(request.capture and self.config.get("capture", True)),
        }
        if request.instalments > 1:
            body["instalments"] = request.instalments
            body["instalment_total"] = str(request.instalment_total)
        if request.card is not None:
            body["card"] = {
                "holder": request.card.holder,
                "number": request.card.number,
                "exp_month": request.card.exp_month,
                "exp_year": request.card.exp_year,
                "cvc": request.card.cvc,
            }
        return self._result(*self._call("POST", "/v1/payments", body))

    def complete(self, payment: PaymentRef, params: dict[str, Any]) -> GatewayResult:
        # The shopper's browser brought `params`; they are not trusted: the result is asked of
        # the provider itself.
        return self._result(
            *self._call("POST", f"/v1/payments/{payment.provider_reference}/complete", {})
        )

    def retrieve(self, payment: PaymentRef) -> GatewayResult:
        return self._result(*self._call("GET", f"/v1/payments/{payment.provider_reference}"))

    def capture(self, payment: PaymentRef, amount: Decimal) -> GatewayResult:
        return self._result(
            *self._call(
                "POST",
                f"/v1/payments/{payment.provider_reference}/capture",
                {"amount": str(amount)},
            )
        )

    def void(self, payment: PaymentRef) -> GatewayResult:
        return self._result(
            *self._call("POST", f"/v1/payments/{payment.provider_reference}/void", {})
        )

    def refund(self, payment: PaymentRef, amount: Decimal, *, reference: str) -> GatewayResult:
        return self._result(
            *self._call(
                "POST",
                f"/v1/payments/{payment.provider_reference}/refunds",
                {"amount": str(amount), "reference": reference},
            )
        )

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        header = lowered.get(SIGNATURE_HEADER.lower(), "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            timestamp = int(parts["t"])
            given = parts["v1"]
        except (KeyError, ValueError):
            raise InvalidSignature("missing or malformed signature header") from None
        tolerance = int(self.config.get("tolerance", settings.OMNI_WEBHOOK_TOLERANCE_SECONDS))
        if abs(time.time() - timestamp) > tolerance:
            raise InvalidSignature("timestamp outside the tolerance window")
        secret = str(self.config.get("webhook_secret", ""))
        if not secret:
            raise InvalidSignature("no webhook secret configured")
        expected = hmac.new(
            secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, given):
            raise InvalidSignature("signature does not match")
        try:
            event = safejson.loads(body)
            data = event["data"]
            status = _STATUSES[str(data["status"])]
            return WebhookEvent(
                event_id=str(event["id"]),
                reference=str(data.get("reference") or ""),
                provider_reference=str(data.get("id") or ""),
                status=status,
                amount=_amount(data.get("amount")),
                occurred_at=float(event.get("created") or timestamp),
                raw=event,
                currency=str(data.get("currency") or ""),
            )
        except (ValueError, KeyError, TypeError):
            raise InvalidSignature("signed, but not a notification this gateway knows") from None
