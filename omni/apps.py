import os

from django.apps import AppConfig


class OmniConfig(AppConfig):
    name = "omni"
    verbose_name = "Omni"

    def ready(self) -> None:
        from django.conf import settings

        # The filesystem broker (the embedded default) needs its folders to exist.
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
            if folder:
                os.makedirs(folder, exist_ok=True)
