from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

sku_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    _("Use letters, digits, '.', '_' and '-' (at most 64)."),
    code="invalid_sku",
)


def ean13_check_digit(first12: str) -> int:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def validate_ean13(value: str) -> None:
    if not (isinstance(value, str) and len(value) == 13 and value.isascii() and value.isdigit()):
        raise ValidationError(_("An EAN-13 barcode has exactly 13 digits."), code="invalid_ean")
    if ean13_check_digit(value[:12]) != int(value[12]):
        raise ValidationError(
            _("The check digit of this EAN-13 barcode is wrong (expected %(digit)s)."),
            code="invalid_ean",
            params={"digit": ean13_check_digit(value[:12])},
        )
