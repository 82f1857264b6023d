"""The developer's machine: `make run`. Embedded defaults (SQLite, filesystem broker)."""

from .base import *

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "django-insecure-local-only-6s8d7f6g5h4j3k2l1-omni-dev-key"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
