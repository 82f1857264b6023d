"""What the staff screens read: the stores a staff member works at. Each screen's reads live in
a module of this package by topic (staff.selectors.<topic>); the rules they show are the domain
apps' own selectors."""

from __future__ import annotations

from accounts.models import User
from sales_channels.models import Channel


def user_may_use_staff_screens(user: User) -> bool:
    """Store staff (at their stores), and merchant staff who may add orders (at any store)."""
    if not (user and user.is_authenticated):
        return False
    if user.is_store_staff:
        return True
    return user.is_merchant_staff and user.has_perm("orders.add_order")


def staff_stores(*, user: User) -> list[Channel]:
    """The active store channels the user may work at, with their stock location, by name."""
    stores = Channel.objects.filter(kind=Channel.Kind.STORE, is_active=True)
    if not user.is_merchant_staff:
        stores = stores.filter(pk__in=user.stores.values("pk"))
    return list(stores.select_related("store_location").order_by("name", "code"))
