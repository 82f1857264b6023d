import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni.settings.local")

app = Celery("omni")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
