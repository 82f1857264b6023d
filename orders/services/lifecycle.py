"""An order's life: an explicit table of allowed transitions (TRANSITIONS), applied by one
machine (ORDER_MACHINE, an omni.state.StateMachine) through order_transition, an event for every
change, and notifications to the customer recorded in the same transaction.

    pending ──► confirmed ──► partially_shipped ──► shipped ──► delivered
       │            │  └────────────────────────────►┘
       │            ├──► ready_for_pickup ──► collected
       │            ├──► collected                  (a counter sale, handed over at once)
       └────────────┴──► cancelled ◄── ready_for_pickup (not collected in time)

Locks: the order row first, then (through inventory) its allocation rows, then the variants.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from inventory import services as inventory
from omni.outbox import outbox_record
from omni.state import StateMachine
from omni.tasks import enqueue_after_commit
from orders import hooks
from orders.locks import order_lock
from orders.models import Fulfilment, Notification, Order, OrderEvent
from sales_channels.models import Channel

OrderStatus = Order.Status

# The order's one table of allowed moves (ORDER_MACHINE below applies it).
TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: {
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.READY_FOR_PICKUP,
        OrderStatus.COLLECTED,
        OrderStatus.CANCELLED,
    },
    OrderStatus.PARTIALLY_SHIPPED: {OrderStatus.SHIPPED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
    OrderStatus.READY_FOR_PICKUP: {OrderStatus.COLLECTED, OrderStatus.CANCELLED},
    OrderStatus.DELIVERED: set(),
    OrderStatus.COLLECTED: set(),
    OrderStatus.CANCELLED: set(),
}

TOPIC_ORDER_STATUS = "orders.order.status_changed"


def order_event(order: Order, kind: str, **fields) -> OrderEvent:
    """Record an order event now (what it holds: order_event_build)."""
    event = order_event_build(order, kind, **fields)
    event.save(force_insert=True)
    return event


def order_event_build(
    order: Order,
    kind: str,
    *,
    actor: User | None = None,
    channel: Channel | None = None,
    message: str = "",
    data: dict | None = None,
    from_status: str = "",
    to_status: str = "",
    at: datetime | None = None,
) -> OrderEvent:
    """An order event, not yet saved: for writers that batch it with others (order_place)."""
    return OrderEvent(
        order=order,
        kind=kind,
        actor=actor if actor and actor.pk else None,
        channel=channel,
        message=message[:300],
        data=data or {},
        from_status=from_status,
        to_status=to_status,
        created_at=at or timezone.now(),
    )


def _order_refused(order: Order, to: str) -> str:
    return _("Order %(number)s is %(status)s and cannot become %(to)s.") % {
        "number": order.number,
        "status": order.get_status_display().lower(),
        "to": OrderStatus(to).label.lower(),
    }


def _order_status_recorded(
    order: Order,
    before: str,
    to: str,
    *,
    actor: User | None = None,
    channel: Channel | None = None,
    message: str = "",
    data: dict | None = None,
) -> OrderEvent:
    """An order's change of status: its event, and the other channels told (outbox)."""
    event = order_event(
        order,
        "status_changed",
        actor=actor,
        channel=channel,
        message=message,
        data=data,
        from_status=before,
        to_status=to,
    )
    outbox_record(
        topic=TOPIC_ORDER_STATUS,
        key=f"order:{order.pk}",
        version=event.pk,
        channel_id=order.channel_id,
        payload={
            "order": order.number,
            "status": to,
            "previous": before,
            "channel": order.channel_id,
        },
    )
    return event


ORDER_MACHINE: StateMachine[Order, OrderEvent] = StateMachine(
    "order",
    states=OrderStatus,
    transitions=TRANSITIONS,
    refused=_order_refused,
    record=_order_status_recorded,
    stamps={OrderStatus.CONFIRMED: "confirmed_at", OrderStatus.CANCELLED: "cancelled_at"},
)


def order_transition(
    order: Order,
    to: str,
    *,
    actor: User | None = None,
    channel: Channel | None = None,
    message: str = "",
    data: dict | None = None,
) -> OrderEvent:
    """Move a locked order to `to`, or raise InvalidTransition and change nothing. Records the
    event and tells the other channels (outbox) in the same transaction."""
    return ORDER_MACHINE.move(order, to, actor=actor, channel=channel, message=message, data=data)


def notify(order: Order, kind: str, *, subject: str = "", context: dict | None = None) -> None:
    """Record a message to the customer; a Celery task sends it after the commit, once."""
    recipient = order.email or (order.customer.email if order.customer_id else "")
    if not recipient:
        return
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                order=order,
                kind=kind,
                subject=subject,
                language=order.language,
                recipient=recipient,
                context=context or {},
            )
    except IntegrityError:  # each kind once per order (and per subject)
        return
    from orders.tasks import notifications_send

    # The beat (notifications_send_pending) sends what a broker that is down did not queue.
    enqueue_after_commit(notifications_send, [note.pk])


def order_confirm(
    *,
    order: Order,
    actor: User | None = None,
    channel: Channel | None = None,
    message: str = "",
    told: dict | None = None,
) -> Order:
    """Payment received (or a channel that is paid later): the order is confirmed. `told` is
    what the confirmation e-mail says beyond the order (payments: how it was paid)."""
    with transaction.atomic():
        order = order_lock(order)
        order_transition(
            order, OrderStatus.CONFIRMED, actor=actor, channel=channel, message=message
        )
        notify(order, Notification.Kind.CONFIRMED, context=told)
    return order


def order_cancel(
    *,
    order: Order,
    actor: User | None = None,
    channel: Channel | None = None,
    reason: str = "",
    only_from: Collection[str] | None = None,
) -> Order:
    """Cancel before anything has left: the stock is released and any transfer for the order
    is called off; what was paid is handed to payments to refund (an outbox event).
    `only_from` narrows the statuses it may be cancelled from (a shopper: pending or confirmed),
    checked under the lock."""
    with transaction.atomic():
        order = order_lock(order)
        if only_from is not None and order.status not in only_from:
            raise ORDER_MACHINE.refusal(
                order,
                OrderStatus.CANCELLED,
                message=_("Order %(number)s is %(status)s and can no longer be cancelled.")
                % {"number": order.number, "status": order.get_status_display().lower()},
            )
        order_transition(order, OrderStatus.CANCELLED, actor=actor, channel=channel, message=reason)
        # Before the stock: campaigns gives the order's promotion uses back (promotion rows,
        # which placement locks before the stock; the same order here never deadlocks);
        # payments voids or refunds after commit.
        hooks.order_cancelled.send(order=order)
        inventory.allocations_release(reference=order.reference, actor=actor)
        inventory.transfer_detach_order(order_reference=order.reference)
        Fulfilment.objects.filter(order=order).exclude(
            status__in=[
                Fulfilment.Status.SHIPPED,
                Fulfilment.Status.DELIVERED,
                Fulfilment.Status.HANDED_OVER,
            ]
        ).update(status=Fulfilment.Status.CANCELLED, updated_at=timezone.now())
        outbox_record(
            topic="orders.order.cancelled",
            key=f"order:{order.pk}",
            channel_id=order.channel_id,
            payload={
                "order": order.number,
                "total": order.total,
                "currency": order.currency,
                "reason": reason,
            },
        )
        notify(order, Notification.Kind.CANCELLED)
    return order
