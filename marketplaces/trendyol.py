"""Trendyol's seller integration API (https://developers.trendyol.com): its client, errors and
limits. The relay's connector that uses them is marketplaces.connector.

What its documentation states and the client and connector keep to:
- Basic authentication with the API key and secret, and the User-Agent "<sellerId> -
  SelfIntegration" on every request.
- Stock and price go out through updatePriceAndInventory
  (POST /inventory/sellers/{sellerId}/products/price-and-inventory), at most 1,000 items a
  request; the quantity is the sellable stock, at most 20,000 a product; the list price (PSF,
  the struck-through one) is never below the sale price (TSF). A request identical to one sent
  in the last 15 minutes is refused ("15 dakika boyunca aynı isteği tekrarlı olarak
  atamazsınız!"), so only what changed since it was last accepted is sent.
- Each accepted request returns a batchRequestId whose per-item result is read later through
  getBatchRequestResult (GET /product/sellers/{sellerId}/products/batch-requests/{id}), for up
  to 4 hours. That is done by a beat task (marketplaces.services.batches_poll), never by a
  worker waiting here.
- Order packages are read with getShipmentPackages (GET /order/sellers/{sellerId}/orders,
  status=Created, zero-based pages of at most 200) and reported back with updatePackage
  (PUT /order/sellers/{sellerId}/shipment-packages/{packageId}: Picking, then Invoiced with the
  invoice number), updateTrackingNumber when the seller pays the carrier, and a cancellation as
  unsupplied items.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_ITEMS_PER_REQUEST = 1000
STOCK_CAP = 20_000
PACKAGE_PAGE_SIZE = 200
MAX_PACKAGE_PAGES = 50  # getShipmentPackages serves at most 10,000 packages (50 pages of 200)
DUPLICATE_REQUEST_MARK = "15 dakika"
TIMEOUT_SECONDS = 10.0

TOPIC_AVAILABILITY = "inventory.availability.changed"
TOPIC_PRICE = "catalog.price.changed"
TOPIC_LISTING = "catalog.listing.changed"
TOPIC_PRODUCT = "catalog.product.changed"
TOPIC_ORDER_STATUS = "orders.order.status_changed"
# Recorded by the batch poller for an item Trendyol failed for a passing reason.
TOPIC_ITEM_RESEND = "marketplaces.item.resend"
ITEM_TOPICS = frozenset(
    {TOPIC_AVAILABILITY, TOPIC_PRICE, TOPIC_LISTING, TOPIC_PRODUCT, TOPIC_ITEM_RESEND}
)


class TrendyolError(Exception):
    """A request Trendyol refused or did not answer."""

    def __init__(self, status: int, message: str, *, retry_after: float | None = None) -> None:
        self.status = status
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"Trendyol {status}: {message}")

    @property
    def retryable(self) -> bool:
        # Network errors (0), timeouts, throttling and server errors pass; other 4xx do not.
        return self.status in (0, 408, 429) or self.status >= 500

    @property
    def duplicate(self) -> bool:
        return self.status == 400 and DUPLICATE_REQUEST_MARK in self.message


def _wire(value: Any) -> Any:
    # JSON has only one number type; Trendyol reads prices as numbers. A Decimal quantised to
    # kuruş converts to the float whose shortest repr is the same digits, at the edge only.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@dataclass
class TrendyolClient:
    base_url: str  # e.g. https://apigw.trendyol.com/integration
    seller_id: str
    api_key: str
    api_secret: str
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def for_endpoint(cls, endpoint: Any) -> TrendyolClient:
        config = endpoint.config or {}
        return cls(
            base_url=endpoint.url.rstrip("/"),
            seller_id=str(config.get("supplier_id", "")),
            api_key=str(config.get("api_key", "")),
            api_secret=str(config.get("api_secret", "")),
            timeout=float(getattr(endpoint, "timeout_seconds", None) or TIMEOUT_SECONDS),
        )

    def _request(
        self, method: str, path: str, *, body: Any = None, query: dict | None = None
    ) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        if query:
            url = f"{url}?{urllib.parse.urlencode(query)}"
        token = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        headers = {
            "Authorization": f"Basic {token}",
            "User-Agent": f"{self.seller_id} - SelfIntegration",
            "Accept": "application/json",
        }
        data = None
        if body is not None:
            data = json.dumps(body, default=_wire, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            retry_after = error.headers.get("Retry-After")
            raise TrendyolError(
                error.code,
                _error_message(raw) or error.reason,
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise TrendyolError(0, str(getattr(error, "reason", error))) from None
        return json.loads(raw, parse_float=Decimal) if raw else None

    # --- products ---------------------------------------------------------------------------

    def price_and_inventory(self, items: list[dict]) -> str:
        if not 0 < len(items) <= MAX_ITEMS_PER_REQUEST:
            raise ValueError(f"1 to {MAX_ITEMS_PER_REQUEST} items a request, not {len(items)}")
        answer = self._request(
            "POST",
            f"inventory/sellers/{self.seller_id}/products/price-and-inventory",
            body={"items": items},
        )
        return str(answer["batchRequestId"])

    def batch_result(self, batch_request_id: str) -> dict:
        return self._request(
            "GET",
            f"product/sellers/{self.seller_id}/products/batch-requests/"
            f"{urllib.parse.quote(batch_request_id)}",
        )

    # --- orders -----------------------------------------------------------------------------

    def shipment_packages(self, *, status: str = "Created", page: int = 0) -> dict:
        return self._request(
            "GET",
            f"order/sellers/{self.seller_id}/orders",
            query={"status": status, "page": page, "size": PACKAGE_PAGE_SIZE},
        )

    def package_update(
        self, package_id: str, *, status: str, lines: list[dict], params: dict | None = None
    ) -> None:
        self._request(
            "PUT",
            f"order/sellers/{self.seller_id}/shipment-packages/{package_id}",
            body={"lines": lines, "params": params or {}, "status": status},
        )

    def tracking_update(self, package_id: str, *, tracking_number: str) -> None:
        self._request(
            "PUT",
            f"order/sellers/{self.seller_id}/shipment-packages/{package_id}/update-tracking-number",
            body={"trackingNumber": tracking_number},
        )

    def package_unsupplied(self, package_id: str, *, lines: list[dict], reason_id: int) -> None:
        self._request(
            "PUT",
            f"order/sellers/{self.seller_id}/shipment-packages/{package_id}/items/unsupplied",
            body={"lines": lines, "reasonId": reason_id},
        )


def _error_message(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")[:300]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(str(e.get("message", e)) for e in errors if e)[:300]
        return str(body.get("message") or body)[:300]
    return str(body)[:300]


def item_failure_is_permanent(reasons: list[str]) -> bool:
    """Whether Trendyol refused an item for what it is (an unknown barcode, a price or a stock it
    will never take) rather than for a passing reason; the first is not sent again until it
    changes, the second is."""
    text = " ".join(reasons).lower()
    return any(mark in text for mark in _PERMANENT_MARKS)


_PERMANENT_MARKS = (
    "bulunamadı",  # barkod / ürün bulunamadı: not a product of this seller
    "not found",
    "liste fiyat",  # list price below the sale price
    "list price",
    "fazla olamaz",  # stock above the cap
    "cannot exceed",
    "arşiv",  # archived or locked products take no updates
    "archived",
    "kilitli",
    "locked",
)
