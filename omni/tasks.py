"""Celery work queued after the current transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_after_commit(
    task: Any, *args: Any, countdown: float | None = None, **kwargs: Any
) -> None:
    """Queue `task.delay(*args, **kwargs)` after the current transaction commits (at once if
    there is none); nothing when it rolls back. `countdown` (Celery's, not the task's) has the
    message wait that many seconds. A broker that cannot be reached is logged and swallowed,
    never raised to the caller whose change is already committed: every task queued this way
    has a sweep on the beat schedule that finds its work in the database (README, "Work after
    the commit"; tests/omni/test_after_commit.py keeps the list)."""

    def send() -> None:
        try:
            if countdown is None:
                task.delay(*args, **kwargs)
            else:
                task.apply_async(args, kwargs, countdown=countdown)
        except Exception:
            logger.exception("%s not queued after commit; its sweep will do it", task.name)

    transaction.on_commit(send, robust=True)
