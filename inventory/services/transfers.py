"""Stock moved between locations: requested, shipped, received or cancelled.

A transfer's state machine (TRANSFER_TRANSITIONS, applied by TRANSFER_MACHINE): each service
refuses a move that is not allowed before it moves any stock, and sets the status last.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from inventory.locks import allocations_lock, transfer_lock, transfers_lock
from inventory.models import (
    Allocation,
    StockLocation,
    Transfer,
    TransferLine,
)
from inventory.services.session import Kind, _positive, _Session
from omni.db import insert_many
from omni.errors import Conflict, ValidationError
from omni.state import StateMachine

# --- transfers ------------------------------------------------------------------------------

TRANSFER_TRANSITIONS: dict[str, set[str]] = {
    Transfer.Status.REQUESTED: {Transfer.Status.SHIPPED, Transfer.Status.CANCELLED},
    Transfer.Status.SHIPPED: {Transfer.Status.RECEIVED},
    Transfer.Status.RECEIVED: set(),
    Transfer.Status.CANCELLED: set(),
}

_TRANSFER_ACTIONS = {  # lazy: translated when the message is made, in its language
    Transfer.Status.SHIPPED: gettext_lazy("shipped"),
    Transfer.Status.RECEIVED: gettext_lazy("received"),
    Transfer.Status.CANCELLED: gettext_lazy("cancelled"),
}


def _transfer_refused(transfer: Transfer, to: str) -> str:
    return _("Transfer %(id)s is %(status)s and cannot be %(action)s.") % {
        "id": transfer.pk,
        "status": transfer.get_status_display().lower(),
        "action": _TRANSFER_ACTIONS[to],
    }


def _transfer_status_recorded(transfer: Transfer, before: str, to: str) -> None:
    """Nothing more to record: a transfer's change is told by the stock moves (the ledger)
    that the service writes with it."""


TRANSFER_MACHINE: StateMachine[Transfer, None] = StateMachine(
    "transfer",
    states=Transfer.Status,
    transitions=TRANSFER_TRANSITIONS,
    refused=_transfer_refused,
    record=_transfer_status_recorded,
    field_error=False,
)


def transfer_request(
    *,
    source: StockLocation,
    destination: StockLocation,
    lines: Mapping[int, int],
    expected_at: datetime | None = None,
    reference: str = "",
    actor: User | None = None,
) -> Transfer:
    """Ask for stock to move between locations. The units are held at the source (allocated)
    from now, so they are not sold before they leave."""
    if source.pk == destination.pk:
        raise ValidationError.for_field(
            "destination", _("A transfer goes to another location."), code="same_location"
        )
    if not lines:
        raise ValidationError.for_field("lines", _("Add at least one line."), code="required")
    for qty in lines.values():
        _positive(qty)
    with transaction.atomic():
        transfer = Transfer.objects.create(
            source=source,
            destination=destination,
            expected_at=expected_at,
            reference=reference,
            requested_by=actor,
        )
        TransferLine.objects.bulk_create(
            TransferLine(transfer=transfer, variant_id=vid, quantity=q) for vid, q in lines.items()
        )
        session = _Session.open(lines)
        for vid, qty in sorted(lines.items()):
            session.move(
                vid,
                source.pk,
                kind=Kind.ALLOCATION,
                quantity=qty,
                allocated=qty,
                reference=f"transfer:{transfer.pk}",
                actor=actor,
            )
        session.flush()
        return transfer


def _locked_transfer(transfer: Transfer) -> tuple[Transfer, dict[int, int]]:
    transfer = transfer_lock(transfer.pk)
    return transfer, dict(transfer.lines.values_list("variant_id", "quantity"))


def transfer_for_order(
    *,
    source: StockLocation,
    destination: StockLocation,
    lines: Mapping[int, int],
    order_reference: str,
    expected_at: datetime | None = None,
    actor: User | None = None,
) -> Transfer:
    """Bring an order's units to its pickup store. The order's own allocation at the source is
    the hold (nothing more is allocated); it travels with the transfer and is allocated to the
    order again at the store when the transfer arrives. Call inside the order's transaction,
    after its stock is allocated."""
    if source.pk == destination.pk:
        raise ValidationError.for_field(
            "destination", _("A transfer goes to another location."), code="same_location"
        )
    transfer = Transfer.objects.create(
        source=source,
        destination=destination,
        expected_at=expected_at,
        reference=order_reference,
        order_reference=order_reference,
        requested_by=actor,
    )
    TransferLine.objects.bulk_create(
        TransferLine(transfer=transfer, variant_id=vid, quantity=q) for vid, q in lines.items()
    )
    return transfer


def transfer_detach_order(*, order_reference: str) -> None:
    """The order was cancelled: its transfers still under way carry plain stock from now on."""
    with transaction.atomic():
        for transfer in transfers_lock(
            order_reference=order_reference, status=Transfer.Status.REQUESTED
        ):
            TRANSFER_MACHINE.move(transfer, Transfer.Status.CANCELLED)
        Transfer.objects.filter(
            order_reference=order_reference, status=Transfer.Status.SHIPPED
        ).update(order_reference="")
        Allocation.objects.filter(
            reference=order_reference, status=Allocation.Status.IN_TRANSIT
        ).update(status=Allocation.Status.MOVED)


def _order_allocations_locked(
    transfer: Transfer, lines: dict[int, int], status: str
) -> list[Allocation]:
    """The allocation rows at the source of the order a transfer serves (none without an
    order), locked before the variants, as allocations_release locks them."""
    if not transfer.order_reference:
        return []
    return allocations_lock(
        reference=transfer.order_reference,
        status=status,
        location_id=transfer.source_id,
        variant_ids=lines,
    )


def transfer_ship(*, transfer: Transfer, actor: User | None = None) -> Transfer:
    with transaction.atomic():
        transfer, lines = _locked_transfer(transfer)
        TRANSFER_MACHINE.require(transfer, Transfer.Status.SHIPPED)
        travelling = _order_allocations_locked(transfer, lines, Allocation.Status.ALLOCATED)
        session = _Session.open(lines)
        if transfer.order_reference:
            held = defaultdict(int)
            for allocation in travelling:
                held[allocation.variant_id] += allocation.quantity
            if any(held[vid] != qty for vid, qty in lines.items()):
                raise Conflict(
                    _("The order's stock at the source no longer matches the transfer."),
                    code="transfer_order_mismatch",
                )
        for vid, qty in sorted(lines.items()):
            session.move(
                vid,
                transfer.source_id,
                kind=Kind.TRANSFER_OUT,
                quantity=qty,
                on_hand=-qty,
                allocated=-qty,
                reference=f"transfer:{transfer.pk}",
                actor=actor,
            )
        session.flush()
        if travelling:
            Allocation.objects.filter(pk__in=[a.pk for a in travelling]).update(
                status=Allocation.Status.IN_TRANSIT
            )
        TRANSFER_MACHINE.move(
            transfer, Transfer.Status.SHIPPED, changes={"shipped_at": session.now}
        )
        return transfer


def transfer_receive(*, transfer: Transfer, actor: User | None = None) -> Transfer:
    with transaction.atomic():
        transfer, lines = _locked_transfer(transfer)
        TRANSFER_MACHINE.require(transfer, Transfer.Status.RECEIVED)
        arriving = _order_allocations_locked(transfer, lines, Allocation.Status.IN_TRANSIT)
        session = _Session.open(lines)
        for vid, qty in sorted(lines.items()):
            session.move(
                vid,
                transfer.destination_id,
                kind=Kind.TRANSFER_IN,
                quantity=qty,
                on_hand=qty,
                reference=f"transfer:{transfer.pk}",
                actor=actor,
            )
        allocations = []
        for old in arriving:  # the order's units are allocated to it again, at the store
            row = session.row(old.variant_id, transfer.destination_id)
            session.move(
                old.variant_id,
                transfer.destination_id,
                kind=Kind.ALLOCATION,
                quantity=old.quantity,
                allocated=old.quantity,
                reference=old.reference,
                actor=actor,
            )
            allocations.append(
                Allocation(
                    stock=row.stock,
                    variant_id=old.variant_id,
                    location_id=transfer.destination_id,
                    reference=old.reference,
                    line_ref=old.line_ref,
                    quantity=old.quantity,
                    created_at=session.now,
                )
            )
        session.flush()
        for allocation in allocations:
            allocation.stock_id = allocation.stock.pk
        insert_many(Allocation, allocations)
        if arriving:
            Allocation.objects.filter(pk__in=[a.pk for a in arriving]).update(
                status=Allocation.Status.MOVED
            )
        TRANSFER_MACHINE.move(
            transfer, Transfer.Status.RECEIVED, changes={"received_at": session.now}
        )
        return transfer


def transfer_cancel(*, transfer: Transfer, actor: User | None = None) -> Transfer:
    with transaction.atomic():
        transfer, lines = _locked_transfer(transfer)
        TRANSFER_MACHINE.require(transfer, Transfer.Status.CANCELLED)
        if not transfer.order_reference:  # an order's transfer holds nothing of its own
            session = _Session.open(lines)
            for vid, qty in sorted(lines.items()):
                session.move(
                    vid,
                    transfer.source_id,
                    kind=Kind.RELEASE,
                    quantity=qty,
                    allocated=-qty,
                    reference=f"transfer:{transfer.pk}",
                    actor=actor,
                )
            session.flush()
        TRANSFER_MACHINE.move(transfer, Transfer.Status.CANCELLED)
        return transfer
