import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from omni.models import TimeStampedModel
from omni.money import CurrencyField

channel_code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,39}$",
    _("Use lowercase letters, digits and hyphens (at most 40)."),
    code="invalid_code",
)


class Channel(TimeStampedModel):
    """A place where the business sells: the web shop, the app, each store, a marketplace.

    Each physical store is a channel of its own, so its counter sales are that channel's sales.
    """

    class Kind(models.TextChoices):
        WEB = "web", _("Web storefront")
        APP = "app", _("Mobile app")
        STORE = "store", _("Physical store")
        MARKETPLACE = "marketplace", _("Marketplace")
        SOCIAL = "social", _("Social commerce")

    code = models.CharField(
        _("code"), max_length=40, unique=True, validators=[channel_code_validator]
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    currency = CurrencyField(verbose_name=_("currency"), default="TRY")
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="tr"
    )
    default_country = CountryField(_("default country"), default="TR")
    prices_include_tax = models.BooleanField(_("prices include tax"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    # How this channel sells.
    cart_reservation_minutes = models.PositiveIntegerField(
        _("hold stock during checkout (minutes)"),
        default=10,
        help_text=_("0: stock is not held before the order is placed."),
    )
    pay_later = models.BooleanField(
        _("pay later"),
        default=False,
        help_text=_("Orders are confirmed at once and paid at the counter or at pickup."),
    )
    return_window_days = models.PositiveIntegerField(_("return window (days)"), default=14)
    pickup_hold_days = models.PositiveIntegerField(
        _("pickup hold (days)"),
        default=7,
        help_text=_("A click-and-collect order not collected within this is cancelled."),
    )
    # A resync asked for and not yet finished (services.channel_resync_request): the beat
    # queues it again if its message was lost (tasks.channel_resyncs_pending).
    resync_requested_at = models.DateTimeField(
        _("resync requested"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("sales channel")
        verbose_name_plural = _("sales channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


# --- channel sync: where each channel's changes go, and what was sent -------------------------


class ChannelEndpoint(TimeStampedModel):
    """A receiver of a channel's changes (a signed webhook, a marketplace's API), configured in
    the admin. Its connector (sales_channels.connectors) is chosen by `kind`."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="endpoints", verbose_name=_("channel")
    )
    name = models.CharField(_("name"), max_length=100)
    # A registered connector kind (sales_channels.connectors.base.CONNECTORS); the admin form
    # offers the registered ones, since apps register theirs when they load.
    kind = models.CharField(_("kind"), max_length=40)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    signing_secret = models.CharField(_("signing secret"), max_length=128, blank=True)
    # During a rotation the previous secret signs too, until it expires.
    previous_secret = models.CharField(_("previous secret"), max_length=128, blank=True)
    previous_secret_expires_at = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True
    )
    rate_limit_per_second = models.PositiveIntegerField(
        _("rate limit (requests per second)"), default=100, help_text=_("0: no limit.")
    )
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=10)
    is_active = models.BooleanField(_("active"), default=True)
    # Bookkeeping of the relay.
    is_failing = models.BooleanField(_("failing"), default=False, editable=False)
    failing_since = models.DateTimeField(_("failing since"), null=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    last_success_at = models.DateTimeField(_("last success"), null=True, editable=False)
    # The receiver asked us to wait (429 Retry-After): nothing is sent to it before this.
    paused_until = models.DateTimeField(_("paused until"), null=True, editable=False)

    class Meta:
        ordering = ["channel_id", "name"]
        verbose_name = _("channel endpoint")
        verbose_name_plural = _("channel endpoints")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Delivery(models.Model):
    """The latest state of one key for one endpoint, on its way there.

    While it is pending and has never been tried, a newer event for the same topic and key
    folds into it (coalescing: the payload and version are replaced, occurred_at is kept). Once
    tried, a newer event makes a new delivery. Written by the relay, not by the changes
    themselves, so its indexes cost the hot paths nothing.

    A pending delivery that a newer one of its key (a higher version; the later one on a tie)
    exists for by the time it is claimed is superseded instead of sent: an older state never
    leaves after a newer one (sales_channels.locks.deliveries_claim)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead letter")
        # Overtaken by a newer delivery of its key before it was sent (again): never sent.
        SUPERSEDED = "superseded", _("Superseded")

    id = models.BigAutoField(primary_key=True)
    endpoint = models.ForeignKey(
        ChannelEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    # The same on every retry: the receiver drops a duplicate by it.
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True)
    topic = models.CharField(_("topic"), max_length=64)
    key = models.CharField(_("key"), max_length=128)
    version = models.BigIntegerField(_("version"), default=0)
    channel_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Failures are retried until this moment (72 hours after it was made, or after a manual
    # retry); a failure after it makes a dead letter.
    retry_until = models.DateTimeField()
    last_error = models.TextField(_("last error"), blank=True)
    # When the oldest change folded into it was recorded (in its transaction, just before the
    # commit): what the lag is measured from.
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                name="delivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["endpoint"], name="delivery_dead", condition=Q(status="dead")),
            models.Index(fields=["created_at"], name="delivery_created"),
            # The claim's look for a newer delivery of the same key: one index probe.
            models.Index(fields=["endpoint", "topic", "key", "version", "id"], name="delivery_key"),
        ]
        constraints = [
            # The one never-tried pending delivery of a key that new events fold into.
            models.UniqueConstraint(
                fields=["endpoint", "topic", "key"],
                name="delivery_coalesce",
                condition=Q(status="pending", attempts=0),
            ),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.topic} {self.key} v{self.version} → {self.endpoint_id}"


class DeadLetter(Delivery):
    """Deliveries that will not be retried by themselves: the admin's dead-letter list."""

    class Meta:
        proxy = True
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")


class ConsumerRetry(models.Model):
    """An outbox event a relay consumer (an app above reading events for itself, such as the
    customer timeline) failed on: tried again with backoff until it succeeds
    (sales_channels.consumers). The event is kept in the outbox meanwhile (outbox_prune skips
    it), so a consumer's outage loses nothing."""

    id = models.BigAutoField(primary_key=True)
    consumer = models.CharField(_("consumer"), max_length=200)
    event_id = models.BigIntegerField(_("outbox event"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="consumer_retry_once"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], name="consumer_retry_due"),
            models.Index(fields=["event_id"], name="consumer_retry_event"),
        ]
        verbose_name = _("consumer retry")
        verbose_name_plural = _("consumer retries")

    def __str__(self) -> str:
        return f"{self.consumer} event {self.event_id} (try {self.attempts})"


class Retailer(TimeStampedModel):
    """The business behind every channel: the seller named in the footer, the legal forms of a
    distance sale, invoices and e-mails. One row (pk 1); read it with
    sales_channels.selectors.retailer_get()."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    trade_name = models.CharField(
        _("trade name"), max_length=100, help_text=_("The shop's name as shoppers know it.")
    )
    mersis_number = models.CharField(
        _("MERSIS number"),
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^\d{16}$", _("A MERSIS number has 16 digits."))],
    )
    tax_office = models.CharField(_("tax office"), max_length=100, blank=True)
    tax_number = models.CharField(
        _("tax number"),
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^\d{10,11}$", _("A tax number has 10 (or 11) digits."))],
    )
    trade_registry_number = models.CharField(_("trade registry number"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("customer service e-mail"), blank=True)
    kep_address = models.EmailField(_("KEP address"), blank=True)
    email_from = models.CharField(
        _("sender of e-mails"),
        max_length=200,
        blank=True,
        help_text=_(
            'Shoppers\' e-mails come from this address, e.g. "Moda Ev <siparis@modaev.com.tr>".'
        ),
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("retailer")
        verbose_name_plural = _("retailer")

    def __str__(self) -> str:
        return self.trade_name or self.legal_name
