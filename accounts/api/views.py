from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import hooks, selectors, services, throttle
from accounts.api.serializers import (
    AuthOutput,
    DeviceOutput,
    ProfileInput,
    SignInInput,
    SignUpInput,
    UserOutput,
)
from accounts.models import DeviceToken


def _device_fields(values: dict) -> dict:
    """Takes the device's fields (SignInInput, SignUpInput) out of the input."""
    return {name: values.pop(name) for name in ("device_id", "device_name") if name in values}


def _issue(request, *, user, device: dict) -> dict:
    """A token for the signing-in device, and the answer that carries it."""
    token, key = services.auth_token_issue(
        user=user, user_agent=request.META.get("HTTP_USER_AGENT", ""), **device
    )
    return AuthOutput(
        {"token": key, "user": user, "device": token}, context={"current": token.pk}
    ).data


class SignUpApi(APIView):
    """Create a customer account and return a token for the app."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def check_throttles(self, request):
        if request.method == "POST":  # sign-in is throttled in services.user_authenticate
            throttle.sign_up_attempt(request)

    @extend_schema(request=SignUpInput, responses={201: AuthOutput}, tags=["auth"])
    def post(self, request):
        data = SignUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        cart_token = values.pop("cart_token", None)
        visitor_token = values.pop("visitor_token", None) or request.headers.get("X-Omni-Visitor")
        device = _device_fields(values)
        user = services.user_create(**values)
        body = _issue(request, user=user, device=device)
        hooks.signed_in.send(user=user, cart_token=cart_token, visitor_token=visitor_token)
        return Response(body, status=status.HTTP_201_CREATED)


class TokenApi(APIView):
    """Sign in with e-mail and password; the token goes in `Authorization: Token <key>`."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=SignInInput, responses={200: AuthOutput}, tags=["auth"])
    def post(self, request):
        data = SignInInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        cart_token = values.pop("cart_token", None)
        visitor_token = values.pop("visitor_token", None) or request.headers.get("X-Omni-Visitor")
        device = _device_fields(values)
        user = services.user_authenticate(request=request, **values)
        body = _issue(request, user=user, device=device)
        hooks.signed_in.send(user=user, cart_token=cart_token, visitor_token=visitor_token)
        return throttle.device_remember(Response(body), email=user.email)  # X-Omni-Device


class SignOutApi(APIView):
    """Revoke this device's token; the user's other devices stay signed in (to sign out of
    all of them: `DELETE /api/v1/me/devices/`)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request):
        if isinstance(request.auth, DeviceToken):
            services.auth_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DevicesApi(APIView):
    """The devices (app installs, API clients) signed in to this account."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=DeviceOutput(many=True), tags=["auth"])
    def get(self, request):
        devices = selectors.devices_for_user(user=request.user)
        current = request.auth.pk if isinstance(request.auth, DeviceToken) else None
        return Response(DeviceOutput(devices, many=True, context={"current": current}).data)

    @extend_schema(
        request=None, responses={204: None}, tags=["auth"], operation_id="me_devices_revoke_all"
    )
    def delete(self, request):
        """Sign out everywhere: every device's token is revoked, this one's too."""
        services.auth_tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses={204: None}, tags=["auth"], operation_id="me_devices_revoke"
    )
    def delete(self, request, pk: int):
        """Sign one device out (another account's device is not found)."""
        services.device_revoke(user=request.user, pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserOutput, tags=["auth"])
    def get(self, request):
        return Response(UserOutput(request.user).data)

    @extend_schema(request=ProfileInput, responses=UserOutput, tags=["auth"])
    def patch(self, request):
        data = ProfileInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **data.validated_data)
        return Response(UserOutput(user).data)
