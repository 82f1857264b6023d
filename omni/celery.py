import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from celery.worker.consumer import Consumer as CeleryConsumer
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings.local")

app = Celery("omni")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Consumer(CeleryConsumer):
    """The worker's consumer (settings.CELERY_WORKER_CONSUMER), which also takes kombu's
    OperationalError for what it is: a lost broker connection.

    After each (re)connect the consumer starts its steps; Mingle's hello and the task
    consumer's QoS open further connections through kombu's `default_channel`, which gives up
    after broker_connection_timeout (4 s) and raises OperationalError. Celery 5.7 retries only
    the transport's own connection errors, so a broker that went away while those steps ran
    stopped the worker with "Unrecoverable error" a few seconds later. Counted as a connection
    error, it takes the usual path instead: reconnect with backoff, then start again.
    """

    connection_errors: tuple[type[BaseException], ...]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection_errors = (*self.connection_errors, OperationalError)


@task_prerun.connect
@task_postrun.connect
def _database_connections(task=None, **_kwargs) -> None:
    """Database connections follow Django's own rule around each task, as around a web
    request: kept for CONN_MAX_AGE, checked before reuse (CONN_HEALTH_CHECKS), closed when
    broken or left in a bad state. Celery's Django fix-up would close them all before and
    after every task (settings.CELERY_DB_REUSE_MAX turns that off): a new PostgreSQL
    connection per task, with its start-up and its prepared statements lost, was a fifth of a
    sync worker's time."""
    if task is not None and not getattr(task.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
