from __future__ import annotations

from types import SimpleNamespace

import pytest

from marketplaces.fake_trendyol import FakeTrendyol
from sales_channels.models import Channel
from tests.factories import ChannelFactory

SELLER = "123456"


@pytest.fixture
def fake():
    server = FakeTrendyol(seller_id=SELLER, api_key="k-test", api_secret="s-test").start()
    yield server
    server.stop()


@pytest.fixture
def channel(db) -> Channel:
    return ChannelFactory(code="trendyol", name="Trendyol", kind=Channel.Kind.MARKETPLACE)


@pytest.fixture
def endpoint(fake, channel):
    """What the connector needs of a ChannelEndpoint: channel, url and config."""
    return SimpleNamespace(
        channel=channel,
        url=fake.url,
        config={"supplier_id": SELLER, "api_key": "k-test", "api_secret": "s-test"},
    )
