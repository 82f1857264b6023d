"""Marketplace writes: what to send a marketplace of each variant, the batches it is still
processing, order packages imported as Omni orders, and their status reported back.

Nothing here holds a transaction open across a network call: the connector asks for a plan
(reads), sends, then records what was accepted (a short write).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import ProductChannelListing, ProductVariant, VariantChannelPrice
from catalog.services.prices import sale_active
from customers.models import Customer
from customers.services import customer_for_marketplace_buyer
from inventory import selectors as inventory_selectors
from marketplaces.locks import items_lock, package_import_lock, push_batch_lock
from marketplaces.models import BarcodeMapping, MarketplaceItem, PackageImport, PushBatch
from marketplaces.trendyol import (
    MAX_PACKAGE_PAGES,
    TOPIC_ITEM_RESEND,
    TOPIC_LISTING,
    TOPIC_PRODUCT,
    TrendyolClient,
    TrendyolError,
    item_failure_is_permanent,
)
from omni.errors import OmniError, ValidationError
from omni.outbox import Event, outbox_record_many
from orders.locks import order_lock
from orders.models import Fulfilment, Order
from orders.services import carts, checkout, lifecycle
from sales_channels.connectors.base import Change
from sales_channels.models import Channel

log = logging.getLogger(__name__)

FIRST_POLL_SECONDS = 10
MAX_POLL_INTERVAL_SECONDS = 300
BATCH_RESULT_KEPT = timedelta(hours=4)  # Trendyol shows a batch's result for 4 hours
MAX_ITEM_FAILURES = 8  # an item failing for a passing reason is sent again this many times


# --- stock and price: what to send ----------------------------------------------------------


@dataclass(frozen=True)
class PlannedItem:
    item_id: int
    variant_id: int
    barcode: str
    quantity: int
    sale_price: Decimal | None
    list_price: Decimal | None

    def wire(self) -> dict[str, Any]:
        """One item of updatePriceAndInventory: stock and price merged per barcode."""
        data: dict[str, Any] = {"barcode": self.barcode, "quantity": self.quantity}
        if self.sale_price is not None:
            data["salePrice"] = self.sale_price
            data["listPrice"] = self.list_price
        return data


@dataclass
class ItemPlan:
    items: list[PlannedItem] = field(default_factory=list)
    # delivery id -> the variants it concerns; delivery id -> why it is refused for good.
    variants_of: dict[str, list[int]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def _variant_ids_of(changes: list[Change]) -> dict[str, list[int]]:
    by_product: dict[str, int] = {}
    result: dict[str, list[int]] = {}
    for change in changes:
        payload = change.payload or {}
        if change.topic in (TOPIC_LISTING, TOPIC_PRODUCT):
            if payload.get("product_id"):
                by_product[change.delivery_id] = int(payload["product_id"])
            result[change.delivery_id] = []
        else:
            result[change.delivery_id] = (
                [int(payload["variant_id"])] if payload.get("variant_id") else []
            )
    if by_product:
        variants = defaultdict(list)
        for vid, pid in ProductVariant.objects.filter(
            product_id__in=set(by_product.values())
        ).values_list("id", "product_id"):
            variants[pid].append(vid)
        for delivery_id, pid in by_product.items():
            result[delivery_id] = sorted(variants[pid])
    return result


def barcodes_for(*, channel: Channel, variant_ids: Iterable[int]) -> dict[int, str]:
    """{variant id: the barcode the marketplace knows it by}: the channel's mapping, else the
    variant's EAN-13. A variant with neither is missing."""
    ids = list(set(variant_ids))
    result = {
        vid: barcode
        for vid, barcode in ProductVariant.objects.filter(
            pk__in=ids, barcode__isnull=False
        ).values_list("id", "barcode")
        if barcode
    }
    result.update(
        BarcodeMapping.objects.filter(channel=channel, variant_id__in=ids).values_list(
            "variant_id", "barcode"
        )
    )
    return result


@dataclass
class _PlanRows:
    """What the database holds now of the variants a plan concerns, each by variant id (the
    listings by product id), read once."""

    variants: dict[int, ProductVariant]
    prices: dict[int, VariantChannelPrice]
    listings: dict[int, ProductChannelListing]
    barcodes: dict[int, str]
    items: dict[int, MarketplaceItem]


