from __future__ import annotations

import pytest

from tests.storefront.support import build_shop


@pytest.fixture
def shop(db):
    return build_shop()
