"""omni.state: the one state machine, and the five that Omni declares with it (order,
fulfilment, return, payment, transfer)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import models
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from inventory import services as inventory
from inventory.models import Transfer
from inventory.services import transfers
from omni.errors import InvalidTransition
from omni.state import StateMachine, machines
from orders.models import Fulfilment, Order, Return
from orders.services import fulfilment, lifecycle, return_rules, returns
from payments import services as payments
from payments.gateways.base import GatewayResult, Status
from payments.models import Payment
from payments.services import answers, core
from tests import factories as f
from tests.payments import support

# --- the machine, on a lamp that stands in for a model row ------------------------------------


class Light(models.TextChoices):
    RED = "red", "Red"
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    BROKEN = "broken", "Broken"


TABLE = {
    Light.RED: {Light.GREEN, Light.BROKEN},
    Light.GREEN: {Light.AMBER, Light.BROKEN},
    Light.AMBER: {Light.RED, Light.BROKEN},
    Light.BROKEN: set(),
}


class Lamp:
    """A status, a stamp field, and a save() that remembers what it was asked to write."""

    def __init__(self, status: str = Light.RED) -> None:
        self.pk = 7
        self.status = status
        self.broken_at: datetime | None = None
        self.note = ""
        self.saves: list[list[str]] = []

    def save(self, *, update_fields: list[str]) -> None:
        self.saves.append(list(update_fields))


def lamp_machine(records: list, **options) -> StateMachine:
    def record(lamp, before, to, **context):
        records.append((lamp, before, to, context))
        return f"event {len(records)}"

    return StateMachine(
        "test-lamp",
        states=Light,
        transitions=TABLE,
        refused=lambda lamp, to: f"Lamp {lamp.pk} is {lamp.status} and cannot turn {to}.",
        record=record,
        stamps={Light.BROKEN: "broken_at"},
        **options,
    )


def test_an_allowed_move_sets_the_status_saves_only_its_fields_and_records_once():
    records: list = []
    machine = lamp_machine(records)
    lamp = Lamp(Light.RED)

    result = machine.move(lamp, Light.GREEN, changes={"note": "morning"}, actor="ayse")

    assert (lamp.status, lamp.note, lamp.broken_at) == ("green", "morning", None)
    assert lamp.saves == [["status", "note", "updated_at"]]
    assert records == [(lamp, "red", "green", {"actor": "ayse"})]
    assert result == "event 1"


def test_entering_a_stamped_state_sets_its_stamp_to_now_and_saves_it():
    records: list = []
    machine = lamp_machine(records)
    lamp = Lamp(Light.AMBER)
    before = timezone.now()

    machine.move(lamp, Light.BROKEN)

    assert lamp.status == "broken"
    assert lamp.broken_at is not None and before <= lamp.broken_at <= timezone.now()
    assert lamp.broken_at.tzinfo is not None
    assert lamp.saves == [["status", "broken_at", "updated_at"]]
    assert len(records) == 1


def test_a_refused_move_raises_with_the_machine_s_words_and_changes_nothing():
    records: list = []
    machine = lamp_machine(records)
    lamp = Lamp(Light.RED)

    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        machine.move(lamp, Light.AMBER, changes={"note": "skip"})

    assert refused.value.message == "Lamp 7 is red and cannot turn amber."
    assert refused.value.fields == {"status": ["Not allowed from red."]}
    assert refused.value.code == "invalid_transition"
    assert (lamp.status, lamp.note, lamp.broken_at, lamp.saves) == ("red", "", None, [])
    assert records == []


def test_a_machine_without_the_field_error_names_no_field():
    machine = lamp_machine([], field_error=False)

    with pytest.raises(InvalidTransition) as refused:
        machine.require(Lamp(Light.BROKEN), Light.RED)

    assert refused.value.fields == {}


def test_a_narrower_rule_gives_its_own_message_and_keeps_the_field_error():
    machine = lamp_machine([])

    with translation.override("en"):
        error = machine.refusal(Lamp(Light.GREEN), Light.BROKEN, message="Not in daylight.")

    assert (error.message, error.fields) == (
        "Not in daylight.",
        {"status": ["Not allowed from green."]},
    )


def test_allows_and_next_answer_from_the_table_without_moving():
    machine = lamp_machine([])

    assert machine.allows(Light.RED, Light.GREEN)
    assert not machine.allows(Light.RED, Light.AMBER)
    assert not machine.allows(Light.BROKEN, Light.RED)
    assert machine.next(Light.AMBER) == {Light.RED, Light.BROKEN}
    assert machine.next(Light.BROKEN) == frozenset()
    assert machine.transitions[Light.RED] == {"green", "broken"}


@pytest.mark.parametrize(
    "table",
    [
        {Light.RED: {Light.GREEN}, Light.GREEN: set(), Light.AMBER: set()},  # broken missing
        {**TABLE, Light.BROKEN: {"melted"}},  # a state the choices do not have
        {**TABLE, "melted": set()},
    ],
)
def test_a_table_that_misses_or_invents_a_state_is_refused_when_declared(table):
    with pytest.raises(ValueError, match="every state of Light"):
        StateMachine(
            "test-bad", states=Light, transitions=table, refused=str, record=lambda *a, **k: None
        )


@given(start=st.sampled_from(Light.values), to=st.sampled_from(Light.values))
def test_a_move_happens_exactly_when_the_table_allows_it(start, to):
    records: list = []
    machine = lamp_machine(records)
    lamp = Lamp(start)

    try:
        machine.move(lamp, to)
    except InvalidTransition:
        assert to not in TABLE[start]
        assert (lamp.status, lamp.saves, records) == (start, [], [])
    else:
        assert to in TABLE[start]
        assert lamp.status == to
        assert len(lamp.saves) == 1 and len(records) == 1


# --- the five machines ------------------------------------------------------------------------

FIVE = {
    "order": (lifecycle.ORDER_MACHINE, lifecycle.TRANSITIONS, Order.Status),
    "fulfilment": (
        fulfilment.FULFILMENT_MACHINE,
        fulfilment.FULFILMENT_TRANSITIONS,
        Fulfilment.Status,
    ),
    "return": (return_rules.RETURN_MACHINE, return_rules.RETURN_TRANSITIONS, Return.Status),
    "payment": (core.PAYMENT_MACHINE, core.TRANSITIONS, Payment.Status),
    "transfer": (transfers.TRANSFER_MACHINE, transfers.TRANSFER_TRANSITIONS, Transfer.Status),
}


def test_each_of_the_five_is_declared_once_with_its_own_table():
    for name, (machine, table, states) in FIVE.items():
        assert machines()[name] is machine
        assert (machine.name, machine.states, machine.field) == (name, states, "status")
        assert dict(machine.transitions) == {state: frozenset(to) for state, to in table.items()}
    # What other code reads goes through the machine too.
    assert returns.RETURN_MACHINE is return_rules.RETURN_MACHINE
    assert payments.PAYMENT_MACHINE is core.PAYMENT_MACHINE
    assert inventory.TRANSFER_MACHINE is transfers.TRANSFER_MACHINE


@given(data=st.data())
def test_each_of_the_five_allows_exactly_the_pairs_of_its_table(data):
    name = data.draw(st.sampled_from(sorted(FIVE)))
    machine, table, states = FIVE[name]
    start = data.draw(st.sampled_from(states.values))
    to = data.draw(st.sampled_from(states.values))

    assert machine.allows(start, to) is (to in table[start])
    assert machine.next(start) == table[start]


@pytest.fixture
def refusals(monkeypatch) -> list[str]:
    """The name of each machine that refused a move, in order."""
    seen: list[str] = []
    refusal = StateMachine.refusal

    def spy(self, *args, **kwargs):
        seen.append(self.name)
        return refusal(self, *args, **kwargs)

    monkeypatch.setattr(StateMachine, "refusal", spy)
    return seen


@pytest.mark.django_db
def test_each_service_refuses_a_move_through_its_own_machine_and_changes_nothing(refusals):
    order = support.place(support.web_channel())
    lifecycle.order_confirm(order=order)
    ful = order.fulfilments.get()
    ret = Return.objects.create(order=order, channel=order.channel, currency=order.currency)
    payment = Payment.objects.create(
        order=order,
        channel=order.channel,
        gateway="test",
        kind=Payment.Kind.CARD,
        currency=order.currency,
        amount=order.total,
        status=Payment.Status.DECLINED,
    )
    transfer = Transfer.objects.create(
        source=f.StockLocationFactory(code="dc-x"), destination=f.StockLocationFactory(code="st-x")
    )
    cases = [
        (
            lambda: lifecycle.order_confirm(order=order),
            f"Order {order.number} is confirmed and cannot become confirmed.",
            "confirmed",
        ),
        (
            lambda: fulfilment.fulfilment_deliver(fulfilment=ful),
            f"Fulfilment {ful.pk} is to pick and cannot become delivered.",
            "pending",
        ),
        (
            lambda: returns.return_refund(return_request=ret),
            f"Return {ret.pk} is requested and cannot become refunded.",
            "requested",
        ),
        (
            lambda: payments.payment_transition(payment, "captured", order=order),
            f"Payment {payment.reference} is declined and cannot become captured.",
            "declined",
        ),
        (
            lambda: inventory.transfer_receive(transfer=transfer),
            f"Transfer {transfer.pk} is requested and cannot be received.",
            None,
        ),
    ]

    for call, message, status in cases:
        with translation.override("en"), pytest.raises(InvalidTransition) as refused:
            call()
        fields = {"status": [f"Not allowed from {status}."]} if status else {}  # transfer: none
        assert (refused.value.message, refused.value.fields) == (message, fields)

    assert refusals == ["order", "fulfilment", "return", "payment", "transfer"]
    for row, status in [
        (order, "confirmed"),
        (ful, "pending"),
        (ret, "requested"),
        (payment, "declined"),
        (transfer, "requested"),
    ]:
        row.refresh_from_db()
        assert row.status == status


@pytest.mark.django_db
def test_a_provider_s_answer_that_is_not_an_allowed_step_is_ignored_through_the_machine(
    monkeypatch,
):
    asked: list[tuple[str, str, str]] = []
    allows = StateMachine.allows

    def spy(self, current, to):
        asked.append((self.name, current, to))
        return allows(self, current, to)

    monkeypatch.setattr(StateMachine, "allows", spy)
    order = support.place(support.web_channel())
    payment = Payment.objects.create(
        order=order,
        channel=order.channel,
        gateway="test",
        kind=Payment.Kind.CARD,
        currency=order.currency,
        amount=order.total,
        status=Payment.Status.DECLINED,
    )

    outcome = answers._apply(order, payment, GatewayResult(status=Status.PENDING))

    assert outcome == "ignored"
    assert asked == [("payment", "declined", "pending")]
    payment.refresh_from_db()
    assert payment.status == "declined"
