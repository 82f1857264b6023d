"""What a till remembers between requests, per store, in the staff member's session: the
anonymous cart's token (or the sale's customer, whose one cart the sale is), the sale id the
order is placed under, and the order once placed (while it is being paid)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from customers.models import Customer
from omni.errors import NotFound
from orders.models import Cart, Order
from orders.services import carts
from staff.access import StaffRequest
from staff.selectors import pos as pos_selectors


@dataclass
class Till:
    cart: str = ""  # an anonymous cart's token
    customer: int | None = None
    sale: str = ""  # the sale id: the order's idempotency key
    order: str = ""  # the order's number, once placed
    link: str = ""  # the payment link shown as a QR code
    change: str = ""  # the change handed back on the last cash payment
    # Endless aisle: {"shipping_method": code, "address": {...}} to ship the sale home.
    home: dict = field(default_factory=dict)

    @classmethod
    def key(cls, request: StaffRequest) -> str:
        return f"pos:{request.store.code}"

    @classmethod
    def load(cls, request: StaffRequest) -> Till:
        data = request.session.get(cls.key(request)) or {}
        till = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        if not till.sale:
            till.sale = str(uuid.uuid4())
        return till

    def save(self, request: StaffRequest) -> None:
        """Kept in the session only when it changed (a scan of one more unit writes no
        session)."""
        data = asdict(self)
        if request.session.get(self.key(request)) != data:
            request.session[self.key(request)] = data

    def reset(self, request: StaffRequest) -> None:
        """A new sale: nothing on the counter, a new sale id."""
        request.session[self.key(request)] = asdict(Till(sale=str(uuid.uuid4())))

    # --- what the till names, read --------------------------------------------------------

    def get_customer(self) -> Customer | None:
        if self.customer is None:
            return None
        try:
            return pos_selectors.customer_for_store(pk=self.customer)
        except NotFound:
            self.customer = None
            return None

    def get_cart(self, request: StaffRequest, customer: Customer | None) -> Cart | None:
        """The sale's cart: the customer's one cart, or the till's anonymous one (None: the
        till has not started one, or it was ordered or merged meanwhile)."""
        if customer is not None:
            return carts.cart_find_for_customer(customer=customer)
        if not self.cart:
            return None
        try:
            return carts.cart_by_token(token=self.cart)
        except NotFound:
            self.cart = ""
            return None

    def get_order(self, request: StaffRequest) -> Order | None:
        if not self.order:
            return None
        try:
            return pos_selectors.store_order(store=request.store, number=self.order)
        except NotFound:
            self.order = ""
            return None
