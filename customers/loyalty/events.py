"""Orders' and payments' outbox events as loyalty entries, handed over by the channel relay
(sales_channels.services.relay_consumer_register, in CustomersConfig.ready()): customers sits
below both and imports neither. Whose an order is comes from the reader orders registers for
the timeline (customers.timeline.order_owners_read).

- payments.payment.status_changed, status captured: points on the amount paid, on any channel,
  except a payment made with points (gateway "loyalty") or a gift card (gateway "gift_card":
  the card's sale earned already). Key: the payment's reference.
- orders.order.placed on a marketplace channel (Trendyol): the marketplace took the money, so
  the order's total is what was paid, when the buyer is a known customer.
- orders.refund.due: a return takes back its share of what the order earned (the refund over
  the order's total).
- orders.order.status_changed to cancelled: the order's points are all taken back.

Every entry's key comes from the event, so an event relayed twice writes one entry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.db.models import Sum

from customers.loyalty import services
from customers.models import LoyaltyEntry, LoyaltyEntryKind
from customers.timeline import order_owners_read
from sales_channels.models import Channel

logger = logging.getLogger(__name__)

TOPIC_PAYMENT = "payments.payment.status_changed"
TOPIC_PLACED = "orders.order.placed"
TOPIC_REFUND_DUE = "orders.refund.due"
TOPIC_ORDER_STATUS = "orders.order.status_changed"
TOPICS = (TOPIC_PAYMENT, TOPIC_PLACED, TOPIC_REFUND_DUE, TOPIC_ORDER_STATUS)
SPEND_GATEWAY = "loyalty"
# Payments that earn nothing: points spent, and a gift card, whose sale earned already.
NO_EARN_GATEWAYS = (SPEND_GATEWAY, "gift_card")


def _money(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError):
        return None


def _wanted(topic: str, payload: dict) -> bool:
    if topic == TOPIC_PAYMENT:
        return (
            payload.get("status") == "captured" and payload.get("gateway") not in NO_EARN_GATEWAYS
        )
    if topic == TOPIC_ORDER_STATUS:
        return payload.get("status") == "cancelled"
    return True


def loyalty_from_outbox(events: Sequence[tuple]) -> int:
    """Relay consumer: each event is (id, topic, key, version, channel_id, payload JSON text,
    created_at). Returns how many events were turned into entries (or seen before)."""
    decoded = [(row[1], json.loads(row[5]), row[6]) for row in events]
    decoded = [(t, p, at) for t, p, at in decoded if _wanted(t, p)]
    if not decoded:
        return 0
    owners = order_owners_read({str(p.get("order")) for _t, p, _at in decoded})
    channels = {
        c.pk: c
        for c in Channel.objects.filter(
            pk__in={o.channel_id for o in owners.values() if o.channel_id}
        )
    }
    done = 0
    for topic, payload, at in decoded:
        owner = owners.get(str(payload.get("order")))
        if owner is None or owner.customer_id is None:
            continue
        channel = channels.get(owner.channel_id or 0)
        # A failure rolls the batch back and raises: the relay keeps it for a retry
        # (sales_channels.consumers), and each entry's key makes the retry write it once.
        done += _apply(topic, payload, at, owner.customer_id, channel)
    return done


def _apply(topic: str, payload: dict, at, customer_id: int, channel: Channel | None) -> int:
    number = str(payload["order"])
    window = channel.return_window_days if channel else 14
    if topic == TOPIC_PAYMENT:
        amount = _money(payload.get("amount"))
        if amount is None:
            return 0
        services.loyalty_earn(
            customer_id=customer_id,
            amount=amount,
            currency=payload.get("currency", ""),
            order_number=number,
            key=f"earn_pending:payment:{payload['payment']}",
            return_window_days=window,
            at=at,
        )
    elif topic == TOPIC_PLACED:
        total = _money(payload.get("total"))
        if channel is None or channel.kind != Channel.Kind.MARKETPLACE or total is None:
            return 0
        services.loyalty_earn(
            customer_id=customer_id,
            amount=total,
            currency=payload.get("currency", ""),
            order_number=number,
            key=f"earn_pending:order:{number}",
            return_window_days=window,
            at=at,
        )
    elif topic == TOPIC_REFUND_DUE:
        amount = _money(payload.get("amount")) or Decimal(0)
        base = _money(payload.get("order_total")) or _earned_on(number)
        if amount <= 0 or not base:
            return 0
        services.loyalty_take_back(
            customer_id=customer_id,
            order_number=number,
            share=amount / base,
            amount=amount,
            key=f"take_back:return:{payload.get('return')}",
            return_ref=str(payload.get("return", "")),
        )
    else:
        services.loyalty_take_back(
            customer_id=customer_id,
            order_number=number,
            share=Decimal(1),
            amount=_earned_on(number),
            key=f"take_back:order:{number}:cancelled",
        )
    return 1


def _earned_on(number: str) -> Decimal:
    return LoyaltyEntry.objects.filter(
        order_number=number, kind=LoyaltyEntryKind.EARN_PENDING
    ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
