"""Hooks through which an app above accounts reacts to a sign-in, so that accounts never imports
it (omni.hooks; README, "How the code is laid out").

The API's sign-in and sign-up (accounts.api.views) send `signed_in` once the device has its
token; orders connects its cart merge in its `AppConfig.ready()`, the same merge the storefront's
sign-in calls (orders.services.carts.cart_merge_on_sign_in).
"""

from __future__ import annotations

from omni.hooks import Hook

# handler(*, user: User, cart_token: UUID | None, visitor_token: str | None): the user signed
# in or signed up over the API, with the token of the cart they filled as a visitor and the
# visitor token the events API handed out, if the app sent them; orders merges that cart into
# the customer's, customers joins the visitor's timeline events to the profile.
signed_in = Hook("signed_in")
