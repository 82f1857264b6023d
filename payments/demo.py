"""Demo payments for Moda Ev: the web shop and the app take cards through the "test" gateway
(the fake provider `make run` starts) where it is allowed (settings.OMNI_ALLOW_TEST_GATEWAY:
never in production unless switched on), the stores take cash and their own card terminals.
Store credit needs no configuration: every channel takes it."""

from __future__ import annotations

from typing import Any

from omni.seeding import DemoRun
from payments import selectors
from payments.models import ChannelGateway
from sales_channels.models import Channel

SEED_AFTER = ("sales_channels",)  # gateways on the channels

ONLINE = {"web": ["test"], "app": ["test"]}
STORE_GATEWAYS = ["cash", "terminal"]


def seed(channels: dict[str, Channel] | None = None) -> dict[str, Any]:
    """Safe to run again: existing configuration is left as the merchant changed it.
    "skipped": the "<channel>:<gateway>" rows not created because the gateway is not allowed."""
    created, skipped = 0, []
    for channel in Channel.objects.all():
        if channel.code in ONLINE:
            codes = ONLINE[channel.code]
        elif channel.kind == Channel.Kind.STORE:
            codes = STORE_GATEWAYS
        else:
            continue
        for order, code in enumerate(codes):
            if not selectors.gateway_allowed(code):
                skipped.append(f"{channel.code}:{code}")
                continue
            _row, new = ChannelGateway.objects.get_or_create(
                channel=channel, gateway=code, defaults={"sort_order": order}
            )
            created += new
    return {"gateways": ChannelGateway.objects.count(), "created": created, "skipped": skipped}


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding): the gateways each channel offers."""
    payments = seed(run.made["channels"])
    run.write(f"Payments: {payments['gateways']} channel gateways.")
    if payments["skipped"]:
        run.write(
            "  not switched on (OMNI_ALLOW_TEST_GATEWAY is off): " + ", ".join(payments["skipped"])
        )
