"""Payments that cannot be faked: a gateway whose secrets are published or short never signs
or verifies anything where production's rule is on, the test gateway works only where it is
allowed (and the admin says so), and `check --deploy` lists what production would refuse.

Production's own start-up refusal (secrets from the environment) is in
tests/omni/test_settings.py."""

from __future__ import annotations

import time

import pytest

from omni.secrets import secret_problem
from payments import demo, selectors, services
from payments.checks import payment_gateways_check
from payments.gateways.base import GATEWAYS
from payments.models import ChannelGateway, WebhookReceipt
from tests import factories as f
from tests.payments import support
from tests.payments.support import provider  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
URL = "/payments/webhooks/test/"
STRONG_KEY = "sk-live-4f9c2a7e1b8d3f6a0c5e9b2d7f1a4c8e"
STRONG_SECRET = "whsec-8e3b1f7c2a9d4e6b0f5a1c8d3e7b2f9a"


@pytest.fixture
def production_rules(settings):
    """What omni.settings.production turns on."""
    settings.OMNI_REFUSE_WEAK_GATEWAY_SECRETS = True
    return settings


@pytest.fixture
def pending(provider):  # noqa: F811
    provider.webhook_delay = 60  # the provider's own webhook stays out of these tests
    order = support.place(support.web_channel())
    payment, _ = services.payment_start(
        order=order, gateway_code="test", card=support.card(support.LATER)
    )
    assert payment.status == "pending"
    return payment


def _post(client, event, secret):
    headers, body = support.signed(event, secret=secret)
    return client.post(URL, data=body, content_type="application/json", headers=headers)


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "is not set"),
        (None, "is not set"),
        ("whsec-omni-test-dev", "is a value published in the repository"),
        ("sandbox-secret", "is a value published in the repository"),
        ("change-me-to-a-long-random-string-please", "is a value published in the repository"),
        ("x" * 23, "is shorter than 24 characters"),
        (STRONG_SECRET, None),
    ],
)
def test_a_secret_is_refused_when_missing_short_or_published(value, problem):
    assert secret_problem(value) == problem


def test_the_development_defaults_are_refused():
    from omni.settings import local

    assert secret_problem(local.OMNI_TEST_GATEWAY_SECRET)
    assert secret_problem(local.OMNI_TEST_GATEWAY_API_KEY)


def test_each_online_gateway_names_its_secrets():
    assert GATEWAYS["test"].secret_fields == ("api_key", "webhook_secret")
    assert GATEWAYS["iyzico"].secret_fields == ("api_key", "secret_key")
    assert GATEWAYS["cash"].weak_secrets({}) == {}


# --- the published webhook secret forges nothing ------------------------------------------


def test_a_notification_signed_with_the_published_secret_confirms_nothing(
    client, pending, production_rules, caplog
):
    # The finding: anyone who read the repository signed "captured" with the default secret.
    production_rules.OMNI_TEST_GATEWAY_SECRET = "whsec-omni-test-dev"
    production_rules.OMNI_TEST_GATEWAY_API_KEY = "sk-omni-test-dev"
    event = support.event(pending, "captured", event_id="evt_forged", created=time.time())

    answer = _post(client, event, secret="whsec-omni-test-dev")

    assert answer.status_code == 400
    assert answer.json()["code"] == "gateway_refused"
    pending.refresh_from_db()
    assert (pending.status, pending.amount_captured) == ("pending", 0)
    assert pending.order.status == "pending"
    assert not WebhookReceipt.objects.exists()
    assert "webhook_secret is a value published in the repository" in caplog.text


def test_strong_secrets_still_verify_under_production_rules(client, pending, production_rules):
    production_rules.OMNI_TEST_GATEWAY_SECRET = STRONG_SECRET
    production_rules.OMNI_TEST_GATEWAY_API_KEY = STRONG_KEY
    event = support.event(pending, "captured", event_id="evt_1", created=time.time())

    answer = _post(client, event, secret=STRONG_SECRET)

    assert (answer.status_code, answer.json()) == (200, {"outcome": "applied"})


def test_a_short_secret_in_a_channels_configuration_is_refused_at_use(production_rules):
    production_rules.OMNI_TEST_GATEWAY_SECRET = STRONG_SECRET
    production_rules.OMNI_TEST_GATEWAY_API_KEY = STRONG_KEY
    channel = support.web_channel()
    ChannelGateway.objects.filter(channel=channel).update(config={"webhook_secret": "short"})

    with pytest.raises(selectors.GatewayRefused):
        selectors.gateway_for(channel, "test")

    ChannelGateway.objects.filter(channel=channel).update(config={})
    assert selectors.gateway_for(channel, "test").config["webhook_secret"] == STRONG_SECRET


def test_outside_production_the_development_secrets_work(settings):
    settings.OMNI_REFUSE_WEAK_GATEWAY_SECRETS = False  # local and test settings

    assert selectors.gateway_for(support.web_channel(), "test").code == "test"


# --- the test gateway only where allowed ----------------------------------------------------


