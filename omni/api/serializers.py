"""Serializer bases shared by the apps' APIs."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


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


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, Mapping):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False  # numbers, booleans, uploaded files (a file may hold any byte)


def _refuse_nul(serializer, data) -> None:
    """A NUL character in any field sent is that field's error. DRF's CharField refuses one,
    but a lookup (SlugRelatedField, a code) would take it to PostgreSQL, which cannot store
    it: a 500. JSON bodies and the query string are refused at the edge (omni.safejson,
    omni.guard); a multipart body's fields reach the serializers."""
    if not isinstance(data, Mapping):
        return
    getlist = getattr(data, "getlist", None)  # a form's QueryDict: every value of a name
    bad = {}
    for field in serializer._writable_fields:
        name = field.field_name
        if name in data and _holds_nul(getlist(name) if getlist else data[name]):
            bad[name] = [
                serializers.ErrorDetail(
                    str(ProhibitNullCharactersValidator.message),
                    code=ProhibitNullCharactersValidator.code,
                )
            ]
    if bad:
        raise serializers.ValidationError(bad)


class Serializer(serializers.Serializer):
    """DRF's Serializer, copying its declared fields cheaply (see _copy_fields): DRF re-runs
    each field's constructor for every serializer made, a tenth of a checkout's time."""

    def get_fields(self):
        return _copy_fields(type(self), self._declared_fields)

    def to_internal_value(self, data):
        _refuse_nul(self, data)
        return super().to_internal_value(data)


class BlankChoiceField(serializers.ChoiceField):
    """A choice the model may leave blank (a return line's condition before it is received).
    The API gives a blank as null, since an enum has no "" value; null or "" comes in as ""."""

    def to_representation(self, value):
        if value in ("", None):
            return None
        return super().to_representation(value)

    def validate_empty_values(self, data):
        is_empty, value = super().validate_empty_values(data)
        return (True, "") if is_empty and value is None else (is_empty, value)


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, always RFC 3339 (the schema's `date-time`): a moment whose local
    offset has seconds, as Istanbul's had before 1910 (+01:55:52), is given in UTC."""

    def to_representation(self, value):
        if (
            isinstance(value, datetime.datetime)
            and value.tzinfo is not None
            and getattr(self, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        ):
            offset = self.enforce_timezone(value).utcoffset()
            if offset is not None and offset.seconds % 60:
                return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
        return super().to_representation(value)


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, without introspecting the model on every instance.

    DRF builds a ModelSerializer's fields from the model each time one is made (and a nested
    or many=True serializer is made per response): on a checkout that was a quarter of the
    time spent shaping responses. The fields depend only on the class (its Meta and declared
    fields), so they are built once per class and each instance gets a copy (see
    _copy_fields).
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if (
            isinstance(model_field, models.CharField | models.TextField)
            and model_field.choices
            and model_field.blank
            and not model_field.null
        ):
            field_class = BlankChoiceField
            kwargs["allow_null"] = True
        return field_class, kwargs

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_omni_fields")
        if template is None:
            template = super().get_fields()
            cls._omni_fields = template
        return _copy_fields(cls, template)

    def to_internal_value(self, data):
        _refuse_nul(self, data)
        return super().to_internal_value(data)
