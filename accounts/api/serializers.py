from django.conf import settings
from rest_framework import serializers

from accounts.models import DeviceToken, User
from omni.api.serializers import ModelSerializer, Serializer


class UserOutput(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "phone", "language", "role"]
        read_only_fields = fields


class DeviceInput(Serializer):
    """The device a sign-in or sign-up gets its token for."""

    device_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=(
            "The app install's own id (made once per install): signing in again from it "
            "replaces its earlier token. Without it, each sign-in is a device of its own."
        ),
    )
    device_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="What the customer's device list shows, e.g. \"Ayşe's iPhone\".",
    )


class SignUpInput(DeviceInput):
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
    visitor_token = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=(
            "The visitor token the events API handed out (or the X-Omni-Visitor header): the "
            "events sent under it join the customer's timeline."
        ),
    )


class SignInInput(DeviceInput):
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
    visitor_token = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=(
            "The visitor token the events API handed out (or the X-Omni-Visitor header): the "
            "events sent under it join the customer's timeline."
        ),
    )


class DeviceOutput(ModelSerializer):
    """A signed-in device; never its token or anything derived from it."""

    current = serializers.SerializerMethodField(
        help_text="Whether this is the device (token) of the request."
    )

    class Meta:
        model = DeviceToken
        fields = ["id", "name", "user_agent", "created", "last_used", "expiry", "current"]
        read_only_fields = fields

    def get_current(self, device: DeviceToken) -> bool:
        return device.pk == self.context.get("current")


class AuthOutput(Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. It is shown this once."
    )
    user = UserOutput()
    device = DeviceOutput()


class ProfileInput(Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
