"""Merging two profiles of one person into one (README, "Customer identities").

Merchant staff merge a duplicate explicitly (customer_merge, reason "staff"); a signed-in
customer who proves an e-mail or phone that a guest profile holds has that guest joined to their
profile the same way (customers.verification, reason "verification"). Everything the merged
profile held moves to the survivor: addresses, identities, consents (append-only, so the most
recent decision per channel and recipient type wins by itself), timeline, data requests, and
what the apps above hold (orders and carts, store credit, loyalty points), which they hand in
as *movers* through customer_merge_mover_register in their AppConfig.ready(): customers never
imports them.

The merged profile stays as a row with `merged_into` set to the survivor; customer_resolve()
follows it, so an old id (in a link, a staff bookmark, a marketplace import) still finds the
person. Chains are kept one step long: merging B into C re-points every profile merged into B.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import User
from customers.data_requests import DATA_REQUEST_MACHINE
from customers.identity import phone_normalise_or_blank
from customers.locks import customers_lock
from customers.models import (
    Address,
    ConsentDecision,
    Customer,
    CustomerIdentity,
    CustomerMerge,
    DataRequest,
    DataRequestStatus,
    IdentityClaim,
    IdentityKind,
    StaffNote,
    TimelineEvent,
)
from customers.tasks import metrics_recompute_soon
from omni.errors import Conflict, NotFound, ValidationError
from omni.outbox import outbox_record

# mover(source, target) -> how many rows (or points) it moved; runs in the merge's transaction
# with both customers locked.
Mover = Callable[[Customer, Customer], int]

_movers: dict[str, Mover] = {}

MERGED_TOPIC = "customers.customer.merged"


def customer_merge_mover_register(*, name: str, mover: Mover) -> None:
    """An app above hands in how it moves what it holds from one profile to another (orders
    and carts, store credit, loyalty points). `name` keys the count in CustomerMerge.moved."""
    _movers[name] = mover


def customer_resolved_pk(customer_id: int) -> Coalesce:
    """An expression for the pk of the profile behind this id (itself, or the survivor it was
    merged into), for a lookup that stays one query: Customer.objects.filter(pk=...)."""
    if not 0 < customer_id < 2**63:  # no profile has it; a bigint parameter would not hold it
        customer_id = 0
    merged_into = Customer.objects.filter(pk=customer_id).values("merged_into_id")[:1]
    return Coalesce(Subquery(merged_into), Value(customer_id))


def customer_resolve(customer_id: int) -> Customer:
    """The profile behind this id: itself, or the survivor it was merged into. One query."""
    customer = Customer.objects.filter(pk=customer_resolved_pk(customer_id)).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def customer_merge(
    *, source: Customer, target: Customer, actor: User | None, reason: str = "staff"
) -> CustomerMerge:
    """Merge `source` into `target`: everything it held moves, it is kept with merged_into set,
    and the merge is recorded (CustomerMerge, and the outbox event customers.customer.merged in
    the same transaction). Both profiles are locked in pk order, so two merges of one pair at
    once (either way round) are one merge and one clear 409 `customer_merged`."""
    if source.pk == target.pk:
        raise ValidationError.for_field(
            "target", _("A profile cannot be merged into itself."), code="same_customer"
        )
    with transaction.atomic():
        locked = customers_lock(pks=[source.pk, target.pk])
        if len(locked) != 2:
            raise NotFound(_("No such customer."))
        source, target = locked[source.pk], locked[target.pk]
        _merge_check(source, target)
        moved = _move_own(source, target)
        for name, mover in _movers.items():
            moved[name] = mover(source, target)
        Customer.objects.filter(merged_into=source).update(merged_into=target)
        _profile_fold(source, target)
        merge = CustomerMerge.objects.create(
            source=source, target=target, actor=actor, reason=reason, moved=moved
        )
        # The survivor's metrics add up the moved orders now; the merged profile's are emptied.
        metrics_recompute_soon(customer_ids=[source.pk, target.pk])
        outbox_record(
            topic=MERGED_TOPIC,
            key=str(target.pk),
            payload={
                "source_id": source.pk,
                "target_id": target.pk,
                "actor_id": actor.pk if actor else None,
                "reason": reason,
                "moved": moved,
            },
        )
    return merge


def _merge_check(source: Customer, target: Customer) -> None:
    if source.merged_into_id is not None or target.merged_into_id is not None:
        merged = source if source.merged_into_id is not None else target
        raise Conflict(
            _("Profile #%(id)s has already been merged into another.") % {"id": merged.pk},
            code="customer_merged",
        )
    if source.user_id is not None:
        raise Conflict(
            _("A profile with an account cannot be merged away; merge the other one into it."),
            code="merge_account_source",
        )


def _move_own(source: Customer, target: Customer) -> dict[str, int]:
    """What customers itself holds moves to the target."""
    if Address.objects.filter(customer=target, is_default=True).exists():
        Address.objects.filter(customer=source, is_default=True).update(is_default=False)
    moved = {
        "addresses": Address.objects.filter(customer=source).update(customer=target),
        "identities": CustomerIdentity.objects.filter(customer=source).update(customer=target),
        # Append-only decisions: on the survivor the most recent one per channel and recipient
        # type is the one in force (selectors.consents_current).
        "consents": ConsentDecision.objects.filter(customer=source).update(customer=target),
        "timeline_events": TimelineEvent.objects.filter(customer=source).update(customer=target),
        "staff_notes": StaffNote.objects.filter(customer=source).update(customer=target),
    }
    # At most one open request of each kind per person: the merged profile's duplicate of one
    # the survivor has open is closed, the rest move.
    open_kinds = DataRequest.objects.filter(
        customer=target, status__in=[DataRequestStatus.RECEIVED, DataRequestStatus.IN_PROGRESS]
    ).values("kind")
    twins = DataRequest.objects.filter(
        customer=source,
        kind__in=open_kinds,
        status__in=[DataRequestStatus.RECEIVED, DataRequestStatus.IN_PROGRESS],
    )
    for twin in twins:
        DATA_REQUEST_MACHINE.move(
            twin, DataRequestStatus.REFUSED, changes={"note": f"merged into #{target.pk}"}
        )
    moved["data_requests"] = DataRequest.objects.filter(customer=source).update(customer=target)
    IdentityClaim.objects.filter(customer=source).delete()
    return moved


def _profile_fold(source: Customer, target: Customer) -> None:
    """The survivor takes the merged profile's name where it has none; the merged profile lets
    go of its e-mail and phone (they are the survivor's identities now), so a later guest
    checkout never lands on it."""
    changes: dict[str, Any] = {}
    for field in ("first_name", "last_name"):
        if not getattr(target, field) and getattr(source, field):
            changes[field] = getattr(source, field)
    if changes:
        Customer.objects.filter(pk=target.pk).update(**changes)
        for field, value in changes.items():
            setattr(target, field, value)
    # An e-mail or phone kept only on the profile (from before identities) becomes the
    # survivor's identity, where nobody holds it, so the person is still found by it.
    email = (source.email or "").strip().lower()
    phone = phone_normalise_or_blank(source.phone or "")
    CustomerIdentity.objects.bulk_create(
        [
            CustomerIdentity(customer=target, kind=kind, value=value)
            for kind, value in ((IdentityKind.EMAIL, email), (IdentityKind.PHONE, phone))
            if value
        ],
        ignore_conflicts=True,
    )
    Customer.objects.filter(pk=source.pk).update(merged_into=target, email="", phone="")
    source.merged_into, source.email, source.phone = target, "", ""


def guests_holding(*, kind: str, value: str, besides: Customer) -> list[Customer]:
    """Guest profiles (no account, not merged away) that hold this e-mail or phone: as an
    identity, or as the profile's own field from before identities. One query."""
    own = Q(email__iexact=value) if kind == "email" else Q(phone=value)
    held = Q(identities__kind=kind, identities__marketplace="", identities__value=value)
    return list(
        Customer.objects.filter(held | own, user__isnull=True, merged_into__isnull=True)
        .exclude(pk=besides.pk)
        .distinct()
        .order_by("pk")
    )
