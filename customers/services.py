from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from customers.models import Customer
from sales_channels.models import Channel


def customer_for_user(*, user: User, channel: Channel | None = None) -> Customer:
    """The profile of a signed-in user, created on first need. A guest profile with the same
    e-mail (from an earlier guest checkout) becomes theirs, so their history follows them."""
    customer = getattr(user, "customer", None) if user.pk else None
    if customer is not None:
        return customer
    with transaction.atomic():
        guest = (
            Customer.objects.select_for_update()
            .filter(email__iexact=user.email, user__isnull=True)
            .first()
        )
        if guest is not None:
            guest.user = user
            guest.save(update_fields=["user", "updated_at"])
            return guest
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
    """The profile behind a guest checkout: one per e-mail address, so that a guest's orders
    from every channel are one history (and become the account's when they sign up)."""
    email = (email or "").strip().lower()
    customer = Customer.objects.filter(email__iexact=email).first() if email else None
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
        return Customer.objects.get(email__iexact=email)
