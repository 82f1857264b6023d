"""Services of a customer's identities: adding one (normalised, at most one holder), marking one
verified, issuing a loyalty card, and finding the guest profile that already holds an e-mail or
phone number (customer_find_or_create_guest), so a returning guest is one profile, not one per
order."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.identity import (
    email_normalise,
    loyalty_normalise,
    loyalty_number_new,
    phone_normalise,
    phone_normalise_or_blank,
)
from customers.models import Customer, CustomerIdentity, IdentityKind
from omni.db import columns, from_row
from omni.errors import Conflict, ValidationError
from sales_channels.models import Channel

_TAKEN = {
    IdentityKind.EMAIL: "This e-mail address belongs to another customer.",
    IdentityKind.PHONE: "This phone number belongs to another customer.",
    IdentityKind.LOYALTY_CARD: "This loyalty card belongs to another customer.",
    IdentityKind.MARKETPLACE_BUYER: "This marketplace buyer belongs to another customer.",
}


def identity_normalise(*, kind: str, value: str, marketplace: str = "") -> tuple[str, str]:
    """(marketplace, value) as stored for `kind`; field errors on "kind", "value" or
    "marketplace"."""
    if kind == IdentityKind.EMAIL:
        return "", email_normalise(value, field="value")
    if kind == IdentityKind.PHONE:
        return "", phone_normalise(value, field="value")
    if kind == IdentityKind.LOYALTY_CARD:
        return "", loyalty_normalise(value, field="value")
    if kind == IdentityKind.MARKETPLACE_BUYER:
        marketplace = (marketplace or "").strip().lower()
        value = (value or "").strip()
        if not marketplace:
            raise ValidationError.for_field("marketplace", _("Name the marketplace."))
        if not value:
            raise ValidationError.for_field("value", _("Enter the marketplace's buyer id."))
        return marketplace, value
    raise ValidationError.for_field("kind", _("Unknown kind of identity."), code="invalid_kind")


def identity_add(
    *,
    customer: Customer,
    kind: str,
    value: str,
    marketplace: str = "",
    verified: bool = False,
) -> CustomerIdentity:
    """Give the profile an identity. Adding one it already holds returns it (and marks it
    verified if asked); one another profile holds is refused with a 409 `identity_taken`
    (the database decides, so two profiles adding the same number at once get one each: one
    succeeds, the other is told)."""
    marketplace, value = identity_normalise(kind=kind, value=value, marketplace=marketplace)
    now = timezone.now()
    try:
        with transaction.atomic():
            identity = CustomerIdentity.objects.create(
                customer=customer,
                kind=kind,
                marketplace=marketplace,
                value=value,
                verified_at=now if verified else None,
            )
    except IntegrityError:
        identity = CustomerIdentity.objects.get(kind=kind, marketplace=marketplace, value=value)
        if identity.customer_id != customer.pk:
            raise Conflict(
                _(_TAKEN[IdentityKind(kind)]), code="identity_taken", fields={"value": []}
            ) from None
        if verified and identity.verified_at is None:
            identity_verify_mark(identity=identity, at=now)
    return identity


def identity_verify_mark(*, identity: CustomerIdentity, at=None) -> CustomerIdentity:
    """Record that the person proved they hold this identity (a code or link they received;
    the flows that send them are not here yet). The first proof's time is kept."""
    at = at or timezone.now()
    CustomerIdentity.objects.filter(pk=identity.pk, verified_at__isnull=True).update(verified_at=at)
    if identity.verified_at is None:
        identity.verified_at = at
    return identity


def loyalty_card_issue(*, customer: Customer) -> CustomerIdentity:
    """The profile's loyalty card: the one it holds, or a new number (EAN-13, prefix 29)."""
    held = CustomerIdentity.objects.filter(
        customer=customer, kind=IdentityKind.LOYALTY_CARD
    ).first()
    if held is not None:
        return held
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return CustomerIdentity.objects.create(
                    customer=customer, kind=IdentityKind.LOYALTY_CARD, value=loyalty_number_new()
                )
        except IntegrityError:  # 1 in 10^10 per card: another card has this number
            continue
    raise Conflict(_("No free loyalty card number; try again."), code="loyalty_number_taken")


# --- guests -----------------------------------------------------------------------------------


def customer_find_or_create_guest(
    *,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "tr",
    channel: Channel | None = None,
    strict: bool = True,
) -> Customer:
    """The guest profile of whoever holds this e-mail address or phone number (the e-mail's
    first), created with both as its identities if there is none. Never an account's profile:
    a guest order must not land in the history of whoever signed up with that address.

    `strict` makes an invalid e-mail or phone a field error; without it (checkout, whose
    fields are checked by its own form) an invalid phone is kept on the profile as typed but
    identifies nobody."""
    if strict:
        email = email_normalise(email) if email.strip() else ""
        phone_e164 = phone_normalise(phone) if phone.strip() else ""
    else:
        email = (email or "").strip().lower()
        phone_e164 = phone_normalise_or_blank(phone)
    if strict and not (email or phone_e164):
        raise ValidationError.for_field("email", _("Give an e-mail address or a phone number."))
    found = _guest_find(email=email, phone=phone_e164) if email or phone_e164 else None
    if found is not None:
        customer, unheld = found
        if unheld:  # a returning guest with a new e-mail or phone: nobody holds it yet
            _identities_add_free(customer, unheld)
        return customer
    wanted = [(kind, value) for kind, value in (("email", email), ("phone", phone_e164)) if value]
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                email=email,
                phone=phone_e164 or phone,
                first_name=first_name,
                last_name=last_name,
                language=language,
                first_channel=channel,
            )
            if wanted:
                _identities_add_free(customer, wanted)
                # A guest who checked out with this number at the same moment holds it now:
                # theirs is the profile, and this one is rolled back.
                twin = _guest_holding(wanted, besides=customer)
                if twin is not None:
                    raise _GuestMeanwhile(twin)
            return customer
    except _GuestMeanwhile as meanwhile:
        return meanwhile.customer
    except IntegrityError:  # the guest e-mail index: created meanwhile by a concurrent order
        found = _guest_find(email=email, phone=phone_e164)
        assert found is not None
        return found[0]


