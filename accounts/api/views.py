from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services, throttle
from accounts.api.serializers import (
    AuthOutput,
    ProfileInput,
    SignInInput,
    SignUpInput,
    UserOutput,
)
from customers.services import customer_for_user
from omni.errors import NotFound
from orders.services import carts


def _merge_anonymous_cart(*, user, cart_token) -> None:
    """On sign-in (or sign-up) the visitor's anonymous cart joins the customer's one cart, on
    the channel it was last used on. A token that names no active anonymous cart (merged,
    ordered, someone's) is ignored: signing in does not fail for it."""
    if not cart_token:
        return
    try:
        anonymous = carts.cart_by_token(token=cart_token)
    except NotFound:
        return
    channel = anonymous.last_channel
    carts.cart_merge(
        anonymous=anonymous,
        customer=customer_for_user(user=user, channel=channel),
        channel=channel,
    )


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
        user = services.user_create(**values)
        token = services.auth_token_issue(user=user)
        _merge_anonymous_cart(user=user, cart_token=cart_token)
        return Response(
            AuthOutput({"token": token, "user": user}).data, status=status.HTTP_201_CREATED
        )


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
        user = services.user_authenticate(request=request, **values)
        token = services.auth_token_issue(user=user)
        _merge_anonymous_cart(user=user, cart_token=cart_token)
        response = Response(AuthOutput({"token": token, "user": user}).data)
        return throttle.device_remember(response, email=user.email)  # X-Omni-Device


class SignOutApi(APIView):
    """Revoke the token (signs the app out on this and every other device)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request):
        services.auth_token_revoke(user=request.user)
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
