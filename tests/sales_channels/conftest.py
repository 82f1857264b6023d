from __future__ import annotations

import pytest
from django.db import transaction

from omni.outbox import outbox_record
from sales_channels.models import ChannelEndpoint
from tests import factories as f
from tests.sales_channels.receiver import Receiver

SECRET = "whsec_test_secret_0123456789"


def endpoint_for(channel, url: str, **fields) -> ChannelEndpoint:
    defaults = {
        "name": f"{channel.code} hook",
        "kind": "webhook",
        "url": url,
        "signing_secret": SECRET,
        "timeout_seconds": 2,
        "rate_limit_per_second": 0,
    }
    return ChannelEndpoint.objects.create(channel=channel, **{**defaults, **fields})


def record(*, key: str, version: int = 0, channel=None, topic="test.changed", **payload):
    """One committed outbox event, as a service would record it."""
    with transaction.atomic():
        return outbox_record(
            topic=topic,
            key=key,
            version=version,
            channel_id=channel.pk if channel is not None else None,
            payload={"key": key, "version": version, **payload},
        )


@pytest.fixture
def receiver():
    with Receiver(secrets=[SECRET]) as r:
        yield r


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")
