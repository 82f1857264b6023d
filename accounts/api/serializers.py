from django.conf import settings
from rest_framework import serializers

from accounts.models import User
from omni.api.serializers import ModelSerializer, Serializer


class UserOutput(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "phone", "language", "role"]
        read_only_fields = fields


class SignUpInput(Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    cart_token = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="An anonymous cart (its Cart-Token) to merge into the new customer's cart.",
    )


class SignInInput(Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    cart_token = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=(
            "An anonymous cart (its Cart-Token) to merge into the customer's cart: the same "
            "item adds its quantities, capped by what can be had."
        ),
    )


class AuthOutput(Serializer):
    token = serializers.CharField()
    user = UserOutput()


class ProfileInput(Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
