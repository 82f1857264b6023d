"""Promotion codes on the cart, for the app and the staff counter: the same services as the
storefront's code field (campaigns.services.codes), the cart answered priced again, in the cart
API's shape. A refused code is a 400 on the field "code" and the cart is unchanged."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from campaigns.api import cart_serializers as serializers
from campaigns.services.codes import cart_code_apply, cart_code_remove, code_normalise
from omni.errors import NotFound
from orders import selectors
from orders.api.cart_views import SHOPPER, STAFF, ShopperApi, StaffMixin
from orders.models import Cart


class CartCodesMixin:
    def cart_response(self, cart: Cart, *, code: int = status.HTTP_200_OK) -> Response:
        summary = selectors.cart_summary(
            cart=cart,
            channel=self.get_channel(),  # type: ignore[attr-defined]
            customer=self.get_customer(),  # type: ignore[attr-defined]
        )
        return Response(serializers.CartWithCodesOutput(summary).data, status=code)


class CartCodeListApi(CartCodesMixin, ShopperApi):
    @extend_schema(
        tags=["cart"],
        parameters=SHOPPER,
        request=serializers.CartCodeInput,
        responses={200: serializers.CartWithCodesOutput},
        description=(
            "Put a promotion code on the cart (checked first: unknown, not yet valid, expired, "
            "used up, not on this channel, or used by the customer as often as it allows is a "
            "400 on `code`, and the cart is unchanged); every channel then prices the cart "
            "with it. Returns the cart priced again."
        ),
    )
    def post(self, request, **kwargs):
        data = serializers.CartCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        cart = cart_code_apply(
            cart=self.get_cart(),
            code=data.validated_data["code"],
            channel=self.get_channel(),
            customer=self.get_customer(),
        )
        return self.cart_response(cart)


class CartCodeDetailApi(CartCodesMixin, ShopperApi):
    @extend_schema(
        tags=["cart"],
        parameters=SHOPPER,
        request=None,
        responses={200: serializers.CartWithCodesOutput},
        description="Take the code off the cart (404 if it is not on it); the cart priced again.",
    )
    def delete(self, request, code: str, **kwargs):
        cart = self.get_cart()
        if code_normalise(code) not in cart.codes:
            raise NotFound(_("This code is not on the cart."), code="code_not_found")
        cart = cart_code_remove(cart=cart, code=code, channel=self.get_channel())
        return self.cart_response(cart)


# The same for staff acting for the customer in the URL (the counter, the staff app).
@extend_schema_view(post=extend_schema(tags=["staff"], parameters=STAFF))
class StaffCartCodeListApi(StaffMixin, CartCodeListApi):  # type: ignore[misc]
    http_method_names = ["post", "options"]


@extend_schema_view(delete=extend_schema(tags=["staff"], parameters=STAFF))
class StaffCartCodeDetailApi(StaffMixin, CartCodeDetailApi):  # type: ignore[misc]
    http_method_names = ["delete", "options"]
