"""Run the web server, a Celery worker and Celery beat together. One that dies is started
again (omni/supervisor.py); Ctrl-C stops them all."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from omni.supervisor import Supervisor


class Command(BaseCommand):
    help = (
        "Run the web server with a real Celery worker and beat; one that dies is started "
        "again, Ctrl-C stops them all."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--addr", default="127.0.0.1:8000", help="Where the web server listens."
        )
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes.")

    def handle(self, *args, addr: str, concurrency: int, **options):
        python = sys.executable
        schedule = settings.VAR_DIR / "celerybeat-schedule"
        commands = {
            "web": [python, "manage.py", "runserver", addr],
            "worker": [python, "-m", "celery", "-A", "omni", "worker", "--loglevel", "INFO",
                       "--concurrency", str(concurrency)],
            "beat": [python, "-m", "celery", "-A", "omni", "beat", "--loglevel", "INFO",
                     "--schedule", str(schedule)],
        }  # fmt: skip
        # The fake card provider behind the "test" gateway, when it is meant to run here.
        provider = urlsplit(settings.OMNI_TEST_GATEWAY_URL)
        if provider.hostname in ("127.0.0.1", "localhost") and provider.port:
            commands["provider"] = [python, "-m", "payments.fake_provider", "--host",
                                    provider.hostname, "--port", str(provider.port),
                                    "--secret", settings.OMNI_TEST_GATEWAY_SECRET,
                                    "--api-key", settings.OMNI_TEST_GATEWAY_API_KEY]  # fmt: skip
        self.stdout.write(f"Broker: {settings.CELERY_BROKER_URL.split('@')[-1]}")
        self.stdout.write(f"Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
        self.stdout.write(
            f"Omni is running on http://{addr}/ (a process that dies is started again; "
            "Ctrl-C stops web, worker and beat)"
        )
        Supervisor(
            commands, cwd=settings.BASE_DIR, env=os.environ.copy(), say=self.stderr.write
        ).run()
        self.stdout.write("Stopped web, worker and beat.")
