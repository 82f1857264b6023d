"""The API's token sign-in (REST_FRAMEWORK's first authentication class)."""

from __future__ import annotations

from customers.models import Customer
from omni.api import auth


class TokenAuthentication(auth.TokenAuthentication):
    """omni's token check, reading the user's customer profile in the same query: the app's
    every cart and order request needs the token, its user and the profile (customers.services'
    customer_for_user takes the profile from there; None there means none yet)."""

    user_profile_model = Customer
