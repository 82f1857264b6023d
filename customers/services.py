from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import POSTAL_FIELDS, Address, Customer
from omni.db import select_one
from omni.errors import NotFound
from sales_channels.models import Channel

_UNKNOWN = object()


def customer_for_user(*, user: User, channel: Channel | None = None) -> Customer:
    """The profile of a signed-in user, created on first need.

    A guest profile with the same e-mail is not taken over: the address is not verified, and
    whoever signs up with it must not see another person's orders. Joining them is for a
    verified flow (the CRM)."""
    # Token sign-in reads the profile with the user (customers.api.auth): None there means none
    # yet.
    customer = user._state.fields_cache.get("customer", _UNKNOWN) if user.pk else None
    if customer is _UNKNOWN:
        customer = Customer.objects.filter(user=user).first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return Customer.objects.create(
                user=user,
                email=user.email,
                phone=user.phone,
                first_name=user.first_name,
                last_name=user.last_name,
                language=user.language,
                first_channel=channel,
            )
    except IntegrityError:  # created meanwhile by a concurrent request
        return Customer.objects.get(user=user)


def customer_for_guest(
    *,
    email: str,
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "tr",
    channel: Channel | None = None,
) -> Customer:
    """The profile behind a guest checkout: one guest profile per e-mail address, so that a
    guest's orders from every channel are one history. Never an account's profile: a guest
    order must not land in the history of whoever owns that address."""
    email = (email or "").strip().lower()
    # The condition of the guest-email unique index, so that it finds the row by that index.
    customer = select_one(Customer, _GUEST_BY_EMAIL, [email]) if email else None
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return Customer.objects.create(
                email=email,
                phone=phone,
                first_name=first_name,
                last_name=last_name,
                language=language,
                first_channel=channel,
            )
    except IntegrityError:
        return select_one(Customer, _GUEST_BY_EMAIL, [email])


_GUEST_BY_EMAIL = "LOWER(email) = %s AND email <> '' AND user_id IS NULL"


# --- saved addresses ------------------------------------------------------------------------

ADDRESS_FIELDS = ("label", *POSTAL_FIELDS)


def address_save(
    *, customer: Customer, data: dict[str, Any], is_default: bool = False, address_id: int = 0
) -> Address:
    """Add (or change) one of the customer's addresses; at most one is the default."""
    values = {name: str(data.get(name) or "").strip()[:200] for name in ADDRESS_FIELDS}
    values["country"] = (values["country"] or "TR").upper()[:2]
    with transaction.atomic():
        if address_id:
            address = (
                Address.objects.select_for_update().filter(customer=customer, pk=address_id).first()
            )
            if address is None:
                raise NotFound(_("Address not found."), code="address_not_found")
        else:
            address = Address(customer=customer)
        first = not Address.objects.filter(customer=customer).exists()
        if is_default or first:
            Address.objects.filter(customer=customer, is_default=True).update(is_default=False)
        for name, value in values.items():
            setattr(address, name, value)
        address.is_default = is_default or first
        address.save()
    return address


def address_delete(*, customer: Customer, address_id: int) -> None:
    deleted, _rows = Address.objects.filter(customer=customer, pk=address_id).delete()
    if not deleted:
        raise NotFound(_("Address not found."), code="address_not_found")