def items_plan(*, channel: Channel, changes: list[Change], stock_cap: int) -> ItemPlan:
    """The items to send for these changes: each concerned variant's current state on the
    channel (what the database holds now is never older than a change's payload), merged into
    one item per barcode, and only where it differs from what the marketplace last accepted.

    A variant is sellable when it has a price on the channel and its product is active and
    published there; otherwise its quantity is 0 (a marketplace item cannot be deleted through
    this API). A variant never priced on the channel and never sent is not the marketplace's.
    A fixed number of queries, whatever the number of changes."""
    now = timezone.now()
    plan = ItemPlan(variants_of=_variant_ids_of(changes))
    ids = sorted({vid for vids in plan.variants_of.values() for vid in vids})
    if not ids:
        return plan
    rows = _plan_rows_load(channel=channel, ids=ids)
    wanted = [
        vid for vid in ids if vid in rows.variants and (vid in rows.prices or vid in rows.items)
    ]
    _plan_items_create(channel=channel, rows=rows, wanted=wanted)
    available = inventory_selectors.availability_for_channel(
        channel=channel, variant_ids=wanted, now=now
    )
    planned: dict[str, PlannedItem] = {}
    for vid in wanted:
        if vid not in rows.barcodes:
            continue
        quantity = min(available.get(vid, 0), stock_cap) if _sellable(rows, vid, now) else 0
        item = _planned_item(rows, vid, quantity, now)
        if item is not None:
            # One item per barcode: a mapping shared by mistake sends the variant seen last.
            planned[item.barcode] = item
    plan.items = list(planned.values())
    for change in changes:
        vids = plan.variants_of[change.delivery_id]
        if len(vids) == 1 and vids[0] in wanted and vids[0] not in rows.barcodes:
            plan.refused[change.delivery_id] = _(
                "Variant %(sku)s has no barcode for this marketplace; add one (or a barcode "
                "mapping) and resync."
            ) % {"sku": rows.variants[vids[0]].sku}
    return plan


def _plan_rows_load(*, channel: Channel, ids: list[int]) -> _PlanRows:
    variants = {
        v.pk: v for v in ProductVariant.objects.filter(pk__in=ids).select_related("product")
    }
    prices = {
        p.variant_id: p
        for p in VariantChannelPrice.objects.filter(channel=channel, variant_id__in=ids)
    }
    listings = {
        row.product_id: row
        for row in ProductChannelListing.objects.filter(
            channel=channel, product_id__in={v.product_id for v in variants.values()}
        )
    }
    barcodes = barcodes_for(channel=channel, variant_ids=ids)
    items = {
        i.variant_id: i for i in MarketplaceItem.objects.filter(channel=channel, variant_id__in=ids)
    }
    return _PlanRows(variants, prices, listings, barcodes, items)


def _plan_items_create(*, channel: Channel, rows: _PlanRows, wanted: list[int]) -> None:
    """A marketplace item for each wanted variant with a barcode that has none yet."""
    missing = [vid for vid in wanted if vid not in rows.items and vid in rows.barcodes]
    if missing:
        MarketplaceItem.objects.bulk_create(
            [
                MarketplaceItem(channel=channel, variant_id=vid, barcode=rows.barcodes[vid])
                for vid in missing
            ],
            ignore_conflicts=True,
        )
        rows.items.update(
            (i.variant_id, i)
            for i in MarketplaceItem.objects.filter(channel=channel, variant_id__in=missing)
        )


def _sellable(rows: _PlanRows, vid: int, now: datetime) -> bool:
    variant = rows.variants[vid]
    listing = rows.listings.get(variant.product_id)
    return (
        vid in rows.prices
        and variant.product.is_active
        and listing is not None
        and listing.is_published
        and (listing.published_at is None or listing.published_at <= now)
    )


