from rest_framework import serializers

from customers.models import ConsentDecision, ConsentStatus, ConsentType, RecipientType
from omni.api.serializers import ModelSerializer, Serializer


class ConsentOutput(ModelSerializer):
    class Meta:
        model = ConsentDecision
        fields = [
            "type",
            "recipient_type",
            "status",
            "recipient",
            "source",
            "decided_at",
            "text_version",
        ]
        read_only_fields = fields


class ConsentInput(Serializer):
    type = serializers.ChoiceField(
        choices=ConsentType.choices, help_text="EPOSTA (e-mail), MESAJ (SMS) or ARAMA (calls)."
    )
    recipient_type = serializers.ChoiceField(
        choices=RecipientType.choices, default=RecipientType.BIREYSEL
    )
    status = serializers.ChoiceField(
        choices=ConsentStatus.choices, help_text="ONAY to give consent, RET to withdraw it."
    )
    text_version = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The version of the consent text the person was shown (required for ONAY).",
    )
    channel = serializers.ChoiceField(
        choices=[("app", "app"), ("web", "web")],
        default="app",
        help_text="Where the person decided: the app or the web shop (the decision's source).",
    )
