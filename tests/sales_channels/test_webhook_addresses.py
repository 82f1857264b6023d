"""Outgoing webhooks in production: https only, and never to loopback, private, link-local or
otherwise non-public addresses, checked on save and again, on the address actually connected
to, at send time. The test settings allow the local receiver (OMNI_WEBHOOK_ALLOW_PRIVATE);
these tests turn that off, as production does."""

from __future__ import annotations

import socket

import pytest
from django.utils import translation

from omni.errors import ValidationError
from sales_channels import services, tasks
from sales_channels.models import ChannelEndpoint, Delivery
from tests.sales_channels.conftest import endpoint_for, record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def production(settings):
    """Production's refusal, its reasons read in English (they have their Turkish too)."""
    settings.OMNI_WEBHOOK_ALLOW_PRIVATE = False
    with translation.override("en"):
        yield


@pytest.fixture
def listener():
    """A TCP port on 127.0.0.1 that records whether anything connected to it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    yield server
    server.close()


def connected(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


def resolving(monkeypatch, name: str, *answers: list[str]) -> list[str]:
    """Make `name` resolve to each list of addresses in turn (the last one from then on)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != name:
            return real(host, port, *args, **kwargs)
        addresses = answers[min(len(asked), len(answers) - 1)]
        asked.append(host)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))
            for address in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.example.com/omni", "https"),
        ("https://127.0.0.1/omni", "loopback"),
        ("https://[::1]:8443/omni", "loopback"),
        ("https://[::ffff:127.0.0.1]/omni", "loopback"),
        ("https://localhost/omni", "this machine"),
        ("https://api.localhost/omni", "this machine"),
        ("https://10.0.0.8/omni", "private"),
        ("https://192.168.1.20/omni", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://100.64.0.1/omni", "not a public address"),
        ("https://0.0.0.0/omni", "unspecified"),
        ("https://224.0.0.1/omni", "multicast"),
    ],
)
def test_production_refuses_to_save_a_webhook_that_is_not_https_to_a_public_address(
    web, production, url, says
):
    candidate = ChannelEndpoint(kind="webhook", url=url, signing_secret="whsec_x", config={})

    with pytest.raises(ValidationError) as refused:
        services.endpoint_validate(endpoint=candidate)

    assert list(refused.value.fields) == ["url"]
    assert says in refused.value.fields["url"][0]


@pytest.mark.parametrize("url", ["https://hooks.example.com/omni", "https://93.184.216.34/omni"])
def test_production_saves_an_https_webhook_to_a_public_address(web, production, url):
    candidate = ChannelEndpoint(kind="webhook", url=url, signing_secret="whsec_x", config={})

    services.endpoint_validate(endpoint=candidate)  # no error


def test_the_test_settings_allow_the_local_receiver_explicitly(web, settings):
    assert settings.OMNI_WEBHOOK_ALLOW_PRIVATE is True
    candidate = ChannelEndpoint(
        kind="webhook", url="http://127.0.0.1:9/omni", signing_secret="whsec_x", config={}
    )
    services.endpoint_validate(endpoint=candidate)  # no error


def test_production_never_sends_to_the_local_receiver_and_dead_letters_it(
    web, receiver, production
):
    endpoint_for(web, receiver.url)  # saved before the rule (or under another setting)
    record(key="k1", channel=web)

    tasks.outbox_relay()  # returns: the worker carries on

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.DEAD, 1)
    assert delivery.last_error == "refused: A webhook must use https."
    assert receiver.requests == 0


@pytest.mark.parametrize("addresses", [["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["10.0.0.8"]])
def test_a_name_that_resolves_to_a_private_address_is_refused_at_send_time(
    web, production, listener, monkeypatch, addresses
):
    port = listener.getsockname()[1]
    resolving(monkeypatch, "hooks.example.com", addresses)
    endpoint_for(web, f"https://hooks.example.com:{port}/omni")
    record(key="k1", channel=web)

    tasks.outbox_relay()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DEAD
    refused = next(a for a in addresses if a != "93.184.216.34")
    assert delivery.last_error.startswith(f"refused: hooks.example.com resolves to {refused}, ")
    assert "webhooks go only to public addresses" in delivery.last_error
    assert not connected(listener)


def test_a_name_that_rebinds_after_the_check_still_reaches_only_the_checked_address(
    web, production, listener, monkeypatch
):
    """DNS rebinding: public for the check, loopback for a second look-up. The connection goes
    to the address that was checked (here 127.0.0.2, which stands in for a public address and
    where nothing listens), never to the second answer."""
    from sales_channels.connectors import addresses

    checked = addresses.address_refusal
    monkeypatch.setattr(
        addresses, "address_refusal", lambda ip: "" if ip == "127.0.0.2" else checked(ip)
    )
    port = listener.getsockname()[1]
    asked = resolving(monkeypatch, "rebind.example.com", ["127.0.0.2"], ["127.0.0.1"])
    endpoint_for(web, f"https://rebind.example.com:{port}/omni")
    record(key="k1", channel=web)

    tasks.outbox_relay()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING  # nothing answered: tried again later
    assert "refused" in delivery.last_error.lower()  # the connection to 127.0.0.2
    assert asked == ["rebind.example.com"]
    assert not connected(listener)
