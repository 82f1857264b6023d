"""The one interface every payment provider sits behind.

The payment services (payments/services/) own the Payment rows, their transaction ledger, the
state machine, the locks and the order's confirmation. A gateway only talks to its provider: it
takes plain dataclasses (never a model, never an open transaction: services call gateways
outside `transaction.atomic()`, then record the result in a short transaction) and returns a
`GatewayResult`. Card numbers and security codes pass through `Card` to the provider and are
never stored, logged or put in `raw`.

Gateways are chosen per channel (payments.models: which gateways a channel offers, with their
configuration) and looked up by `code`:

    @register
    class MyProvider(Gateway):
        code = "my-provider"
        label = _("My provider")
        online = True
        def authorise(self, request): ...
        ...

A second real provider is one more such class (see README, "Payments").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from omni.secrets import secret_problem


class InvalidSignature(Exception):
    """A webhook whose signature, timestamp or body does not verify: answered with a 400 and
    changes nothing."""


class GatewayError(Exception):
    """The provider could not be reached or answered nonsense; the operation may be retried."""


@dataclass(frozen=True, slots=True, repr=False)
class Card:
    """Card details on their way to the provider. Never stored, logged or echoed."""

    holder: str
    number: str
    exp_month: str
    exp_year: str
    cvc: str

    def __repr__(self) -> str:  # never leak into logs or tracebacks
        return f"Card(holder=…, number=…{self.number[-4:]})"

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True, slots=True)
class Buyer:
    id: str
    name: str
    surname: str
    email: str
    phone: str = ""
    ip: str = ""
    city: str = ""
    country: str = "TR"
    address: str = ""
    national_id: str = ""  # iyzico asks for one; a placeholder is accepted for foreigners


@dataclass(frozen=True, slots=True)
class Item:
    id: str  # sku
    name: str
    category: str
    price: Decimal  # the line total, tax included


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """What a provider needs to take one payment."""

    reference: str  # ours, unique per payment: the provider's conversation/idempotency id
    amount: Decimal
    currency: str
    order_number: str  # or the cart's reference when a link pays a cart
    buyer: Buyer
    items: tuple[Item, ...] = ()
    return_url: str = ""  # where the provider sends the shopper back after 3-D Secure
    card: Card | None = None
    capture: bool = True  # False: authorise only, capture later
    # Instalments (taksit): how many, and what the shopper pays in all with the bank's charge
    # for them (None: `amount`). `amount` stays what counts towards the order.
    instalments: int = 1
    instalment_total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PaymentRef:
    """A payment the provider already knows, for completion, capture, void and refund."""

    reference: str
    provider_reference: str
    amount: Decimal
    currency: str
    captured: Decimal = Decimal("0")
    data: dict[str, Any] = field(default_factory=dict)  # what the gateway stored earlier
    # Refunded so far (Payment.amount_refunded): a provider that refunds per basket item
    # (iyzico) works out from it what each item still holds.
    refunded: Decimal = Decimal("0")
    instalments: int = 1
    instalment_total: Decimal | None = None  # what the shopper pays in all (instalments > 1)


@dataclass(frozen=True, slots=True)
class InstalmentOption:
    """One way to split a card payment: `count` instalments of `monthly`, `total` in all (the
    amount plus any instalment charge), in `currency`."""

    count: int
    total: Decimal
    monthly: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class InstalmentPlan:
    """What a card (by its BIN, the first six digits) may pay `amount` in. `options` always
    starts with the single payment (count 1, total = amount)."""

    bin_number: str
    amount: Decimal
    currency: str
    options: tuple[InstalmentOption, ...]
    bank: str = ""  # the issuing bank or card family, as the provider names it

    def option(self, count: int) -> InstalmentOption | None:
        return next((o for o in self.options if o.count == count), None)


def single_payment(*, bin_number: str, amount: Decimal, currency: str) -> InstalmentPlan:
    """The plan of a card, or a provider, that offers no instalments."""
    return InstalmentPlan(
        bin_number=bin_number,
        amount=amount,
        currency=currency,
        options=(InstalmentOption(count=1, total=amount, monthly=amount, currency=currency),),
    )


class Status(StrEnum):
    AUTHORISED = "authorised"  # money held, to capture later
    CAPTURED = "captured"  # money taken
    ACTION_REQUIRED = "action_required"  # the shopper must complete 3-D Secure
    PENDING = "pending"  # the result arrives later (webhook)
    DECLINED = "declined"  # the bank said no: final for this attempt
    VOIDED = "voided"
    REFUNDED = "refunded"
    FAILED = "failed"  # an error: nothing happened


@dataclass(frozen=True, slots=True)
class GatewayResult:
    status: Status
    provider_reference: str = ""
    amount: Decimal | None = None
    # 3-D Secure: send the shopper to `redirect_url`, or show `html` (a self-submitting form)
    redirect_url: str = ""
    html: str = ""
    error_code: str = ""
    error_message: str = ""
    # The provider's response minus anything secret; stored on the transaction.
    raw: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # to keep for later calls (PaymentRef.data)
    # The currency of `amount`, as the provider states it: checked against the payment's.
    currency: str = ""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A provider notification, verified."""

    event_id: str  # the provider's id: a duplicate is ignored
    reference: str  # our payment reference (or provider_reference, whichever it carries)
    provider_reference: str
    status: Status
    amount: Decimal | None
    occurred_at: float  # the provider's timestamp (seconds); older than what we hold: ignored
    raw: dict[str, Any] = field(default_factory=dict)
    currency: str = ""  # when the provider says it: checked against the payment's


