from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customers.identities import customer_find_or_create_buyer, customer_find_or_create_guest
from customers.identity import phone_normalise_or_blank
from customers.iys import IysClient, IysConsent, IysError, iys_enabled
from customers.iys_rules import (
    IYS_SOURCES,
    iys_time,
    iys_time_parse,
    push_deadline,
    recipient_for,
)
from customers.locks import address_lock, iys_pull_cursor_lock
from customers.models import (
    POSTAL_FIELDS,
    Address,
    ConsentDecision,
    ConsentSource,
    ConsentStatus,
    ConsentType,
    Customer,
    CustomerIdentity,
    IdentityKind,
    IysPullCursor,
    PushState,
    RecipientType,
    Segment,
)
from customers.segment_rules import rules_validate
from customers.segments import segments_mark_pending
from omni.errors import NotFound, ValidationError
from omni.outbox import outbox_record
from omni.tasks import enqueue_after_commit
from sales_channels.models import Channel

logger = logging.getLogger(__name__)

_UNKNOWN = object()


def customer_for_user(*, user: User, channel: Channel | None = None) -> Customer:
    """The profile of a signed-in user, created on first need.

    A guest profile with the same e-mail is not taken over: the address is not verified, and
    whoever signs up with it must not see another person's orders. Proving the address
    (customers.verification) joins them."""
    # Token sign-in reads the profile with the user (customers.api.auth): None there means none
    # yet.
    customer = user._state.fields_cache.get("customer", _UNKNOWN) if user.pk else None
    if customer is _UNKNOWN:
        customer = Customer.objects.filter(user=user).first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                user=user,
                email=user.email,
                phone=user.phone,
                first_name=user.first_name,
                last_name=user.last_name,
                language=user.language,
                first_channel=channel,
            )
            _account_email_identity(customer)
            return customer
    except IntegrityError:  # created meanwhile by a concurrent request
        return Customer.objects.get(user=user)


def customer_for_marketplace_buyer(
    *,
    marketplace: str,
    buyer_id: str,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    channel: Channel | None = None,
) -> Customer:
    """The profile behind a marketplace's order (customers.identities): found by the buyer id
    the marketplace gives, so a Trendyol buyer's orders are one history."""
    return customer_find_or_create_buyer(
        marketplace=marketplace,
        buyer_id=buyer_id,
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        channel=channel,
    )


def _account_email_identity(customer: Customer) -> None:
    """A new account's profile holds its e-mail address as an identity, unverified until the
    person proves it (customers.verification). One a guest profile holds stays the guest's:
    proving it later joins the guest to the account."""
    email = (customer.email or "").strip().lower()
    if email:
        CustomerIdentity.objects.bulk_create(
            [CustomerIdentity(customer=customer, kind=IdentityKind.EMAIL, value=email)],
            ignore_conflicts=True,
        )


def customer_for_guest(
    *,
    email: str,
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "tr",
    channel: Channel | None = None,
) -> Customer:
    """The profile behind a guest checkout: the guest profile that holds this e-mail address
    or phone number (customers.identities), so that a guest's orders from every channel are one
    history, even with only a phone. Never an account's profile: a guest order must not land in
    the history of whoever owns that address. One query for a returning guest."""
    return customer_find_or_create_guest(
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        language=language,
        channel=channel,
        strict=False,
    )


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
            address = address_lock(customer_id=customer.pk, pk=address_id)
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
        segments_customers_changed(customer_ids=[customer.pk])  # the city rule
    return address


def address_delete(*, customer: Customer, address_id: int) -> None:
    deleted, _rows = Address.objects.filter(customer=customer, pk=address_id).delete()
    if not deleted:
        raise NotFound(_("Address not found."), code="address_not_found")


# --- consent: KVKK and IYS ------------------------------------------------------------------
# A decision is appended, never changed; the push bookkeeping on it is IYS's queue: `pending`
# until pushed (customers.tasks), each push claimed by a conditional UPDATE so two workers never
# post the same decision, and never holding a row lock while IYS answers.

CONSENT_TOPIC = "customers.consent.decided"
PUSH_CLAIM = dt.timedelta(minutes=2)  # longer than a push's HTTP timeouts
# Where the person read the consent text and decided themselves: the text shown is required.
_SOURCES_WITH_TEXT = {ConsentSource.WEB, ConsentSource.APP, ConsentSource.STORE}


def _consent_validate(
    *,
    customer: Customer,
    consent_type: str,
    recipient_type: str,
    status: str,
    source: str,
    text_version: str,
    recorded_by: User | None,
    decided_at: dt.datetime,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if consent_type not in ConsentType.values:
        errors["type"] = [_("Choose one of: %s.") % ", ".join(ConsentType.values)]
    if recipient_type not in RecipientType.values:
        errors["recipient_type"] = [_("Choose one of: %s.") % ", ".join(RecipientType.values)]
    if status not in ConsentStatus.values:
        errors["status"] = [_("Choose one of: %s.") % ", ".join(ConsentStatus.values)]
    if source not in ConsentSource.values or source == ConsentSource.IYS:
        # A decision made in IYS arrives by the pull only (consents_pull_record).
        errors["source"] = [_("Not a source a decision can be recorded from.")]
    if status == ConsentStatus.ONAY and source in _SOURCES_WITH_TEXT and not text_version:
        errors["text_version"] = [_("Say which version of the consent text was shown.")]
    if source == ConsentSource.STORE and recorded_by is None:
        errors["recorded_by"] = [_("A consent taken in a store names the staff member.")]
    if decided_at > timezone.now() + dt.timedelta(minutes=5):
        errors["decided_at"] = [_("A decision cannot be in the future.")]
    if "type" not in errors and not recipient_for(
        consent_type=consent_type, email=customer.email, phone=customer.phone
    ):
        errors["type"] = [
            _("The profile has no e-mail address for this.")
            if consent_type == ConsentType.EPOSTA
            else _("The profile has no valid phone number for this.")
        ]
    return errors


def consent_record(
    *,
    customer: Customer,
    consent_type: str,
    status: str,
    source: str,
    recipient_type: str = RecipientType.BIREYSEL,
    text_version: str = "",
    ip_address: str | None = None,
    recorded_by: User | None = None,
    decided_at: dt.datetime | None = None,
) -> ConsentDecision:
    """Record a person's decision (ONAY or RET) about commercial messages on one channel, with
    its proof, and queue it for IYS. Giving and withdrawing are this one call."""
    decided_at = decided_at or timezone.now()
    text_version = (text_version or "").strip()
    errors = _consent_validate(
        customer=customer,
        consent_type=consent_type,
        recipient_type=recipient_type,
        status=status,
        source=source,
        text_version=text_version,
        recorded_by=recorded_by,
        decided_at=decided_at,
    )
    if errors:
        raise ValidationError(fields=errors)
    recipient = recipient_for(consent_type=consent_type, email=customer.email, phone=customer.phone)
    with transaction.atomic():
        decision = ConsentDecision.objects.create(
            customer=customer,
            type=consent_type,
            recipient_type=recipient_type,
            status=status,
            recipient=recipient,
            source=source,
            decided_at=decided_at,
            text_version=text_version[:40],
            ip_address=ip_address or None,
            recorded_by=recorded_by,
            push_due_at=push_deadline(decided_at),
        )
        _consent_outbox(decision)
        if iys_enabled():
            from customers.tasks import consent_push

            # The beat sweep (consents_push_pending) pushes what a lost message did not.
            enqueue_after_commit(consent_push, decision.pk)
    return decision


def consent_give(**kwargs: Any) -> ConsentDecision:
    return consent_record(status=ConsentStatus.ONAY, **kwargs)


def consent_withdraw(**kwargs: Any) -> ConsentDecision:
    return consent_record(status=ConsentStatus.RET, **kwargs)


def _consent_outbox(decision: ConsentDecision) -> None:
    segments_customers_changed(customer_ids=[decision.customer_id])
    outbox_record(
        topic=CONSENT_TOPIC,
        key=f"customer:{decision.customer_id}:consent:{decision.type}:{decision.recipient_type}",
        version=decision.pk,
        payload={
            "customer_id": decision.customer_id,
            "decision_id": decision.pk,
            "type": decision.type,
            "recipient_type": decision.recipient_type,
            "status": decision.status,
            "source": decision.source,
            "decided_at": decision.decided_at.isoformat(),
        },
    )


def _consent_claim(decision_id: int, now: dt.datetime) -> bool:
    claimed = (
        ConsentDecision.objects.filter(pk=decision_id, push_state=PushState.PENDING)
        .filter(Q(push_claimed_until__isnull=True) | Q(push_claimed_until__lt=now))
        .update(push_claimed_until=now + PUSH_CLAIM, push_attempts=F("push_attempts") + 1)
    )
    return claimed == 1


def _consent_push_done(decision_id: int, **values: Any) -> None:
    ConsentDecision.objects.filter(pk=decision_id, push_state=PushState.PENDING).update(
        push_claimed_until=None, **values
    )


def consent_push(*, decision_id: int, client: IysClient) -> str:
    """Push one pending decision to IYS; its push state afterwards. Safe to run twice and at
    once: the first claim wins, and a decision no longer pending is left alone. An IYS that does
    not answer raises IysError (retryable) with the claim released; a refusal is recorded."""
    now = timezone.now()
    if not _consent_claim(decision_id, now):
        return ConsentDecision.objects.values_list("push_state", flat=True).get(pk=decision_id)
    decision = ConsentDecision.objects.get(pk=decision_id)
    # IYS refuses a second ONAY over an ONAY, a second RET, and a RET for an address it never
    # had an ONAY for: what it already holds for this address needs no push.
    held = (
        ConsentDecision.objects.filter(
            recipient=decision.recipient,
            type=decision.type,
            recipient_type=decision.recipient_type,
            push_state__in=[PushState.SENT, PushState.FROM_IYS],
            decided_at__lte=decision.decided_at,
        )
        .exclude(pk=decision.pk)
        .order_by("-decided_at", "-id")
        .values_list("status", flat=True)
        .first()
    )
    if held == decision.status or (held is None and decision.status == ConsentStatus.RET):
        _consent_push_done(decision_id, push_state=PushState.UNCHANGED, pushed_at=now)
        return PushState.UNCHANGED
    consent = IysConsent(
        recipient=decision.recipient,
        recipient_type=decision.recipient_type,
        type=decision.type,
        status=decision.status,
        source=IYS_SOURCES[ConsentSource(decision.source)],
        consent_date=iys_time(decision.decided_at),
    )
    try:
        transaction_id = client.consent_add(consent)
    except IysError as error:
        if error.retryable:
            ConsentDecision.objects.filter(pk=decision_id).update(
                push_claimed_until=None, push_error=error.message[:500]
            )
            raise
        _consent_push_done(
            decision_id, push_state=PushState.REJECTED, push_error=error.message[:500]
        )
        logger.warning("IYS refused consent decision %s: %s", decision_id, error.message)
        return PushState.REJECTED
    _consent_push_done(
        decision_id,
        push_state=PushState.SENT,
        pushed_at=timezone.now(),
        push_error="",
        iys_transaction_id=transaction_id[:80],
    )
    # With IYS on, a consent counts once IYS holds it (segment fields may_email...).
    segments_customers_changed(customer_ids=[decision.customer_id])
    return PushState.SENT


@dataclass(frozen=True, slots=True)
class PullResult:
    read: int  # changes on the page IYS gave
    recorded: int  # decisions written (one per profile the change is about)


def consents_pull(*, client: IysClient) -> PullResult:
    """Record one page of the decisions citizens made in IYS since the last pull, against every
    profile whose e-mail or phone they are about. Idempotent by IYS's transactionId. No lock is
    held while IYS answers: the page is written only if the cursor is still the one it was read
    after, so two pulls at once write it once."""
    cursor, _created = IysPullCursor.objects.get_or_create(brand_code=client.brand_code)
    changes = client.consent_changes(after=cursor.after)
    recorded = 0
    with transaction.atomic():
        current = iys_pull_cursor_lock(brand_code=client.brand_code)
        if current.after != cursor.after:
            return PullResult(read=0, recorded=0)  # another pull took this page
        for change in changes.consents:
            recorded += _consent_pull_record(change)
        current.after = changes.after[:200]
        current.save(update_fields=["after", "updated_at"])
    return PullResult(read=len(changes.consents), recorded=recorded)


def _profiles_for(recipient: str) -> list[Customer]:
    """The profiles holding the address as an identity (however it was typed), and those whose
    own e-mail or phone is it in the usual forms (profiles without identities yet)."""
    if "@" in recipient:
        email = recipient.strip().lower()
        held = CustomerIdentity.objects.filter(kind=IdentityKind.EMAIL, value=email)
        return list(
            Customer.objects.filter(Q(email__iexact=email) | Q(pk__in=held.values("customer_id")))
        )
    national = recipient.removeprefix("+90")
    typed = {recipient, national, "0" + national, "90" + national}
    held = CustomerIdentity.objects.filter(
        kind=IdentityKind.PHONE, value=phone_normalise_or_blank(recipient) or recipient
    )
    return list(Customer.objects.filter(Q(phone__in=typed) | Q(pk__in=held.values("customer_id"))))


def _consent_pull_record(change: IysConsent) -> int:
    if (
        change.type not in ConsentType.values
        or change.status not in ConsentStatus.values
        or change.recipient_type not in RecipientType.values
        or not change.transaction_id
    ):
        logger.warning("IYS change %s not understood; skipped", change.transaction_id)
        return 0
    customers = _profiles_for(change.recipient)
    known = set(
        ConsentDecision.objects.filter(
            customer__in=customers, iys_transaction_id=change.transaction_id
        ).values_list("customer_id", flat=True)
    )
    decided_at = iys_time_parse(change.consent_date)
    recorded = 0
    for customer in customers:
        if customer.pk in known:
            continue
        decision = ConsentDecision.objects.create(
            customer=customer,
            type=change.type,
            recipient_type=change.recipient_type,
            status=change.status,
            recipient=change.recipient,
            source=ConsentSource.IYS,
            decided_at=decided_at,
            push_state=PushState.FROM_IYS,
            iys_transaction_id=change.transaction_id[:80],
        )
        _consent_outbox(decision)
        recorded += 1
    return recorded


# --- segments -----------------------------------------------------------------------------------


def _segment_validate(*, name: str, rules: Any, exclude_pk: int | None = None) -> None:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("This field is required.")]
    elif Segment.objects.filter(name=name.strip()).exclude(pk=exclude_pk or 0).exists():
        errors["name"] = [_("A segment with this name exists.")]
    try:
        rules_validate(rules)
    except ValidationError as error:
        errors.update(error.fields)
    if errors:
        raise ValidationError(fields=errors)


