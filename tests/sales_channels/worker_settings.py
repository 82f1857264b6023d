"""Settings of the Celery worker that tests/sales_channels/test_sync_worker.py runs as a
subprocess: the test database, a queue of its own, tasks sent to the broker, short leases."""

import os

from omni.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["OMNI_WORKER_QUEUE"]
DATABASES["default"]["NAME"] = os.environ["OMNI_WORKER_DB_NAME"]  # noqa: F405
OMNI_SYNC_LEASE_MARGIN_SECONDS = 1.0
# As in production (omni.settings.base): a worker keeps its connection from task to task.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
