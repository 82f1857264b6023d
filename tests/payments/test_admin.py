"""The merchant admin: payments on the order page, a refund action with a confirmation page
that goes through refund_create (once, whatever the double submits), and the payment lists."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import User
from payments import services
from payments.models import Refund
from tests import factories as f
from tests.payments import support

pytestmark = pytest.mark.django_db
ORDERS = "/admin/orders/order/"


@pytest.fixture
def admin(client):
    user = f.UserFactory(role=User.Role.MERCHANT_STAFF, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def paid(provider):
    order = support.place(support.web_channel())
    payment, _ = services.payment_start(order=order, gateway_code="test", card=support.card())
    return order, payment


def test_the_order_page_shows_its_payments(admin, paid):
    order, payment = paid

    page = admin.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert page.status_code == 200
    assert payment.reference in page.content.decode()


def test_the_payment_pages_open_with_filters(admin, paid):
    _order, payment = paid
    for name, args in [
        ("admin:payments_payment_changelist", []),
        ("admin:payments_payment_change", [payment.pk]),
        ("admin:payments_refund_changelist", []),
        ("admin:payments_storecreditaccount_changelist", []),
        ("admin:payments_channelgateway_changelist", []),
        ("admin:payments_webhookreceipt_changelist", []),
    ]:
        assert admin.get(reverse(name, args=args)).status_code == 200, name
    listing = admin.get(
        reverse("admin:payments_payment_changelist"), {"status": "captured", "q": payment.reference}
    )
    assert payment.reference in listing.content.decode()


def test_the_refund_action_asks_then_refunds_once(admin, paid, django_capture_on_commit_callbacks):
    order, payment = paid
    ask = admin.post(ORDERS, {"action": "refund_order", "_selected_action": [order.pk]})
    assert ask.status_code == 200
    assert "100.00" in ask.content.decode()
    key = ask.context["form"].initial["key"]
    confirm = {
        "action": "refund_order",
        "_selected_action": [order.pk],
        "apply": "1",
        "amount": "35.00",
        "to": "original",
        "reason": "scratched",
        "key": key,
    }

    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(ORDERS, confirm)
        again = admin.post(ORDERS, confirm)  # a double submit

    assert done.status_code == 302 and again.status_code == 302
    assert Refund.objects.get(order=order).amount == Decimal("35.00")
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("35.00")


def test_the_refund_action_shows_a_refused_amount(admin, paid):
    order, _payment = paid

    page = admin.post(
        ORDERS,
        {
            "action": "refund_order",
            "_selected_action": [order.pk],
            "apply": "1",
            "amount": "500.00",
            "to": "original",
            "reason": "x",
            "key": "k",
        },
    )

    assert page.status_code == 200
    assert not Refund.objects.exists()
    assert page.context["form"].errors
