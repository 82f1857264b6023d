"""Managing promotions through campaigns.services.promotions: every bad input is a field-level
error with nothing saved, the window is Istanbul's, pause/resume/copy, named codes, and the
outbox event a change of a channel's prices records (and a code promotion does not)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from campaigns.models import Code, Promotion
from campaigns.services import promotions as services
from catalog.models import VariantChannelPrice
from customers.models import Segment
from omni.errors import ValidationError
from omni.models import OutboxEvent
from sales_channels import services as relay
from tests import factories as f
from tests.campaigns import redeem_world

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Europe/Istanbul")
TOPIC = "campaigns.promotion.changed"


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


@pytest.fixture
def eur():
    return f.ChannelFactory(code="eu-web", currency="EUR")


def _naive(text: str) -> datetime:
    """A moment as the merchant types it: no offset."""
    return datetime.fromisoformat(text)


def _create(**fields):
    base = {"name": "Yaz", "label_tr": "Yaz indirimi", "kind": "percent", "value": "10"}
    return services.promotion_create(**{**base, **fields})


def _refused(call) -> dict[str, list[str]]:
    """The field errors of a refused write, which saved nothing."""
    promotions, codes, events = (
        Promotion.objects.count(),
        Code.objects.count(),
        OutboxEvent.objects.count(),
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        call()
    assert (Promotion.objects.count(), Code.objects.count(), OutboxEvent.objects.count()) == (
        promotions,
        codes,
        events,
    )
    return refused.value.fields


def _events():
    return list(OutboxEvent.objects.filter(topic=TOPIC).order_by("id"))


def test_a_percent_promotion_on_one_channel_records_one_event_for_it(web, eur):
    start = _naive("2026-06-01T09:00")  # naive: the merchant's Istanbul time

    promotion = _create(channels=[web.pk], starts_at=start)

    promotion.refresh_from_db()
    assert promotion.starts_at == start.replace(tzinfo=IST)
    assert promotion.label_tr == "Yaz indirimi" and promotion.value == Decimal("10.00")
    (event,) = _events()
    assert (event.key, event.channel_id) == (f"promotion:{promotion.pk}", web.pk)
    assert event.payload == {
        "promotion": promotion.pk,
        "channels": [web.pk],
        "active": True,
        "starts_at": "2026-06-01T06:00:00+00:00",
        "ends_at": None,
    }


def test_a_promotion_on_every_channel_tells_each_channel(web, eur):
    promotion = _create(value="15")  # no channel chosen: all of them

    services.promotion_update(promotion=promotion, channels=[web.pk])

    first, second = _events()[:2], _events()[2:]
    assert sorted(e.channel_id for e in first) == sorted([web.pk, eur.pk])
    assert {e.payload["channels"] for e in first} == {"all"}
    # narrowed to web: EUR's channel hears it too, to drop the sale price
    assert sorted(e.channel_id for e in second) == sorted([web.pk, eur.pk])
    assert all(e.payload["channels"] == [web.pk] for e in second)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "100.01"}, "value"),
        ({"value": "-1"}, "value"),
        ({"kind": "shipping", "value": "101"}, "value"),
        (
            {"ends_at": _naive("2026-01-01T10:00"), "starts_at": _naive("2026-01-02T10:00")},
            "ends_at",
        ),
        ({"products": [999_999]}, "products"),
        ({"variants": [999_999]}, "variants"),
        ({"categories": [999_999]}, "categories"),
        ({"brands": [999_999]}, "brands"),
        ({"attribute_values": [999_999]}, "attribute_values"),
        ({"segments": [999_999]}, "segments"),
        ({"loyalty_tiers": [999_999]}, "loyalty_tiers"),
        ({"channels": [999_999]}, "channels"),
        ({"name": " "}, "name"),
        ({"label_tr": ""}, "label_tr"),
        ({"kind": "magic"}, "kind"),
        ({"currency": "XXX1"}, "currency"),
        ({"config": {"buy": 1}}, "config.buy"),
        ({"kind": "buy_x_get_y", "config": {"buy": 0, "get": 1}}, "config.buy"),
        ({"kind": "buy_x_get_y", "config": {"buy": 1, "get": "x"}}, "config.get"),
        ({"kind": "buy_x_get_y", "config": {"buy": 1, "get": 1, "percent": 150}}, "config.percent"),
        ({"kind": "bundle", "config": {"quantity": 1, "pay": 1}}, "config.quantity"),
        ({"kind": "bundle", "config": {"quantity": 3, "pay": 3}}, "config.pay"),
        ({"kind": "bundle", "config": {"quantity": 3}}, "config"),
        ({"kind": "bundle", "config": {"quantity": 2, "price": "-5"}}, "config.price"),
        (
            {
                "kind": "tiered",
                "config": {
                    "tiers": [{"from": "1000", "percent": "15"}, {"from": "500", "percent": "10"}]
                },
            },
            "config.tiers.1.from",
        ),
        (
            {"kind": "tiered", "config": {"tiers": [{"from": "500", "percent": "101"}]}},
            "config.tiers.0.percent",
        ),
        ({"kind": "tiered", "config": {"tiers": []}}, "config.tiers"),
        ({"kind": "gift", "config": {"variant": 999_999}}, "config.variant"),
        ({"kind": "gift", "config": {"variant": 1, "quantity": 0}}, "config.quantity"),
        ({"min_quantity": 0}, "min_quantity"),
        ({"usage_limit": -2}, "usage_limit"),
        ({"code": "a"}, "code"),
    ],
)
def test_bad_input_is_a_field_error_and_saves_nothing(web, fields, field):
    errors = _refused(lambda: _create(**fields))

    assert field in errors, errors


def test_an_amount_in_another_currency_than_a_channels_is_refused(web, eur):
    on_eur = _refused(lambda: _create(kind="amount", value="20", channels=[eur.pk]))
    on_all = _refused(lambda: _create(kind="fixed_price", value="20"))  # EUR's too
    tiered = _refused(
        lambda: _create(
            kind="tiered",
            value="0",
            channels=[web.pk, eur.pk],
            config={"tiers": [{"from": "500", "percent": "10"}]},
        )
    )
    bundle = _refused(
        lambda: _create(
            kind="bundle", value="0", channels=[eur.pk], config={"quantity": 2, "price": "500"}
        )
    )

    assert on_eur["currency"] == [
        "The amounts are in TRY but these channels sell in another currency: eu-web (EUR). "
        "Choose channels that sell in TRY."
    ]
    assert "currency" in on_all and "currency" in tiered and "currency" in bundle
    # a percentage is in no currency: every channel may have it
    assert _create(value="10").pk
    assert _create(kind="amount", value="5", currency="EUR", channels=[eur.pk]).pk


def test_a_code_already_taken_in_any_case_is_refused(web):
    first = _create(code="ACILIS2026")

    taken = _refused(lambda: _create(code="acilis2026"))
    taken_again = _refused(lambda: services.code_create(promotion=first, code=" Acilis2026 "))

    assert taken["code"] == ["The code ACILIS2026 is already taken."]
    assert taken_again["code"] == ["The code ACILIS2026 is already taken."]
    assert list(first.codes.values_list("code", flat=True)) == ["ACILIS2026"]
    assert Promotion.objects.get(pk=first.pk).requires_code


def test_an_update_with_a_bad_field_changes_nothing(web):
    promotion = _create(channels=[web.pk])

    errors = _refused(
        lambda: services.promotion_update(promotion=promotion, name="Yeni", value="120")
    )

    assert errors == {"value": ["A percentage is between 0 and 100."]}
    promotion.refresh_from_db()
    assert (promotion.name, promotion.value) == ("Yaz", Decimal("10.00"))


def test_the_settings_of_each_kind_are_stored_normalised(web):
    bxgy = _create(kind="buy_x_get_y", value="0", config={"buy": "1", "get": 1, "percent": 50})
    tiers = _create(
        kind="tiered",
        value="0",
        config={"tiers": [{"from": "500", "percent": "10"}, {"from": 1000, "percent": 15}]},
    )

    assert bxgy.config == {"buy": 1, "get": 1, "percent": "50"}
    assert tiers.config == {
        "tiers": [{"from": "500.00", "percent": "10"}, {"from": "1000.00", "percent": "15"}]
    }


def test_pause_and_resume_tell_the_channels(web):
    promotion = _create(channels=[web.pk])

    services.promotion_pause(promotion=promotion)
    paused = Promotion.objects.get(pk=promotion.pk).is_active
    services.promotion_resume(promotion=promotion)

    assert paused is False and Promotion.objects.get(pk=promotion.pk).is_active
    assert [e.payload["active"] for e in _events()] == [True, False, True]


def test_a_schedule_sets_the_window_in_istanbul_time(web):
    promotion = _create(channels=[web.pk])

    services.promotion_schedule(
        promotion=promotion,
        starts_at=_naive("2026-07-01T00:00"),
        ends_at=_naive("2026-07-31T23:59"),
    )
    refused = _refused(
        lambda: services.promotion_schedule(
            promotion=promotion,
            starts_at=_naive("2026-08-01T00:00"),
            ends_at=_naive("2026-07-01T00:00"),
        )
    )

    promotion.refresh_from_db()
    assert promotion.starts_at == datetime(2026, 7, 1, tzinfo=IST)
    assert _events()[-1].payload["ends_at"] == "2026-07-31T20:59:00+00:00"
    assert refused == {"ends_at": ["The promotion must end after it starts."]}


def test_a_copy_starts_paused_without_codes_or_uses(web):
    segment = Segment.objects.create(
        name="VIP", rules={"field": "is_guest", "op": "eq", "value": False}
    )
    promotion = _create(channels=[web.pk], segments=[segment.pk], code="YAZ10", budget="1000")
    Promotion.objects.filter(pk=promotion.pk).update(times_used=3, spent=Decimal("30"))

    with translation.override("en"):
        copy = services.promotion_copy(promotion=promotion)

    assert copy.pk != promotion.pk and copy.name == "Yaz (copy)"
    assert (copy.is_active, copy.times_used, copy.spent, copy.codes.count()) == (
        False,
        0,
        Decimal("0"),
        0,
    )
    assert list(copy.channels.all()) == [web] and list(copy.segments.all()) == [segment]
    assert copy.requires_code and copy.budget == Decimal("1000.00")


def test_no_event_for_a_code_promotion_nor_a_customer_cart_or_uses_condition(web):
    segment = Segment.objects.create(
        name="VIP", rules={"field": "is_guest", "op": "eq", "value": False}
    )
    _create(channels=[web.pk], code="KOD10")
    _create(channels=[web.pk], requires_code=True)
    _create(channels=[web.pk], segments=[segment.pk])
    _create(channels=[web.pk], min_subtotal="500")
    _create(channels=[web.pk], min_quantity=2)
    _create(channels=[web.pk], budget="1000")
    _create(channels=[web.pk], usage_limit=100)
    _create(channels=[web.pk], kind="shipping", value="100")
    _create(channels=[web.pk], kind="percent", target="order")
    _create(channels=[web.pk], is_active=False)

    assert _events() == []


def test_a_promotion_that_stops_setting_prices_tells_its_channels_once_more(web):
    promotion = _create(channels=[web.pk])

    services.code_create(promotion=promotion, code="sonra10")
    services.promotion_update(promotion=promotion, name="Kodlu")  # sets no price, before or now

    assert [(e.channel_id, e.payload["active"]) for e in _events()] == [
        (web.pk, True),
        (web.pk, False),
    ]


def test_moving_a_promotion_to_another_channel_tells_both(web):
    store = f.ChannelFactory(code="store-kadikoy")
    promotion = _create(channels=[web.pk])

    services.promotion_update(promotion=promotion, channels=[store.pk])

    last = _events()[1:]
    assert sorted(e.channel_id for e in last) == sorted([web.pk, store.pk])
    assert {e.payload["channels"][0] for e in last} == {store.pk}


def test_a_change_to_what_it_already_is_records_nothing(web):
    promotion = _create(channels=[web.pk], starts_at=_naive("2027-01-01T10:00"))

    services.promotion_update(
        promotion=promotion, name="Yaz", value="10.00", starts_at=_naive("2027-01-01T10:00")
    )
    services.promotion_resume(promotion=promotion)

    assert len(_events()) == 1


def test_a_budget_or_limit_set_later_counts_what_was_already_given(web):
    item = f.product(channels=[web], price="100.00")
    variant = item.variants.get()
    f.stocked(web, variant)
    promotion = _create(products=[item.pk])  # 10 % off, no limit: its row does not count
    customer = f.CustomerFactory()
    redeem_world.place(web, customer, {variant: 1})
    redeem_world.place(web, customer, {variant: 1})

    too_low = _refused(
        lambda: services.promotion_update(promotion=promotion, budget="15", usage_limit=1)
    )
    services.promotion_update(promotion=promotion, budget="500")

    assert too_low == {
        "budget": ["The budget is below what the promotion has already given."],
        "usage_limit": ["The limit is below the uses so far."],
    }
    promotion.refresh_from_db()
    assert (promotion.times_used, promotion.spent) == (2, Decimal("20.00"))


def test_the_event_reaches_the_channel_sale_prices(web):
    store = f.ChannelFactory(code="store-kadikoy")
    variant = f.product(channels=[web, store], price="100.00").variants.get()
    promotion = _create(value="20", channels=[web.pk], products=[variant.product_id])

    relay.outbox_relay_batch()
    on_sale = [
        VariantChannelPrice.objects.get(variant=variant, channel=c).sale_price for c in (web, store)
    ]
    services.promotion_pause(promotion=promotion)
    relay.outbox_relay_batch()

    assert on_sale == [Decimal("80.00"), None]
    assert VariantChannelPrice.objects.get(variant=variant, channel=web).sale_price is None
