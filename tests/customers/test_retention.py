"""KVKK periodic destruction: each category of personal data past its retention is deleted or
anonymised by one run, logged per category, and a second run finds nothing; the log itself is
kept 3 years. Invoices and orders' amounts are never destroyed."""

import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from customers import retention
from customers.models import Customer, DestructionLog, IdentityClaim, TimelineEvent
from orders.models import Cart, IdempotencyKey, Order
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = timezone.now()
YEARS = timedelta(days=365)


def _event(customer, kind, age, event_id, visitor=None):
    event = TimelineEvent.objects.create(
        customer=customer,
        visitor_id=visitor,
        kind=kind,
        occurred_at=NOW - age,
        source="web",
        event_id=event_id,
    )
    TimelineEvent.objects.filter(pk=event.pk).update(recorded_at=NOW - age)
    return event


def _order(customer, channel, number, age):
    order = Order.objects.create(
        number=number, channel=channel, origin_channel=channel, customer=customer,
        email=customer.email, delivery=Order.Delivery.HOME, currency="TRY",
        subtotal=Decimal("100.00"), total=Decimal("100.00"),
    )  # fmt: skip
    Order.objects.filter(pk=order.pk).update(created_at=NOW - age)
    return order


def _old(model, obj, age, field="created_at"):
    model.objects.filter(pk=obj.pk).update(**{field: NOW - age})


@pytest.fixture
def world():
    web = f.ChannelFactory(code="web")
    known = f.CustomerFactory()
    stale_guest = f.CustomerFactory(email="eski@example.com")
    _old(Customer, stale_guest, 4 * YEARS)
    old_buyer = f.CustomerFactory(email="eski.alici@example.com")
    _old(Customer, old_buyer, 5 * YEARS)
    old_order = _order(old_buyer, web, "W-1", 4 * YEARS)
    recent_buyer = f.CustomerFactory(email="yeni.alici@example.com")
    _old(Customer, recent_buyer, 5 * YEARS)
    _order(recent_buyer, web, "W-2", 1 * YEARS)
    member = f.CustomerFactory(user=f.UserFactory(), email="uye@example.com")
    _old(Customer, member, 5 * YEARS)

    visitor = uuid.uuid4()
    _event(None, "product_viewed", timedelta(days=200), "v-old", visitor)
    _event(None, "product_viewed", timedelta(days=10), "v-new", visitor)
    _event(known, "search", 3 * YEARS, "b-old")
    _event(known, "search", timedelta(days=30), "b-new")
    _event(known, "order_placed", 3 * YEARS, "o-old")  # not behaviour: stays

    stale_cart = Cart.objects.create(origin_channel=web, last_channel=web)
    _old(Cart, stale_cart, timedelta(days=120), "updated_at")
    fresh_cart = Cart.objects.create(origin_channel=web, last_channel=web)
    ordered_cart = Cart.objects.create(origin_channel=web, last_channel=web, status="ordered")
    _old(Cart, ordered_cart, timedelta(days=400), "updated_at")

    old_key = IdempotencyKey.objects.create(scope="cart:x", key="1", request_hash="h")
    _old(IdempotencyKey, old_key, timedelta(days=40))
    IdempotencyKey.objects.create(scope="cart:x", key="2", request_hash="h")

    old_claim = IdentityClaim.objects.create(customer=known, kind="email", value="a@example.com")
    _old(IdentityClaim, old_claim, timedelta(days=31))
    IdentityClaim.objects.create(customer=known, kind="phone", value="+905321112233")

    for age in (4 * YEARS, 2 * YEARS):
        DestructionLog.objects.create(
            run_id=uuid.uuid4(), category="guest_carts", method="deleted", rows=1,
            retention_days=90, cutoff=NOW - age, started_at=NOW - age, finished_at=NOW - age,
            triggered_by="beat",
        )  # fmt: skip
    return {
        "stale_guest": stale_guest,
        "old_buyer": old_buyer,
        "old_order": old_order,
        "recent_buyer": recent_buyer,
        "member": member,
        "carts": (stale_cart, fresh_cart, ordered_cart),
    }


