"""What may be kept of a provider's answer: everything but secrets and card data.

Applied to every `raw` a gateway returns before it is stored, as a second line of defence:
gateways should not put card data there in the first place (payments.gateways.base.Card).
"""

from __future__ import annotations

import re
from typing import Any

SECRET_KEYS = frozenset(
    {
        "card",
        "card_number",
        "cardnumber",
        "number",
        "pan",
        "cvc",
        "cvv",
        "cvc2",
        "security_code",
        "expiry",
        "exp_month",
        "exp_year",
        "expiremonth",
        "expireyear",
        "api_key",
        "apikey",
        "secret",
        "secret_key",
        "secretkey",
        "password",
        "authorization",
        "token",
    }
)
# A run of 12-19 digits (spaces or dashes between) that passes the Luhn check is a card number.
_DIGITS = re.compile(r"(?<!\d)(?:\d[ -]?){11,18}\d(?!\d)")
REDACTED = "[redacted]"


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def redact_text(text: str) -> str:
    def mask(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        return REDACTED if _luhn(digits) else match.group()

    return _DIGITS.sub(mask, text)


def redact(value: Any) -> Any:
    """A copy of `value` without secret keys and with card numbers masked, at any depth."""
    if isinstance(value, dict):
        return {
            str(k): (REDACTED if str(k).lower() in SECRET_KEYS else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
