"""Serializer bases shared by the apps' APIs."""

from __future__ import annotations

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, without introspecting the model on every instance.

    DRF builds a ModelSerializer's fields from the model each time one is made (and a nested
    or many=True serializer is made per response): on a checkout that was a quarter of the
    time spent shaping responses. The fields depend only on the class (its Meta and declared
    fields), so they are built once per class and each instance gets a deep copy, exactly as
    a plain Serializer copies its declared fields.
    """

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_omni_fields")
        if template is None:
            template = super().get_fields()
            cls._omni_fields = template
        return copy.deepcopy(template)