class Gateway(ABC):
    code: ClassVar[str]
    label: ClassVar[str]
    # False: nothing is sent anywhere, staff record the payment (cash, the store's terminal).
    online: ClassVar[bool] = True
    # The configuration keys that hold secrets (API keys, signing keys): production refuses to
    # build the gateway when one of them is missing, short or a published default.
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = config or {}

    @classmethod
    def weak_secrets(cls, config: dict[str, Any]) -> dict[str, str]:
        """{field: why} for each secret in `config` that production must refuse."""
        found = {name: secret_problem(config.get(name)) for name in cls.secret_fields}
        return {name: problem for name, problem in found.items() if problem}

    @abstractmethod
    def authorise(self, request: PaymentRequest) -> GatewayResult:
        """Start a payment: captured, authorised, action_required (3-D Secure), pending,
        declined or failed."""

    def instalments(self, *, bin_number: str, amount: Decimal, currency: str) -> InstalmentPlan:
        """The instalment options of a card (by its BIN) for `amount`, with their totals. The
        default: a single payment only."""
        return single_payment(bin_number=bin_number, amount=amount, currency=currency)

    def complete(self, payment: PaymentRef, params: dict[str, Any]) -> GatewayResult:
        """Finish a payment after the shopper came back from 3-D Secure (`params`: what the
        provider posted or put in the return URL)."""
        raise NotImplementedError

    def retrieve(self, payment: PaymentRef) -> GatewayResult:
        """Ask the provider how the payment stands now, with its amount and currency (used when
        a notification does not say them). NotImplementedError: this provider cannot be asked,
        so a notification that does not state its amount is refused."""
        raise NotImplementedError

    def capture(self, payment: PaymentRef, amount: Decimal) -> GatewayResult:
        raise NotImplementedError

    def void(self, payment: PaymentRef) -> GatewayResult:
        raise NotImplementedError

    def refund(self, payment: PaymentRef, amount: Decimal, *, reference: str) -> GatewayResult:
        """Refund part or all of what was captured; `reference` is ours and the same on every
        retry, so the provider refunds once."""
        raise NotImplementedError

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        """Verify and read a notification; raise InvalidSignature when it does not verify."""
        raise InvalidSignature("this gateway takes no webhooks")


GATEWAYS: dict[str, type[Gateway]] = {}


def register(cls: type[Gateway]) -> type[Gateway]:
    if cls.code in GATEWAYS and GATEWAYS[cls.code] is not cls:
        raise RuntimeError(f"two gateways claim the code {cls.code!r}")
    GATEWAYS[cls.code] = cls
    return cls


def gateway_class(code: str) -> type[Gateway]:
    try:
        return GATEWAYS[code]
    except KeyError:
        raise KeyError(f"no payment gateway {code!r} (known: {sorted(GATEWAYS)})") from None
