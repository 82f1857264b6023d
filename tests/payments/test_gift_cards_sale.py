"""A gift card sold as a product: when the order with its line is paid, one card per unit is
issued and its code and a fresh PIN are e-mailed to the buyer after the commit (the PIN is in
the e-mail only: the database keeps its hash, the logs nothing); a lost e-mail is sent by the
beat's sweep; a card is issued once whatever the retries."""

import logging
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from payments import services
from payments.models import GiftCard, GiftCardEntry
from payments.services import gift_cards
from payments.tasks import gift_card_pins_send_pending
from tests import factories as f
from tests.payments import support
from tests.payments.gift_card_support import gift_card_variant, place_lines, plain_variant

pytestmark = pytest.mark.django_db


def _gift_card_mails():
    return [m for m in mail.outbox if "hediye kart" in m.subject.lower()]


def test_a_paid_order_issues_one_card_per_unit_and_mails_code_and_pin(
    provider, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    web = support.web_channel()
    customer = f.CustomerFactory(email="alici@example.com")
    gift = gift_card_variant(web, price="250.00")
    order = place_lines(web, customer, [(gift, 2), (plain_variant(web, price="80.00"), 1)])
    assert GiftCard.objects.count() == 0  # placed, not paid: nothing yet

    with django_capture_on_commit_callbacks(execute=True):
        services.payment_start(order=order, gateway_code="test", card=support.card())

    cards = list(GiftCard.objects.order_by("pk"))
    assert [(c.initial_amount, c.balance, c.source) for c in cards] == [
        (Decimal("250.00"), Decimal("250.00"), "sold"),
    ] * 2
    assert {c.holder for c in cards} == {customer} and {c.buyer for c in cards} == {customer}
    assert all(c.pin_sent_at and c.pin_hash for c in cards)
    sent = _gift_card_mails()
    assert [m.to for m in sent] == [["alici@example.com"]] * 2
    assert sent[0].subject == "250,00\u00a0₺ tutarındaki hediye kartınız"  # in Turkish
    for card, message in zip(cards, sent, strict=True):
        assert card.grouped in message.body
        pin = re.search(r"PIN: (\d{6})", message.body).group(1)
        assert gift_cards.gift_card_authenticate(code=card.code, pin=pin) == card
        assert pin not in caplog.text and pin not in card.pin_hash
    # Paid again (a webhook, a retry): nothing more is issued.
    gift_cards.gift_cards_issue_for_order(order=order)
    assert GiftCard.objects.count() == 2
    assert GiftCardEntry.objects.filter(kind="issue").count() == 2


def test_a_fixed_amount_product_issues_that_amount():
    store = support.store_channel()
    gift = gift_card_variant(store, price="450.00", amount="500.00")
    order = place_lines(store, f.CustomerFactory(), [(gift, 1)])

    services.payment_record_offline(
        order=order, gateway_code="cash", amount=Decimal("450.00"), actor=None, channel=store
    )

    assert GiftCard.objects.get().initial_amount == Decimal("500.00")


def test_an_e_mail_lost_after_the_commit_is_sent_by_the_sweep():
    store = support.store_channel()
    order = place_lines(store, f.CustomerFactory(), [(gift_card_variant(store), 1)])
    # No on-commit callbacks run here: the task's message is as good as lost.
    services.payment_record_offline(
        order=order, gateway_code="cash", amount=Decimal("250.00"), actor=None, channel=store
    )
    card = GiftCard.objects.get()
    assert card.pin_sent_at is None and card.pin_hash == ""
    # A card without its PIN cannot be used yet.
    with pytest.raises(Exception):  # noqa: B017 (ValidationError: unknown until sent)
        gift_cards.gift_card_authenticate(code=card.code, pin="000000")

    assert gift_card_pins_send_pending() == 0  # younger than two minutes: the task's own
    GiftCard.objects.filter(pk=card.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    assert gift_card_pins_send_pending() == 1
    assert gift_card_pins_send_pending() == 0

    assert len(_gift_card_mails()) == 1
    card.refresh_from_db()
    assert card.pin_sent_at is not None


def test_cancelling_the_order_stops_its_cards_and_writes_off_their_balance(
    django_capture_on_commit_callbacks,
):
    from orders.services.lifecycle import order_cancel

    store = support.store_channel()
    order = place_lines(store, f.CustomerFactory(), [(gift_card_variant(store), 1)])
    services.payment_record_offline(
        order=order, gateway_code="cash", amount=Decimal("250.00"), actor=None, channel=store
    )
    card = GiftCard.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, reason="müşteri vazgeçti")

    card.refresh_from_db()
    assert (card.status, card.balance) == ("disabled", Decimal("0.00"))
    entry = GiftCardEntry.objects.filter(card=card).order_by("id").last()
    assert (entry.kind, entry.amount, entry.key) == (
        "adjust",
        Decimal("-250.00"),
        f"cancel:{card.pk}",
    )
    order.refresh_from_db()
    assert order.refunds.get().amount == Decimal("250.00")  # the cash goes back


def test_a_merge_moves_the_cards_and_an_erasure_forgets_the_address():
    from customers.merge import customer_merge
    from payments.personal_data import payments_erase

    store = support.store_channel()
    source, target = f.CustomerFactory(email="eski@example.com"), f.CustomerFactory()
    order = place_lines(store, source, [(gift_card_variant(store), 1)])
    services.payment_record_offline(
        order=order, gateway_code="cash", amount=Decimal("250.00"), actor=None, channel=store
    )

    merge = customer_merge(source=source, target=target, actor=f.UserFactory(role="merchant_staff"))

    card = GiftCard.objects.get()
    assert (card.holder, card.buyer, merge.moved["gift_cards"]) == (target, target, 1)
    assert card.recipient_email == "eski@example.com"
    payments_erase(target)
    card.refresh_from_db()
    assert card.recipient_email == "" and card.status == "active"
