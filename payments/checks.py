"""`manage.py check --deploy`: the payment gateways production must not run with.

payments.E001: an active channel gateway whose secrets (its own configuration over the
               defaults from the environment) are missing, short or published; it is refused
               at use (payments.selectors.gateway_build), so that channel cannot take payments.
payments.W001: the test gateway is allowed (OMNI_ALLOW_TEST_GATEWAY): anyone it is configured
               for pays with test cards. Every admin page says so too.

The channels are read from the database; where it cannot be read (not migrated yet, not
reachable) only the settings are checked.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def payment_gateways_check(app_configs=None, **kwargs) -> list:
    from payments import selectors

    found: list = []
    if settings.OMNI_ALLOW_TEST_GATEWAY:
        found.append(
            Warning(
                "The test payment gateway is allowed (OMNI_ALLOW_TEST_GATEWAY).",
                hint="Turn it off in production unless you mean to take test cards.",
                id="payments.W001",
            )
        )
    try:
        weak = selectors.weak_gateway_configs()
    except DatabaseError:
        return found
    for label, problems in weak:
        found.append(
            Error(
                f"Payment gateway {label} cannot be used in production: "
                + "; ".join(f"{name} {why}" for name, why in sorted(problems.items())),
                hint="Set long random secrets in the environment (or the channel's "
                "configuration), or switch the gateway off for that channel.",
                id="payments.E001",
            )
        )
    return found
