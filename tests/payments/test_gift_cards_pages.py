"""The gift-card pages: the merchant admin's read-only ledger and its issue form (a reason
required, the PIN shown once), and the storefront account's "My gift cards" (the shopper's own
cards in a fixed number of queries, a balance check by code and PIN with form errors)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from customers.services import customer_for_user
from payments.models import GiftCard, GiftCardEntry
from payments.services import gift_cards
from tests import factories as f
from tests.payments.gift_card_support import issued
from tests.payments.support import provider  # noqa: F401 (a fixture)
from tests.queries import assert_num_queries
from tests.storefront.support import build_shop

pytestmark = pytest.mark.django_db

PAGE = "/en/account/gift-cards/"
ADD = "/admin/payments/giftcard/add/"
# channel, session, user, customer, cards
QUERIES = 6  # 5 before the header's cart count was read from the cart


@pytest.fixture
def admin(client):
    user = f.UserFactory(role=User.Role.MERCHANT_STAFF, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_the_admin_issue_form_requires_a_reason_and_saves_nothing_without_it(admin):
    page = admin.post(ADD, {"amount": "75.00", "currency": "TRY", "reason": ""})

    assert page.status_code == 200
    assert "Bu alan zorunludur." in page.content.decode()  # the admin speaks Turkish
    assert GiftCard.objects.count() == 0
    refused = admin.post(ADD, {"amount": "-1", "currency": "TRY", "reason": "x"})
    assert "TRY cinsinden, en fazla iki ondalık" in refused.content.decode()
    assert GiftCard.objects.count() == 0


def test_the_admin_issues_a_card_shows_its_pin_once_and_its_ledger(admin):
    page = admin.post(ADD, {"amount": "75.00", "currency": "try", "reason": "Mağaza açılışı"})

    card = GiftCard.objects.get()
    body = page.content.decode()
    assert card.grouped in body
    pin = re.search(r"<code>(\d{6})</code>", body).group(1)
    assert gift_cards.gift_card_authenticate(code=card.code, pin=pin) == card
    assert (card.reason, card.initial_amount) == ("Mağaza açılışı", Decimal("75.00"))
    detail = admin.get(reverse("admin:payments_giftcard_change", args=[card.pk]))
    assert detail.status_code == 200 and pin not in detail.content.decode()
    assert "Mağaza açılışı" in detail.content.decode()
    listing = admin.get("/admin/payments/giftcard/?status__exact=active")
    assert listing.status_code == 200 and card.masked in listing.content.decode()
    # The ledger is read-only: no change form posts to it.
    admin.post(reverse("admin:payments_giftcard_change", args=[card.pk]), {"balance": "999"})
    card.refresh_from_db()
    assert card.balance == Decimal("75.00") and GiftCardEntry.objects.count() == 1


def _shopper():
    user = f.UserFactory()
    client = Client()
    client.force_login(user)
    return customer_for_user(user=user), client


def test_my_gift_cards_list_mine_and_check_a_balance():
    build_shop()
    customer, client = _shopper()
    mine, _ = issued("120.00", holder=customer)
    other, other_pin = issued("33.00", holder=f.CustomerFactory())

    page = client.get(PAGE).content.decode()

    assert mine.grouped in page and "120.00 TRY" in page
    assert other.grouped not in page
    checked = client.post(PAGE, {"code": other.grouped, "pin": other_pin})
    assert checked.status_code == 200 and "33.00 TRY" in checked.content.decode()
    wrong = client.post(PAGE, {"code": other.code, "pin": "x"})
    assert wrong.status_code == 400
    assert "4 tries left" in wrong.content.decode()
    assert Client().get(PAGE).status_code == 302


def test_the_page_costs_the_same_queries_for_one_card_and_for_many():
    build_shop()
    customer, client = _shopper()
    issued("10.00", holder=customer)
    client.get(PAGE)
    with assert_num_queries(QUERIES):
        assert client.get(PAGE).status_code == 200
    for _ in range(5):
        issued("10.00", holder=customer)
    with assert_num_queries(QUERIES):
        page = client.get(PAGE)
    assert page.status_code == 200 and page.content.decode().count("<code>") == 6


def test_the_admin_disables_cards_with_a_reason(admin):
    card, pin = issued("40.00")
    changelist = "/admin/payments/giftcard/"
    action = {"action": "disable_gift_cards", "_selected_action": [card.pk]}

    asked = admin.post(changelist, action)
    assert asked.status_code == 200 and card.masked in asked.content.decode()
    admin.post(changelist, {**action, "apply": "1", "reason": ""})
    card.refresh_from_db()
    assert card.status == "active"  # no reason, nothing done
    admin.post(changelist, {**action, "apply": "1", "reason": "kayıp kart"})

    card.refresh_from_db()
    assert (card.status, card.balance) == ("disabled", Decimal("40.00"))
    entry = GiftCardEntry.objects.filter(card=card, kind="adjust").get()
    assert (entry.amount, entry.reason) == (Decimal("0.00"), "kayıp kart")
    with pytest.raises(gift_cards.ValidationError):
        gift_cards._require_usable(card, currency="TRY")
    assert pin  # the PIN still authenticates, but the card pays no more


# --- the payment step -----------------------------------------------------------------------


def test_a_gift_card_pays_part_of_a_web_order_and_the_card_the_rest(client, provider):  # noqa: F811
    from orders.models import Order
    from tests.payments.support import APPROVE
    from tests.storefront.test_payment import card as card_form
    from tests.storefront.test_payment import placed

    shop = build_shop()
    order = placed(client, shop)
    gift, pin = issued("10.00")
    url = f"/tr/checkout/{order.number}/pay/gift-card/"

    accept = {"accept_agreements": "on"}  # the legal forms, accepted with the first try
    wrong = client.post(url, {"gift_card_code": gift.code, "gift_card_pin": "x", **accept})
    assert wrong.status_code == 400
    assert "kilitlenmeden önce 4 deneme" in wrong.content.decode()
    paid = client.post(url, {"gift_card_code": gift.grouped, "gift_card_pin": pin})
    assert paid.headers["Location"] == f"/tr/checkout/{order.number}/pay/"
    page = client.get(f"/tr/checkout/{order.number}/pay/").content.decode()
    assert "Hediye kartınızla 10,00 TRY ödendi." in page  # in Turkish, with its comma
    assert "10,00 TRY hediye kartıyla ödendi" in page
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    rest = client.post(f"/tr/checkout/{order.number}/pay/", card_form(APPROVE))
    assert rest.headers["Location"] == f"/tr/checkout/{order.number}/done/"
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert sorted(p.gateway for p in order.payments.all()) == ["gift_card", "test"]
    assert order.payments.get(gateway="test").amount == order.total - Decimal("10.00")
