import os

from django.apps import AppConfig


class OmniConfig(AppConfig):
    name = "omni"
    verbose_name = "Omni"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from omni.search import register_sqlite_functions

        # SQLite (the embedded default) gets the search functions PostgreSQL has in SQL.
        connection_created.connect(register_sqlite_functions, dispatch_uid="omni.search")

        # The filesystem broker (the embedded default) needs its folders to exist.
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
            if folder:
                os.makedirs(folder, exist_ok=True)