def test_the_test_gateway_is_refused_where_it_is_not_allowed(client, pending, settings):
    settings.OMNI_ALLOW_TEST_GATEWAY = False
    channel = pending.channel

    assert selectors.channel_card_gateways(channel) == []
    with pytest.raises(selectors.GatewayRefused):
        selectors.gateway_for(channel, "test")
    order = support.place(channel)
    with pytest.raises(selectors.GatewayRefused):
        services.payment_start(order=order, gateway_code="test", card=support.card())
    answer = _post(
        client,
        support.event(pending, "captured", event_id="evt_1", created=time.time()),
        secret=support.SECRET,
    )
    assert answer.status_code == 400
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_seed_demo_leaves_the_test_gateway_off_where_it_is_not_allowed(settings):
    settings.OMNI_ALLOW_TEST_GATEWAY = False
    f.ChannelFactory(code="web", kind="web")
    f.ChannelFactory(code="store-kadikoy", kind="store")

    result = demo.seed()

    assert result["skipped"] == ["web:test"]
    assert set(ChannelGateway.objects.values_list("gateway", flat=True)) == {"cash", "terminal"}


def test_seed_demo_switches_the_test_gateway_on_where_it_is_allowed(settings):
    settings.OMNI_ALLOW_TEST_GATEWAY = True
    f.ChannelFactory(code="web", kind="web")

    assert demo.seed()["skipped"] == []
    assert ChannelGateway.objects.filter(channel__code="web", gateway="test").exists()


def test_the_admin_warns_on_every_page_while_the_test_gateway_is_on(admin_client, settings):
    settings.OMNI_ALLOW_TEST_GATEWAY = True
    settings.OMNI_TEST_GATEWAY_WARNING = True  # production sets it with the allowance

    for url in ("/admin/", "/admin/payments/payment/", "/admin/orders/order/"):
        assert 'id="test-gateway-warning"' in admin_client.get(url).content.decode(), url

    settings.OMNI_ALLOW_TEST_GATEWAY = False
    assert 'id="test-gateway-warning"' not in admin_client.get("/admin/").content.decode()


def test_the_admin_will_not_switch_on_a_gateway_production_refuses(admin_client, settings):
    settings.OMNI_ALLOW_TEST_GATEWAY = False
    channel = f.ChannelFactory(code="web", kind="web")
    form = {"channel": channel.pk, "gateway": "test", "is_active": "on", "sort_order": 0}

    answer = admin_client.post("/admin/payments/channelgateway/add/", form | {"config": "{}"})

    assert answer.status_code == 200
    assert "OMNI_ALLOW_TEST_GATEWAY" in answer.content.decode()
    assert not ChannelGateway.objects.exists()

    settings.OMNI_ALLOW_TEST_GATEWAY = True
    settings.OMNI_REFUSE_WEAK_GATEWAY_SECRETS = True
    settings.OMNI_TEST_GATEWAY_API_KEY = STRONG_KEY
    answer = admin_client.post(
        "/admin/payments/channelgateway/add/", form | {"config": '{"webhook_secret": "short"}'}
    )
    assert "webhook_secret is shorter than 24 characters" in answer.content.decode()
    assert not ChannelGateway.objects.exists()


# --- check --deploy -------------------------------------------------------------------------


def test_the_deploy_check_lists_gateways_production_refuses(settings):
    settings.OMNI_ALLOW_TEST_GATEWAY = True
    settings.OMNI_TEST_GATEWAY_SECRET = "whsec-omni-test-dev"
    settings.OMNI_TEST_GATEWAY_API_KEY = STRONG_KEY
    settings.OMNI_PAYMENT_GATEWAYS = {"iyzico": {"api_key": STRONG_KEY, "secret_key": ""}}
    web = support.web_channel()
    ChannelGateway.objects.create(channel=web, gateway="iyzico")
    ChannelGateway.objects.create(
        channel=support.web_channel("app", "app"),
        gateway="iyzico",
        config={"secret_key": STRONG_SECRET},
    )
    ChannelGateway.objects.filter(channel__code="app", gateway="test").update(is_active=False)

    found = {(m.id, m.msg) for m in payment_gateways_check()}

    assert found == {
        ("payments.W001", "The test payment gateway is allowed (OMNI_ALLOW_TEST_GATEWAY)."),
        (
            "payments.E001",
            "Payment gateway web:iyzico cannot be used in production: secret_key is not set",
        ),
        (
            "payments.E001",
            "Payment gateway web:test cannot be used in production: webhook_secret is a value "
            "published in the repository",
        ),
    }


def test_the_deploy_check_is_quiet_for_a_sound_configuration(settings):
    settings.OMNI_ALLOW_TEST_GATEWAY = False
    settings.OMNI_PAYMENT_GATEWAYS = {
        "iyzico": {"api_key": STRONG_KEY, "secret_key": STRONG_SECRET}
    }
    channel = f.ChannelFactory(code="web", kind="web")
    ChannelGateway.objects.create(channel=channel, gateway="iyzico")
    ChannelGateway.objects.create(channel=channel, gateway="cash")

    assert payment_gateways_check() == []
