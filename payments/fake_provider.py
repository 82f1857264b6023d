"""A small fake card provider, so that tests and the demo exercise a real, asynchronous card
flow over HTTP: approvals, declines, a 3-D Secure page of its own, captures, voids, refunds,
and results that arrive later as signed webhooks. The "test" gateway
(payments/gateways/testcard.py) talks to it.

    python -m payments.fake_provider --port 8765 --secret whsec-... --api-key sk-...

or, in a test, `FakeProvider(secret=..., api_key=...).start()` on a free port.

Card numbers decide the outcome (any future expiry date, any CVC):

    4242 4242 4242 4242   approved at once
    4000 0000 0000 0002   declined (insufficient funds)
    4000 0000 0000 3220   3-D Secure: the shopper approves or declines on the provider's page
    4000 0000 0000 0077   pending: approved later, by webhook
    4000 0000 0000 0341   pending: declined later, by webhook
    any other valid number approved; an invalid one (Luhn) declined as invalid_card

Instalments (POST /v1/instalments with `bin`, `amount`, `currency`): a Turkish lira payment by a
credit card splits into 2 (no charge), 3, 6, 9 or 12 instalments, the total growing by
INSTALMENT_RATES; the debit card 5200 8282 8282 8210 (BIN 520082) and any other currency pay
in one. A payment sent with `instalments` and `instalment_total` is refused (400
invalid_instalments) unless the total is the one offered.

Webhooks are POSTed to the payment's `notify_url` with the header
`Omni-Test-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`,
retried three times when not answered 2xx. The provider keeps only the last four digits.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
THREE_DS = "4000000000003220"
LATER_APPROVE = "4000000000000077"
LATER_DECLINE = "4000000000000341"

DEBIT = "5200828282828210"  # a debit card: no instalments

SIGNATURE_HEADER = "Omni-Test-Signature"

# count: the charge on top of the amount, for the shopper (the fake bank's campaign: 2 free).
INSTALMENT_RATES = {
    2: Decimal("0"),
    3: Decimal("0.0250"),
    6: Decimal("0.0500"),
    9: Decimal("0.0800"),
    12: Decimal("0.1150"),
}
CENT = Decimal("0.01")


def instalment_options(bin_number: str, amount: Decimal, currency: str) -> list[dict[str, Any]]:
    """[{count, total, monthly}] for a card's BIN: the single payment first."""
    options = [{"count": 1, "total": str(amount), "monthly": str(amount)}]
    if currency != "TRY" or bin_number == DEBIT[:6] or not re.fullmatch(r"\d{6}", bin_number):
        return options
    for count, rate in INSTALMENT_RATES.items():
        total = (amount * (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
        monthly = (total / count).quantize(CENT, rounding=ROUND_HALF_UP)
        options.append({"count": count, "total": str(total), "monthly": str(monthly)})
    return options


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _luhn_ok(number: str) -> bool:
    if not re.fullmatch(r"\d{12,19}", number):
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


class ProviderState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.payments: dict[str, dict[str, Any]] = {}
        self.by_reference: dict[str, str] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.webhooks: list[dict[str, Any]] = []  # what was sent, with the answer's status


class FakeProvider:
    def __init__(
        self,
        *,
        secret: str,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_delay: float = 0.5,
    ) -> None:
        self.secret = secret
        self.api_key = api_key
        self.webhook_delay = webhook_delay
        self.state = ProviderState()
        provider = self

        class Handler(_Handler):
            pass

        Handler.provider = provider
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- provider behaviour ------------------------------------------------------------------

    def _public(self, p: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in p.items() if not k.startswith("_")}

    def create_payment(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        reference = str(body.get("reference") or "")
        try:
            amount = Decimal(str(body.get("amount")))
        except InvalidOperation:
            amount = Decimal(0)
        currency = str(body.get("currency") or "")
        if not reference or amount <= 0 or not re.fullmatch(r"[A-Z]{3}", currency):
            return 400, {"error_code": "invalid_request", "error_message": "bad payment request"}
        with self.state.lock:
            existing = self.state.by_reference.get(reference)
            if existing:  # idempotent by the merchant's reference
                return 200, self._public(self.state.payments[existing])
        card = body.get("card") or {}
        number = re.sub(r"\D", "", str(card.get("number") or ""))
        try:
            instalments = int(body.get("instalments") or 1)
        except (TypeError, ValueError):
            instalments = 0
        if instalments != 1:
            offered = {
                o["count"]: o["total"] for o in instalment_options(number[:6], amount, currency)
            }
            if instalments not in offered or str(body.get("instalment_total")) != offered.get(
                instalments
            ):
                return 400, {
                    "error_code": "invalid_instalments",
                    "error_message": "The card does not offer these instalments.",
                }
        capture = bool(body.get("capture", True))
        done = "captured" if capture else "authorised"
        pid = "pay_" + secrets.token_hex(8)
        payment: dict[str, Any] = {
            "id": pid,
            "reference": reference,
            "amount": str(amount),
            "currency": currency,
            "captured": "0",
            "refunded": "0",
            "status": done,
            "card": {"last4": number[-4:], "brand": "visa" if number[:1] == "4" else "card"},
            "instalments": instalments,
            "redirect_url": "",
            "error_code": "",
            "error_message": "",
            "created": time.time(),
            "_capture": capture,
            "_return_url": str(body.get("return_url") or ""),
            "_notify_url": str(body.get("notify_url") or ""),
            "_3ds": "",
        }
        if not _luhn_ok(number):
            payment.update(status="declined", error_code="invalid_card")
            payment["error_message"] = "The card number is not valid."
        elif number == DECLINE:
            payment.update(status="declined", error_code="insufficient_funds")
            payment["error_message"] = "The bank declined the card."
        elif number == THREE_DS:
            payment.update(status="action_required", redirect_url=f"{self.url}/3ds/{pid}")
        elif number in (LATER_APPROVE, LATER_DECLINE):
            payment["status"] = "pending"
            final = done if number == LATER_APPROVE else "declined"
            self._later(pid, final, self.webhook_delay)
        if payment["status"] == "captured":
            payment["captured"] = str(amount)
        with self.state.lock:
            self.state.payments[pid] = payment
            self.state.by_reference[reference] = pid
        return 201, self._public(payment)

    def instalments(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        bin_number = str(body.get("bin") or "")
        currency = str(body.get("currency") or "")
        try:
            amount = Decimal(str(body.get("amount")))
        except InvalidOperation:
            amount = Decimal(0)
        if not re.fullmatch(r"\d{6}", bin_number) or amount <= 0 or not currency:
            return 400, {"error_code": "invalid_request", "error_message": "bad BIN or amount"}
        bank = "Omni Test Bank" + (" (debit)" if bin_number == DEBIT[:6] else "")
        return 200, {
            "bin": bin_number,
            "bank": bank,
            "currency": currency,
            "options": instalment_options(bin_number, amount, currency),
        }

    def _later(self, pid: str, final: str, delay: float) -> None:
        def settle() -> None:
            time.sleep(delay)
            with self.state.lock:
                p = self.state.payments[pid]
                if p["status"] in ("pending", "action_required"):
                    self._settle(p, final)
            # Sent whether or not the merchant already learnt the result another way.
            self.send_webhook(pid)

        threading.Thread(target=settle, daemon=True).start()

    def settle(self, pid: str, final: str) -> None:
        """Decide a payment now, without telling the merchant (tests: a notification lost)."""
        with self.state.lock:
            self._settle(self.state.payments[pid], final)

    def _settle(self, p: dict[str, Any], final: str) -> None:
        p["status"] = final
        if final == "captured":
            p["captured"] = p["amount"]
        elif final == "declined":
            p.update(error_code="declined_3ds", error_message="The shopper or the bank declined.")

    def send_webhook(self, pid: str, *, status: str | None = None) -> int:
        with self.state.lock:
            p = dict(self.state.payments[pid])
        url = p["_notify_url"]
        if not url:
            return 0
        event = {
            "id": "evt_" + secrets.token_hex(8),
            "type": f"payment.{status or p['status']}",
            "created": time.time(),
            "data": {
                "id": p["id"],
                "reference": p["reference"],
                "status": status or p["status"],
                "amount": p["amount"],
                "currency": p["currency"],
            },
        }
        body = json.dumps(event).encode()
        answer = 0
        for attempt in range(4):
            request = urllib.request.Request(  # noqa: S310 (the merchant's own URL)
                url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: signature_header(self.secret, body),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    answer = response.status
            except urllib.error.HTTPError as error:
                answer = error.code
            except OSError:
                answer = 0
            if 200 <= answer < 300:
                break
            time.sleep(0.5 * 2**attempt)
        with self.state.lock:
            self.state.webhooks.append({"event": event, "answer": answer})
        return answer

    def complete(self, pid: str) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            p = self.state.payments.get(pid)
            if p is None:
                return 404, {"error_code": "not_found", "error_message": "no such payment"}
            if p["status"] == "action_required" and p["_3ds"]:
                done = "captured" if p["_capture"] else "authorised"
                self._settle(p, done if p["_3ds"] == "approve" else "declined")
            return 200, self._public(p)

    def three_ds_decide(self, pid: str, decision: str) -> str | None:
        with self.state.lock:
            p = self.state.payments.get(pid)
            if p is None or p["status"] != "action_required":
                return None
            p["_3ds"] = "approve" if decision == "approve" else "decline"
            return_url = p["_return_url"]
            final = (
                ("captured" if p["_capture"] else "authorised")
                if decision == "approve"
                else ("declined")
            )
        # The provider also tells the merchant by webhook, later (the shopper may never return).
        self._later(pid, final, self.webhook_delay * 4)
        query = urlencode(
            {"payment_id": pid, "status": "approved" if decision == "approve" else "declined"}
        )
        return return_url + ("&" if "?" in return_url else "?") + query if return_url else ""

    def capture(self, pid: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            p = self.state.payments.get(pid)
            if p is None:
                return 404, {"error_code": "not_found", "error_message": "no such payment"}
            amount = Decimal(str(body.get("amount") or p["amount"]))
            if p["status"] == "captured" and Decimal(p["captured"]) >= amount:
                return 200, self._public(p)  # a retry of the same capture
            if p["status"] != "authorised" or amount > Decimal(p["amount"]) or amount <= 0:
                return 409, {"error_code": "not_capturable", "error_message": p["status"]}
            p["status"], p["captured"] = "captured", str(amount)
            return 200, self._public(p)

    def void(self, pid: str) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            p = self.state.payments.get(pid)
            if p is None:
                return 404, {"error_code": "not_found", "error_message": "no such payment"}
            if p["status"] not in ("authorised", "voided"):
                return 409, {"error_code": "not_voidable", "error_message": p["status"]}
            p["status"] = "voided"
            return 200, self._public(p)

    def refund(self, pid: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            p = self.state.payments.get(pid)
            if p is None:
                return 404, {"error_code": "not_found", "error_message": "no such payment"}
            reference = str(body.get("reference") or "")
            if reference in self.state.refunds:  # idempotent by the merchant's reference
                return 200, self.state.refunds[reference]
            amount = Decimal(str(body.get("amount") or "0"))
            left = Decimal(p["captured"]) - Decimal(p["refunded"])
            if not reference or amount <= 0 or amount > left:
                return 409, {"error_code": "not_refundable", "error_message": f"{left} left"}
            p["refunded"] = str(Decimal(p["refunded"]) + amount)
            refund = {
                "id": "re_" + secrets.token_hex(8),
                "payment_id": pid,
                "reference": reference,
                "amount": str(amount),
                "currency": p["currency"],
                "status": "refunded",
            }
            self.state.refunds[reference] = refund
            return 201, refund


THREE_DS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>3-D Secure</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:1rem}}
button{{font-size:1.1rem;padding:.6rem 1.2rem;margin-right:.5rem}}</style></head>
<body><h1>Fake Bank 3-D Secure</h1>
<p>Approve the payment of <strong>{amount} {currency}</strong> to the merchant
(reference {reference})?</p>
<form method="post"><button name="decision" value="approve">Approve</button>
<button name="decision" value="decline">Decline</button></form></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    provider: FakeProvider
    server_version = "FakeProvider/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet; and never log bodies
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _authorised(self) -> bool:
        expected = f"Bearer {self.provider.api_key}"
        return hmac.compare_digest(self.headers.get("Authorization", ""), expected)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.provider.state.calls.append(("GET", path))
        if m := re.fullmatch(r"/3ds/(pay_\w+)", path):
            p = self.provider.state.payments.get(m[1])
            if p is None:
                return self._json(404, {"error_code": "not_found"})
            page = THREE_DS_PAGE.format(
                amount=html.escape(p["amount"]),
                currency=html.escape(p["currency"]),
                reference=html.escape(p["reference"]),
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return None
        if not self._authorised():
            return self._json(401, {"error_code": "unauthorised"})
        if m := re.fullmatch(r"/v1/payments/(pay_\w+)", path):
            p = self.provider.state.payments.get(m[1])
            if p is None:
                return self._json(404, {"error_code": "not_found"})
            return self._json(200, self.provider._public(p))
        return self._json(404, {"error_code": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        self.provider.state.calls.append(("POST", path))
        raw = self._body()
        if m := re.fullmatch(r"/3ds/(pay_\w+)", path):
            decision = parse_qs(raw.decode()).get("decision", [""])[0]
            location = self.provider.three_ds_decide(m[1], decision)
            if location is None:
                return self._json(409, {"error_code": "not_awaiting_3ds"})
            self.send_response(302)
            self.send_header("Location", location or "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if not self._authorised():
            return self._json(401, {"error_code": "unauthorised"})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"error_code": "invalid_json"})
        p = self.provider
        if path == "/v1/payments":
            return self._json(*p.create_payment(body))
        if path == "/v1/instalments":
            return self._json(*p.instalments(body))
        if m := re.fullmatch(r"/v1/payments/(pay_\w+)/(complete|capture|void|refunds)", path):
            pid, action = m[1], m[2]
            if action == "complete":
                return self._json(*p.complete(pid))
            if action == "capture":
                return self._json(*p.capture(pid, body))
            if action == "void":
                return self._json(*p.void(pid))
            return self._json(*p.refund(pid, body))
        return self._json(404, {"error_code": "not_found"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake card provider.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secret", default=None, help="webhook signing secret")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--webhook-delay", type=float, default=2.0)
    args = parser.parse_args(argv)
    import os

    provider = FakeProvider(
        secret=args.secret or os.environ.get("OMNI_TEST_GATEWAY_SECRET", "whsec-omni-test-dev"),
        api_key=args.api_key or os.environ.get("OMNI_TEST_GATEWAY_API_KEY", "sk-omni-test-dev"),
        host=args.host,
        port=args.port,
        webhook_delay=args.webhook_delay,
    )
    print(f"Fake card provider on {provider.url}", flush=True)  # noqa: T201
    try:
        provider.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        provider.server.server_close()


if __name__ == "__main__":
    main()
