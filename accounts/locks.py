"""Every row lock of accounts: a user's row, as the lock of what is done to their account.

Each function must run inside a transaction; the lock is held until it ends.
"""

from __future__ import annotations

from django.db import connection

from accounts.models import User


def user_lock(pk: int) -> None:
    """Lock the user's row (and read nothing of it): two sign-ins from one app install at once
    run one after the other, so the second replaces the first's token."""
    assert connection.in_atomic_block, "user_lock() must run inside a transaction"
    User.objects.select_for_update().filter(pk=pk).values_list("pk").first()