def customer_find_or_create_buyer(
    *,
    marketplace: str,
    buyer_id: str,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    channel: Channel | None = None,
) -> Customer:
    """The profile behind a marketplace order: whoever holds the marketplace's buyer id (the
    masked e-mail a marketplace gives may change from order to order; its buyer id does not),
    else the guest holding the e-mail or phone, who is then given the buyer id. An account's
    profile gets a marketplace's orders only through a merge or the buyer id it holds."""
    marketplace, buyer_id = identity_normalise(
        kind=IdentityKind.MARKETPLACE_BUYER, value=buyer_id, marketplace=marketplace
    )
    holder = Customer.objects.filter(
        identities__kind=IdentityKind.MARKETPLACE_BUYER,
        identities__marketplace=marketplace,
        identities__value=buyer_id,
    ).first()
    if holder is not None:
        return holder
    customer = customer_find_or_create_guest(
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        channel=channel,
        strict=False,
    )
    CustomerIdentity.objects.bulk_create(
        [
            CustomerIdentity(
                customer=customer,
                kind=IdentityKind.MARKETPLACE_BUYER,
                marketplace=marketplace,
                value=buyer_id,
            )
        ],
        ignore_conflicts=True,
    )
    # Another import of this buyer at the same moment may have given the id to its profile.
    return Customer.objects.filter(
        identities__kind=IdentityKind.MARKETPLACE_BUYER,
        identities__marketplace=marketplace,
        identities__value=buyer_id,
    ).get()


class _GuestMeanwhile(Exception):
    def __init__(self, customer: Customer) -> None:
        self.customer = customer


def _guest_holding(identities: list[tuple[str, str]], *, besides: Customer) -> Customer | None:
    held = Q()
    for kind, value in identities:
        held |= Q(identities__kind=kind, identities__marketplace="", identities__value=value)
    return (
        Customer.objects.filter(held, user__isnull=True)
        .exclude(pk=besides.pk)
        .order_by("pk")
        .first()
    )


def _identities_add_free(customer: Customer, identities: list[tuple[str, str]]) -> None:
    """Give the profile these identities, one query. One that another profile holds (an
    account's, or a guest's created at this very moment) is left to it: this profile is then a
    duplicate candidate."""
    CustomerIdentity.objects.bulk_create(
        [CustomerIdentity(customer=customer, kind=kind, value=value) for kind, value in identities],
        ignore_conflicts=True,
    )


def _guest_find(*, email: str, phone: str) -> tuple[Customer, list[tuple[str, str]]] | None:
    """One query: the guest profile holding the e-mail identity (or, from before identities or
    created directly, the guest with that e-mail), else the one holding the phone identity, the
    oldest first; with those of the two identities that nobody holds yet. Each branch is one
    index lookup (customer_identity_unique, customer_guest_email_unique)."""
    sql = _GUEST_FIND_SQL.format(columns=columns(Customer, "c"))
    with connection.cursor() as cursor:
        cursor.execute(sql, [email, phone, email, email, phone])
        row = cursor.fetchone()
    if row is None:
        return None
    *values, email_held, phone_held = row
    unheld = [
        (kind, value)
        for kind, value, held in (("email", email, email_held), ("phone", phone, phone_held))
        if value and not held
    ]
    return from_row(Customer, values), unheld


_GUEST_FIND_SQL = """
SELECT {columns},
  EXISTS (SELECT 1 FROM customers_customeridentity
           WHERE kind = 'email' AND marketplace = '' AND value = %s),
  EXISTS (SELECT 1 FROM customers_customeridentity
           WHERE kind = 'phone' AND marketplace = '' AND value = %s)
FROM customers_customer c
JOIN (
  SELECT customer_id, 0 AS rank FROM customers_customeridentity
   WHERE kind = 'email' AND marketplace = '' AND value = %s
  UNION ALL
  SELECT id, 0 FROM customers_customer
   WHERE LOWER(email) = %s AND email <> '' AND user_id IS NULL
  UNION ALL
  SELECT customer_id, 1 FROM customers_customeridentity
   WHERE kind = 'phone' AND marketplace = '' AND value = %s
) held ON held.customer_id = c.id
WHERE c.user_id IS NULL
ORDER BY held.rank, c.id
LIMIT 1
"""
