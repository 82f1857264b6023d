"""The legal forms of a distance sale in the API: read them filled, accept them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from omni.api.serializers import Serializer
from orders.models import OrderAgreement


class AgreementOutput(Serializer):
    kind = serializers.ChoiceField(choices=OrderAgreement.Kind.choices)
    title = serializers.CharField()
    version = serializers.CharField()
    language = serializers.CharField()
    html = serializers.CharField(
        help_text="The whole form as an HTML document: show it as it is (a web view)."
    )
    sha256 = serializers.CharField(help_text="SHA-256 of `html`; send it back when accepting.")
    accepted_at = serializers.DateTimeField(allow_null=True)


class AgreementsOutput(Serializer):
    order = serializers.CharField(help_text="The order's number.")
    needed = serializers.BooleanField(
        help_text="A distance sale (web, app): payments start only once `accepted`."
    )
    accepted = serializers.BooleanField()
    forms = AgreementOutput(many=True)


class AgreementsAcceptInput(Serializer):
    accept = serializers.BooleanField(
        help_text="true: the shopper ticked that they read and accept both forms."
    )
    sha256 = serializers.DictField(
        child=serializers.CharField(max_length=64),
        required=False,
        help_text=(
            "Optional: the `sha256` of each form as the app showed it, by kind. If a form reads "
            "otherwise now, nothing is accepted (400 on `sha256`): show them again."
        ),
    )

    def validate_accept(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(
                _(
                    "Read and accept the pre-information form and the distance sales contract "
                    "before paying."
                ),
                code="agreements_required",
            )
        return value
