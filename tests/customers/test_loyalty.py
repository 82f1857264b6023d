"""The loyalty ledger through its services and orders' and payments' outbox events: earning on
what is paid (pending through the return window, once per event), maturing, FIFO expiry,
tiers by 12-month spend, taking back on return (capped at the balance), adjusting and merging."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import translation

from customers.loyalty import selectors, services
from customers.loyalty.spend import loyalty_merge, loyalty_spend
from customers.models import LoyaltyAccount, LoyaltyEntry
from omni.errors import ValidationError
from omni.models import OutboxEvent
from omni.outbox import outbox_record
from sales_channels import services as relay
from tests import factories as f
from tests.customers import loyalty_support as support

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def club():
    return support.programme()


@pytest.fixture
def web():
    return f.ChannelFactory(code="web", return_window_days=14)


def _balance(customer):
    account = LoyaltyAccount.objects.get(customer=customer)
    return account.available, account.pending


def _paid(order, amount, *, gateway="test", ref="PAY-1", status="captured"):
    with transaction.atomic():
        outbox_record(
            topic="payments.payment.status_changed",
            key=f"payment:{ref}",
            channel_id=order.channel_id,
            payload={
                "order": order.number,
                "payment": ref,
                "gateway": gateway,
                "status": status,
                "previous": "pending",
                "amount": amount,
                "currency": "TRY",
            },
        )


def _earn(customer, amount, number, *, at=T0, key=None):
    return services.loyalty_earn(
        customer_id=customer.pk,
        amount=Decimal(amount),
        currency="TRY",
        order_number=number,
        key=key or f"earn:{number}:{amount}",
        return_window_days=14,
        at=at,
    )


def test_a_captured_payment_earns_pending_points_once_however_often_it_is_relayed(club, web):
    customer = f.CustomerFactory()
    order = support.order(web, "W-1", customer)
    _paid(order, "250.00", ref="PAY-1")
    _paid(order, "40.00", ref="PAY-2", gateway="loyalty")  # paid with points: earns nothing
    _paid(order, "10.00", ref="PAY-3", status="declined")
    _paid(support.order(web, "W-2"), "99.00", ref="PAY-4")  # a guest: no account

    relay.outbox_relay_batch()
    OutboxEvent.objects.update(published_at=None)  # a relay that died before its commit
    relay.outbox_relay_batch()

    assert _balance(customer) == (0, 250)
    [entry] = LoyaltyEntry.objects.all()
    assert (entry.kind, entry.pending, entry.order_number, entry.amount) == (
        "earn_pending",
        250,
        "W-1",
        Decimal("250.00"),
    )
    assert entry.available_at - entry.created_at == dt.timedelta(days=14)
    assert LoyaltyAccount.objects.count() == 1


def test_pending_points_mature_after_the_return_window_and_expire_first_in_first_out(club):
    customer = f.CustomerFactory()
    _earn(customer, "100", "W-1", at=T0)
    _earn(customer, "50", "W-2", at=T0 + dt.timedelta(days=40))

    early = T0 + dt.timedelta(days=13)
    assert selectors.lots_to_mature(now=early) == []
    matured_at = T0 + dt.timedelta(days=60)
    for pk in selectors.lots_to_mature(now=matured_at):
        assert services.loyalty_lot_mature(entry_id=pk, now=matured_at)
        assert not services.loyalty_lot_mature(entry_id=pk, now=matured_at)  # once
    assert _balance(customer) == (150, 0)

    loyalty_spend(customer_id=customer.pk, currency="TRY", amount=Decimal("3.00"), key="s1")
    assert _balance(customer) == (120, 0)  # 30 points from the oldest lot

    later = matured_at + dt.timedelta(days=366)
    for pk in selectors.lots_to_expire(now=later):
        services.loyalty_lot_expire(entry_id=pk, now=later)
    assert _balance(customer) == (0, 0)
    expired = LoyaltyEntry.objects.filter(kind="expire").order_by("points")
    assert sorted(e.points for e in expired) == [-70, -50]


def test_the_tier_follows_12_month_spend_and_multiplies_what_is_earned(club):
    customer = f.CustomerFactory()
    _earn(customer, "900", "W-1")
    assert _earn(customer, "300", "W-2").pending == 450  # 1200 spent: silver, x1.5
    summary = selectors.loyalty_summary(customer=customer)
    assert (summary.pending, summary.tier.name_en, summary.next_tier.name_en) == (
        1350,
        "Silver",
        "Gold",
    )
    assert summary.to_next_tier == Decimal("3800.00")

    account = LoyaltyAccount.objects.get(customer=customer)
    LoyaltyEntry.objects.update(created_at=T0 - dt.timedelta(days=400))  # a year goes by
    services.loyalty_tier_refresh(account_id=account.pk)
    account.refresh_from_db()
    assert (account.spend_12m, account.tier) == (Decimal("0.00"), club.tiers.get(min_spend=0))


def _refund_due(order, amount, return_id):
    with transaction.atomic():
        outbox_record(
            topic="orders.refund.due",
            key=f"return:{return_id}",
            channel_id=order.channel_id,
            payload={
                "order": order.number,
                "return": return_id,
                "amount": amount,
                "currency": "TRY",
                "order_total": str(order.total),
            },
        )


def test_a_return_takes_back_its_share_pending_points_first_then_available(club, web):
    customer = f.CustomerFactory()
    order = support.order(web, "W-1", customer, total="200.00")
    _earn(customer, "200", "W-1")
    _refund_due(order, "50.00", 1)
    relay.outbox_relay_batch()
    assert _balance(customer) == (0, 150)

    now = T0 + dt.timedelta(days=20)
    for pk in selectors.lots_to_mature(now=now):
        services.loyalty_lot_mature(entry_id=pk, now=now)
    _refund_due(order, "100.00", 2)
    relay.outbox_relay_batch()
    OutboxEvent.objects.update(published_at=None)
    relay.outbox_relay_batch()  # replayed: nothing more

    assert _balance(customer) == (50, 0)
    takes = LoyaltyEntry.objects.filter(kind="take_back").order_by("pk")
    assert [(e.points, e.pending, e.return_ref) for e in takes] == [(0, -50, "1"), (-100, 0, "2")]


def test_a_take_back_larger_than_the_balance_stops_at_zero_and_records_the_rest(club):
    customer = f.CustomerFactory()
    _earn(customer, "100", "W-1")
    now = T0 + dt.timedelta(days=20)
    services.loyalty_lot_mature(entry_id=LoyaltyEntry.objects.get().pk, now=now)
    loyalty_spend(customer_id=customer.pk, currency="TRY", amount=Decimal("8.00"), key="s1")

    entry = services.loyalty_take_back(
        customer_id=customer.pk,
        order_number="W-1",
        share=Decimal(1),
        amount=Decimal("100"),
        key="take_back:return:9",
    )

    assert (entry.points, entry.shortfall) == (-20, 80)
    assert _balance(customer) == (0, 0)
    assert (
        services.loyalty_take_back(
            customer_id=customer.pk,
            order_number="W-1",
            share=Decimal(1),
            amount=Decimal("100"),
            key="take_back:return:10",
        )
        is None
    )  # the order has nothing more to give back


def test_a_cancelled_order_takes_back_all_its_points(club, web):
    customer = f.CustomerFactory()
    order = support.order(web, "W-1", customer)
    _earn(customer, "250", "W-1")
    with transaction.atomic():
        outbox_record(
            topic="orders.order.status_changed",
            key=f"order:{order.pk}",
            payload={"order": "W-1", "status": "cancelled", "previous": "confirmed"},
        )
    relay.outbox_relay_batch()
    assert _balance(customer) == (0, 0)


def test_staff_adjust_with_a_reason_and_never_below_zero(club):
    customer, staff = f.CustomerFactory(), f.UserFactory()
    with pytest.raises(ValidationError) as missing, translation.override("tr"):
        services.loyalty_adjust(customer=customer, points=50, reason=" ", actor=staff)
    assert missing.value.fields == {"reason": ["Puanların neden değiştiğini yazın."]}

    services.loyalty_adjust(customer=customer, points=50, reason="goodwill", actor=staff)
    with pytest.raises(ValidationError) as short:
        services.loyalty_adjust(customer=customer, points=-60, reason="error", actor=staff)
    assert short.value.code == "insufficient_points"
    services.loyalty_adjust(customer=customer, points=-20, reason="error", actor=staff)
    assert _balance(customer) == (30, 0)


def test_a_merge_moves_available_and_pending_lots_and_the_spend(club):
    source, target = f.CustomerFactory(), f.CustomerFactory()
    _earn(source, "900", "W-1")
    now = T0 + dt.timedelta(days=20)
    services.loyalty_lot_mature(entry_id=LoyaltyEntry.objects.get().pk, now=now)
    _earn(source, "100", "W-2", at=now)  # silver: 150 pending
    _earn(target, "10", "W-3", at=now)

    assert loyalty_merge(source=source, target=target) == 1050
    assert loyalty_merge(source=source, target=target) == 0  # again: nothing left

    assert _balance(source) == (0, 0)
    assert _balance(target) == (900, 160)
    account = LoyaltyAccount.objects.get(customer=target)
    assert account.tier.name_en == "Silver"
    # The moved pending lot still belongs to its order: a return of W-2 takes it back.
    services.loyalty_take_back(
        customer_id=target.pk,
        order_number="W-2",
        share=Decimal(1),
        amount=Decimal("100"),
        key="take_back:return:5",
    )
    assert _balance(target) == (900, 10)


def test_the_demo_programme_is_seeded_once_with_three_tiers():
    from customers.loyalty.demo import loyalty_demo_seed
    from customers.models import LoyaltyProgramme

    customer = f.UserFactory(email="musteri@omni.test")
    loyalty_demo_seed()
    loyalty_demo_seed()

    programme = LoyaltyProgramme.objects.get()
    assert [t.name_en for t in programme.tiers.all()] == ["Bronze", "Silver", "Gold"]
    assert _balance(customer.customer) == (500, 0)


def test_a_trendyol_order_of_a_known_buyer_earns_on_its_total(club):
    trendyol = f.ChannelFactory(code="trendyol", kind="marketplace", return_window_days=15)
    web = f.ChannelFactory(code="web")
    customer = f.CustomerFactory()
    for channel, number in [(trendyol, "TY-1"), (web, "W-1")]:
        order = support.order(channel, number, customer, total="300.00")
        with transaction.atomic():
            outbox_record(
                topic="orders.order.placed",
                key=f"order:{order.pk}",
                channel_id=channel.pk,
                payload={
                    "order": number,
                    "channel": channel.code,
                    "total": "300.00",
                    "currency": "TRY",
                    "lines": [],
                },
            )

    relay.outbox_relay_batch()

    [entry] = LoyaltyEntry.objects.all()  # the web order earns when it is paid, not placed
    assert (entry.order_number, entry.pending) == ("TY-1", 300)
    assert entry.available_at - entry.created_at == dt.timedelta(days=15)


def test_a_customer_merge_moves_the_points_through_its_mover(club):
    from customers.merge import customer_merge

    source, target = f.CustomerFactory(), f.CustomerFactory()
    _earn(source, "100", "W-1")

    merge = customer_merge(source=source, target=target, actor=None)

    assert merge.moved["loyalty"] == 100
    assert _balance(target) == (0, 100)
    assert _balance(source) == (0, 0)
