"""Run by test_sqlite_relay.py in a process of its own, on the embedded SQLite default
(`make run`): record events, relay them, fold a later one in, supersede an older delivery;
print what the deliveries hold."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings.local")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from omni.outbox import outbox_record  # noqa: E402
from sales_channels import services  # noqa: E402
from sales_channels.models import Channel, ChannelEndpoint, Delivery  # noqa: E402

call_command("migrate", verbosity=0)
channel = Channel.objects.create(code="sqlite", name="SQLite")
ChannelEndpoint.objects.create(
    channel=channel,
    name="receiver",
    kind="webhook",
    url="http://127.0.0.1:9/",
    signing_secret="s" * 32,
)
topic, key = "inventory.availability.changed", "availability:1:1"
with transaction.atomic():
    outbox_record(
        topic=topic, key=key, version=3, channel_id=channel.pk, payload={"şehir": "İzmir"}
    )
    outbox_record(topic=topic, key=key, version=2, channel_id=channel.pk, payload={"stale": True})
first = services.outbox_relay_batch()
with transaction.atomic():
    outbox_record(topic=topic, key=key, version=5, channel_id=channel.pk, payload={"quantity": 5})
second = services.outbox_relay_batch()
rows = [
    {"version": d.version, "payload": d.payload, "delivery_id": str(d.delivery_id)}
    for d in Delivery.objects.order_by("id")
]
# A sender takes version 5 and dies; version 6 is relayed; 5 comes due again: superseded.
endpoint = ChannelEndpoint.objects.get()
services.deliveries_claim(endpoint=endpoint, limit=10, lease=60)
with transaction.atomic():
    outbox_record(topic=topic, key=key, version=6, channel_id=channel.pk, payload={"quantity": 4})
services.outbox_relay_batch()
Delivery.objects.update(next_attempt_at=timezone.now())
claimed = [d.version for d in services.deliveries_claim(endpoint=endpoint, limit=10, lease=60)]
statuses = list(Delivery.objects.order_by("id").values_list("version", "status"))
sys.stdout.write(
    json.dumps(
        {
            "relayed": [first.events, second.events],
            "deliveries": rows,
            "claimed": claimed,
            "statuses": statuses,
        }
    )
    + "\n"
)