EXPECTED = {
    "behaviour_timeline": 1,  # the known customer's 3-year-old search
    "destruction_log": 1,
    "guest_carts": 1,
    "guest_profiles": 2,
    "idempotency_keys": 1,
    "identity_claims": 1,
    "visitor_timeline": 1,  # the visitor's view of 200 days ago
}


def _rows(done):
    return {item.category: item.rows for item in done}


def test_a_run_destroys_what_is_past_retention_and_logs_each_category(world):
    done = retention.destruction_run(triggered_by="command")

    assert _rows(done) == EXPECTED
    assert set(TimelineEvent.objects.values_list("event_id", flat=True)) == {
        "v-new",
        "b-new",
        "o-old",
    }
    _stale_cart, fresh_cart, ordered_cart = world["carts"]
    assert set(Cart.objects.values_list("pk", flat=True)) == {fresh_cart.pk, ordered_cart.pk}
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["2"]
    assert list(IdentityClaim.objects.values_list("kind", flat=True)) == ["phone"]
    # Guests with no order for 3 years are anonymised; their orders' amounts stay.
    for name in ("stale_guest", "old_buyer"):
        world[name].refresh_from_db()
        assert (world[name].email, world[name].first_name) == ("", "")
    order = Order.objects.get(pk=world["old_order"].pk)
    assert (order.email, order.total) == ("", Decimal("100.00"))
    for name in ("recent_buyer", "member"):
        world[name].refresh_from_db()
        assert world[name].email != ""
    logged = DestructionLog.objects.filter(started_at__gte=NOW)
    assert {(log.category, log.rows, log.triggered_by) for log in logged} == {
        (category, rows, "command") for category, rows in EXPECTED.items()
    }
    assert len({log.run_id for log in logged}) == 1
    # The log older than 3 years went; the 2-year-old entry stays.
    assert DestructionLog.objects.filter(started_at__lt=NOW).count() == 1


def test_a_second_run_finds_nothing_and_logs_zeros(world):
    retention.destruction_run(triggered_by="beat")
    before = set(TimelineEvent.objects.values_list("pk", flat=True))

    again = retention.destruction_run(triggered_by="beat")

    assert _rows(again) == dict.fromkeys(EXPECTED, 0)
    assert set(TimelineEvent.objects.values_list("pk", flat=True)) == before
    assert DestructionLog.objects.filter(started_at__gte=NOW).count() == 2 * len(EXPECTED)


def test_a_dry_run_counts_and_changes_nothing(world):
    out = io.StringIO()

    call_command("kvkk_destroy", "--dry-run", stdout=out)

    assert "guest_carts: 1 deleted" in out.getvalue()
    assert "would be destroyed (dry run)" in out.getvalue()
    assert TimelineEvent.objects.count() == 5
    assert Cart.objects.count() == 3
    assert DestructionLog.objects.count() == 2
    world["stale_guest"].refresh_from_db()
    assert world["stale_guest"].email == "eski@example.com"


def test_a_setting_changes_a_period_but_not_the_logs(world, settings):
    settings.OMNI_KVKK_RETENTION_DAYS = {"guest_carts": 200, "destruction_log": 1}

    done = retention.destruction_run(triggered_by="command")

    assert _rows(done)["guest_carts"] == 0  # the 120-day-old cart is within 200 days
    assert _rows(done)["destruction_log"] == 1  # 3 years whatever the setting says
    assert DestructionLog.objects.filter(started_at__lt=NOW).count() == 1


def test_the_beat_runs_it_at_least_every_six_months():
    entry = settings.CELERY_BEAT_SCHEDULE["customers-kvkk-destroy"]

    assert entry["task"] == "customers.tasks.kvkk_destroy"
    assert entry["schedule"].day_of_month == {1}  # monthly


def test_the_admin_lists_the_log_read_only(admin_client, world):
    retention.destruction_run(triggered_by="command")

    response = admin_client.get("/admin/customers/destructionlog/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == len(EXPECTED) + 1
    assert admin_client.get("/admin/customers/destructionlog/add/").status_code == 403
