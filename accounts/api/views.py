from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    AuthOutput,
    ProfileInput,
    SignInInput,
    SignUpInput,
    UserOutput,
)


class SignUpApi(APIView):
    """Create a customer account and return a token for the app."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=SignUpInput, responses={201: AuthOutput}, tags=["auth"])
    def post(self, request):
        data = SignUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        token = services.auth_token_issue(user=user)
        return Response(
            AuthOutput({"token": token, "user": user}).data, status=status.HTTP_201_CREATED
        )


class TokenApi(APIView):
    """Sign in with e-mail and password; the token goes in `Authorization: Token <key>`."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=SignInInput, responses={200: AuthOutput}, tags=["auth"])
    def post(self, request):
        data = SignInInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request, **data.validated_data)
        token = services.auth_token_issue(user=user)
        return Response(AuthOutput({"token": token, "user": user}).data)


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
