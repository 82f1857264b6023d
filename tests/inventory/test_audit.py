"""`manage.py stock_audit`: every stock row against the sum of its ledger."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from inventory import services
from inventory.models import Stock
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


@pytest.fixture
def dc(web):
    location = f.StockLocationFactory(code="dc-gebze")
    f.sells_from(web, location)
    return location


@pytest.fixture
def store(web):
    location = f.StockLocationFactory(code="store-kadikoy", kind="store")
    f.sells_from(web, location)
    return location


@pytest.fixture
def stocked(web, dc, store):
    """Two variants at two locations, moved by every kind of operation."""
    first, second = f.product(channels=[web], variants=2).variants.order_by("id")
    for v in (first, second):
        services.stock_receive(variant=v, location=dc, quantity=10)
    services.stock_adjust(variant=first, location=dc, delta=-1, reason="Hasar")
    services.stock_count(variant=second, location=dc, counted=8)
    services.stock_allocate(
        channel=web, reference="order:1", lines=[services.LineRequest(first.pk, 2)]
    )
    transfer = services.transfer_request(source=dc, destination=store, lines={second.pk: 3})
    services.transfer_ship(transfer=transfer)
    services.transfer_receive(transfer=transfer)
    return first, second


def audit(*args: str) -> str:
    out = StringIO()
    call_command("stock_audit", *args, stdout=out)
    return out.getvalue()


def test_a_balanced_database_passes(stocked):
    assert Stock.objects.count() == 3
    assert audit().strip() == "3 stock rows checked, 0 drifted"


def test_an_empty_database_passes(db):
    assert audit().strip() == "0 stock rows checked, 0 drifted"


def test_a_row_changed_behind_the_ledger_fails_and_is_named(stocked, dc):
    first, _second = stocked
    row = Stock.objects.get(variant=first, location=dc)
    assert (row.on_hand, row.allocated) == (9, 2)
    Stock.objects.filter(pk=row.pk).update(on_hand=F("on_hand") + 3)  # bypasses the services

    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("stock_audit", stdout=out)

    assert failed.value.returncode == 1  # manage.py exits with it
    assert str(failed.value) == (
        "3 stock rows checked, 1 drifted: stock does not match its ledger."
    )
    assert out.getvalue().splitlines() == [
        f"DRIFT {first.sku} @ dc-gebze (stock {row.pk}): on hand 12 vs ledger 9 (+3), "
        "allocated 2 vs ledger 2 (+0)"
    ]


def test_an_allocated_drift_is_found_too(stocked, dc):
    first, _second = stocked
    Stock.objects.filter(variant=first, location=dc).update(allocated=0)
    with pytest.raises(CommandError):
        audit()


def test_the_audit_can_be_narrowed_to_one_location(stocked, dc, store):
    first, _second = stocked
    Stock.objects.filter(variant=first, location=dc).update(on_hand=F("on_hand") - 1)

    assert audit("--location", "store-kadikoy").strip() == (
        "1 stock rows checked at store-kadikoy, 0 drifted"
    )
    with pytest.raises(CommandError, match="2 stock rows checked at dc-gebze, 1 drifted"):
        audit("--location", "dc-gebze")
    with pytest.raises(CommandError, match="no stock location with the code 'nowhere'"):
        audit("--location", "nowhere")
