"""Customer notifications: recorded in the transaction of the change, sent by Celery after the
commit, exactly once each, in the order's language; every kind has Turkish and English text."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from orders import tasks
from orders.models import Notification, Order
from orders.services import fulfilment as ful
from orders.services import lifecycle
from tests import factories as f
from tests.conftest import wait_until
from tests.orders import fulfilment_helpers

Kind = Notification.Kind


@pytest.fixture
def web():
    return fulfilment_helpers.web_channel()


@pytest.fixture
def dc(web):
    dc = fulfilment_helpers.distribution_centre()
    f.sells_from(web, dc)
    return dc


@pytest.fixture
def kadikoy(web):
    store = fulfilment_helpers.store(name="Kadıköy & Moda")
    f.sells_from(web, store)
    return store


def sent() -> list[tuple[str, str]]:
    return [(m.to[0], m.subject) for m in mail.outbox]


# --- every kind, both languages --------------------------------------------------------------

SUBJECTS = {
    ("tr", Kind.CONFIRMED): "ME1042 numaralı siparişiniz onaylandı",
    ("en", Kind.CONFIRMED): "Your order ME1042 is confirmed",
    ("tr", Kind.SHIPPED): "ME1042 numaralı siparişiniz yola çıktı",
    ("en", Kind.SHIPPED): "Your order ME1042 is on its way",
    ("tr", Kind.READY_FOR_PICKUP): "ME1042 numaralı siparişiniz teslim almaya hazır",
    ("en", Kind.READY_FOR_PICKUP): "Your order ME1042 is ready to collect",
    ("tr", Kind.REFUNDED): "ME1042 numaralı siparişinizin ücret iadesi",
    ("en", Kind.REFUNDED): "Refund for your order ME1042",
    ("tr", Kind.CANCELLED): "ME1042 numaralı siparişiniz iptal edildi",
    ("en", Kind.CANCELLED): "Your order ME1042 is cancelled",
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", Kind.values)
@pytest.mark.parametrize("language", ["tr", "en"])
def test_every_kind_renders_in_turkish_and_english(kind, language, settings):
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {**engine, "OPTIONS": {**engine.get("OPTIONS", {}), "string_if_invalid": "<MISSING %s>"}}
    ]
    store = fulfilment_helpers.store(name="Kadıköy & Moda")
    order = Order.objects.create(
        number="ME1042",
        channel=store.channel,
        origin_channel=store.channel,
        delivery=Order.Delivery.PICKUP,
        language=language,
        subtotal=Decimal("1250.00"),
        total=Decimal("1250.00"),
        currency="TRY",
        pickup_location=store,
        pickup_code="012345",
        pickup_deadline=timezone.now(),
    )
    note = Notification(
        order=order,
        kind=kind,
        language=language,
        recipient="ayse@example.com",
        context={"carrier": "Yurtiçi", "tracking_number": "YK-1", "amount": "150.5"},
    )

    message = tasks.notification_message(note)
    subject, body, (html, _type) = message.subject, message.body, message.alternatives[0]

    assert subject == SUBJECTS[(language, kind)]
    assert "ME1042" in body and "MISSING" not in body
    assert "ME1042" in html and "MISSING" not in html
    assert "&amp;" not in body  # plain text: nothing is HTML-escaped


@pytest.mark.django_db
def test_the_bodies_say_what_the_customer_needs(kadikoy):
    order = Order.objects.create(
        number="ME7",
        channel=kadikoy.channel,
        origin_channel=kadikoy.channel,
        delivery=Order.Delivery.PICKUP,
        language="tr",
        subtotal=Decimal("1250.00"),
        total=Decimal("1250.00"),
        currency="TRY",
        pickup_location=kadikoy,
        pickup_code="012345",
    )

    def body(kind, language, **context):
        note = Notification(order=order, kind=kind, language=language, context=context)
        return tasks.notification_render(note)[1]

    assert (
        "ME7 numaralı siparişiniz Kadıköy & Moda mağazasında teslim almaya hazır.\n"
        "Siparişinizi teslim alırken kasada bu kodu gösterin: 012345\n"
    ) in body(Kind.READY_FOR_PICKUP, "tr")
    assert ("Your order ME7 has been shipped.\nCarrier: Aras, tracking number: A-9.\n") in body(
        Kind.SHIPPED, "en", carrier="Aras", tracking_number="A-9"
    )
    assert "We have refunded ₺150.50 for your order ME7." in body(
        Kind.REFUNDED, "en", amount="150.5"
    )


def test_every_kind_has_its_three_templates():
    for kind in Kind.values:
        for name in (f"{kind}_subject.txt", f"{kind}.txt", f"{kind}.html"):
            with translation.override("tr"):
                render_to_string(f"orders/email/{name}", {"order": Order(number="ME1")})


# --- sent once, after the commit -------------------------------------------------------------


@pytest.mark.django_db
def test_each_notification_is_sent_once_in_the_orders_language(
    web, dc, kadikoy, django_capture_on_commit_callbacks
):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    fulfilment_helpers.receive(kadikoy, shirt)
    english = f.CustomerFactory(email="john@example.com", language="en")
    turkish = f.CustomerFactory(email="ayse@example.com", language="tr")
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        home = fulfilment_helpers.place(web, {shirt: 1}, customer=english)
        fulfilment = home.fulfilments.get()
        ful.fulfilment_start(fulfilment=fulfilment)
        ful.fulfilment_pack(fulfilment=fulfilment)
        ful.fulfilment_ship(fulfilment=fulfilment, carrier="Aras", tracking_number="A-1")
        pickup = fulfilment_helpers.place(
            web,
            {shirt: 1},
            customer=turkish,
            delivery=fulfilment_helpers.pickup_delivery(web, kadikoy),
        )
        ful.order_ready_for_pickup(order=pickup)
        lifecycle.order_cancel(order=pickup, reason="customer asked")

    expected = [
        ("john@example.com", f"Your order {home.number} is confirmed"),
        ("john@example.com", f"Your order {home.number} is on its way"),
        ("ayse@example.com", f"{pickup.number} numaralı siparişiniz onaylandı"),
        ("ayse@example.com", f"{pickup.number} numaralı siparişiniz teslim almaya hazır"),
        ("ayse@example.com", f"{pickup.number} numaralı siparişiniz iptal edildi"),
    ]
    assert sent() == expected
    assert "Carrier: Aras, tracking number: A-1." in mail.outbox[1].body
    pickup.refresh_from_db()
    assert pickup.pickup_code in mail.outbox[3].body

    # a redelivered message, the beat, and the same again: nothing more is sent
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert tasks.notifications_send(ids) == 0
    assert tasks.notifications_send_pending() == 0
    assert tasks.notifications_send() == 0
    assert sent() == expected
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_recording_the_same_notification_twice_keeps_one(web, dc):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    order = fulfilment_helpers.place(web, {shirt: 1})

    with transaction.atomic():
        lifecycle.notify(order, Kind.CONFIRMED)

    assert Notification.objects.filter(order=order, kind=Kind.CONFIRMED).count() == 1


@pytest.mark.django_db
def test_notifications_wait_for_the_beat_when_no_message_was_queued(web, dc):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    mail.outbox = []
    order = fulfilment_helpers.place(
        web, {shirt: 1}
    )  # on_commit never runs in this test's transaction

    assert mail.outbox == []
    assert tasks.notifications_send_pending() == 1
    assert tasks.notifications_send_pending() == 0
    assert sent() == [(order.email, f"{order.number} numaralı siparişiniz onaylandı")]


@pytest.mark.django_db
def test_a_notification_that_fails_does_not_hold_back_the_others(web, dc):
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    first = fulfilment_helpers.place(web, {shirt: 1})
    broken = Notification.objects.create(
        order=first, kind="no_such_template", recipient="x@example.com"
    )
    second = fulfilment_helpers.place(web, {shirt: 1})
    mail.outbox = []

    assert tasks.notifications_send_pending() == 2

    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, second.email])
    broken.refresh_from_db()
    assert (broken.sent_at, broken.attempts) == (None, 1)
    with pytest.raises(tasks.NotificationsNotSent):  # a task given ids retries them
        tasks.notifications_send.run([broken.pk])
    assert Notification.objects.get(pk=broken.pk).attempts == 2


# --- a real worker on Redis ------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.postgres
def test_a_real_worker_sends_the_confirmation_after_commit_and_nothing_for_a_rollback(
    celery_worker_on_redis,
):
    web = fulfilment_helpers.web_channel()
    web.pay_later = True  # confirmed as it is placed
    web.save(update_fields=["pay_later"])
    dc = fulfilment_helpers.distribution_centre()
    f.sells_from(web, dc)
    shirt = fulfilment_helpers.variant(web)
    fulfilment_helpers.receive(dc, shirt)
    mail.outbox = []

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        fulfilment_helpers.place(
            web, {shirt: 1}, customer=f.CustomerFactory(email="geri@example.com")
        )
        raise Abandoned
    order = fulfilment_helpers.place(
        web, {shirt: 1}, customer=f.CustomerFactory(email="ayse@example.com")
    )

    wait_until(lambda: Notification.objects.filter(order=order, sent_at__isnull=False).exists())
    assert sent() == [("ayse@example.com", f"{order.number} numaralı siparişiniz onaylandı")]
    assert not Order.objects.filter(email="geri@example.com").exists()
    assert Notification.objects.count() == 1
    connection.close()
