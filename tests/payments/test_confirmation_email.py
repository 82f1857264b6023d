"""The order confirmation e-mail, as a shopper gets it after paying: from the retailer's
address, HTML with a plain-text part that both look like the shop (its name, the retailer's
details), amounts as the site writes them, what was bought, the delivery, how it was paid and
what happens next, and the legal forms the shopper accepted attached as HTML files."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail

from omni.money import money_format
from orders import tasks
from orders.models import Notification, Order, OrderAgreement
from payments import services
from sales_channels.demo import seed_retailer
from tests import factories as f
from tests.orders import fulfilment_helpers
from tests.payments import support

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def _agree(order: Order, kind: str, html: str) -> None:
    OrderAgreement.objects.create(
        order=order, kind=kind, version="2026-12", language="tr", html=html, sha256="0" * 64
    )


def _confirmation() -> mail.EmailMessage:
    [message] = [m for m in mail.outbox if "onaylandı" in m.subject or "confirmed" in m.subject]
    return message


def test_money_reads_as_on_the_site():
    assert money_format(Decimal("1298.985"), "TRY", "tr") == f"1.298,99{NBSP}₺"
    assert money_format(Decimal("1298.985"), "TRY", "en") == "₺1,298.99"
    assert money_format("1234567.5", "EUR", "tr") == f"1.234.567,50{NBSP}€"
    assert money_format(Decimal("0"), "TRY", "tr") == f"0,00{NBSP}₺"
    assert money_format(None, "TRY", "tr") == ""


def test_the_confirmation_of_a_paid_web_order_tells_everything_and_carries_the_forms(
    provider, django_capture_on_commit_callbacks
):
    seed_retailer()
    web = support.web_channel()
    customer = f.CustomerFactory(email="ayse@example.com", language="tr")
    order = support.place(web, customer, price="1298.99", accept=False)  # its own forms below
    _agree(order, OrderAgreement.Kind.PRE_INFORMATION, "<h1>Ön Bilgilendirme Formu</h1><p>ş</p>")
    _agree(order, OrderAgreement.Kind.DISTANCE_SALES, "<h1>Mesafeli Satış Sözleşmesi</h1>")
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        services.payment_start(order=order, gateway_code="test", card=support.card())

    message = _confirmation()
    html, mimetype = message.alternatives[0]
    if os.environ.get("OMNI_EMAIL_DUMP"):  # a look at it in a browser (README, E-mails)
        Path(os.environ["OMNI_EMAIL_DUMP"]).write_text(html)
        Path(os.environ["OMNI_EMAIL_DUMP"] + ".txt").write_text(message.body)
    text = message.body
    assert (message.from_email, message.to) == ("Moda Ev <siparis@modaev.test>", [order.email])
    assert message.subject == f"{order.number} numaralı siparişiniz onaylandı"
    assert mimetype == "text/html" and html.lstrip().startswith("<!doctype html>")
    for part in (text, html):
        assert f"1.298,99{NBSP}₺" in part and "1298.99" not in part and "TRY" not in part
        assert "Standart Kargo" in part and "Moda Caddesi No:12 D:3" in part  # delivery
        assert "Kart •••• 4242" in part  # payment
        assert "Bundan sonra ne olacak" in part and "14 gün içinde iade" in part  # next
        assert "Moda Ev Tekstil" in part and "0612345678900015" in part  # the retailer
        assert "Ücretsiz" in part  # free shipping reads as on the site
    assert [(name, kind) for name, _content, kind in message.attachments] == [
        (f"on-bilgilendirme-formu-{order.number}.html", "text/html"),
        (f"mesafeli-satis-sozlesmesi-{order.number}.html", "text/html"),
    ]
    form = message.attachments[0][1]
    assert '<meta charset="utf-8">' in form
    assert "<h1>Ön Bilgilendirme Formu</h1><p>ş</p>" in form  # the text exactly as accepted


def test_a_click_and_collect_confirmation_gives_the_store_and_the_pickup_code_and_no_forms(
    django_capture_on_commit_callbacks, settings
):
    settings.DEFAULT_FROM_EMAIL = "Omni <noreply@omni.test>"
    web = fulfilment_helpers.web_channel()
    store = fulfilment_helpers.store(name="Kadıköy Moda")
    f.sells_from(web, store)
    shirt = fulfilment_helpers.variant(web, price="1298.99")
    fulfilment_helpers.receive(store, shirt)
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        order = fulfilment_helpers.place(
            web,
            {shirt: 1},
            customer=f.CustomerFactory(email="john@example.com", language="en"),
            delivery=fulfilment_helpers.pickup_delivery(web, store),
        )
    order.pickup_code = "482913"
    order.save(update_fields=["pickup_code"])
    note = Notification.objects.get(order=order, kind=Notification.Kind.CONFIRMED)
    message = tasks.notification_message(note)
    html = message.alternatives[0][0]

    assert message.from_email == "Omni <noreply@omni.test>"  # no retailer set up yet
    assert message.attachments == []
    for part in (message.body, html):
        assert "₺1,298.99" in part
        assert "Kadıköy Moda" in part and "482913" in part
        assert "Show your pickup code at the counter" in part
