"""Proving an e-mail address or phone number with a 6-digit code (README, "Customer
identities").

A signed-in customer claims an address or number (identity_claim), has a code sent to it
(identity_claim_send: by e-mail through Django's mail, by SMS through omni.messaging), and types
it back (identity_claim_verify). The code is kept only as an HMAC keyed by SECRET_KEY, lives 10
minutes, may be tried 5 times, and a new one is sent at most once a minute. It is never logged
and never queued: it is handed to the provider after the commit, from memory.

Once proven, the identity is the customer's, verified. A guest profile (no account) that held
it is joined to the customer (customers.merge, reason "verification"): its orders, carts,
addresses, timeline and consents become theirs. An unproven claim joins nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.identities import identity_normalise
from customers.locks import customers_lock, identity_claim_lock, identity_lock
from customers.merge import customer_merge, guests_holding
from customers.models import Customer, CustomerIdentity, IdentityClaim, IdentityKind
from omni.errors import Conflict, NotFound, Throttled, ValidationError
from omni.messaging import message_provider
from sales_channels.emails import email_message

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_SENDS = 5  # per claim: then the customer starts a new claim tomorrow (or support helps)
CLAIMABLE = (IdentityKind.EMAIL, IdentityKind.PHONE)


def code_hash(*, claim_id: int, code: str) -> str:
    """The HMAC-SHA256 of the code, keyed by SECRET_KEY and bound to the claim."""
    message = f"{claim_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def identity_claim(*, customer: Customer, kind: str, value: str) -> IdentityClaim:
    """The customer's claim to an e-mail address or phone number (the one they made before,
    if any). A verified identity of another account's is refused (409 `identity_taken`); one
    the customer has verified already is a 409 `identity_verified`."""
    if kind not in CLAIMABLE:
        raise ValidationError.for_field(
            "kind", _("Only an e-mail address or a phone number can be verified."), code="invalid"
        )
    _marketplace, value = identity_normalise(kind=kind, value=value)
    held = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=kind, marketplace="", value=value)
        .first()
    )
    if held is not None and held.verified_at is not None:
        if held.customer_id == customer.pk:
            raise Conflict(_("You have verified this already."), code="identity_verified")
        if held.customer.user_id is not None:
            raise Conflict(_("This belongs to another account."), code="identity_taken")
    try:
        with transaction.atomic():
            claim, _created = IdentityClaim.objects.get_or_create(
                customer=customer, kind=kind, value=value
            )
    except IntegrityError:  # the same claim made at this very moment (a double tap)
        claim = IdentityClaim.objects.get(customer=customer, kind=kind, value=value)
    return claim


def identity_claims_of(*, customer: Customer) -> list[IdentityClaim]:
    return list(IdentityClaim.objects.filter(customer=customer, verified_at__isnull=True))


def identity_claim_send(*, customer: Customer, claim_id: int) -> IdentityClaim:
    """Send a new code for the claim (any earlier one stops working). At most once a minute
    (429 with Retry-After) and MAX_SENDS times a claim."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        claim = _claim_open(customer, claim_id)
        if claim.sent_at is not None and now < claim.sent_at + RESEND_AFTER:
            wait = claim.sent_at + RESEND_AFTER - now
            raise Throttled(
                _("A code was sent a moment ago; wait before asking again."),
                retry_after=max(1, int(wait.total_seconds()) + 1),
            )
        if claim.sends >= MAX_SENDS:
            raise Throttled(_("Too many codes sent; try again tomorrow."), retry_after=86400)
        claim.code_hash = code_hash(claim_id=claim.pk, code=code)
        claim.code_expires_at = now + CODE_TTL
        claim.attempts = 0
        claim.sent_at = now
        claim.sends += 1
        claim.save(update_fields=["code_hash", "code_expires_at", "attempts", "sent_at", "sends"])
        kind, value, language = claim.kind, claim.value, customer.language or "tr"
        transaction.on_commit(lambda: _deliver(kind, value, code, language))
    logger.info("identity claim %s: code sent (%s)", claim.pk, claim.kind)
    return claim


def _deliver(kind: str, to: str, code: str, language: str) -> None:
    if kind == IdentityKind.EMAIL:
        message_provider().send_email(
            email_message(
                to=[to],
                template="customers/email/verification_code",
                context={"code": code},
                language=language,
            )
        )
    else:
        with translation.override(language):
            text = _("Your verification code is %(code)s. It is valid for 10 minutes.") % {
                "code": code
            }
        message_provider().send_sms(to, text)


def identity_claim_verify(*, customer: Customer, claim_id: int, code: str) -> CustomerIdentity:
    """Check the code; when right, the identity is the customer's and verified, and a guest
    profile that held it is joined to theirs. A wrong code counts as an attempt (kept even
    though the answer is an error); the 5th wrong one, or an expired code, ends the code."""
    now = timezone.now()
    with transaction.atomic():
        claim = _claim_open(customer, claim_id)
        if not claim.code_hash or claim.code_expires_at is None or claim.code_expires_at < now:
            error = ValidationError.for_field(
                "code", _("The code has expired; ask for a new one."), code="code_expired"
            )
        elif claim.attempts >= MAX_ATTEMPTS:
            error = ValidationError.for_field(
                "code", _("Too many wrong codes; ask for a new one."), code="code_attempts"
            )
        elif hmac.compare_digest(claim.code_hash, code_hash(claim_id=claim.pk, code=code.strip())):
            error = None
        else:
            claim.attempts += 1
            claim.save(update_fields=["attempts"])
            error = ValidationError.for_field("code", _("The code is not right."), code="code")
    if error is not None:  # the attempt is committed before the error is raised
        raise error
    return _claim_prove(customer, claim_id)


def _claim_open(customer: Customer, claim_id: int) -> IdentityClaim:
    claim = identity_claim_lock(customer_id=customer.pk, pk=claim_id)
    if claim is None:
        raise NotFound(_("No such claim."))
    if claim.verified_at is not None:
        raise Conflict(_("You have verified this already."), code="identity_verified")
    return claim


def _claim_prove(customer: Customer, claim_id: int) -> CustomerIdentity:
    """The claim is proven: guests holding the identity are joined to the customer, and the
    identity is theirs, verified."""
    with transaction.atomic():
        claim = _claim_open(customer, claim_id)
        claim.verified_at = timezone.now()
        claim.code_hash = ""
        claim.save(update_fields=["verified_at", "code_hash"])
        for guest in guests_holding(kind=claim.kind, value=claim.value, besides=customer):
            customer_merge(source=guest, target=customer, actor=None, reason="verification")
        return _identity_take(customer, claim)


def _identity_take(customer: Customer, claim: IdentityClaim) -> CustomerIdentity:
    held = identity_lock(kind=claim.kind, value=claim.value)
    if held is None:
        return CustomerIdentity.objects.create(
            customer=customer,
            kind=claim.kind,
            value=claim.value,
            verified_at=claim.verified_at,
        )
    if held.customer_id != customer.pk:
        # Another account's unproven claim (say, its sign-up e-mail): proof wins.
        customers_lock(pks=[customer.pk, held.customer_id])
        if held.verified_at is not None:
            raise Conflict(_("This belongs to another account."), code="identity_taken")
    CustomerIdentity.objects.filter(pk=held.pk).update(
        customer=customer, verified_at=held.verified_at or claim.verified_at
    )
    held.refresh_from_db()
    return held
