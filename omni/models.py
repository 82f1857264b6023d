from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OutboxEvent(models.Model):
    """A change another channel must learn of, written in the transaction of the change itself.

    Nothing is sent from inside a transaction: a relay (Celery) reads committed rows and hands
    them to the channels' connectors, so a rolled-back change never leaves an event and a
    committed one always does. Rows are append-only apart from the relay's bookkeeping.
    """

    id = models.BigAutoField(primary_key=True)
    # Not indexed: the relay reads by id, and every index is paid for on each event, written
    # in the transaction (and under the locks) of the change it describes.
    topic = models.CharField(max_length=64)
    # What the event is about, e.g. "variant:42"; several events with one key in a short window
    # can be coalesced to the latest, which the version (growing per key) identifies.
    key = models.CharField(max_length=128)
    version = models.BigIntegerField(default=0)
    # The sales channel the event is scoped to, or none for a channel-agnostic change. A plain
    # id, not a foreign key: the log must outlive and never block changes to channels.
    channel_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["key", "-id"], name="outbox_key_latest"),
            models.Index(
                fields=["id"], name="outbox_pending", condition=Q(published_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.key} v{self.version}"
