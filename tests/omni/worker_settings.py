"""Settings of the Celery worker that tests/omni/test_broker_outage.py runs as a subprocess:
the test database, a private Redis as broker, a queue of its own. Mingle, gossip and heartbeat
stay on, as in `make run` and the compose file."""

import os

from omni.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["OMNI_WORKER_BROKER_URL"]
# Where the worker publishes (events, Mingle's hello, the tasks it sends) when not the same.
CELERY_BROKER_WRITE_URL = os.environ.get("OMNI_WORKER_BROKER_WRITE_URL") or None
CELERY_TASK_DEFAULT_QUEUE = os.environ["OMNI_WORKER_QUEUE"]
DATABASES["default"]["NAME"] = os.environ["OMNI_WORKER_DB_NAME"]  # noqa: F405