def _planned_item(rows: _PlanRows, vid: int, quantity: int, now: datetime) -> PlannedItem | None:
    """The variant's item as it is to be sent, or None when the marketplace already holds it."""
    price, item, barcode = rows.prices.get(vid), rows.items[vid], rows.barcodes[vid]
    sale = price.price if price is not None else None
    # The list price (struck through) is never below the sale price.
    listing_price = max(price.compare_at_price or sale, sale) if price is not None else None
    if price is not None and sale_active(price, now=now):
        # An automatic, unconditional promotion of ours: Trendyol sells at its price, the
        # channel's price struck through. Conditional ones (baskets, codes, segments, buy X get
        # Y, bundles, tiers) have no place in this API and are not sent (README).
        sale = price.sale_price
    changed = quantity != item.sent_quantity or (
        sale is not None and (sale != item.sent_sale_price or listing_price != item.sent_list_price)
    )
    if changed or barcode != item.barcode:
        return PlannedItem(item.pk, vid, barcode, quantity, sale, listing_price)
    return None


DUPLICATE_WINDOW = timedelta(minutes=15)


def request_hash(items: list[PlannedItem]) -> str:
    """A fingerprint of the request body these items make."""
    body = json.dumps({"items": [i.wire() for i in items]}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def duplicate_wait(*, channel: Channel, items: list[PlannedItem]) -> float | None:
    """Trendyol refused these items as a request identical to one of the last 15 minutes.
    None: that request is held (it was accepted and did not fail), so nothing is lost.
    Otherwise the seconds until it may be sent again: the earlier one failed (some of) them,
    and only the end of the window lets the same values through."""
    now = timezone.now()
    earlier = (
        PushBatch.objects.filter(
            channel=channel, body_hash=request_hash(items), created_at__gte=now - DUPLICATE_WINDOW
        )
        .order_by("-created_at")
        .first()
    )
    if earlier is None or earlier.status == PushBatch.Status.PENDING:
        return None
    if earlier.status == PushBatch.Status.COMPLETED and not earlier.failed:
        return None
    return max(1.0, (earlier.created_at + DUPLICATE_WINDOW - now).total_seconds())


def items_sent(*, channel: Channel, items: list[PlannedItem], batch_request_id: str) -> None:
    """The marketplace accepted these items (or already held exactly this request, when
    `batch_request_id` is empty): remember what it was sent and, for a batch, follow it."""
    now = timezone.now()
    wire = [
        {
            "variant_id": i.variant_id,
            "barcode": i.barcode,
            "quantity": i.quantity,
            "salePrice": str(i.sale_price) if i.sale_price is not None else None,
            "listPrice": str(i.list_price) if i.list_price is not None else None,
        }
        for i in items
    ]
    status = MarketplaceItem.Status.PENDING if batch_request_id else MarketplaceItem.Status.OK
    with transaction.atomic():
        if batch_request_id:
            PushBatch.objects.create(
                channel=channel,
                batch_request_id=batch_request_id,
                items=wire,
                body_hash=request_hash(items),
                next_poll_at=now + timedelta(seconds=FIRST_POLL_SECONDS),
            )
        rows = [
            MarketplaceItem(
                pk=i.item_id,
                barcode=i.barcode,
                sent_quantity=i.quantity,
                sent_sale_price=i.sale_price,
                sent_list_price=i.list_price,
                sent_at=now,
                status=status,
                updated_at=now,
            )
            for i in items
        ]
        fields = ["barcode", "sent_quantity", "sent_at", "status", "updated_at"]
        priced = [r for r, i in zip(rows, items, strict=True) if i.sale_price is not None]
        MarketplaceItem.objects.bulk_update(rows, fields)
        if priced:
            MarketplaceItem.objects.bulk_update(priced, ["sent_sale_price", "sent_list_price"])


def items_resend(*, channel: Channel, variant_ids: Iterable[int], reason: str = "") -> int:
    """Forget what the marketplace was sent of these variants and have it sent again (through
    the outbox, so the relay's retries and backoff apply)."""
    ids = sorted(set(variant_ids))
    with transaction.atomic():
        updated = MarketplaceItem.objects.filter(channel=channel, variant_id__in=ids).update(
            sent_quantity=None,
            sent_sale_price=None,
            sent_list_price=None,
            status=MarketplaceItem.Status.RETRYING,
            updated_at=timezone.now(),
        )
        _record_resend(channel=channel, variant_ids=ids, reason=reason)
    return updated


def _record_resend(*, channel: Channel, variant_ids: list[int], reason: str) -> None:
    version = int(timezone.now().timestamp() * 1000)
    outbox_record_many(
        Event(
            topic=TOPIC_ITEM_RESEND,
            key=f"marketplace-item:{vid}:{channel.pk}",
            version=version,
            channel_id=channel.pk,
            payload={"variant_id": vid, "channel": channel.code, "reason": reason[:300]},
        )
        for vid in variant_ids
    )


# --- stock and price: following the batches -------------------------------------------------


def batches_poll(
    *, channel: Channel, client: TrendyolClient, now: datetime | None = None, limit: int = 50
) -> int:
    """Ask for the result of the channel's batches that are due; returns how many completed."""
    now = now or timezone.now()
    due = list(
        PushBatch.objects.filter(
            channel=channel, status=PushBatch.Status.PENDING, next_poll_at__lte=now
        ).order_by("next_poll_at", "id")[:limit]
    )
    return sum(batch_poll(batch=batch, client=client, now=now) for batch in due)


def _result_ready(result: dict) -> bool:
    items = result.get("items") or []
    if str(result.get("status", "")).upper() == "COMPLETED":
        return True
    # For price and stock Trendyol may give no batch status: every item's status decides.
    return bool(items) and all(
        str(i.get("status", "")).upper() in ("SUCCESS", "FAILED") for i in items
    )


def batch_poll(*, batch: PushBatch, client: TrendyolClient, now: datetime | None = None) -> bool:
    """Read one batch's result (outside any transaction), then apply it: accepted items are
    done; an item refused for what it is stays refused (shown in the admin) until it changes;
    one refused for a passing reason is sent again, up to MAX_ITEM_FAILURES times."""
    now = now or timezone.now()
    result = _batch_result_read(batch=batch, client=client, now=now)
    if result is None:
        return False
    outcome = _batch_outcome(result)
    with transaction.atomic():
        batch = push_batch_lock(batch.pk)
        if batch.status != PushBatch.Status.PENDING:
            return False
        sent = {i["barcode"]: i for i in batch.items}
        items = items_lock(
            channel_id=batch.channel_id, variant_ids=[i["variant_id"] for i in sent.values()]
        )
        resend, failures, succeeded = _batch_items_apply(
            sent=sent, items=items, outcome=outcome, now=now
        )
        MarketplaceItem.objects.bulk_update(
            list(items.values()),
            [
                "status",
                "failures",
                "last_error",
                "sent_quantity",
                "sent_sale_price",
                "sent_list_price",
                "updated_at",
            ],
        )
        if resend:
            channel = Channel.objects.get(pk=batch.channel_id)
            _record_resend(
                channel=channel, variant_ids=resend, reason=f"batch {batch.batch_request_id}"
            )
        batch.status = PushBatch.Status.COMPLETED
        batch.completed_at = now
        batch.polls += 1
        batch.succeeded, batch.failed, batch.failures = succeeded, len(failures), failures
        batch.save(
            update_fields=[
                "status", "completed_at", "polls", "succeeded", "failed", "failures", "updated_at",
            ]
        )  # fmt: skip
    return True


def _batch_result_read(*, batch: PushBatch, client: TrendyolClient, now: datetime) -> dict | None:
    """The batch's result once Trendyol has it all; else None, and the batch is asked again
    later, or given up once Trendyol no longer keeps its result."""
    try:
        result = client.batch_result(batch.batch_request_id)
    except TrendyolError as error:
        if error.status == 404 and now - batch.created_at > BATCH_RESULT_KEPT:
            _batch_expire(batch=batch, now=now)
        else:
            _batch_later(batch=batch, now=now)
        return None
    if not _result_ready(result or {}):
        if now - batch.created_at > BATCH_RESULT_KEPT:
            _batch_expire(batch=batch, now=now)
        else:
            _batch_later(batch=batch, now=now)
        return None
    return result


def _batch_outcome(result: dict) -> dict[str, tuple[bool, list[str]]]:
    """{barcode: (accepted, the reasons it was refused)} of a batch's result."""
    outcome: dict[str, tuple[bool, list[str]]] = {}
    for entry in result.get("items") or []:
        request = entry.get("requestItem") or {}
        barcode = str(request.get("barcode") or entry.get("barcode") or "")
        reasons = [str(r) for r in entry.get("failureReasons") or []]
        outcome[barcode] = (str(entry.get("status", "")).upper() == "SUCCESS", reasons)
    return outcome


def _batch_items_apply(
    *,
    sent: dict[str, dict],
    items: dict[int, MarketplaceItem],
    outcome: dict[str, tuple[bool, list[str]]],
    now: datetime,
) -> tuple[list[int], dict[str, list[str]], int]:
    """Set each locked item's status from the batch's outcome (in memory). Returns the variants
    to send again, the reasons of each refused barcode, and how many were accepted."""
    resend, failures, succeeded = [], {}, 0
    for barcode, values in sent.items():
        ok, reasons = outcome.get(barcode, (False, [_("Missing from the batch result.")]))
        item = items.get(values["variant_id"])
        if ok:
            succeeded += 1
        else:
            failures[barcode] = reasons
        # A later request superseded this one for the item: its own batch decides.
        if item is None or not _still_as_sent(item, values):
            continue
        if ok:
            item.status, item.failures, item.last_error = MarketplaceItem.Status.OK, 0, ""
        elif item_failure_is_permanent(reasons) or item.failures + 1 >= MAX_ITEM_FAILURES:
            item.status = MarketplaceItem.Status.FAILED
            item.failures += 1
            item.last_error = "; ".join(reasons)[:2000]
        else:
            item.status = MarketplaceItem.Status.RETRYING
            item.failures += 1
            item.last_error = "; ".join(reasons)[:2000]
            item.sent_quantity = item.sent_sale_price = item.sent_list_price = None
            resend.append(item.variant_id)
        item.updated_at = now
    return resend, failures, succeeded


def _still_as_sent(item: MarketplaceItem, values: dict) -> bool:
    def dec(v: Any) -> Decimal | None:
        return Decimal(v) if v is not None else None

    return item.sent_quantity == values["quantity"] and (
        values["salePrice"] is None
        or (
            item.sent_sale_price == dec(values["salePrice"])
            and item.sent_list_price == dec(values["listPrice"])
        )
    )


def _batch_later(*, batch: PushBatch, now: datetime) -> None:
    wait = min(MAX_POLL_INTERVAL_SECONDS, FIRST_POLL_SECONDS * 2 ** min(batch.polls, 10))
    PushBatch.objects.filter(pk=batch.pk, status=PushBatch.Status.PENDING).update(
        polls=F("polls") + 1, next_poll_at=now + timedelta(seconds=wait), updated_at=now
    )


def _batch_expire(*, batch: PushBatch, now: datetime) -> None:
    """Its result is gone: send its items again rather than guess."""
    with transaction.atomic():
        updated = PushBatch.objects.filter(pk=batch.pk, status=PushBatch.Status.PENDING).update(
            status=PushBatch.Status.EXPIRED, completed_at=now, updated_at=now
        )
        if updated:
            items_resend(
                channel=batch.channel,
                variant_ids=[i["variant_id"] for i in batch.items],
                reason=f"batch {batch.batch_request_id} expired",
            )


# --- order packages -------------------------------------------------------------------------


def packages_import(*, channel: Channel, client: TrendyolClient) -> list[PackageImport]:
    """Import the marketplace's new (Created) packages as orders of the channel."""
    records, page = [], 0
    while page < MAX_PACKAGE_PAGES:
        data = client.shipment_packages(status="Created", page=page) or {}
        for package in data.get("content") or []:
            records.append(package_import(channel=channel, package=package))
        page += 1
        if page >= int(data.get("totalPages") or 0):
            break
    return records


def package_import(*, channel: Channel, package: dict) -> PackageImport:
    """One package as one confirmed order of the channel, at most once per package id.

    Its stock is allocated like any order's (orders.services.checkout.order_place, all lines
    or none); it is already paid, so it is confirmed in the same transaction. A package that
    cannot be placed (an unknown barcode, an item not sold on the channel, too little stock) is
    recorded as failed with the reason, and nothing of it is kept."""
    package = json.loads(json.dumps(package, default=str))  # amounts kept as exact strings
    package_id = str(package.get("id") or package.get("shipmentPackageId") or "")
    if not package_id:
        raise ValidationError.for_field("id", _("The package has no id."), code="invalid")
    try:
        record, _created = PackageImport.objects.get_or_create(
            channel=channel,
            package_id=package_id,
            defaults={"payload": package, "marketplace_order": str(package.get("orderNumber", ""))},
        )
    except IntegrityError:  # created by a concurrent import a moment ago
        record = PackageImport.objects.get(channel=channel, package_id=package_id)
    if record.status == PackageImport.Status.IMPORTED:
        return record
    try:
        with transaction.atomic():
            record = package_import_lock(record.pk)
            if record.status == PackageImport.Status.IMPORTED:
                return record
            order = _order_from_package(channel=channel, package=package)
            record.order = order
            record.status = PackageImport.Status.IMPORTED
            record.reason = ""
            record.attempts += 1
            record.payload = package
            record.remote_status = str(package.get("status") or "Created")
            record.save(
                update_fields=[
                    "order", "status", "reason", "attempts", "payload", "remote_status",
                    "updated_at",
                ]
            )  # fmt: skip
            return record
    except OmniError as error:
        PackageImport.objects.filter(pk=record.pk).exclude(
            status=PackageImport.Status.IMPORTED
        ).update(
            status=PackageImport.Status.FAILED,
            reason=_describe(error),
            attempts=F("attempts") + 1,
            payload=package,
            updated_at=timezone.now(),
        )
        record.refresh_from_db()
        return record


def package_import_retry(*, record: PackageImport) -> PackageImport:
    """Try a failed package again (after the stock or the barcode was fixed)."""
    return package_import(channel=record.channel, package=record.payload)


def _describe(error: OmniError) -> str:
    details = [f"{name}: {' '.join(msgs)}" for name, msgs in error.fields.items()]
    return " ".join([error.message, *details])[:2000]


def _address(package: dict) -> dict[str, str]:
    a = package.get("shipmentAddress") or {}
    name = (
        a.get("fullName")
        or " ".join(filter(None, [a.get("firstName"), a.get("lastName")]))
        or " ".join(
            filter(None, [package.get("customerFirstName"), package.get("customerLastName")])
        )
    )
    values = {
        "full_name": name,
        "phone": a.get("phone") or "",
        "line1": a.get("address1") or a.get("fullAddress") or "",
        "line2": a.get("address2") or "",
        "district": a.get("district") or "",
        "city": a.get("city") or "",
        "postal_code": a.get("postalCode") or "",
        "country": (a.get("countryCode") or "TR").upper(),
    }
    return {k: str(v).strip()[:200] for k, v in values.items()}


def _buyer(*, channel: Channel, package: dict, email: str, phone: str) -> Customer | None:
    """The CRM profile of the package's buyer, by Trendyol's customerId; none without one."""
    buyer_id = str(package.get("customerId") or "").strip()
    if not buyer_id:
        return None
    return customer_for_marketplace_buyer(
        marketplace="trendyol",
        buyer_id=buyer_id[:64],
        email=email,
        phone=phone,
        first_name=str(package.get("customerFirstName") or "")[:80],
        last_name=str(package.get("customerLastName") or "")[:80],
        channel=channel,
    )


def _order_from_package(*, channel: Channel, package: dict) -> Order:
    lines = package.get("lines") or []
    if not lines:
        raise ValidationError.for_field("lines", _("The package has no lines."), code="empty")
    wanted: dict[str, int] = defaultdict(int)
    for line in lines:
        wanted[str(line.get("barcode") or "")] += int(line.get("quantity") or 0)
    by_barcode = dict(
        BarcodeMapping.objects.filter(channel=channel, barcode__in=list(wanted)).values_list(
            "barcode", "variant_id"
        )
    )
    for vid, barcode in ProductVariant.objects.filter(
        barcode__in=[b for b in wanted if b not in by_barcode]
    ).values_list("id", "barcode"):
        by_barcode[barcode] = vid
    unknown = sorted(b for b in wanted if b not in by_barcode)
    if unknown:
        raise ValidationError(
            _("Unknown barcode(s): %(barcodes)s.") % {"barcodes": ", ".join(unknown)},
            code="unknown_barcode",
        )
    cart = carts.cart_create_anonymous(channel=channel)
    for barcode, quantity in sorted(wanted.items()):
        try:
            carts.cart_add(
                cart=cart, channel=channel, variant_id=by_barcode[barcode], quantity=quantity
            )
        except OmniError as error:
            error.message = _("Barcode %(barcode)s: %(reason)s") % {
                "barcode": barcode,
                "reason": error.message,
            }
            raise
    address = _address(package)
    email = str(package.get("customerEmail") or "")
    order = checkout.order_place(
        cart=cart,
        channel=channel,
        delivery=checkout.Delivery(method=Order.Delivery.HOME, address=address),
        email=email,
        phone=address["phone"],
        customer=_buyer(channel=channel, package=package, email=email, phone=address["phone"]),
        pay_later=False,
        language=channel.default_language,
    )
    order = order_lock(order)
    if order.status == Order.Status.PENDING:
        # Paid on the marketplace. No e-mail from Omni: the marketplace owns the customer.
        lifecycle.order_transition(
            order,
            Order.Status.CONFIRMED,
            channel=channel,
            message=_("Paid on %(channel)s, package %(package)s")
            % {"channel": channel.name, "package": package.get("id")},
            data={
                "package_id": package.get("id"),
                "marketplace_order": package.get("orderNumber"),
                "marketplace_total": str(package.get("totalPrice", "")),
            },
        )
    return order


# --- order status back to the marketplace ---------------------------------------------------

_RANK = {"": 0, "Awaiting": 0, "Created": 0, "Picking": 1, "Invoiced": 2, "Shipped": 3}


def package_status_push(
    *, channel: Channel, client: TrendyolClient, order_number: str, status: str, config: dict
) -> list[str]:
    """Tell the marketplace what became of an imported package's order: Picking once it is
    confirmed, then Invoiced (the order number as invoice number) when it ships, with the
    tracking number when the seller pays the carrier; a cancelled order's lines are reported
    unsupplied. Each step is sent once (remembered on the import), so a retry repeats
    nothing already accepted. Returns the steps sent."""
    record = (
        PackageImport.objects.filter(
            channel=channel, order__number=order_number, status=PackageImport.Status.IMPORTED
        )
        .select_related("order")
        .first()
    )
    if record is None:
        return []
    lines = [
        {"lineId": int(line["id"]), "quantity": int(line["quantity"])}
        for line in record.payload.get("lines") or []
    ]
    done: list[str] = []
    rank = _RANK.get(record.remote_status, 9)

    def step(name: str, call) -> None:
        call()
        PackageImport.objects.filter(pk=record.pk).update(
            remote_status=name, updated_at=timezone.now()
        )
        done.append(name)

    if status == Order.Status.CANCELLED:
        if record.remote_status not in ("UnSupplied", "Shipped", "Delivered"):
            step(
                "UnSupplied",
                lambda: client.package_unsupplied(
                    record.package_id,
                    lines=lines,
                    reason_id=int(config.get("unsupplied_reason_id", 500)),
                ),
            )
        return done
    if (
        status
        in (
            Order.Status.CONFIRMED,
            Order.Status.PARTIALLY_SHIPPED,
            Order.Status.SHIPPED,
            Order.Status.DELIVERED,
        )
        and rank < 1
    ):
        step(
            "Picking",
            lambda: client.package_update(record.package_id, status="Picking", lines=lines),
        )
        rank = 1
    if status in (Order.Status.SHIPPED, Order.Status.DELIVERED) and rank < 2:
        if config.get("seller_pays_cargo"):
            tracking = (
                Fulfilment.objects.filter(order_id=record.order_id)
                .exclude(tracking_number="")
                .values_list("tracking_number", flat=True)
                .first()
            )
            if tracking and tracking != record.tracking_sent:
                client.tracking_update(record.package_id, tracking_number=tracking)
                PackageImport.objects.filter(pk=record.pk).update(tracking_sent=tracking)
                done.append("tracking")
        step(
            "Invoiced",
            lambda: client.package_update(
                record.package_id,
                status="Invoiced",
                lines=lines,
                params={"invoiceNumber": record.order.number},
            ),
        )
    return done


# --- endpoints ------------------------------------------------------------------------------


def endpoints_of_kind(kind: str) -> list[Any]:
    """The active endpoints (sales_channels.ChannelEndpoint) whose connector is `kind`, on
    active channels."""
    try:
        model = apps.get_model("sales_channels", "ChannelEndpoint")
    except LookupError:  # the relay's endpoints are not installed
        return []
    return list(
        model.objects.filter(kind=kind, is_active=True, channel__is_active=True).select_related(
            "channel"
        )
    )
