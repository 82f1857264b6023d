"""The rules of a customer's identities, as pure functions: how an e-mail address, a phone number
and a loyalty card number are written once normalised, so that one person typed three ways is
one identity (customers.identities stores and looks them up).

- Phones are E.164 (+905321234567). A number without a country code is read as Turkish:
  0532 123 45 67, 532 123 45 67, 90 532 123 45 67 and +90 (532) 123-45-67 are one number
  (Google's libphonenumber rules, through `phonenumbers`).
- E-mail addresses are trimmed and lower-cased: a retailer's customers do not rely on the rare
  mail server that tells Ayse@ from ayse@, and one profile per address matters more.
- Loyalty cards are 13 digits with the EAN-13 check digit, prefix 29 (GS1's range for numbers a
  retailer assigns in house), so a till scans the printed card as any EAN-13 barcode.
"""

from __future__ import annotations

import re
import secrets

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from omni.errors import ValidationError

PHONE_REGION = "TR"
LOYALTY_PREFIX = "29"
_NOT_DIGITS = re.compile(r"\D")


def phone_normalise(raw: str, *, field: str = "phone") -> str:
    """The number in E.164, or a field error on `field` when it is not a valid number."""
    text = (raw or "").strip()
    digits = _NOT_DIGITS.sub("", text)
    # 90532... typed without the plus: the country code, not a national number.
    if not text.startswith("+") and digits.startswith("90") and len(digits) == 12:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError.for_field(
            field, _("Enter a valid phone number, such as 0532 123 45 67."), code="invalid_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_normalise_or_blank(raw: str) -> str:
    """The number in E.164, or "" when there is none or it is not valid (where a phone is
    optional and was never checked, such as a guest checkout's)."""
    if not (raw or "").strip():
        return ""
    try:
        return phone_normalise(raw)
    except ValidationError:
        return ""


def email_normalise(raw: str, *, field: str = "email") -> str:
    email = (raw or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationError.for_field(
            field, _("Enter a valid e-mail address."), code="invalid_email"
        ) from None
    return email


def ean13_check_digit(first12: str) -> str:
    """GS1's check digit: weights 1 and 3 alternating from the left over the first 12 digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def loyalty_number_new() -> str:
    body = LOYALTY_PREFIX + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + ean13_check_digit(body)


def loyalty_number_valid(number: str) -> bool:
    return (
        len(number) == 13
        and number.isdigit()
        and number.startswith(LOYALTY_PREFIX)
        and ean13_check_digit(number[:12]) == number[12]
    )


def loyalty_normalise(raw: str, *, field: str = "value") -> str:
    number = _NOT_DIGITS.sub("", raw or "")
    if not loyalty_number_valid(number):
        raise ValidationError.for_field(
            field, _("Enter a valid loyalty card number."), code="invalid_loyalty_card"
        )
    return number
