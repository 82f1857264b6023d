"""The places the inventory tests stock: two distribution centres and three stores."""

from decimal import Decimal

import pytest

from tests import factories as f
from tests.inventory.support import store


@pytest.fixture
def web():
    return f.ChannelFactory(code="web")


@pytest.fixture
def gebze():
    return f.StockLocationFactory(
        code="dc-gebze",
        name="Gebze DC",
        city="Kocaeli",
        latitude=Decimal("40.802"),
        longitude=Decimal("29.431"),
    )


@pytest.fixture
def izmir_dc():
    return f.StockLocationFactory(
        code="dc-izmir",
        name="Kemalpaşa DC",
        city="İzmir",
        latitude=Decimal("38.426"),
        longitude=Decimal("27.417"),
    )


@pytest.fixture
def kadikoy():
    return store("store-kadikoy", "Kadıköy Mağazası", "İstanbul", "Kadıköy", "40.988", "29.028")


@pytest.fixture
def kizilay():
    return store("store-kizilay", "Kızılay Mağazası", "Ankara", "Çankaya", "39.920", "32.854")


@pytest.fixture
def alsancak():
    return store("store-alsancak", "Alsancak Mağazası", "İzmir", "Konak", "38.437", "27.143")
