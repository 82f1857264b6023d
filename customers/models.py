"""The customer: one profile across every channel, with or without an account.

A web or app shopper who signs up has a user account and a profile; a walk-in customer known
by phone at a store, or a guest who checks out with an e-mail address, has a profile only. The
CRM (timeline, consents, segments) builds on this row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from omni.models import TimeStampedModel


class Customer(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="tr"
    )
    first_channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first seen on"),
    )
    # Set when staff merged this profile into another (customers.merge): the survivor holds
    # everything this one held, and customer_resolve() follows the chain to it.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged into"),
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One guest profile per e-mail. A profile with an account is the account's own: a
            # guest's orders are not joined to an account by an unverified e-mail address.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email="") & Q(user__isnull=True),
                name="customer_guest_email_unique",
            ),
        ]
        indexes = [models.Index(fields=["phone"], name="customer_phone")]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.phone or f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        """False once merged into another profile."""
        return self.merged_into_id is None


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("e-mail address")
    PHONE = "phone", _("phone number")
    LOYALTY_CARD = "loyalty_card", _("loyalty card")
    MARKETPLACE_BUYER = "marketplace_buyer", _("marketplace buyer")


class CustomerIdentity(models.Model):
    """One way of recognising a person, normalised (customers.identity): an e-mail address, a
    phone number in E.164, a loyalty card number, or a marketplace's buyer id ("trendyol" and
    its customer id). An identity belongs to one profile at most: whoever holds it is the person
    behind it, the database refuses a second holder (customer_identity_unique)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    # The marketplace a buyer id is from ("trendyol"); blank for every other kind.
    marketplace = models.CharField(_("marketplace"), max_length=40, blank=True)
    value = models.CharField(_("value"), max_length=254)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "marketplace", "value"], name="customer_identity_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind="marketplace_buyer", marketplace__gt="")
                | (~Q(kind="marketplace_buyer") & Q(marketplace="")),
                name="customer_identity_marketplace",
            ),
        ]
        indexes = [models.Index(fields=["customer", "kind"], name="customer_identity_customer")]
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")

    def __str__(self) -> str:
        where = f"{self.marketplace} " if self.marketplace else ""
        return f"{self.get_kind_display()}: {where}{self.value}"


# The kinds of identity a code can be sent to (customers.verification).
CLAIM_KINDS = [
    (IdentityKind.EMAIL.value, IdentityKind.EMAIL.label),
    (IdentityKind.PHONE.value, IdentityKind.PHONE.label),
]


class IdentityClaim(models.Model):
    """A customer's claim to an e-mail address or phone number, proven by a 6-digit code sent to
    it (customers.verification). The code is kept only as an HMAC (SECRET_KEY), for 10 minutes,
    and may be tried 5 times. A claim to an identity a guest profile holds joins that guest to
    the claimant once proven; until then it joins nothing."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=254)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="identity_claim_unique"
            ),
        ]
        verbose_name = _("identity claim")
        verbose_name_plural = _("identity claims")

    def __str__(self) -> str:
        return f"{self.kind} {self.value} ({self.customer_id})"


class CustomerMerge(models.Model):
    """One profile merged into another: by merchant staff (a duplicate), or by the person
    proving an identity a guest profile held (`actor` None). Kept for the record."""

    source = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("merged profile")
    )
    target = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("surviving profile")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged by"),
    )
    reason = models.CharField(_("reason"), max_length=20)
    moved = models.JSONField(_("moved"), default=dict)
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)

    class Meta:
        ordering = ["-merged_at", "-id"]
        constraints = [
            # A profile is merged away once.
            models.UniqueConstraint(fields=["source"], name="customer_merge_source_once"),
        ]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"#{self.source_id} -> #{self.target_id}"


# A postal address as orders keep it (a JSON snapshot) and as a saved Address holds it.
POSTAL_FIELDS = (
    "full_name",
    "phone",
    "line1",
    "line2",
    "district",
    "city",
    "postal_code",
    "country",
)


class Address(TimeStampedModel):
    """An address a customer keeps for next time."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=40, blank=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    district = models.CharField(_("district"), max_length=80, blank=True)
    city = models.CharField(_("city"), max_length=80)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    country = models.CharField(_("country"), max_length=2, default="TR")
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "-id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}"


# --- consent: KVKK and IYS ---------------------------------------------------------------------


class ConsentType(models.TextChoices):
    """The channel a commercial message goes by, named as IYS names it."""

    EPOSTA = "EPOSTA", _("e-mail")
    MESAJ = "MESAJ", _("SMS")
    ARAMA = "ARAMA", _("phone call")


class RecipientType(models.TextChoices):
    BIREYSEL = "BIREYSEL", _("individual")
    TACIR = "TACIR", _("trader")


class ConsentStatus(models.TextChoices):
    ONAY = "ONAY", _("given")
    RET = "RET", _("withdrawn")


class ConsentSource(models.TextChoices):
    WEB = "web", _("web form")
    APP = "app", _("app")
    STORE = "store", _("store staff")
    TRENDYOL = "trendyol", _("Trendyol")
    IMPORT = "import", _("import")
    IYS = "iys", _("the citizen, in IYS")


class PushState(models.TextChoices):
    """Where a decision stands with IYS. Only `pending` is pushed."""

    PENDING = "pending", _("to push")
    SENT = "sent", _("in IYS")
    UNCHANGED = "unchanged", _("nothing to push")  # IYS already holds this status
    REJECTED = "rejected", _("refused by IYS")
    FROM_IYS = "from_iys", _("made in IYS")


class ConsentDecision(models.Model):
    """One decision a person made about commercial messages on one channel, for one recipient
    type. Rows are never changed in meaning, only appended: the current consent is the latest
    decision per (customer, type, recipient type), one index scan (`consent_current`). Only the
    push bookkeeping (push_* fields) changes after the row is written."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    type = models.CharField(_("channel"), max_length=8, choices=ConsentType.choices)
    recipient_type = models.CharField(
        _("recipient type"),
        max_length=8,
        choices=RecipientType.choices,
        default=RecipientType.BIREYSEL,
    )
    status = models.CharField(_("status"), max_length=4, choices=ConsentStatus.choices)
    # The e-mail address or E.164 phone number the decision is about, as IYS keys it: a consent
    # given for one address does not follow the profile to another.
    recipient = models.CharField(_("recipient"), max_length=254)
    source = models.CharField(_("source"), max_length=10, choices=ConsentSource.choices)
    decided_at = models.DateTimeField(_("decided at"))
    text_version = models.CharField(_("text version shown"), max_length=40, blank=True)
    # Proof: where the person decided from, or the staff member who recorded it.
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    push_state = models.CharField(
        _("IYS push"), max_length=10, choices=PushState.choices, default=PushState.PENDING
    )
    # The end of the third business day after the decision (customers.business_days).
    push_due_at = models.DateTimeField(_("due in IYS by"), null=True, blank=True)
    push_attempts = models.PositiveSmallIntegerField(default=0)
    # A push in flight holds the row until then; a worker that died lets it go again.
    push_claimed_until = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    push_error = models.CharField(max_length=500, blank=True)
    # IYS's id of the change: the push's transactionId, or a pulled change's (unique per
    # profile: a change pulled twice is recorded once).
    iys_transaction_id = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(
                "customer",
                "type",
                "recipient_type",
                models.F("decided_at").desc(),
                models.F("id").desc(),
                name="consent_current",
            ),
            models.Index(
                fields=["push_due_at", "id"],
                name="consent_push_pending",
                condition=Q(push_state="pending"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "iys_transaction_id"],
                condition=~Q(iys_transaction_id=""),
                name="consent_iys_transaction_unique",
            ),
        ]
        verbose_name = _("consent decision")
        verbose_name_plural = _("consent decisions")

    def __str__(self) -> str:
        return f"{self.type} {self.recipient_type} {self.status} ({self.recipient})"


class IysPullCursor(models.Model):
    """How far the pull of IYS's changes has read, per brand (IYS's `after`)."""

    brand_code = models.CharField(max_length=40, primary_key=True)
    after = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.brand_code}: {self.after or '-'}"


class TimelineKind(models.TextChoices):
    ORDER_PLACED = "order_placed", _("Order placed")
    ORDER_STATUS = "order_status", _("Order status changed")
    RETURN = "return", _("Return")
    CART_STARTED = "cart_started", _("Cart started")
    CART_CHANGED = "cart_changed", _("Cart changed")
    CART_ABANDONED = "cart_abandoned", _("Cart abandoned")
    PRODUCT_VIEWED = "product_viewed", _("Product viewed")
    SEARCH = "search", _("Search")
    STORE_VISIT = "store_visit", _("Store visit")
    COUNTER_SALE = "counter_sale", _("Counter sale")
    STAFF_NOTE = "staff_note", _("Staff note")
    CONSENT = "consent", _("Consent")
    LOYALTY = "loyalty", _("Loyalty")
    MESSAGE_SENT = "message_sent", _("Message sent")
    MESSAGE_OPENED = "message_opened", _("Message opened")
    MESSAGE_CLICKED = "message_clicked", _("Message clicked")


class TimelineEvent(models.Model):
    """One thing a customer (or a visitor not yet known) did or had done, on any channel: the
    customer's timeline is these rows, newest first.

    Rows come from the ingest API (the app and the storefront send behaviour), and from other
    apps' outbox events (orders). Each source names its events with its own id, unique per
    source, so a batch sent twice or an outbox event relayed twice is stored once. Append-only:
    the one update is joining a visitor's anonymous rows to the profile on sign-in.
    """

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="timeline"
    )
    # The device's own id for an anonymous visitor; kept after the join, so later rows join too.
    visitor_id = models.UUIDField(null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=TimelineKind.choices)
    channel = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The store (inventory's StockLocation) a visit, counter sale or pickup happened at: a plain
    # id, as inventory is a layer above customers.
    store_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    data = models.JSONField(default=dict, blank=True)
    # Who named the event ("outbox" for another app's outbox event, the channel's code for
    # what a client sent) and the id it gave it.
    source = models.CharField(max_length=32)
    event_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="timeline_event_once"),
        ]
        indexes = [
            # One customer's stream, newest first, read by keyset (occurred_at, id).
            models.Index(
                fields=["customer", "-occurred_at", "-id"], name="timeline_customer_recent"
            ),
            # Segments' behaviour rules: has the customer done this kind of thing since then.
            models.Index(
                fields=["customer", "kind", "-occurred_at"], name="timeline_customer_kind"
            ),
            # A visitor's rows not yet joined to a profile (the join on sign-in).
            models.Index(
                fields=["visitor_id"],
                name="timeline_visitor_anonymous",
                condition=Q(customer__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id or self.visitor_id} {self.occurred_at:%Y-%m-%d}"


class StaffNote(models.Model):
    """What a staff member wrote about a customer (the size they wear, what they asked for),
    at which store. Written through customers.notes.staff_note_add, which also puts it on the
    timeline; shown newest first on the staff profile and the admin's customer page."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="staff_notes", verbose_name=_("customer")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    # The store channel the note was written at (none: from the admin or the API).
    store = models.ForeignKey(
        "sales_channels.Channel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="staff_note_recent"),
        ]
        verbose_name = _("staff note")
        verbose_name_plural = _("staff notes")

    def __str__(self) -> str:
        return f"note {self.pk} on {self.customer_id}"


# --- KVKK data-subject requests ----------------------------------------------------------------


class DataRequestKind(models.TextChoices):
    EXPORT = "export", _("export")
    ERASURE = "erasure", _("erasure")


class DataRequestStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("data request", "received")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    REFUSED = "refused", _("refused")


# KVKK article 13: the controller answers a data subject's request within 30 days.
DATA_REQUEST_DAYS = 30


class DataRequest(models.Model):
    """A person's KVKK request for what is held about them (export) or to be forgotten
    (erasure), made by themself or by staff on their behalf; answered within 30 days. Its
    status moves through customers.data_requests.DATA_REQUEST_MACHINE."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="data_requests")
    kind = models.CharField(_("kind"), max_length=10, choices=DataRequestKind.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DataRequestStatus.choices,
        default=DataRequestStatus.RECEIVED,
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    due_at = models.DateTimeField(_("due by"))
    # The staff member who recorded the request; None when the customer made it themself.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by staff"),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    archive = models.FileField(_("export archive"), upload_to="data-requests/", blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # How staff checked the person's identity when they recorded the request for them (KVKK
    # article 13 and the Communiqué on application procedures: the controller must know whose
    # data it hands out or erases).
    proof_note = models.CharField(_("identity proof"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # At most one open request of each kind per person.
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(status__in=["received", "in_progress"]),
                name="data_request_one_open_per_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="data_request_open_due",
                condition=Q(status__in=["received", "in_progress"]),
            ),
        ]
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.customer_id})"


# --- KVKK periodic destruction -----------------------------------------------------------------


class DestructionMethod(models.TextChoices):
    DELETED = "deleted", _("deleted")
    ANONYMISED = "anonymised", _("anonymised")


class DestructionLog(models.Model):
    """One category of personal data destroyed by one destruction run (customers.retention):
    what, how, how many rows, which retention period, when, and who or what started the run.
    KVKK's regulation on erasure, destruction and anonymisation asks for such a record, kept
    for 3 years; the run itself deletes older rows."""

    run_id = models.UUIDField(_("run"))
    category = models.CharField(_("category"), max_length=40)
    method = models.CharField(
        pgettext_lazy("destruction", "method"), max_length=12, choices=DestructionMethod.choices
    )
    rows = models.PositiveIntegerField(_("rows"))
    retention_days = models.PositiveIntegerField(_("retention (days)"))
    # Data older than this was destroyed.
    cutoff = models.DateTimeField(_("older than"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    # "beat", "command" or "admin"; the staff member when a person started it.
    triggered_by = models.CharField(_("triggered by"), max_length=40)
    triggered_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )

    class Meta:
        ordering = ["-started_at", "category"]
        constraints = [
            models.UniqueConstraint(fields=["run_id", "category"], name="destruction_log_once"),
        ]
        indexes = [models.Index(fields=["started_at"], name="destruction_log_started")]
        verbose_name = _("destruction log entry")
        verbose_name_plural = _("destruction log")

    def __str__(self) -> str:
        return f"{self.category}: {self.rows} {self.method} ({self.started_at:%Y-%m-%d})"


# The loyalty programme's models live in their own module (customers.models_loyalty).
from customers.models_loyalty import (  # noqa: E402, F401
    LoyaltyAccount,
    LoyaltyEntry,
    LoyaltyEntryKind,
    LoyaltyProgramme,
    LoyaltyTier,
)

# Metrics per customer live in their own module; imported here so Django sees them.
from customers.models_metrics import (  # noqa: E402, F401
    CustomerMetrics,
    CustomerMetricsPending,
    RfmSegment,
    RfmThresholds,
)

# Segments live in their own module; imported here so Django finds them.
from customers.segment_models import (  # noqa: E402, F401
    Segment,
    SegmentChangeKind,
    SegmentMembership,
    SegmentMembershipChange,
    SegmentPending,
)
