"""What orders hold about a person, for KVKK data-subject requests (customers.data_requests,
registered in OrdersConfig.ready()): the export's orders and lines, and the erasure that takes
the person's contact text out of their orders while the amounts and lines, which commercial and
tax law keep for 10 and 5 years, stay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from customers.data_requests import ERASED, customer_erase, erased_postal_address
from customers.locks import customer_lock
from customers.models import Address, Customer, CustomerIdentity, DestructionMethod
from customers.retention import destroyer_register, queryset_destroy
from orders.models import Cart, IdempotencyKey, Notification, Order, OrderLine, SavedItem


def orders_export(customer: Customer) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Order.objects.filter(customer=customer)
        .order_by("created_at", "id")
        .values(
            "number",
            "channel__code",
            "status",
            "delivery",
            "email",
            "phone",
            "shipping_address",
            "billing_address",
            "currency",
            "subtotal",
            "discount_total",
            "shipping_total",
            "tax_total",
            "total",
            "created_at",
        )
    ]


def order_lines_export(customer: Customer) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in OrderLine.objects.filter(order__customer=customer)
        .order_by("order_id", "id")
        .values(
            "order__number",
            "sku",
            "product_name",
            "variant_name",
            "quantity",
            "unit_price",
            "line_total",
            "tax_rate",
            "quantity_returned",
        )
    ]


def orders_erase(customer: Customer) -> None:
    """Anonymise the person's orders' contact fields and their notifications, and forget their
    carts and saved items (behaviour, not records the law keeps)."""
    orders = Order.objects.filter(customer=customer).order_by("pk")
    for order in orders.only("pk", "shipping_address", "billing_address"):
        Order.objects.filter(pk=order.pk).update(
            email="",
            phone="",
            shipping_address=erased_postal_address(order.shipping_address),
            billing_address=erased_postal_address(order.billing_address),
        )
    Notification.objects.filter(order__customer=customer).update(recipient="", context={})
    # A replayed Idempotency-Key answers with the stored response, which names the person:
    # the person's keys go (their orders' and their account's; a replay after the erasure
    # finds no cart to order).
    keys = Q(order__customer=customer) | Q(
        scope__in=[
            f"cart:{token}"
            for token in Cart.objects.filter(customer=customer).values_list("token", flat=True)
        ]
    )
    if customer.user_id is not None:
        keys |= Q(scope=f"user:{customer.user_id}")
    IdempotencyKey.objects.filter(keys).delete()
    Order.objects.filter(customer=customer).update(cart=None)
    Cart.objects.filter(customer=customer).delete()
    SavedItem.objects.filter(customer=customer).delete()


# --- KVKK periodic destruction (customers.retention) -------------------------------------------


def guest_carts_destroy(*, before: datetime, dry_run: bool) -> int:
    """Carts of visitors who never signed in or ordered, untouched since `before`."""
    carts = Cart.objects.filter(customer__isnull=True, updated_at__lt=before).exclude(
        status=Cart.Status.ORDERED
    )
    carts = carts.exclude(Exists(Order.objects.filter(cart=OuterRef("pk"))))
    return queryset_destroy(carts, dry_run=dry_run)


def idempotency_keys_destroy(*, before: datetime, dry_run: bool) -> int:
    """Idempotency-Key answers (they hold the order's contact fields): a client retries within
    minutes, never after the retention period."""
    return queryset_destroy(IdempotencyKey.objects.filter(created_at__lt=before), dry_run=dry_run)


def guest_profiles_past_retention(*, before: datetime) -> Any:
    """Guest profiles (no account) older than `before`, with no order since, that still name
    someone."""
    named = (
        ~Q(email="", phone="", first_name="", last_name="")
        | Exists(CustomerIdentity.objects.filter(customer=OuterRef("pk")))
        | Exists(Address.objects.filter(customer=OuterRef("pk")).exclude(full_name=ERASED))
    )
    recent = Order.objects.filter(customer=OuterRef("pk"), created_at__gte=before)
    return (
        Customer.objects.filter(user__isnull=True, created_at__lt=before)
        .filter(named)
        .exclude(Exists(recent))
    )


def guest_profiles_destroy(*, before: datetime, dry_run: bool) -> int:
    """Anonymise them as an erasure does (their orders' amounts stay for the tax law); one
    profile at a time, each locked, since the erasure reaches every app's rows."""
    candidates = guest_profiles_past_retention(before=before)
    if dry_run:
        return candidates.count()
    done = 0
    for customer_id in candidates.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            try:
                customer = customer_lock(pk=customer_id)
            except Customer.DoesNotExist:  # merged or deleted meanwhile
                continue
            # The outbox keeps a week; a guest with no order for years is not in it.
            customer_erase(customer=customer, scrub_outbox=False)
            done += 1
    return done


def destroyers_register() -> None:
    deleted, anonymised = DestructionMethod.DELETED, DestructionMethod.ANONYMISED
    destroyer_register(
        category="guest_carts", method=deleted, default_days=90, destroyer=guest_carts_destroy
    )
    destroyer_register(
        category="idempotency_keys",
        method=deleted,
        default_days=30,
        destroyer=idempotency_keys_destroy,
    )
    destroyer_register(
        category="guest_profiles",
        method=anonymised,
        default_days=3 * 365,
        destroyer=guest_profiles_destroy,
    )
