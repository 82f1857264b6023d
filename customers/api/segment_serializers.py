"""The merchant API's segment shapes. Rules are checked by customers.segment_rules, not here:
one set of messages, with the path of each bad node."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.serializers import Serializer


class SegmentInput(Serializer):
    name = serializers.CharField(max_length=120, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    rules = serializers.JSONField()
    is_active = serializers.BooleanField(required=False, default=True)


class SegmentPatchInput(Serializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    rules = serializers.JSONField(required=False)
    is_active = serializers.BooleanField(required=False)


class SegmentOutput(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    rules = serializers.JSONField()
    is_active = serializers.BooleanField()
    member_count = serializers.IntegerField()
    recomputed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PreviewInput(Serializer):
    rules = serializers.JSONField()


class CustomerBriefOutput(Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    is_guest = serializers.SerializerMethodField()

    def get_is_guest(self, customer) -> bool:
        return customer.user_id is None


class PreviewOutput(Serializer):
    count = serializers.IntegerField()
    sample = CustomerBriefOutput(many=True)


class MemberOutput(Serializer):
    customer = CustomerBriefOutput()
    entered_at = serializers.DateTimeField()


class FieldOutput(Serializer):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the wire name shadows a Field attribute
    ops = serializers.ListField(child=serializers.CharField())
    value_type = serializers.CharField()
    days = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField(), allow_null=True)
