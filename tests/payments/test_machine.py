"""The payment state machine and the demo configuration."""

import pytest

from omni.errors import InvalidTransition
from payments import demo, selectors, services
from payments.models import ChannelGateway, Payment
from tests import factories as f
from tests.payments import support

pytestmark = pytest.mark.django_db


def test_every_state_has_its_row_and_final_states_go_nowhere():
    assert set(services.TRANSITIONS) == set(Payment.Status.values)
    for final in ("refunded", "voided", "declined"):
        assert services.TRANSITIONS[final] == set()
    assert "authorised" not in services.TRANSITIONS["captured"]  # never backwards


def test_a_forbidden_transition_raises_and_changes_nothing(provider):
    order = support.place(support.web_channel())
    payment, _ = services.payment_start(order=order, gateway_code="test", card=support.card())

    with pytest.raises(InvalidTransition):
        services.payment_transition(payment, "pending", order=order)

    payment.refresh_from_db()
    assert payment.status == "captured"


def test_the_demo_gives_web_and_app_the_test_gateway_and_stores_cash_and_terminal():
    for code, kind in [
        ("web", "web"),
        ("app", "app"),
        ("store-kadikoy", "store"),
        ("trendyol", "marketplace"),
    ]:
        f.ChannelFactory(code=code, kind=kind)

    demo.seed()
    demo.seed()  # again: nothing doubled

    offered = {
        code: [cg.gateway for cg in selectors.channel_gateways(f.ChannelFactory(code=code))]
        for code in ("web", "app", "store-kadikoy", "trendyol")
    }
    assert offered == {
        "web": ["test"],
        "app": ["test"],
        "store-kadikoy": ["cash", "terminal"],
        "trendyol": [],
    }
    assert ChannelGateway.objects.count() == 4
    assert (
        selectors.gateway_for(f.ChannelFactory(code="trendyol"), "store_credit").code
        == "store_credit"
    )
