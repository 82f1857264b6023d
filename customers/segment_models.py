"""Segments: a named rule over customers (customers.segment_rules), and who is in it now.

Membership is materialised (SegmentMembership) and every entry and exit is appended to
SegmentMembershipChange, so campaigns can act on "entered the segment" and staff can see when.
customers.segments keeps both current; nothing else writes them.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omni.models import TimeStampedModel


class Segment(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    # A rule tree: {"all": [...]}, {"any": [...]}, {"not": {...}} and leaves
    # {"field", "op", "value"[, "days"]}; validated by customers.segment_rules.
    rules = models.JSONField(_("rules"))
    is_active = models.BooleanField(_("active"), default=True)
    # When the last full recompute finished, and how many members it left.
    recomputed_at = models.DateTimeField(_("recomputed at"), null=True, blank=True)
    member_count = models.PositiveIntegerField(_("members"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    """A customer in a segment now, since `entered_at`."""

    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_once"),
        ]
        # The customer's segments (the incremental path and the 360 view).
        indexes = [models.Index(fields=["customer"], name="segment_member_customer")]
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.customer_id}"


class SegmentChangeKind(models.TextChoices):
    ENTERED = "entered", _("entered")
    EXITED = "exited", _("exited")


class SegmentMembershipChange(models.Model):
    """A customer entering or leaving a segment. Append-only."""

    id = models.BigAutoField(primary_key=True)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="changes")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="segment_changes"
    )
    kind = models.CharField(_("change"), max_length=8, choices=SegmentChangeKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["segment", "-at", "-id"], name="segment_change_recent"),
            models.Index(fields=["customer"], name="segment_change_customer"),
        ]
        verbose_name = _("segment change")
        verbose_name_plural = _("segment changes")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.segment_id}"


class SegmentPending(models.Model):
    """A customer whose data changed since their segments were last evaluated. One row per
    customer however many changes: the row dedupes the work, and the task that evaluates it
    (customers.tasks.segments_refresh) is queued only by whoever inserted the row. A lost
    message leaves the row for the beat sweep."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer awaiting segment evaluation")
        verbose_name_plural = _("customers awaiting segment evaluation")

    def __str__(self) -> str:
        return f"{self.customer_id} since {self.marked_at:%Y-%m-%d %H:%M}"
