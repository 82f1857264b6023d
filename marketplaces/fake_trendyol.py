"""A local stand-in for Trendyol's seller integration API, for the tests and the demo.

It enforces what Trendyol's documentation states: Basic authentication with the API key and
secret and the User-Agent "<sellerId> - SelfIntegration"; at most 1,000 items per
price-and-inventory request; the same request body again within 15 minutes refused; per item, an
unknown barcode, a list price below the sale price or a stock above the cap fail; the batch
result is read with its batchRequestId (optionally only after some polls); shipment packages
listed by status in zero-based pages of at most 200; package status updated to Picking, then
Invoiced (with an invoice number), tracking numbers and unsupplied items.

Every request body is checked against the documented shape first (REQUEST_SHAPES): a missing
required field, a field of the wrong type, or a field the documentation does not name (a
misspelling such as "salesPrice") is a 400 with Trendyol's error body
({"errors": [{"key", "message", "errorCode"}]}) and changes nothing. The real API may instead
ignore an unknown field and so silently drop what it carried; refusing it is the stricter
choice, so that a client passing here sends only what Trendyol reads.

    fake = FakeTrendyol(seller_id="123456").start()
    fake.url  # http://127.0.0.1:<port>/integration
    ...
    fake.stop()
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# What each request body may hold: field -> (types, required). Numbers arrive as int or Decimal
# (the handler parses JSON floats as Decimal); a bool is never a number.
NUMBER = (int, Decimal)
LINE = {"lineId": (int, True), "quantity": (int, True)}
REQUEST_SHAPES: dict[str, dict[str, tuple[Any, bool]]] = {
    # updatePriceAndInventory: stock, price or both per barcode.
    "price_and_inventory": {"items": (list, True)},
    "price_and_inventory_item": {
        "barcode": (str, True),
        "quantity": (int, False),
        "salePrice": (NUMBER, False),
        "listPrice": (NUMBER, False),
    },
    # updatePackage: Picking, then Invoiced with params.invoiceNumber.
    "package_update": {"lines": (list, True), "params": (dict, False), "status": (str, True)},
    "package_line": LINE,
    "tracking_update": {"trackingNumber": (str, True)},
    "unsupplied": {"lines": (list, True), "reasonId": (int, True)},
}
PACKAGE_PARAMS = {"invoiceNumber": (str, False)}

DUPLICATE_WINDOW_SECONDS = 15 * 60
DUPLICATE_MESSAGE = "15 dakika boyunca aynı isteği tekrarlı olarak atamazsınız!"
MAX_ITEMS = 1000
MAX_PAGE_SIZE = 200


class FakeTrendyol:
    def __init__(
        self,
        *,
        seller_id: str = "123456",
        api_key: str = "test-key",
        api_secret: str = "test-secret",  # noqa: S107 (a fake server's)
        stock_cap: int = 20_000,
        polls_before_result: int = 0,
    ) -> None:
        self.seller_id, self.api_key, self.api_secret = seller_id, api_key, api_secret
        self.stock_cap = stock_cap
        self.polls_before_result = polls_before_result
        self.lock = threading.Lock()
        self.offset = 0.0  # seconds added to the clock (tests move time on)
        self.products: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.recent: dict[str, float] = {}
        self.packages: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        # barcodes whose next update fails for a passing reason, once each
        self.fail_once: set[str] = set()
        self._ids = itertools.count(1)
        self.server: ThreadingHTTPServer | None = None

    # --- control ----------------------------------------------------------------------------

    def start(self) -> FakeTrendyol:
        fake = self

        class Handler(_Handler):
            owner = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/integration"

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def add_product(
        self, barcode: str, *, quantity: int = 0, sale_price: str = "0", list_price: str = "0"
    ) -> None:
        self.products[barcode] = {
            "quantity": quantity,
            "salePrice": Decimal(sale_price),
            "listPrice": Decimal(list_price),
        }

    def add_package(
        self, lines: list[dict], *, status: str = "Created", **fields: Any
    ) -> dict[str, Any]:
        """A package with lines [{"barcode", "quantity", "price"}]; returns it as listed."""
        n = next(self._ids)
        package = {
            "id": 3_000_000 + n,
            "orderNumber": str(10_000_000 + n),
            "status": status,
            "customerId": 90_000_000 + n,
            "customerEmail": f"pf+{n}@trendyolmail.com",
            "customerFirstName": "Zeynep",
            "customerLastName": "Demir",
            "currencyCode": "TRY",
            "shipmentAddress": {
                "firstName": "Zeynep",
                "lastName": "Demir",
                "fullName": "Zeynep Demir",
                "address1": "Bağdat Caddesi No:5",
                "city": "İstanbul",
                "district": "Kadıköy",
                "postalCode": "34710",
                "countryCode": "TR",
            },
            "lines": [
                {
                    "id": 9_000_000 + n * 10 + i,
                    "barcode": line["barcode"],
                    "quantity": line.get("quantity", 1),
                    "price": float(line.get("price", 100)),
                    "amount": float(line.get("price", 100)) * line.get("quantity", 1),
                    "productName": line.get("name", "Ürün"),
                    "merchantSku": line.get("sku", ""),
                }
                for i, line in enumerate(lines)
            ],
            "totalPrice": sum(float(x.get("price", 100)) * x.get("quantity", 1) for x in lines),
            "trackingNumber": None,
            "history": [],
        }
        package.update(fields)
        self.packages[str(package["id"])] = package
        return package

    # --- the API ----------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict, headers: Any, body: Any
    ) -> tuple[int, Any]:
        expected = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return 401, _errors("ClientApiAuthenticationException", "Unauthorized")
        if headers.get("User-Agent") != f"{self.seller_id} - SelfIntegration":
            return 403, _errors("forbidden", "User-Agent must be '<sellerId> - SelfIntegration'")
        match = re.fullmatch(r"/integration/(\w+)/sellers/(\d+)/(.+)", path)
        if not match or match[2] != self.seller_id:
            return 403 if match else 404, _errors("not.found", "Unknown seller or path")
        area, rest = match[1], match[3]
        with self.lock:
            self.requests.append((method, path, body))
            if area == "inventory" and rest == "products/price-and-inventory" and method == "POST":
                return self._price_and_inventory(body)
            if (
                area == "product"
                and rest.startswith("products/batch-requests/")
                and method == "GET"
            ):
                return self._batch(rest.rsplit("/", 1)[1])
            if area == "order" and rest == "orders" and method == "GET":
                return self._packages(query)
            found = re.fullmatch(r"shipment-packages/(\d+)(/.*)?", rest)
            if area == "order" and found and method == "PUT":
                return self._package_update(found[1], found[2] or "", body)
        return 404, _errors("not.found", "Unknown path")

    def _price_and_inventory(self, body: Any) -> tuple[int, Any]:
        refused = _shape(body, "price_and_inventory")
        if refused:
            return 400, {"errors": refused}
        items = body["items"]
        if not items:
            return 400, _errors("items.required", "items boş olamaz")
        if len(items) > MAX_ITEMS:
            return 400, _errors("items.max", f"En fazla {MAX_ITEMS} item gönderilebilir")
        refused = [
            error
            for i, item in enumerate(items)
            for error in _shape(item, "price_and_inventory_item", where=f"items[{i}].")
        ]
        for i, item in enumerate(items):
            if isinstance(item, dict) and not {"quantity", "salePrice", "listPrice"} & set(item):
                refused.append(
                    _error(f"items[{i}]", "quantity, salePrice ve listPrice'tan biri zorunludur")
                )
        if refused:
            return 400, {"errors": refused}
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
        now = self.now()
        if now - self.recent.get(digest, -1e18) < DUPLICATE_WINDOW_SECONDS:
            return 400, _errors("request.duplicate", DUPLICATE_MESSAGE)
        self.recent[digest] = now
        results = []
        for item in items:
            barcode = str(item.get("barcode"))
            reasons = []
            product = self.products.get(barcode)
            sale, listed = item.get("salePrice"), item.get("listPrice")
            quantity = item.get("quantity")
            if product is None:
                reasons.append(f"{barcode} barkodlu ürün bulunamadı.")
            if (sale is None) != (listed is None):
                reasons.append("Satış fiyatı ve liste fiyatı birlikte gönderilmelidir.")
            elif sale is not None and Decimal(str(listed)) < Decimal(str(sale)):
                reasons.append("Liste fiyatı satış fiyatından düşük olamaz.")
            if quantity is not None and int(quantity) > self.stock_cap:
                reasons.append(f"Stok {self.stock_cap} adetten fazla olamaz.")
            if quantity is not None and int(quantity) < 0:
                reasons.append("Stok negatif olamaz.")
            if not reasons and barcode in self.fail_once:
                self.fail_once.discard(barcode)
                reasons.append("Geçici bir hata oluştu, lütfen tekrar deneyiniz.")
            if not reasons:
                if quantity is not None:
                    product["quantity"] = int(quantity)
                if sale is not None:
                    product["salePrice"] = Decimal(str(sale))
                    product["listPrice"] = Decimal(str(listed))
            results.append(
                {
                    "requestItem": item,
                    "status": "FAILED" if reasons else "SUCCESS",
                    "failureReasons": reasons,
                }
            )
        batch_id = f"{uuid.uuid4()}-{int(now)}"
        self.batches[batch_id] = {"items": results, "polls": 0, "created": now}
        return 200, {"batchRequestId": batch_id}

    def _batch(self, batch_id: str) -> tuple[int, Any]:
        batch = self.batches.get(batch_id)
        if batch is None or self.now() - batch["created"] > 4 * 3600:
            return 404, _errors("batch.not.found", "Batch request bulunamadı")
        batch["polls"] += 1
        if batch["polls"] <= self.polls_before_result:
            return 200, {"batchRequestId": batch_id, "items": [], "status": "IN_PROGRESS"}
        return 200, {
            "batchRequestId": batch_id,
            "items": batch["items"],
            "itemCount": len(batch["items"]),
            "failedItemCount": sum(i["status"] == "FAILED" for i in batch["items"]),
        }

    def _packages(self, query: dict) -> tuple[int, Any]:
        status = query.get("status", [""])[0]
        page = int(query.get("page", ["0"])[0])
        size = int(query.get("size", ["50"])[0])
        if size > MAX_PAGE_SIZE or page < 0:
            return 400, _errors("size.max", f"size en fazla {MAX_PAGE_SIZE} olabilir")
        rows = [p for p in self.packages.values() if not status or p["status"] == status]
        total_pages = (len(rows) + size - 1) // size
        return 200, {
            "page": page,
            "size": size,
            "totalElements": len(rows),
            "totalPages": total_pages,
            "content": rows[page * size : (page + 1) * size],
        }

    def _package_update(self, package_id: str, action: str, body: Any) -> tuple[int, Any]:
        package = self.packages.get(package_id)
        if package is None:
            return 404, _errors("package.not.found", "Paket bulunamadı")
        shape = {
            "": "package_update",
            "/update-tracking-number": "tracking_update",
            "/items/unsupplied": "unsupplied",
        }.get(action)
        if shape is None:
            return 404, _errors("not.found", "Unknown path")
        refused = _shape(body, shape)
        if isinstance(body, dict) and isinstance(body.get("lines"), list):
            for i, line in enumerate(body["lines"]):
                refused += _shape(line, "package_line", where=f"lines[{i}].")
        if isinstance(body, dict) and isinstance(body.get("params"), dict):
            refused += _shape(body["params"], PACKAGE_PARAMS, where="params.")
        if refused:
            return 400, {"errors": refused}
        known = {line["id"]: line["quantity"] for line in package["lines"]}
        lines = body.get("lines")
        if action in ("", "/items/unsupplied") and (
            not lines
            or any(
                line.get("lineId") not in known
                or int(line.get("quantity", 0)) > known[line["lineId"]]
                for line in lines
            )
        ):
            return 400, _errors("lines.invalid", "Paket satırları hatalı")
        if action == "":
            status = body.get("status")
            allowed = {"Picking": {"Created"}, "Invoiced": {"Picking"}}
            if status not in allowed or package["status"] not in allowed[status]:
                return 400, _errors(
                    "status.invalid",
                    f"{package['status']} statüsünden {status} statüsüne geçilemez",
                )
            if status == "Invoiced" and not (body.get("params") or {}).get("invoiceNumber"):
                return 400, _errors("invoice.required", "invoiceNumber zorunludur")
            package["status"] = status
            package["history"].append(status)
            return 200, None
        if action == "/update-tracking-number":
            if package["status"] not in ("Created", "Picking", "Invoiced") or not body.get(
                "trackingNumber"
            ):
                return 400, _errors(
                    "shipment.not.updatable", "Shipment Update Edilebilir Bir Durumda Değil."
                )
            package["cargoSenderNumber"] = body["trackingNumber"]
            package["history"].append("tracking")
            return 200, None
        if action == "/items/unsupplied":
            if package["status"] in ("Shipped", "Delivered") or not body.get("reasonId"):
                return 400, _errors("unsupplied.invalid", "Paket iptal edilemez")
            package["status"] = "UnSupplied"
            package["history"].append("UnSupplied")
            return 200, None
        return 404, _errors("not.found", "Unknown path")


def _error(key: str, message: str) -> dict:
    return {"key": key, "message": message, "errorCode": key}


def _errors(key: str, message: str) -> dict:
    return {"errors": [_error(key, message)]}


def _is(value: Any, types: Any) -> bool:
    return isinstance(value, types) and not isinstance(value, bool)


def _shape(value: Any, shape: str | dict, *, where: str = "") -> list[dict]:
    """What is wrong with a body (or a part of one) against its documented shape."""
    fields = REQUEST_SHAPES[shape] if isinstance(shape, str) else shape
    if not isinstance(value, dict):
        return [_error(where.rstrip(".") or "body", "Bir JSON nesnesi gönderilmelidir")]
    errors = [
        _error(f"{where}{name}", f"{name} alanı tanınmıyor") for name in value if name not in fields
    ]
    for name, (types, required) in fields.items():
        if name not in value or value[name] is None:
            if required:
                errors.append(_error(f"{where}{name}", f"{name} alanı zorunludur"))
        elif not _is(value[name], types):
            errors.append(_error(f"{where}{name}", f"{name} alanının tipi hatalı"))
    return errors


class _Handler(BaseHTTPRequestHandler):
    owner: FakeTrendyol
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet in tests
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw, parse_float=Decimal) if raw else None
        except ValueError:
            status, answer = 400, _errors("json.invalid", "Geçersiz JSON")
        else:
            status, answer = self.owner.handle(
                self.command, parts.path, parse_qs(parts.query), self.headers, body
            )
        data = json.dumps(answer, default=str).encode() if answer is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve
