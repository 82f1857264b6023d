"""What payments hold about a person, for a KVKK erasure (customers.data_requests, registered in
PaymentsConfig.ready()): a payment link still to be sent to their e-mail or phone is forgotten,
and the provider's answers kept with their payments (which may echo the buyer's contact
details) lose the text that names them; amounts, states and the provider's ids stay for the
accounting records. The gift cards they bought forget the address their e-mail went to (the
cards stay spendable by whoever holds the code and PIN)."""

from __future__ import annotations

from django.db.models import Q

from customers.data_requests import data_subject_needles, json_scrub
from customers.models import Customer
from payments.models import (
    GiftCard,
    Payment,
    PaymentLinkSend,
    PaymentTransaction,
    WebhookReceipt,
)


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())[-10:]


def payments_erase(customer: Customer) -> None:
    GiftCard.objects.filter(Q(buyer=customer) | Q(holder=customer)).exclude(
        recipient_email=""
    ).update(recipient_email="")
    needles = data_subject_needles(customer=customer)
    if not needles:
        return
    lowered = {needle.lower() for needle in needles}
    sends = [
        pk
        for pk, recipient in PaymentLinkSend.objects.values_list("pk", "recipient")
        if recipient.strip().lower() in lowered or _digits(recipient) in lowered
    ]
    PaymentLinkSend.objects.filter(pk__in=sends).delete()
    payments = Payment.objects.filter(order__customer=customer)
    json_scrub(payments, "data", needles)
    json_scrub(PaymentTransaction.objects.filter(payment__in=payments), "raw", needles)
    json_scrub(WebhookReceipt.objects.filter(payment__in=payments), "raw", needles)
