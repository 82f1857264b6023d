"""Helpers shared by the orders API tests: shoppers with a token, items in stock, URLs."""

from __future__ import annotations

from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import ProductVariant
from sales_channels.models import Channel
from tests import factories as f


def signed_in(user: User | None = None) -> tuple[User, APIClient]:
    """A user and an API client that sends their token."""
    user = user or f.UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {f.token_for(user)}")
    return user, client


def visitor(token: str | None = None) -> APIClient:
    """An anonymous client; with a token it sends it as the Cart-Token header."""
    client = APIClient()
    if token:
        client.credentials(HTTP_CART_TOKEN=str(token))
    return client


def item(
    channel: Channel, *, price: str = "100.00", quantity: int = 10, also: tuple = ()
) -> ProductVariant:
    """A variant priced and published on the channel (and `also` on others), in stock at the
    test distribution centre that the channel sells from."""
    variant = f.product(channels=[channel, *also], price=price).variants.get()
    location = f.stocked(channel, variant, quantity=quantity)
    for other in also:
        f.sells_from(other, location)
    return variant


def url(path: str, channel: str | None = "web", **params: str) -> str:
    query = {"channel": channel, **params} if channel else params
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/{path}" + (f"?{qs}" if qs else "")


def money(amount: str, currency: str = "TRY") -> dict:
    return {"amount": amount, "currency": currency}