def segment_create(
    *, name: str, rules: Any, description: str = "", is_active: bool = True
) -> Segment:
    """A new segment; its members are found by a recompute queued after the commit."""
    _segment_validate(name=name, rules=rules)
    try:
        with transaction.atomic():
            segment = Segment.objects.create(
                name=name.strip(), description=description, rules=rules, is_active=is_active
            )
            _recompute_after_commit(segment)
    except IntegrityError:  # the same name saved at once
        raise ValidationError.for_field("name", _("A segment with this name exists.")) from None
    return segment


def segment_update(
    *,
    segment: Segment,
    name: str | None = None,
    rules: Any = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Segment:
    """Change a segment; a change of its rules or a reactivation queues a recompute."""
    new_name = segment.name if name is None else name
    new_rules = segment.rules if rules is None else rules
    _segment_validate(name=new_name, rules=new_rules, exclude_pk=segment.pk)
    recompute = new_rules != segment.rules or (is_active is True and not segment.is_active)
    segment.name = new_name.strip()
    segment.rules = new_rules
    if description is not None:
        segment.description = description
    if is_active is not None:
        segment.is_active = is_active
    with transaction.atomic():
        segment.save(update_fields=["name", "rules", "description", "is_active", "updated_at"])
        if recompute and segment.is_active:
            _recompute_after_commit(segment)
    return segment


def segment_delete(*, segment: Segment) -> None:
    segment.delete()


def _recompute_after_commit(segment: Segment) -> None:
    from customers.tasks import segment_recompute

    # The beat (segments_recompute_all) recomputes every active segment, should this be lost.
    enqueue_after_commit(segment_recompute, segment.pk)


def segments_customers_changed(*, customer_ids: Iterable[int | None]) -> None:
    """These customers' data changed (a timeline event, a consent, an address): mark them
    pending, and queue the refresh of their segments after the commit when one was not pending
    yet; a customer already pending is in the queued refresh's work."""
    if segments_mark_pending(customer_ids=customer_ids):
        from customers.tasks import segments_refresh

        # The beat runs segments_refresh too, for pending customers whose message was lost.
        enqueue_after_commit(segments_refresh)
