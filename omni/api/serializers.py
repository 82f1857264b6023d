"""Serializer bases shared by the apps' APIs."""

from __future__ import annotations

import copy

from rest_framework import serializers


def _copy_fields(cls: type, template: dict) -> dict:
    """A serializer instance's own fields from its class's template: a plain field is copied
    shallowly (binding sets attributes on the copy only); a nested serializer, or a field
    holding another field (ListField, DictField, many related), deeply, since what it holds
    is bound to it and reaches the context through it."""
    plan = cls.__dict__.get("_omni_copy_plan")  # worked out once per class
    if plan is None:
        plan = [(name, field, _holds_fields(field)) for name, field in template.items()]
        cls._omni_copy_plan = plan
    fields = {}
    for name, field, deep in plan:
        if deep:
            fields[name] = copy.deepcopy(field)
        else:  # what copy.copy does for a plain object, without its generic protocol
            clone = object.__new__(type(field))
            clone.__dict__.update(field.__dict__)
            fields[name] = clone
    return fields


def _holds_fields(field) -> bool:
    return (
        isinstance(field, serializers.BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
    )


class Serializer(serializers.Serializer):
    """DRF's Serializer, copying its declared fields cheaply (see _copy_fields): DRF re-runs
    each field's constructor for every serializer made, a tenth of a checkout's time."""

    def get_fields(self):
        return _copy_fields(type(self), self._declared_fields)


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, without introspecting the model on every instance.

    DRF builds a ModelSerializer's fields from the model each time one is made (and a nested
    or many=True serializer is made per response): on a checkout that was a quarter of the
    time spent shaping responses. The fields depend only on the class (its Meta and declared
    fields), so they are built once per class and each instance gets a copy (see
    _copy_fields).
    """

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_omni_fields")
        if template is None:
            template = super().get_fields()
            cls._omni_fields = template
        return _copy_fields(cls, template)
