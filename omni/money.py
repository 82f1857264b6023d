"""Money is a Decimal amount with an ISO 4217 currency. Never a float.

Amounts are kept exact through a calculation and rounded once, at the edge, to the currency's
minor unit with ROUND_HALF_UP (the rounding Turkish invoices use).

Shown to a person, an amount reads "1.298,99 ₺" in Turkish and "₺1,298.99" in English
(money_format): the one rule for the storefront's pages (storefront's `money` filter) and every
e-mail (`{% load money %}`), so an amount reads the same wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import get_language

# Active ISO 4217 currency codes and their minor-unit exponents (the ones that are not 2).
_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip
CURRENCIES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYI",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

MAX_DIGITS = 12
DECIMAL_PLACES = 2


def validate_currency(code: str) -> None:
    if code not in CURRENCIES:
        raise DjangoValidationError(
            "%(code)s is not an ISO 4217 currency code.",
            code="unknown_currency",
            params={"code": code},
        )


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-_EXPONENTS.get(currency, 2))


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def to_decimal(value: object) -> Decimal:
    """A Decimal from a string, int or Decimal; floats are refused (they are not exact)."""
    if isinstance(value, float):
        raise TypeError("money amounts are never floats; pass a string or a Decimal")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a decimal amount") from exc
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return result


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        if self.currency not in CURRENCIES:
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply money by an int or a Decimal, never a float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def quantize(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)

    def as_dict(self) -> dict[str, str]:
        """The wire form: the amount as a string, so no client parses it into a float."""
        return {"amount": str(quantize(self.amount, self.currency)), "currency": self.currency}

    def __str__(self) -> str:
        return f"{quantize(self.amount, self.currency)} {self.currency}"


def AmountField(verbose_name=None, **kwargs) -> models.DecimalField:
    """The one column type for money amounts; the currency sits in a column beside it."""
    return models.DecimalField(
        verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs
    )


def CurrencyField(verbose_name=None, **kwargs) -> models.CharField:
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("validators", [validate_currency])
    return models.CharField(verbose_name, **kwargs)


SYMBOLS = {"TRY": "₺", "EUR": "€", "USD": "$"}


def money_format(
    amount: Decimal | int | float | str | None, currency: str = "TRY", language: str | None = None
) -> str:
    """The amount rounded to the currency's minor unit, grouped, with the currency's symbol, in
    `language` (default: the active one): "1.298,99 ₺" (a no-break space before the symbol) or
    "₺1,298.99". None or "" is "" (a page never fails over an amount: a float, which
    no Omni amount is, is read through its text)."""
    if amount is None or amount == "":
        return ""
    value = quantize(to_decimal(str(amount) if isinstance(amount, float) else amount), currency)
    places = -minor_unit(currency).as_tuple().exponent  # type: ignore[operator]
    text = f"{value:,.{places}f}"
    symbol = SYMBOLS.get(currency, currency)
    if (language or get_language() or "tr").startswith("tr"):
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
        return f"{text}\u00a0{symbol}"
    return f"{symbol}{text}"
