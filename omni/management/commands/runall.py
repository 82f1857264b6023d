"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server with a real Celery worker and beat; Ctrl-C stops them all."

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
        processes = {
            name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=os.environ.copy())  # noqa: S603
            for name, cmd in commands.items()
        }
        self.stdout.write(f"Omni is running on http://{addr}/ (Ctrl-C stops web, worker and beat)")
        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        failed = None
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    failed = name
                    stopping = True
            time.sleep(0.5)
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
        if failed:
            self.stderr.write(f"{failed} stopped unexpectedly; stopped the others too.")
            sys.exit(1)
        self.stdout.write("Stopped web, worker and beat.")
