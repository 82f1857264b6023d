from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.storefront.support import build_shop


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the sign-in limit and the channel caches start empty
    yield
    cache.clear()


@pytest.fixture
def shop(db):
    return build_shop()
