"""The return form of the order page: read from the POST (one row per order line, named by the
line's id), and a service's refusal put back on the fields the clerk sees."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from omni.errors import InsufficientStock, OmniError
from orders.models import ReturnLine
from payments.models import Refund
from staff.services.returns import CounterLine

DIFFERENCE_BY = ("cash", "terminal")
MAX_UNITS = 999


@dataclass
class ReturnForm:
    """What the clerk chose, as posted (`values`, to fill the form again), the lines read from
    it, and the errors: per order line and field ({line id: {field: [messages]}}), per form
    field, and for the whole form."""

    values: dict[str, str] = field(default_factory=dict)
    lines: list[CounterLine] = field(default_factory=list)
    destination: str = Refund.Destination.ORIGINAL
    difference_by: str = "cash"
    note: str = ""
    token: str = ""  # the form's own id (counter_return_once)
    line_errors: dict[int, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    field_errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not (self.line_errors or self.field_errors or self.errors)

    def line_error(self, line_id: int, name: str, message: str) -> None:
        self.line_errors[line_id][name].append(message)

    def refused(self, error: OmniError) -> None:
        """A service's refusal on the fields it names: "lines.<i>.<field>" (a line of the form),
        "order", "amount"/"to" (the refund), "gateway" (the difference at the till)."""
        if isinstance(error, InsufficientStock):
            self.errors.append(
                _(
                    "Not enough stock here for the exchange (%(skus)s): exchange for another size, or refund instead."
                )
                % {"skus": ", ".join(sku for sku, _asked, _had in error.items)}
            )
            return
        placed = False
        for name, messages in error.fields.items():
            parts = name.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
                index = int(parts[1])
                if index < len(self.lines):
                    target = {"order_line_id": "line", "exchange_variant_id": "exchange"}.get(
                        parts[2], parts[2]
                    )
                    for message in messages:
                        self.line_error(self.lines[index].order_line_id, target, message)
                    placed = True
                    continue
            if name in ("amount", "to"):
                self.field_errors["destination"].extend(messages)
                placed = True
            elif name == "gateway":
                self.field_errors["difference_by"].extend(messages)
                placed = True
            else:
                self.errors.extend(messages)
                placed = True
        if not placed:
            self.errors.append(error.message)


def _whole(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return 0
    if not text.isdigit() or len(text) > 6:
        return None
    return int(text)


def read_return_form(data: QueryDict) -> ReturnForm:
    """The rows with a quantity above zero become the return's lines, in the order of their ids
    (quantity-<order line id>, reason-<id>, exchange-<id>, condition-<id>); an id that is not
    the order's is left for the service to refuse."""
    form = ReturnForm(values={key: data.get(key, "") for key in data})
    ids = sorted(
        int(key.removeprefix("quantity-"))
        for key in data
        if key.startswith("quantity-") and key.removeprefix("quantity-").isdigit()
    )
    reasons = set(ReturnLine.Reason.values)
    conditions = set(ReturnLine.Condition.values)
    for line_id in ids:
        quantity = _whole(data.get(f"quantity-{line_id}", ""))
        if quantity is None or quantity > MAX_UNITS:
            form.line_error(line_id, "quantity", _("Enter a whole number of units."))
            continue
        if quantity == 0:
            continue
        reason = data.get(f"reason-{line_id}", "")
        if reason not in reasons:
            form.line_error(line_id, "reason", _("Choose why it comes back."))
        condition = data.get(f"condition-{line_id}", "")
        if condition not in conditions:
            form.line_error(line_id, "condition", _("Choose: restock here or write off."))
        exchange_text = data.get(f"exchange-{line_id}", "").strip()
        exchange = _whole(exchange_text) if exchange_text else None
        if exchange_text and not exchange:
            form.line_error(line_id, "exchange", _("Choose a size to exchange for."))
        form.lines.append(
            CounterLine(
                order_line_id=line_id,
                quantity=quantity,
                reason=reason,
                condition=condition,
                exchange_variant_id=exchange or None,
            )
        )
    if not form.lines and not form.line_errors:
        form.errors.append(_("Choose at least one line to return (a quantity above zero)."))
    form.destination = data.get("destination", Refund.Destination.ORIGINAL)
    if form.destination not in Refund.Destination.values:
        form.field_errors["destination"].append(_("Choose where the refund goes."))
    form.difference_by = data.get("difference_by", "cash")
    if form.difference_by not in DIFFERENCE_BY:
        form.field_errors["difference_by"].append(_("Choose cash or the card terminal."))
    form.note = (data.get("note") or "").strip()[:300]
    token = (data.get("token") or "").strip()
    form.token = token if len(token) == 32 and token.isalnum() else ""
    return form


def read_conditions(data: QueryDict, line_ids: list[int]) -> tuple[dict[int, str], list[str]]:
    """The receive form of a requested return: each of its lines' condition."""
    valid = set(ReturnLine.Condition.values)
    conditions = {pk: data.get(f"condition-{pk}", "") for pk in line_ids}
    errors = []
    if any(value not in valid for value in conditions.values()):
        errors.append(_("Choose for every line: restock here or write off."))
    return conditions, errors
