"""Promotion codes on a cart: what is sent, and the cart answered in the cart API's shape."""

from __future__ import annotations

from rest_framework import serializers

from omni.api.serializers import Serializer
from orders.api.serializers import CartOutput


class CartCodeInput(Serializer):
    code = serializers.CharField(max_length=40, help_text="Any case; spaces are ignored.")


class CartWithCodesOutput(CartOutput):
    """The cart as GET /cart/ shows it (its promotions and the codes turned down among it),
    with the codes on it."""

    codes = serializers.ListField(
        child=serializers.CharField(), source="cart.codes", help_text="Upper case."
    )
