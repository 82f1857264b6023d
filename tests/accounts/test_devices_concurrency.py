"""Sign-ins from one app install at once, on real PostgreSQL with a connection per thread."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import DeviceToken
from tests import factories as f
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_sign_ins_from_one_install_at_once_leave_it_one_token():
    user = f.UserFactory()

    outcomes = race(
        [lambda: services.auth_token_issue(user=user, device_id="phone") for _ in range(4)]
    )

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    survivor = DeviceToken.objects.get(user=user)
    assert [token.pk for token, _key in outcomes].count(survivor.pk) == 1
