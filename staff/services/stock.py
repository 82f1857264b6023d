"""The stock screen's write: a transfer to this store, requested at the counter."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import ProductVariant
from inventory import services as inventory
from inventory.channel_stock import sellable, stock_levels
from inventory.models import StockLocation, Transfer
from omni.errors import InsufficientStock, ValidationError


def store_transfer_request(
    *,
    store: StockLocation,
    destination_code: str,
    source_code: str,
    variant_id: int,
    quantity: int,
    actor: User,
) -> Transfer:
    """Ask for `quantity` units of a variant to come to this store (`store`, the staff
    member's current store) from another active location, through
    inventory.services.transfer_request (the units are held at the source from now).

    A transfer from this screen goes to this store only: another destination is a field
    error. So is an unknown source or variant, and more than the source has free (on hand
    less allocated less live reservations) now; nothing is written then."""
    if destination_code != store.code:
        raise ValidationError.for_field(
            "destination",
            _("A transfer from this screen comes to this store only."),
            code="not_this_store",
        )
    source = StockLocation.objects.filter(code=source_code, is_active=True).first()
    if source is None or source.pk == store.pk:
        raise ValidationError.for_field(
            "source", _("Choose where the units come from."), code="invalid_choice"
        )
    if not ProductVariant.objects.filter(pk=variant_id).exists():
        raise ValidationError.for_field("variant", _("Unknown variant."), code="unknown_variant")
    rows = stock_levels(variant_ids=[variant_id], location_ids=[source.pk], now=timezone.now())
    free = sum(
        sellable(on_hand, allocated, reserved, 0) for _v, _l, on_hand, allocated, reserved in rows
    )
    if quantity > free:
        raise ValidationError.for_field(
            "quantity",
            _("%(source)s has only %(free)s free.") % {"source": source.name, "free": free},
            code="insufficient_stock",
        )
    try:
        return inventory.transfer_request(
            source=source, destination=store, lines={variant_id: quantity}, actor=actor
        )
    except InsufficientStock:  # taken meanwhile
        raise ValidationError.for_field(
            "quantity",
            _("%(source)s no longer has that many free.") % {"source": source.name},
            code="insufficient_stock",
        ) from None
