"""A JSON field edited in the admin (a channel gateway's or endpoint's configuration) reads its
text through omni.safejson: JSON nested too deep or holding a NUL is the form's error, not a
500 (a RecursionError, or PostgreSQL refusing \\u0000 in jsonb)."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin

from omni.admin_tools import JSONFormField
from payments.models import ChannelGateway
from tests import factories as f

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
NUL = '{"api_key": "a\\u0000b"}'


@pytest.mark.parametrize("config", [DEEP, NUL], ids=["deep", "nul"])
def test_a_configuration_too_deep_or_with_a_nul_is_the_forms_error(admin_client, config):
    gateway = ChannelGateway.objects.create(channel=f.ChannelFactory(), gateway="cash")
    url = f"/admin/payments/channelgateway/{gateway.pk}/change/"
    data = {"channel": gateway.channel_id, "gateway": "cash", "sort_order": 0, "config": config}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["config"]
    gateway.refresh_from_db()
    assert gateway.config == {}


def test_every_json_field_the_admin_edits_reads_through_safejson(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    editable = []
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_change_permission(request):
            continue
        form_classes = [model_admin.get_form(request)] + [
            inline.get_formset(request).form
            for inline in model_admin.get_inline_instances(request)
            if inline.has_change_permission(request)
        ]
        for form_class in form_classes:
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.JSONField) and not field.disabled:
                    editable.append((model.__name__, name, type(field)))
    assert ("ChannelGateway", "config", JSONFormField) in editable
    assert [found for found in editable if found[2] is not JSONFormField] == []
